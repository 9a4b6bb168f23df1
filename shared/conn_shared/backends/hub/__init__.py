"""The connections hub backend: `HubBackend`, its settings, spec and error mapper.

Files, as in every vendor folder: `settings.py`, `models.py`, `spec.py`,
`errors.py`, `calls.py` (+ `browse.py`: files and schema browsing), `states.py`,
`backend.py` (its docstring maps the lifecycle).
"""

from conn_shared.backends.hub.backend import HubBackend
from conn_shared.backends.hub.errors import map_hub_error
from conn_shared.backends.hub.settings import HubSettings
from conn_shared.backends.hub.spec import HubConnectionSpec

__all__ = ["HubBackend", "HubConnectionSpec", "HubSettings", "map_hub_error"]
