"""Fivetran's wire conventions: the `{code, message, data}` envelope, errors, HTTP Basic
auth, the versioned Accept header, JSON bodies, field checks and cursor pagination.

Every success body is `{"code": "Success", "message"?, "data"?}`; every error is
`{"code": ..., "message": ...}` (`ApiError`). Nothing here holds state.
"""

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "ApiError",
    "FivetranHandler",
    "acceptable",
    "basic_credentials",
    "boolean",
    "choice",
    "endpoint",
    "error_json",
    "json_body",
    "object_body",
    "ok",
    "paginate",
]

_ERROR_CODES = {
    400: "InvalidInput",
    401: "AuthFailed",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
}
S = TypeVar("S")
#: A Fivetran handler: (state, request, parsed JSON body or None) -> (status, body).
FivetranHandler: TypeAlias = Callable[[S, Request, Any], Awaitable[tuple[int, dict[str, Any]]]]


class ApiError(Exception):
    """An error answer in Fivetran's format: raise it from a handler.

    `code` defaults to the status's generic code (`NotFound` for 404, ...); pass the
    specific code where the real API sends one (e.g. `NotFound_SchemaConfig`).
    """

    def __init__(self, status: int, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _ERROR_CODES.get(status, "Error")


def error_json(err: ApiError, headers: dict[str, str] | None = None) -> Response:
    """`{"code": ..., "message": ...}` with the error's status."""
    return JSONResponse({"code": err.code, "message": err.message}, err.status, headers=headers)


def ok(
    data: Any = None, message: str | None = None, status: int = 200
) -> tuple[int, dict[str, Any]]:
    """A success envelope: `{"code": "Success", "message"?, "data"?}` and its status."""
    body: dict[str, Any] = {"code": "Success"}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    return status, body


def endpoint(handler: FivetranHandler[S], store: S, *, versioned: bool) -> Callable[..., Any]:
    """A Starlette endpoint around `handler`: Accept check (406), JSON body, envelope.

    Authentication and `ApiError` rendering are the route table's (routing.py).
    """

    async def run(request: Request) -> Response:
        if versioned and not acceptable(request.headers.get("accept")):
            raise ApiError(406, "Not acceptable: use Accept: application/json;version=2")
        # GET and DELETE carry no body: skip reading it (the hot path of polling).
        body = None if request.method in ("GET", "DELETE") else await json_body(request)
        status, payload = await handler(store, request, body)
        return JSONResponse(payload, status)

    return run


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(key, secret) from an HTTP Basic `Authorization` header, or None when malformed."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep and key else None


def acceptable(accept: str | None) -> bool:
    """Whether an Accept header allows JSON in API version 1 or 2 (the spec asks for 2)."""
    if not accept:
        return True
    for media_range in accept.split(","):
        media, *params = (part.strip() for part in media_range.split(";"))
        if media.lower() not in ("*/*", "application/*", "application/json"):
            continue
        version = next((p.split("=", 1)[1] for p in params if p.startswith("version=")), None)
        if version in (None, "1", "2"):
            return True
    return False


async def json_body(request: Request) -> Any:
    """The parsed JSON body, or None when there is none; 415/400 for the wrong kind."""
    raw = await request.body()
    if not raw:
        return None
    content_type = request.headers.get("content-type", "application/json")
    if not content_type.split(";")[0].strip().lower().endswith("json"):
        raise ApiError(415, f"Unsupported media type '{content_type}'; send application/json")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from exc


def object_body(body: Any, *, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object (400 otherwise); `{}` for no body when not `required`."""
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body


def boolean(body: dict[str, Any], key: str, default: bool | None = None) -> bool | None:
    """`body[key]` when it is a boolean (or absent: `default`); 400 otherwise."""
    value = body.get(key, default)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, f"Field '{key}' must be a boolean")
    return value


def choice(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    """`body[key]` when it is one of `allowed` (or absent: None); 400 otherwise."""
    value = body.get(key)
    if value is not None and value not in allowed:
        raise ApiError(400, f"Invalid value for '{key}': {value!r}; expected one of {allowed}")
    return value


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
