"""Fivetran sync handlers: sync (and the legacy force), re-sync of a connection or of
tables, and the connector state of Function and Connector SDK connections.
"""

from typing import Any

from starlette.requests import Request

from conn_shared.sim.fivetran.records import Connection, supports_state, supports_table_resync
from conn_shared.sim.fivetran.store import FivetranStore
from conn_shared.sim.fivetran.wire import ApiError, boolean, object_body, ok

__all__ = [
    "connection_state",
    "force_sync",
    "modify_connection_state",
    "resync_connection",
    "resync_tables",
    "sync_connection",
]


async def sync_connection(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST /sync: start a sync; `force` restarts a running one, otherwise it is left alone."""
    conn = store.get(request.path_params["connectionId"])
    force = bool(boolean(object_body(body, required=False), "force", False))
    return _trigger(store, conn, force=force)


async def force_sync(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """Legacy POST /v1/connectors/{id}/force: a sync with force=true."""
    return _trigger(store, store.get(request.path_params["connectionId"]), force=True)


def _trigger(store: FivetranStore, conn: Connection, *, force: bool) -> tuple[int, Any]:
    now = store.now()
    started = f"Sync has been successfully triggered for connection with id '{conn.id}'"
    if conn.paused:
        # The definition gives sync no 4xx besides auth/404: accepted, but nothing runs.
        return ok(message=f"Connection with id '{conn.id}' is paused; no sync was started")
    if conn.syncing and not force:
        return ok(
            message=f"Sync is already in progress for connection with id '{conn.id}'; "
            "no new sync was started (force=true restarts it)"
        )
    if conn.rescheduled_for is not None and not conn.syncing:
        if now >= conn.rescheduled_for:
            # The wait is over: the sync starts, unless the source is still out of quota.
            conn.begin_sync(now, historical=conn.rescheduled_historical, skip_quota=True)
        if conn.syncing:
            conn.runs_requested["sync"] += 1
            return ok(message=started)
        assert conn.rescheduled_for is not None
        when = store.clock.iso(conn.rescheduled_for)
        return ok(message=f"Sync for connection with id '{conn.id}' is rescheduled for {when}")
    historical = conn.syncing and conn.sync_historical
    conn.cancel_sync()
    conn.begin_sync(now, historical=historical)
    # A run parked in `rescheduled` counts too: the request made it, it starts later.
    conn.runs_requested["sync"] += 1
    return ok(message=started)


def _scope(raw: Any, conn: Connection) -> dict[str, list[str]]:
    if not isinstance(raw, dict) or not raw:
        raise ApiError(400, "The re-sync scope must be a non-empty object of schema -> tables")
    for schema, tables in raw.items():
        if (
            not isinstance(tables, list)
            or not tables
            or not all(isinstance(t, str) for t in tables)
        ):
            raise ApiError(400, f"Schema '{schema}' must map to a non-empty array of table names")
    if not supports_table_resync(conn.service):
        raise ApiError(400, f"Service '{conn.service}' does not support table-level re-sync")
    return {str(schema): list(tables) for schema, tables in raw.items()}


def _resync(store: FivetranStore, conn: Connection, scope: dict[str, list[str]] | None) -> None:
    # A historical run already queued or running absorbs the request: nothing new is counted.
    new_run = not conn.historical_pending and not (conn.syncing and conn.sync_historical)
    if conn.paused:
        conn.historical_pending = True
    elif conn.syncing:
        if conn.sync_fails:
            raise ApiError(
                409,
                f"A sync is in progress for connection with id '{conn.id}' and could not be "
                "completed; the re-sync was declined",
            )
        if not conn.sync_historical:
            conn.historical_pending = True
    else:
        conn.begin_sync(store.now(), historical=True)
    conn.resync_tables = scope
    if new_run:
        conn.runs_requested["resync"] += 1


async def resync_connection(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST /resync: a historical sync of everything, or of the tables in `scope`."""
    conn = store.get(request.path_params["connectionId"])
    raw_scope = object_body(body, required=False).get("scope")
    scope = None if raw_scope is None else _scope(raw_scope, conn)
    _resync(store, conn, scope)
    return ok(message=f"Sync has been successfully triggered for connection with id '{conn.id}'")


async def resync_tables(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST /schemas/tables/resync: body `{schema: [tables]}`."""
    conn = store.get(request.path_params["connectionId"])
    _resync(store, conn, _scope(body, conn))
    return ok(message="Re-sync has been triggered successfully")


def _stateful(store: FivetranStore, request: Request) -> Connection:
    conn = store.get(request.path_params["connectionId"])
    if not supports_state(conn.service):
        raise ApiError(
            400,
            f"Connection with id '{conn.id}' does not support state management "
            "(only Function and Connector SDK connections do)",
        )
    return conn


async def connection_state(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /state: the connector's state (400 before any was written)."""
    conn = _stateful(store, request)
    if conn.state is None:
        raise ApiError(400, f"No state has been written for connection with id '{conn.id}'")
    return ok({"state": conn.state}, "Connection state retrieved successfully")


async def modify_connection_state(
    store: FivetranStore, request: Request, body: Any
) -> tuple[int, Any]:
    """PATCH /state: write the state of a paused connection (409 while it may sync)."""
    conn = _stateful(store, request)
    body = object_body(body)
    if not conn.paused or conn.syncing:
        raise ApiError(
            409,
            f"Connection with id '{conn.id}' must be paused (with no sync in progress) "
            "before its state is updated",
        )
    state = body.get("state")
    if state is None:
        if conn.state is None:
            raise ApiError(400, f"No state exists for connection with id '{conn.id}'")
    elif not isinstance(state, dict):
        raise ApiError(400, "Field 'state' must be an object")
    else:
        conn.state = state
    return ok({"state": conn.state}, "Connection state has been updated")
