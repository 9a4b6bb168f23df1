"""Fivetran connection endpoints: list, create, details, modify, delete, setup tests and
connect cards, with the settings create and modify share.

Each handler takes (store, request, parsed JSON body or None) and returns (status, body);
auth, the Accept check and error rendering happen once, around every route (wire.py).
"""

import base64
import json
import re
from typing import Any
from urllib.parse import quote

from starlette.requests import Request

from conn_shared.sim.fivetran.records import SYNC_FREQUENCIES, Connection
from conn_shared.sim.fivetran.store import FivetranStore
from conn_shared.sim.fivetran.wire import ApiError, boolean, choice, object_body, ok, paginate

__all__ = [
    "TEST_CONTROLS",
    "connect_card",
    "connection_details",
    "connections_page",
    "create_connection",
    "delete_connection",
    "list_connections",
    "modify_connection",
    "run_setup_tests",
]

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
TEST_CONTROLS = ("trust_certificates", "trust_fingerprints", "run_setup_tests")
#: The simulator's switches in `config` with a fixed set of values (docs/simulator.md).
_SWITCHES: dict[str, tuple[str, ...]] = {
    "sim_sync_outcome": ("succeed", "fail", "reschedule", "stuck"),
    "sim_rescheduled_for": ("omit", "null"),
}
_DAILY_TIME = re.compile(r"^([01]\d|2[0-3]):00$")


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


def schema_name(config: dict[str, Any]) -> str:
    prefix = config.get("schema_prefix")
    if isinstance(prefix, str) and prefix:
        return prefix
    schema = config.get("schema")
    if not isinstance(schema, str) or not schema:
        raise ApiError(400, "Field 'config.schema' (or 'config.schema_prefix') is required")
    table = config.get("table")
    return f"{schema}.{table}" if isinstance(table, str) and table else schema


def connect_card_for(conn_id: str, config: dict[str, Any], now: float) -> dict[str, str]:
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


def connect_card_config(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ApiError(400, "Field 'connect_card_config' must be an object with 'redirect_uri'")
    uri = raw.get("redirect_uri")
    if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
        raise ApiError(400, "connect_card_config.redirect_uri must start with http:// or https://")
    for key in ("hide_setup_guide", "all_fields"):
        boolean(raw, key)
    return {k: raw[k] for k in ("redirect_uri", "hide_setup_guide", "all_fields") if k in raw}


def check_switches(config: dict[str, Any]) -> None:
    """400 for a simulator switch (`config.sim_*`) with a value it does not know."""
    for key, allowed in _SWITCHES.items():
        value = config.get(key)
        if value is not None and value not in allowed:
            raise ApiError(400, f"Invalid config.{key} {value!r}; expected one of {allowed}")
    omitted = config.get("sim_list_omit")
    if omitted is not None and (
        not isinstance(omitted, list) or not all(isinstance(key, str) for key in omitted)
    ):
        raise ApiError(400, "Invalid config.sim_list_omit: expected a list of field names")


def validate_settings(body: dict[str, Any]) -> dict[str, Any]:
    """The settings shared by create and modify, validated; keys absent stay absent."""
    out: dict[str, Any] = {}
    frequency = _frequency(body)
    if frequency is not None:
        out["sync_frequency"] = frequency
    for key in ("paused", "pause_after_trial", "is_historical_sync"):
        if boolean(body, key) is not None:
            out[key] = body[key]
    for key, allowed in (
        ("schedule_type", ("auto", "manual")),
        ("data_delay_sensitivity", _SENSITIVITIES),
        ("networking_method", _NETWORKING),
        ("destination_schema_names", _NAMING),
        ("schema_status", ("blocked_on_capture", "ready")),
    ):
        if choice(body, key, allowed) is not None:
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


def apply_settings(conn: Connection, settings: dict[str, Any], body: dict[str, Any]) -> None:
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


def connections_page(
    store: FivetranStore, request: Request, group_id: str | None
) -> dict[str, Any]:
    """The `data` of a connection list: one page, filtered by group and exact schema name."""
    schema = request.query_params.get("schema")
    matching = [
        conn
        for conn in store.connections.values()
        if (group_id is None or conn.group_id == group_id)
        and (schema is None or conn.schema == schema)
    ]
    page, cursor = paginate(request, matching, lambda conn: conn.seq)
    now = store.now()
    items = []
    for conn in page:
        conn.catch_up(now)
        # Items carry `config`, as the definition's list example and real lists do.
        items.append(conn.list_item_json(store.clock.iso))
    data: dict[str, Any] = {"items": items}
    if cursor is not None:
        data["next_cursor"] = cursor
    return data


async def list_connections(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET: one page of connections, filtered by group_id/schema, with `next_cursor`."""
    return ok(connections_page(store, request, request.query_params.get("group_id")))


async def create_connection(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST: create in a group (409 on a duplicate schema), then run the setup tests."""
    body = object_body(body)
    for key in ("group_id", "service"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ApiError(400, f"Field '{key}' is required")
    group_id, service = body["group_id"], body["service"]
    if group_id.startswith("missing"):
        raise ApiError(404, f"Group with id '{group_id}' not found")
    now = store.now()
    settings = validate_settings(body)
    config = dict(body.get("config") or {})
    check_switches(config)
    schema = schema_name(config)
    for other in store.connections.values():
        if other.group_id == group_id and other.schema == schema:
            raise ApiError(
                409, f"Connection with schema '{schema}' already exists in group '{group_id}'"
            )
    run_tests = boolean(body, "run_setup_tests", True)
    trust = bool(boolean(body, "trust_certificates", False))
    store.ensure_group(group_id, now)
    conn = Connection(
        id=store.new_id(),
        seq=store.next_seq(),
        group_id=group_id,
        service=service,
        schema=schema,
        created_at=now,
        config=config,
        auth=body.get("auth"),
        timings=store.timings,
        paused=bool(settings.get("paused", False)),
    )
    apply_settings(conn, settings, body)
    if "connect_card_config" in body:
        card_config = connect_card_config(body["connect_card_config"])
        conn.extras["connect_card_config"] = card_config
        conn.extras["connect_card"] = connect_card_for(conn.id, card_config, now)
    store.connections[conn.id] = conn
    if run_tests:
        conn.start_setup_tests(now, trust_certificates=trust)
    return ok(conn.to_json(store.clock.iso), "Connection has been created", 201)


async def connection_details(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET: one connection."""
    conn = store.get(request.path_params["connectionId"])
    return ok(conn.to_json(store.clock.iso), "Connection details retrieved successfully")


async def modify_connection(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """PATCH: change settings; pause/resume, historical sync and setup tests follow."""
    conn = store.get(request.path_params["connectionId"])
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
    if "config" in body:
        check_switches({**conn.config, **body["config"]})
    now = store.now()
    was_auto, was_paused = conn.auto, conn.paused
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
    resumed = was_paused and settings.get("paused") is False
    if settings.get("paused") is True and not was_paused:
        conn.pause()
    elif resumed:
        conn.resume(now)
    if settings.get("is_historical_sync") is True:
        if conn.paused:
            conn.historical_pending = True
        else:
            conn.cancel_sync()
            conn.begin_sync(now, historical=True)
    if conn.auto and not was_auto and not resumed:
        conn.resume_schedule(now)
    return ok(conn.to_json(store.clock.iso), "Connection has been updated")


async def delete_connection(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """DELETE: remove the connection."""
    conn = store.get(request.path_params["connectionId"])
    del store.connections[conn.id]
    return ok(message=f"Connection with id '{conn.id}' has been deleted")


async def run_setup_tests(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST /test: rerun the setup tests (a body, even `{}`, is required)."""
    conn = store.get(request.path_params["connectionId"])
    if body is None:
        raise ApiError(400, "The request body is required (send {} for the defaults)")
    body = object_body(body)
    boolean(body, "trust_fingerprints")
    trust = bool(boolean(body, "trust_certificates", False))
    was_connected = conn.setup_state == "connected"
    conn.start_setup_tests(store.now(), trust_certificates=trust)
    if not was_connected and conn.setup_state == "connected" and conn.auto:
        conn.resume_schedule(store.now())
    return ok(conn.to_json(store.clock.iso), "Setup tests have been completed")


async def connect_card(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST /connect-card: a token and URI for the end user."""
    conn = store.get(request.path_params["connectionId"])
    card_config = connect_card_config(object_body(body).get("connect_card_config"))
    card = connect_card_for(conn.id, card_config, store.now())
    conn.extras["connect_card_config"] = card_config
    conn.extras["connect_card"] = card
    data = {"connector_id": conn.id, "connect_card": card, "connect_card_config": card_config}
    return ok(data, "Connection Connect Card has been created")
