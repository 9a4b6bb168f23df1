"""Handlers for the Fivetran connection lifecycle (list, create, details, modify, delete,
setup tests, connect card) and the table of every route the simulator serves.

Each handler takes (sim, request, parsed JSON body or None) and returns (status, body);
auth, the Accept check and error rendering happen once, in `FivetranSim`.
"""

from typing import Any

from starlette.requests import Request

from conn_shared.sim.fivetran import ApiError, FivetranSim
from conn_shared.sim.fivetran_models import Connection
from conn_shared.sim.fivetran_requests import (
    TEST_CONTROLS,
    apply_settings,
    boolean,
    connect_card_config,
    connect_card_for,
    connections_page,
    object_body,
    ok,
    schema_name,
    validate_settings,
)
from conn_shared.sim.fivetran_schemas import SCHEMA_ROUTES, default_schema_config
from conn_shared.sim.fivetran_sync import SYNC_ROUTES
from conn_shared.sim.fivetran_trust import TRUST_ROUTES

__all__ = ["ROUTES"]


async def list_connections(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """GET: one page of connections, filtered by group_id/schema, with `next_cursor`."""
    return ok(connections_page(sim, request, request.query_params.get("group_id")))


async def create_connection(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """POST: create in a group (409 on a duplicate schema), then run the setup tests."""
    body = object_body(body)
    for key in ("group_id", "service"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ApiError(400, f"Field '{key}' is required")
    group_id, service = body["group_id"], body["service"]
    if group_id.startswith("missing"):
        raise ApiError(404, f"Group with id '{group_id}' not found")
    now = sim.now()
    settings = validate_settings(body)
    config = dict(body.get("config") or {})
    schema = schema_name(config)
    for other in sim.connections.values():
        if other.group_id == group_id and other.schema == schema:
            raise ApiError(
                409, f"Connection with schema '{schema}' already exists in group '{group_id}'"
            )
    run_tests = boolean(body, "run_setup_tests", True)
    trust = bool(boolean(body, "trust_certificates", False))
    sim.groups.setdefault(group_id, now)
    conn = Connection(
        id=sim.new_id(),
        seq=sim.next_seq(),
        group_id=group_id,
        service=service,
        schema=schema,
        created_at=now,
        config=config,
        auth=body.get("auth"),
        timings=sim.timings,
        paused=bool(settings.get("paused", False)),
        schema_config=default_schema_config(schema, service),
    )
    apply_settings(conn, settings, body)
    if "connect_card_config" in body:
        card_config = connect_card_config(body["connect_card_config"])
        conn.extras["connect_card_config"] = card_config
        conn.extras["connect_card"] = connect_card_for(conn.id, card_config, now)
    sim.connections[conn.id] = conn
    if run_tests:
        conn.start_setup_tests(now, trust_certificates=trust)
    return ok(conn.to_json(sim.clock.iso), "Connection has been created", 201)


async def connection_details(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """GET: one connection."""
    conn = sim.get(request.path_params["connectionId"])
    return ok(conn.to_json(sim.clock.iso), "Connection details retrieved successfully")


async def modify_connection(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """PATCH: change settings; pause/resume, historical sync and setup tests follow."""
    conn = sim.get(request.path_params["connectionId"])
    body = object_body(body)
    if not set(body) - set(TEST_CONTROLS):
        raise ApiError(
            400,
            "At least one persistent configuration parameter is required "
            "(e.g. sync_frequency, paused, config, auth)",
        )
    settings = validate_settings(body)
    run_tests = boolean(body, "run_setup_tests")
    trust = bool(boolean(body, "trust_certificates", False))
    now = sim.now()
    was_auto = conn.auto
    apply_settings(conn, settings, body)
    if "config" in body:
        conn.config.update(body["config"])
    if "auth" in body:
        conn.auth = body["auth"]
    if run_tests or (run_tests is None and ("config" in body or "auth" in body)):
        conn.start_setup_tests(now, trust_certificates=trust)
    if "sync_frequency" in settings and conn.next_auto_at is not None:
        base = conn.sync_started_at if conn.sync_started_at is not None else conn.created_at
        conn.next_auto_at = max(now, base + conn.sync_frequency * 60)
    if settings.get("paused") is True and conn.syncing:
        # A historical sync cut short by the pause runs again on resume.
        conn.historical_pending = conn.historical_pending or conn.sync_historical
        conn.cancel_sync()
    conn.paused = settings.get("paused", conn.paused)
    if settings.get("is_historical_sync") is True:
        if conn.paused:
            conn.historical_pending = True
        else:
            conn.cancel_sync()
            conn.begin_sync(now, historical=True)
    if conn.auto and not was_auto:
        conn.resume_schedule(now)
    return ok(conn.to_json(sim.clock.iso), "Connection has been updated")


async def delete_connection(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """DELETE: remove the connection."""
    conn = sim.get(request.path_params["connectionId"])
    del sim.connections[conn.id]
    return ok(message=f"Connection with id '{conn.id}' has been deleted")


async def run_setup_tests(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """POST /test: rerun the setup tests (a body, even `{}`, is required)."""
    conn = sim.get(request.path_params["connectionId"])
    if body is None:
        raise ApiError(400, "The request body is required (send {} for the defaults)")
    body = object_body(body)
    boolean(body, "trust_fingerprints")
    trust = bool(boolean(body, "trust_certificates", False))
    was_connected = conn.setup_state == "connected"
    conn.start_setup_tests(sim.now(), trust_certificates=trust)
    if not was_connected and conn.setup_state == "connected" and conn.auto:
        conn.resume_schedule(sim.now())
    return ok(conn.to_json(sim.clock.iso), "Setup tests have been completed")


async def connect_card(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """POST /connect-card: a token and URI for the end user."""
    conn = sim.get(request.path_params["connectionId"])
    card_config = connect_card_config(object_body(body).get("connect_card_config"))
    card = connect_card_for(conn.id, card_config, sim.now())
    conn.extras["connect_card_config"] = card_config
    conn.extras["connect_card"] = card
    data = {"connector_id": conn.id, "connect_card": card, "connect_card_config": card_config}
    return ok(data, "Connection Connect Card has been created")


_ID = "/{connectionId}"
#: (path suffix, method, handler, whether the endpoint takes Accept: version=2)
ROUTES: list[tuple[str, str, Any, bool]] = [
    ("", "GET", list_connections, True),
    ("", "POST", create_connection, True),
    (_ID, "GET", connection_details, True),
    (_ID, "PATCH", modify_connection, True),
    (_ID, "DELETE", delete_connection, True),
    (_ID + "/test", "POST", run_setup_tests, True),
    (_ID + "/connect-card", "POST", connect_card, True),
    *SYNC_ROUTES,
    *SCHEMA_ROUTES,
    *TRUST_ROUTES,
]
