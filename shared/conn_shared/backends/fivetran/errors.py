"""The wire format of the Fivetran v1 API: envelopes, path ids, input checks, error bodies.

Every answer is the envelope `{"code", "message", "data"}`; errors carry
`{"code": "NotFound_Connection", "message": ...}`. Input that cannot succeed
(an empty id, `limit` outside 1..1000, a sync frequency Fivetran does not
offer) raises `ValueError` naming the field before any request.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr

from conn_shared.backends.fivetran.models import ActionResult
from conn_shared.errors import ApiError, FieldError
from conn_shared.http import build_api_error

__all__ = [
    "ACCEPT_V1",
    "ACCEPT_V2",
    "BACKEND",
    "PERSISTENT_PATCH_FIELDS",
    "SYNC_FREQUENCIES",
    "action_of",
    "body_of",
    "check_limit",
    "check_schedule",
    "data_of",
    "envelope",
    "map_fivetran_error",
    "path_id",
    "reveal",
    "table_scope",
]

M = TypeVar("M", bound=BaseModel)

BACKEND = "fivetran"
ACCEPT_V2 = "application/json;version=2"
ACCEPT_V1 = "application/json"
#: The sync frequencies (minutes) Fivetran accepts.
SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
_DAILY_TIME = re.compile(r"^(?:[01]\d|2[0-3]):00$")
#: PATCH fields that change the connection; the others only steer its setup tests.
PERSISTENT_PATCH_FIELDS = frozenset(
    {
        "config",
        "auth",
        "paused",
        "sync_frequency",
        "data_delay_threshold",
        "data_delay_sensitivity",
        "daily_sync_time",
        "pause_after_trial",
        "schema_status",
        "is_historical_sync",
        "schedule_type",
        "networking_method",
        "hybrid_deployment_agent_id",
        "proxy_agent_id",
        "private_link_id",
        "destination_configuration",
        "external_secrets_manager_id",
        "external_secrets_keys_config",
    }
)


def reveal(value: Any) -> Any:
    """A deep copy of `value` with every `SecretStr` replaced by its secret, for request bodies."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return reveal(value.model_dump(mode="python", exclude_none=True))
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v) for v in value]
    return value


def envelope(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object; ValueError (an unexpected response) for anything else."""
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object, got {type(body).__name__}")
    return body


def data_of(model: type[M]) -> Callable[[httpx.Response], M]:
    """A parser that validates the envelope's `data` as `model`."""

    def parse(response: httpx.Response) -> M:
        body = envelope(response)
        # One documented answer (fingerprint approval, 201) is the object without envelope.
        data = body.get("data", body)
        return model.model_validate(data)

    return parse


def action_of(response: httpx.Response) -> ActionResult:
    """Parse the `{code, message}` answer of an action."""
    return ActionResult.model_validate(envelope(response))


def path_id(field: str, value: str) -> str:
    """`value` quoted for a path segment; ValueError naming `field` when it is empty."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: must be a non-empty string, got {value!r}")
    return quote(value, safe="")


def check_limit(limit: int | None) -> int | None:
    """`limit` unchanged if within 1..1000 (or None); ValueError otherwise."""
    if limit is not None and not 1 <= limit <= 1000:
        raise ValueError(f"limit: must be within 1..1000, got {limit}")
    return limit


def check_schedule(sync_frequency: int | None, daily_sync_time: str | None) -> None:
    """Raise ValueError for a sync frequency or daily sync time Fivetran would refuse."""
    if sync_frequency is not None and (
        isinstance(sync_frequency, bool) or sync_frequency not in SYNC_FREQUENCIES
    ):
        allowed = ", ".join(map(str, SYNC_FREQUENCIES))
        raise ValueError(
            f"sync_frequency: must be one of {allowed} (minutes), got {sync_frequency}"
        )
    if daily_sync_time is not None and not _DAILY_TIME.match(daily_sync_time):
        raise ValueError(
            f"daily_sync_time: must be a whole hour from 00:00 to 23:00, got {daily_sync_time!r}"
        )


def table_scope(field: str, tables: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """`{schema: [table, ...]}` checked non-empty, with duplicate table names dropped."""
    if not tables:
        raise ValueError(f"{field}: must name at least one schema")
    scope: dict[str, list[str]] = {}
    for schema, names in tables.items():
        if isinstance(names, str):
            raise ValueError(f"{field}[{schema!r}]: must be a list of table names, not a string")
        unique = list(dict.fromkeys(names))  # the API declares the table list uniqueItems
        if not schema or not unique or not all(unique):
            raise ValueError(f"{field}[{schema!r}]: needs a schema name and non-empty table names")
        scope[schema] = unique
    return scope


def body_of(**fields: Any) -> dict[str, Any]:
    """A JSON body of the fields that are not None, with `SecretStr` values revealed."""
    return {k: reveal(v) for k, v in fields.items() if v is not None}


def _field_errors(body: Mapping[str, Any]) -> tuple[FieldError, ...]:
    found: list[FieldError] = []
    for key in ("errors", "details"):
        value = body.get(key)
        if isinstance(value, Mapping):
            found.extend(FieldError(str(k), str(v)) for k, v in value.items())
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    name = item.get("field") or item.get("name") or item.get("path") or "?"
                    text = item.get("message") or item.get("reason") or ""
                    code = item.get("code")
                    found.append(FieldError(str(name), str(text), str(code) if code else None))
    return tuple(found)


def map_fivetran_error(response: httpx.Response) -> ApiError:
    """Map a Fivetran error answer (`{"code": "NotFound_Connection", "message": ...}`)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        message = f"HTTP {response.status_code}" + (f": {text}" if text else "")
        return build_api_error(response, backend=BACKEND, message=message)
    code = body.get("code")
    message = body.get("message") or body.get("error") or f"HTTP {response.status_code}"
    request_id = body.get("request_id") or body.get("requestId")
    return build_api_error(
        response,
        backend=BACKEND,
        message=str(message),
        code=str(code) if code else None,
        request_id=str(request_id) if request_id else None,
        field_errors=_field_errors(body),
    )
