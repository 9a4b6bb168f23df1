"""Request parsing for the Fivetran simulator: the envelope, body checks, settings shared
by create and modify, connect cards, and cursor pagination. Errors are `ApiError`s.
"""

import base64
import json
import re
from typing import Any
from urllib.parse import quote

from starlette.requests import Request

from conn_shared.sim.fivetran import ApiError, FivetranSim
from conn_shared.sim.fivetran_models import SYNC_FREQUENCIES, Connection

__all__ = [
    "TEST_CONTROLS",
    "apply_settings",
    "boolean",
    "choice",
    "connect_card_config",
    "connect_card_for",
    "connections_page",
    "object_body",
    "ok",
    "paginate",
    "schema_name",
    "validate_settings",
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
_DAILY_TIME = re.compile(r"^([01]\d|2[0-3]):00$")


def ok(
    data: Any = None, message: str | None = None, status: int = 200
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"code": "Success"}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    return status, body


def object_body(body: Any, *, required: bool = True) -> dict[str, Any]:
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body


def boolean(body: dict[str, Any], key: str, default: bool | None = None) -> bool | None:
    value = body.get(key, default)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, f"Field '{key}' must be a boolean")
    return value


def choice(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
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
