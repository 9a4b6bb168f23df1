"""The Faraday v1 backend: `FaradayBackend`, its settings, spec and error mapper.

Files, as in every vendor folder: `settings.py`, `models.py`, `spec.py`,
`errors.py`, `calls.py`, `states.py`, `backend.py` (its docstring maps the lifecycle).
"""

from conn_shared.backends.faraday.backend import FaradayBackend
from conn_shared.backends.faraday.errors import map_faraday_error
from conn_shared.backends.faraday.settings import FaradaySettings
from conn_shared.backends.faraday.spec import FaradayConnectionSpec

__all__ = ["FaradayBackend", "FaradayConnectionSpec", "FaradaySettings", "map_faraday_error"]
