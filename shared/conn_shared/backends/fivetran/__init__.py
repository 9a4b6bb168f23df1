"""The Fivetran v1 backend: `FivetranBackend`, its settings, spec and error mapper.

Files, as in every vendor folder: `settings.py`, `models.py`, `spec.py`,
`errors.py`, `calls.py` (+ `schemas.py`: schema, certificate and fingerprint
endpoints), `states.py`, `backend.py` (its docstring maps the lifecycle).
"""

from conn_shared.backends.fivetran.backend import FivetranBackend
from conn_shared.backends.fivetran.errors import map_fivetran_error
from conn_shared.backends.fivetran.settings import FivetranSettings
from conn_shared.backends.fivetran.spec import FivetranConnectionSpec

__all__ = ["FivetranBackend", "FivetranConnectionSpec", "FivetranSettings", "map_fivetran_error"]
