"""How to reach a connections hub: settings, the API root, paths, and its error bodies.

The hub is self-hosted, so there is no default base URL: `HubSettings.base_url`
is the user's server and `/api/v1` is appended (a URL that already ends in
`/api/v1` is kept as is). Requests carry `Authorization: Bearer <token>`.

Errors are FastAPI-shaped:

- 422 `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}` -> InvalidRequestError
  with one FieldError per entry; the field is `loc` joined with "." without its
  leading "body"/"query"/"path"/"header"/"cookie"; the entry's `input` (which may
  echo a credential) is never read;
- any other status `{"detail": "text"}` -> the status-based class with that text;
  a `detail` object's `message`/`code` are read too, and its `users`/`usedBy` list
  (names of resources still using a connection) turns a 409 into ConnectionInUseError;
- a 409 answering `DELETE /connections/{id}` is ConnectionInUseError even without
  such a list, since being in use is the only conflict a delete reports.
"""

from collections.abc import Generator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from conn_shared.backends.base import BackendSettings
from conn_shared.backends.hub.models import Visibility
from conn_shared.errors import ApiError, ConnectionInUseError, FieldError
from conn_shared.http import build_api_error, request_id_of

__all__ = [
    "API_PREFIX",
    "BearerAuth",
    "HubSettings",
    "api_root",
    "check_choice",
    "check_limit",
    "check_name",
    "check_visibility",
    "connection_path",
    "map_hub_error",
    "secret_values",
]

BACKEND = "hub"
API_PREFIX = "/api/v1"
_LOCATION_PREFIXES = frozenset({"body", "query", "path", "header", "cookie"})


class HubSettings(BackendSettings):
    """One hub account: the server's base URL (required, no default) and a bearer token.

    Example: `HubSettings(base_url="https://hub.example.com", token=SecretStr("..."))`
    talks to `https://hub.example.com/api/v1`.
    """

    token: SecretStr


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` on every request; the token stays out of reprs."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request


def api_root(base_url: str) -> str:
    """`base_url` with `/api/v1` appended once (kept when it is already there)."""
    root = base_url.strip().rstrip("/")
    if not root:
        raise ValueError("base_url: the hub has no default address; give your server's URL")
    if root.endswith(API_PREFIX):
        return root
    return root + API_PREFIX


def connection_path(connection_id: str, *suffix: str) -> str:
    """`/connections/{id}[/suffix...]` with the id quoted; an empty id is a ValueError."""
    if not isinstance(connection_id, str) or not connection_id.strip():
        raise ValueError("connection_id: must be a non-empty string")
    return "/".join(("/connections", quote(connection_id, safe=""), *suffix))


LIMIT_MAX = 1000
NAME_MAX = 255


def check_limit(limit: int | None) -> None:
    """ValueError unless `limit` is None or within 1..1000."""
    if limit is not None and (isinstance(limit, bool) or not 1 <= limit <= LIMIT_MAX):
        raise ValueError(f"limit: must be within 1..{LIMIT_MAX}, got {limit!r}")


def check_choice(field: str, value: str | None, allowed: tuple[str, ...]) -> None:
    """ValueError naming `field` and the allowed values unless `value` is None or allowed."""
    if value is not None and value not in allowed:
        raise ValueError(f"{field}: must be one of {', '.join(allowed)}, got {value!r}")


def check_name(name: str) -> None:
    """ValueError unless `name` has 1..255 characters."""
    if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX:
        raise ValueError(f"name: length must be 1..{NAME_MAX} characters")


def check_visibility(visibility: str | None) -> None:
    """ValueError unless `visibility` is None or a documented value (private, global)."""
    check_choice("visibility", visibility, tuple(sorted(Visibility.known)))


def secret_values(credentials: Mapping[str, str | SecretStr]) -> dict[str, str]:
    """The plain values to send; only a request body ever holds them."""
    return {
        key: value.get_secret_value() if isinstance(value, SecretStr) else value
        for key, value in credentials.items()
    }


def _field_name(loc: Any) -> str:
    parts = [str(p) for p in loc] if isinstance(loc, list | tuple) else [str(loc)]
    if len(parts) > 1 and parts[0] in _LOCATION_PREFIXES:
        parts = parts[1:]
    return ".".join(parts) or "request"


def _field_errors(entries: Sequence[Any]) -> tuple[FieldError, ...]:
    errors = []
    for entry in entries:
        if isinstance(entry, Mapping):
            code = entry.get("type")
            errors.append(
                FieldError(
                    field=_field_name(entry.get("loc", ())),
                    message=str(entry.get("msg", "invalid value")),
                    code=str(code) if code is not None else None,
                )
            )
        else:
            errors.append(FieldError(field="request", message=str(entry)))
    return tuple(errors)


def _users(detail: Mapping[str, Any]) -> tuple[str, ...]:
    for key in ("users", "usedBy", "used_by"):
        value = detail.get(key)
        if isinstance(value, list):
            return tuple(str(v) for v in value)
    return ()


def _is_connection_delete(response: httpx.Response) -> bool:
    request = response.request
    segments = [s for s in request.url.path.split("/") if s]
    return request.method == "DELETE" and len(segments) >= 2 and segments[-2] == "connections"


def map_hub_error(response: httpx.Response) -> ApiError:
    """The package error for a hub error response (see the module docstring for the shapes)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, Mapping) else None
    message = response.reason_phrase or f"HTTP {response.status_code}"
    code: str | None = None
    field_errors: tuple[FieldError, ...] = ()
    users: tuple[str, ...] = ()
    if isinstance(detail, str) and detail:
        message = detail
    elif isinstance(detail, list):
        field_errors = _field_errors(detail)
        message = "request validation failed"
    elif isinstance(detail, Mapping):
        message = str(detail.get("message") or detail.get("msg") or message)
        raw_code = detail.get("code") or detail.get("type")
        code = str(raw_code) if raw_code is not None else None
        users = _users(detail)
    if response.status_code == 409 and not users and _is_connection_delete(response):
        return ConnectionInUseError(
            message,
            backend=BACKEND,
            status=409,
            code=code,
            request_id=request_id_of(response),
            method=response.request.method,
            path=response.request.url.path,
        )
    return build_api_error(
        response,
        backend=BACKEND,
        message=message,
        code=code,
        field_errors=field_errors,
        users=users,
    )
