"""Read-only verbs for observers: asset checks, sensors and state refreshes.

    with SyncExecutor(backend.profile()) as executor:
        health = executor.run(get_connection_health(backend, connection_id))
        catalog = executor.run(get_catalog(backend, connection_id))

Both send GETs only, never a write, so a sensor tick, a health check or the
refresh of stored definitions state can call them as often as it likes.
"""

from typing import Any

from conn_shared.backends.base import Backend
from conn_shared.calls import Flow
from conn_shared.lifecycle import require
from conn_shared.states import ConnectionCatalog, ConnectionHealth, Step

__all__ = ["get_catalog", "get_connection_health"]


def get_connection_health(backend: Backend[Any], connection_id: str) -> Flow[ConnectionHealth]:
    """Readiness, pause and the last sync times of a connection, in one GET.

    Fivetran: GET /v1/connections/{id} (`succeeded_at`, `failed_at`, `paused`);
    Faraday: GET /connections/{id} (`last_updated_output_at`; no pause); hub:
    GET /api/v1/connections/{id} (disabled counts as paused; no syncs). Raises
    UnsupportedStepError (before any request) on a backend without readiness,
    NotFoundError for an unknown id, and the API's errors.
    """
    require(backend, Step.READINESS)
    return backend.health_flow(connection_id)


def get_catalog(
    backend: Backend[Any], connection_id: str, *, columns: bool = True
) -> Flow[ConnectionCatalog]:
    """The tables a connection syncs or exposes, its contents and datasets, with GETs only.

    Fivetran: GET .../schemas (enabled tables and columns; none, with a reason,
    while the schema is not captured yet: 404 NotFound_SchemaConfig); hub:
    GET .../schema/tables (none for providers without schema browsing); Faraday:
    GET the connection (contents with row counts) and GET .../datasets.
    `columns` also reads the columns a listing leaves out, one GET per table
    (Fivetran .../tables/{table}/columns, hub .../schema/columns); without it
    those tables' `columns` are empty. `tables` is None whenever they are not
    known, and `reason` says why. Raises NotFoundError for an unknown id and the
    API's errors.
    """
    return backend.catalog_flow(connection_id, columns=columns)
