"""The hub's error bodies mapped into the shared exception tree.

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

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from conn_shared.backends.hub.models import BACKEND
from conn_shared.errors import ApiError, ConnectionInUseError, FieldError
from conn_shared.http import build_api_error, request_id_of

__all__ = ["map_hub_error"]

_LOCATION_PREFIXES = frozenset({"body", "query", "path", "header", "cookie"})


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
