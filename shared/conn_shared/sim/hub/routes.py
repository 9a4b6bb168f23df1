"""Every path the hub simulator serves, relative to its mount (`/hub`)."""

from conn_shared.sim.hub import browse, connections
from conn_shared.sim.hub.store import HubStore
from conn_shared.sim.routing import StoreHandler

__all__ = ["ROUTES"]

_BASE = "/api/v1/connections"
_ONE = _BASE + "/{connection_uuid}"
#: (path, method, handler)
ROUTES: list[tuple[str, str, StoreHandler[HubStore]]] = [
    (_BASE, "GET", connections.list_connections),
    (_BASE, "POST", connections.create_connection),
    # Before "/{connection_uuid}/..." so a slug like "disable" is still a slug.
    (_BASE + "/slug/{slug}", "GET", connections.get_connection_by_slug),
    (_ONE, "GET", connections.get_connection),
    (_ONE, "PATCH", connections.update_connection),
    (_ONE, "DELETE", connections.delete_connection),
    (_ONE + "/disable", "POST", connections.disable_connection),
    (_ONE + "/reactivate", "POST", connections.reactivate_connection),
    (_ONE + "/set-default", "POST", connections.set_default_connection),
    (_ONE + "/verify", "POST", connections.verify_connection),
    (_ONE + "/edit-settings", "GET", connections.edit_settings),
    (_ONE + "/files", "GET", browse.list_files),
    (_ONE + "/files/validate", "POST", browse.validate_files),
    (_ONE + "/schema/tables", "GET", browse.schema_tables),
    (_ONE + "/schema/columns", "GET", browse.schema_columns),
    (_ONE + "/schema/sample", "POST", browse.schema_sample),
    (_ONE + "/schema/query", "POST", browse.schema_query),
]
