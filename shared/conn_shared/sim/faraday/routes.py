"""Every path the Faraday simulator serves, relative to its mount (`/faraday`)."""

from conn_shared.sim.faraday import connections, datasets
from conn_shared.sim.faraday.store import FaradayStore
from conn_shared.sim.routing import StoreHandler

__all__ = ["ROUTES"]

_C, _D = "/v1/connections", "/v1/datasets"
#: (path, method, handler)
ROUTES: list[tuple[str, str, StoreHandler[FaradayStore]]] = [
    (_C, "GET", connections.list_connections),
    (_C, "POST", connections.create_connection),
    (_C + "/{connection_id}", "GET", connections.get_connection),
    (_C + "/{connection_id}", "PATCH", connections.update_connection),
    (_C + "/{connection_id}", "DELETE", connections.delete_connection),
    (_C + "/{connection_id}/datasets", "GET", connections.connection_datasets),
    (_C + "/{connection_id}/targets", "GET", connections.connection_targets),
    (_C + "/{connection_id}/force_update", "POST", connections.force_connection),
    (_C + "/{connection_id}/archive", "POST", connections.archive_connection),
    (_C + "/{connection_id}/unarchive", "POST", connections.unarchive_connection),
    (_C + "/{connection_id}/rotate_credentials", "POST", connections.rotate_credentials),
    (_D, "GET", datasets.list_datasets),
    (_D, "POST", datasets.create_dataset),
    (_D + "/{dataset_id}", "GET", datasets.get_dataset),
    (_D + "/{dataset_id}", "PATCH", datasets.update_dataset),
    (_D + "/{dataset_id}", "DELETE", datasets.delete_dataset),
    (_D + "/{dataset_id}/force_update", "POST", datasets.force_dataset),
    (_D + "/{dataset_id}/archive", "POST", datasets.archive_dataset),
    (_D + "/{dataset_id}/unarchive", "POST", datasets.unarchive_dataset),
]
