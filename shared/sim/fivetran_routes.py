"""Handlers for the Fivetran connection lifecycle: list, create, details, modify, delete,
setup tests, sync, resync, connect card and connector state.

Each handler takes (sim, request, parsed JSON body or None) and returns (status, body);
auth, the Accept check and error rendering happen once, in `FivetranSim`.
"""

import base64
import json
import re
from typing import Any
from urllib.parse import quote

from starlette.requests import Request

from shared.sim.fivetran import ApiError, FivetranSim
from shared.sim.fivetran_models import (
    SYNC_FREQUENCIES,
    Connection,
    default_schema_config,
    supports_state,
    supports_table_resync,
)
from shared.sim.fivetran_schemas import (
    modify_schemas,
    precreate_schemas,
    reload_schemas,
    schemas_details,
)

__all__ = ["ROUTES", "connections_page", "paginate"]

_SENSITIVITIES = ("LOW", "NORMAL", "HIGH", "CUSTOM", "SYNC_FREQUENCY")
_NETWORKING = ("Directly", "PrivateLink", "SshTunnel", "ProxyAgent")
_NAMING = ("FIVETRAN_NAMING", "SOURCE_NAMING")
_PASSTHROUGH = (
    "private_link_id",
    "proxy_agent_id",
    "hybrid_deployment_agent_id",
    "destination_configuration",
    "destination_schema_names",
    "external_secrets_manager_id",
)
_TEST_CONTROLS = ("trust_certificates", "trust_fingerprints", "run_setup_tests")
_DAILY_TIME = re.compile(r"^([01]\d|2[0-3]):00$")


def _ok(
    data: Any = None, message: str | None = None, status: int = 200
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"code": "Success"}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    return status, body


def _object(body: Any, *, required: bool = True) -> dict[str, Any]:
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body


def _bool(body: dict[str, Any], key: str, default: bool | None = None) -> bool | None:
    value = body.get(key, default)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, f"Field '{key}' must be a boolean")
    return value


def _choice(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = body.get(key)
    if value is not None and value not in allowed:
        raise ApiError(400, f"Invalid value for '{key}': {value!r}; expected one of {allowed}")
    return value


def _frequency(body: dict[str, Any]) -> int | None:
    value = body.get("sync_frequency")
    if value is None:
        return None
    # The definition says string enum, real clients send integers: accept both.
    number = int(value) if isinstance(value, str) and value.isdigit() else value
    if isinstance(number, bool) or number not in SYNC_FREQUENCIES:
        raise ApiError(400, f"Invalid sync_frequency {value!r}; expected one of {SYNC_FREQUENCIES}")
    return int(number)


def _daily_time(body: dict[str, Any]) -> str | None:
    value = body.get("daily_sync_time")
    if value is not None and (not isinstance(value, str) or not _DAILY_TIME.match(value)):
        raise ApiError(400, f"Invalid daily_sync_time {value!r}; expected HH:00, 00:00..23:00")
    return value


def _schema_name(config: dict[str, Any]) -> str:
    prefix = config.get("schema_prefix")
    if isinstance(prefix, str) and prefix:
        return prefix
    schema = config.get("schema")
    if not isinstance(schema, str) or not schema:
        raise ApiError(400, "Field 'config.schema' (or 'config.schema_prefix') is required")
    table = config.get("table")
    return f"{schema}.{table}" if isinstance(table, str) and table else schema


def _connect_card(conn_id: str, config: dict[str, Any], now: float) -> dict[str, str]:
    def b64(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    token = ".".join(
        [b64({"alg": "none", "typ": "JWT"}), b64({"sub": conn_id, "exp": int(now) + 3600}), "sim"]
    )
    uri = (
        "https://fivetran.com/connect-card/setup?redirect_uri="
        + quote(str(config["redirect_uri"]), safe="")
        + f"&auth={token}"
    )
    if config.get("hide_setup_guide") is not None:
        uri += f"&hide_setup_guide={str(config['hide_setup_guide']).lower()}"
    return {"token": token, "uri": uri}


def _connect_card_config(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ApiError(400, "Field 'connect_card_config' must be an object with 'redirect_uri'")
    uri = raw.get("redirect_uri")
    if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
        raise ApiError(400, "connect_card_config.redirect_uri must start with http:// or https://")
    for key in ("hide_setup_guide", "all_fields"):
        _bool(raw, key)
    return {k: raw[k] for k in ("redirect_uri", "hide_setup_guide", "all_fields") if k in raw}


def _validate_settings(body: dict[str, Any]) -> dict[str, Any]:
    """The settings shared by create and modify, validated; keys absent stay absent."""
    out: dict[str, Any] = {}
    frequency = _frequency(body)
    if frequency is not None:
        out["sync_frequency"] = frequency
    for key in ("paused", "pause_after_trial", "is_historical_sync"):
        if _bool(body, key) is not None:
            out[key] = body[key]
    for key, allowed in (
        ("schedule_type", ("auto", "manual")),
        ("data_delay_sensitivity", _SENSITIVITIES),
        ("networking_method", _NETWORKING),
        ("destination_schema_names", _NAMING),
        ("schema_status", ("blocked_on_capture", "ready")),
    ):
        if _choice(body, key, allowed) is not None:
            out[key] = body[key]
    if _daily_time(body) is not None:
        out["daily_sync_time"] = body["daily_sync_time"]
    threshold = body.get("data_delay_threshold")
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise ApiError(400, "Field 'data_delay_threshold' must be a non-negative integer")
        out["data_delay_threshold"] = threshold
    for key in ("config", "auth", "destination_configuration", "external_secrets_keys_config"):
        if key in body and not isinstance(body[key], dict):
            raise ApiError(400, f"Field '{key}' must be an object")
    return out


def _apply_settings(conn: Connection, settings: dict[str, Any], body: dict[str, Any]) -> None:
    for key in (
        "sync_frequency",
        "schedule_type",
        "data_delay_sensitivity",
        "data_delay_threshold",
        "daily_sync_time",
        "pause_after_trial",
        "networking_method",
        "schema_status",
    ):
        if key in settings:
            setattr(conn, key, settings[key])
    for key in _PASSTHROUGH:
        if key in body and body[key] is not None:
            conn.extras[key] = settings.get(key, body[key])


# -- handlers ---------------------------------------------------------------------------


def paginate(request: Request, items: list[Any], seq: Any) -> tuple[list[Any], str | None]:
    """One page of `items` (in `seq` order) after the request's cursor, and the next cursor."""
    params = request.query_params
    raw_limit = params.get("limit", "100")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
        raise ApiError(400, f"Invalid limit {raw_limit!r}: accepts a number in the range 1..1000")
    limit = int(raw_limit)
    after = 0
    if "cursor" in params:
        try:
            after = int(base64.urlsafe_b64decode(params["cursor"].encode()).decode())
        except ValueError:
            raise ApiError(400, f"Invalid cursor {params['cursor']!r}") from None
    remaining = [item for item in sorted(items, key=seq) if seq(item) > after]
    page = remaining[:limit]
    if len(remaining) <= limit:
        return page, None
    return page, base64.urlsafe_b64encode(str(seq(page[-1])).encode()).decode()


def connections_page(sim: FivetranSim, request: Request, group_id: str | None) -> dict[str, Any]:
    """The `data` of a connection list: one page, filtered by group and exact schema name."""
    schema = request.query_params.get("schema")
    matching = [
        conn
        for conn in sim.connections.values()
        if (group_id is None or conn.group_id == group_id)
        and (schema is None or conn.schema == schema)
    ]
    page, cursor = paginate(request, matching, lambda conn: conn.seq)
    now = sim.now()
    items = []
    for conn in page:
        conn.catch_up(now)
        item = conn.to_json(sim.clock.iso)
        # The list schema declares every config value an object, which real configs are
        # not; the list leaves config out so its items stay valid (details carry it).
        item.pop("config")
        items.append(item)
    data: dict[str, Any] = {"items": items}
    if cursor is not None:
        data["next_cursor"] = cursor
    return data


async def list_connections(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """GET: one page of connections, filtered by group_id/schema, with `next_cursor`."""
    return _ok(connections_page(sim, request, request.query_params.get("group_id")))


async def create_connection(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """POST: create in a group (409 on a duplicate schema), then run the setup tests."""
    body = _object(body)
    for key in ("group_id", "service"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ApiError(400, f"Field '{key}' is required")
    group_id, service = body["group_id"], body["service"]
    if group_id.startswith("missing"):
        raise ApiError(404, f"Group with id '{group_id}' not found")
    now = sim.now()
    settings = _validate_settings(body)
    config = dict(body.get("config") or {})
    schema = _schema_name(config)
    for other in sim.connections.values():
        if other.group_id == group_id and other.schema == schema:
            raise ApiError(
                409, f"Connection with schema '{schema}' already exists in group '{group_id}'"
            )
    run_tests = _bool(body, "run_setup_tests", True)
    trust = bool(_bool(body, "trust_certificates", False))
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
    _apply_settings(conn, settings, body)
    if "connect_card_config" in body:
        card_config = _connect_card_config(body["connect_card_config"])
        conn.extras["connect_card_config"] = card_config
        conn.extras["connect_card"] = _connect_card(conn.id, card_config, now)
    sim.connections[conn.id] = conn
    if run_tests:
        conn.start_setup_tests(now, trust_certificates=trust)
    return _ok(conn.to_json(sim.clock.iso), "Connection has been created", 201)


async def connection_details(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """GET: one connection."""
    conn = sim.get(request.path_params["connectionId"])
    return _ok(conn.to_json(sim.clock.iso), "Connection details retrieved successfully")


async def modify_connection(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """PATCH: change settings; pause/resume, historical sync and setup tests follow."""
    conn = sim.get(request.path_params["connectionId"])
    body = _object(body)
    if not set(body) - set(_TEST_CONTROLS):
        raise ApiError(
            400,
            "At least one persistent configuration parameter is required "
            "(e.g. sync_frequency, paused, config, auth)",
        )
    settings = _validate_settings(body)
    run_tests = _bool(body, "run_setup_tests")
    trust = bool(_bool(body, "trust_certificates", False))
    now = sim.now()
    was_auto = conn.auto
    _apply_settings(conn, settings, body)
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
        _resume(conn, now)
    return _ok(conn.to_json(sim.clock.iso), "Connection has been updated")


def _resume(conn: Connection, now: float) -> None:
    """Automatic syncing restarts: a pending or never-run sync starts now."""
    never_synced = conn.succeeded_at is None and conn.failed_at is None
    if conn.syncing or conn.setup_state != "connected":
        return
    if conn.historical_pending or never_synced:
        conn.historical_pending = False
        conn.begin_sync(now, historical=True)
    else:
        due = conn.next_auto_at if conn.next_auto_at is not None else now
        conn.next_auto_at = max(due, now)


async def delete_connection(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """DELETE: remove the connection."""
    conn = sim.get(request.path_params["connectionId"])
    del sim.connections[conn.id]
    return _ok(message=f"Connection with id '{conn.id}' has been deleted")


async def run_setup_tests(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """POST /test: rerun the setup tests (a body, even `{}`, is required)."""
    conn = sim.get(request.path_params["connectionId"])
    if body is None:
        raise ApiError(400, "The request body is required (send {} for the defaults)")
    body = _object(body)
    _bool(body, "trust_fingerprints")
    trust = bool(_bool(body, "trust_certificates", False))
    was_connected = conn.setup_state == "connected"
    conn.start_setup_tests(sim.now(), trust_certificates=trust)
    if not was_connected and conn.setup_state == "connected" and conn.auto:
        _resume(conn, sim.now())
    return _ok(conn.to_json(sim.clock.iso), "Setup tests have been completed")


async def sync_connection(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """POST /sync: start a sync; `force` restarts a running one, otherwise it is left alone."""
    conn = sim.get(request.path_params["connectionId"])
    force = bool(_bool(_object(body, required=False), "force", False))
    return _trigger(sim, conn, force=force)


async def force_sync(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """Legacy POST /v1/connectors/{id}/force: a sync with force=true."""
    return _trigger(sim, sim.get(request.path_params["connectionId"]), force=True)


def _trigger(sim: FivetranSim, conn: Connection, *, force: bool) -> tuple[int, Any]:
    now = sim.now()
    started = f"Sync has been successfully triggered for connection with id '{conn.id}'"
    if conn.paused:
        # The definition gives sync no 4xx besides auth/404: accepted, but nothing runs.
        return _ok(message=f"Connection with id '{conn.id}' is paused; no sync was started")
    if conn.syncing and not force:
        return _ok(
            message=f"Sync is already in progress for connection with id '{conn.id}'; "
            "no new sync was started (force=true restarts it)"
        )
    if conn.rescheduled_for is not None and not conn.syncing:
        if now < conn.rescheduled_for:
            when = sim.clock.iso(conn.rescheduled_for)
            return _ok(message=f"Sync for connection with id '{conn.id}' is rescheduled for {when}")
        conn.begin_sync(now, historical=conn.rescheduled_historical, skip_quota=True)
        return _ok(message=started)
    historical = conn.syncing and conn.sync_historical
    conn.cancel_sync()
    conn.begin_sync(now, historical=historical)
    return _ok(message=started)


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


def _resync(sim: FivetranSim, conn: Connection, scope: dict[str, list[str]] | None) -> None:
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
        conn.begin_sync(sim.now(), historical=True)
    conn.resync_tables = scope


async def resync_connection(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """POST /resync: a historical sync of everything, or of the tables in `scope`."""
    conn = sim.get(request.path_params["connectionId"])
    raw_scope = _object(body, required=False).get("scope")
    scope = None if raw_scope is None else _scope(raw_scope, conn)
    _resync(sim, conn, scope)
    return _ok(message=f"Sync has been successfully triggered for connection with id '{conn.id}'")


async def resync_tables(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """POST /schemas/tables/resync: body `{schema: [tables]}`."""
    conn = sim.get(request.path_params["connectionId"])
    _resync(sim, conn, _scope(body, conn))
    return _ok(message="Re-sync has been triggered successfully")


async def connect_card(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """POST /connect-card: a token and URI for the end user."""
    conn = sim.get(request.path_params["connectionId"])
    card_config = _connect_card_config(_object(body).get("connect_card_config"))
    card = _connect_card(conn.id, card_config, sim.now())
    conn.extras["connect_card_config"] = card_config
    conn.extras["connect_card"] = card
    data = {"connector_id": conn.id, "connect_card": card, "connect_card_config": card_config}
    return _ok(data, "Connection Connect Card has been created")


def _stateful(sim: FivetranSim, request: Request) -> Connection:
    conn = sim.get(request.path_params["connectionId"])
    if not supports_state(conn.service):
        raise ApiError(
            400,
            f"Connection with id '{conn.id}' does not support state management "
            "(only Function and Connector SDK connections do)",
        )
    return conn


async def connection_state(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """GET /state: the connector's state (400 before any was written)."""
    conn = _stateful(sim, request)
    if conn.state is None:
        raise ApiError(400, f"No state has been written for connection with id '{conn.id}'")
    return _ok({"state": conn.state}, "Connection state retrieved successfully")


async def modify_connection_state(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    """PATCH /state: write the state of a paused connection (409 while it may sync)."""
    conn = _stateful(sim, request)
    body = _object(body)
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
    return _ok({"state": conn.state}, "Connection state has been updated")


async def _schemas_get(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    return _ok(*schemas_details(sim.get(request.path_params["connectionId"])))


async def _schemas_post(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    conn = sim.get(request.path_params["connectionId"])
    return _ok(*precreate_schemas(conn, _object(body)))


async def _schemas_patch(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    conn = sim.get(request.path_params["connectionId"])
    return _ok(*modify_schemas(conn, _object(body)))


async def _schemas_reload(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
    conn = sim.get(request.path_params["connectionId"])
    return _ok(*reload_schemas(conn, _object(body, required=False)))


_ID = "/{connectionId}"
#: (path suffix, method, handler, whether the endpoint takes Accept: version=2)
ROUTES: list[tuple[str, str, Any, bool]] = [
    ("", "GET", list_connections, True),
    ("", "POST", create_connection, True),
    (_ID, "GET", connection_details, True),
    (_ID, "PATCH", modify_connection, True),
    (_ID, "DELETE", delete_connection, True),
    (_ID + "/test", "POST", run_setup_tests, True),
    (_ID + "/sync", "POST", sync_connection, True),
    (_ID + "/force", "POST", force_sync, True),
    (_ID + "/resync", "POST", resync_connection, True),
    (_ID + "/connect-card", "POST", connect_card, True),
    (_ID + "/state", "GET", connection_state, True),
    (_ID + "/state", "PATCH", modify_connection_state, True),
    (_ID + "/schemas", "GET", _schemas_get, False),
    (_ID + "/schemas", "POST", _schemas_post, False),
    (_ID + "/schemas", "PATCH", _schemas_patch, False),
    (_ID + "/schemas/reload", "POST", _schemas_reload, False),
    (_ID + "/schemas/tables/resync", "POST", resync_tables, False),
]
