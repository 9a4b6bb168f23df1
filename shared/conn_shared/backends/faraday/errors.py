"""Faraday error bodies mapped into the shared exception tree.

Faraday answers errors with `{error, id, note, validationErrors}`: `error` becomes the
exception's `code`, `id` its `request_id` (quote it to Faraday support), `note` its
message and each validation error a `FieldError` (dotted path, message, `errorType`).

The HTTP status picks the class, as for every backend (and the retry policy works on
statuses too). Only when the status alone says nothing specific (an unlisted 4xx such
as 405 or 410) does the Faraday code choose: MISSING/MALFORMED/EXPIRED_API_KEY and
INVALID_AUTHORIZATION -> AuthenticationError, FORBIDDEN and MAX_RESOURCES_REACHED ->
PermissionDeniedError, NOT_FOUND -> NotFoundError, CONFLICT -> ConflictError,
BAD_REQUEST and VALIDATION_FAILED -> InvalidRequestError, INTERNAL_SERVER_ERROR ->
ServerError. A 409 to DELETE of a connection is a ConnectionInUseError.

Validation messages can quote the submitted value, so any secret option sent in the
request body (a password that failed a pattern, say) is scrubbed from the error text.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import ValidationError

from conn_shared.backends.faraday.models import ErrorCode, FaradayErrorBody, is_secret_option
from conn_shared.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    ConnectionInUseError,
    FieldError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
)
from conn_shared.http import build_api_error
from conn_shared.redaction import scrub

__all__ = ["CODE_CLASSES", "map_faraday_error"]

CODE_CLASSES: dict[str, type[ApiError]] = {
    ErrorCode.BAD_REQUEST: InvalidRequestError,
    ErrorCode.VALIDATION_FAILED: InvalidRequestError,
    ErrorCode.FORBIDDEN: PermissionDeniedError,
    ErrorCode.MAX_RESOURCES_REACHED: PermissionDeniedError,
    ErrorCode.INVALID_AUTHORIZATION: AuthenticationError,
    ErrorCode.MALFORMED_API_KEY: AuthenticationError,
    ErrorCode.MISSING_API_KEY: AuthenticationError,
    ErrorCode.EXPIRED_API_KEY: AuthenticationError,
    ErrorCode.NOT_FOUND: NotFoundError,
    ErrorCode.CONFLICT: ConflictError,
    ErrorCode.INTERNAL_SERVER_ERROR: ServerError,
}

_CONNECTION_PATH = re.compile(r"/connections/[^/]+/?$")
_SNIPPET = 200


def _secret_values(value: Any) -> Iterator[str]:
    """Every string under a credential-named key of a request body, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and is_secret_option(key) and isinstance(item, str):
                yield item
            else:
                yield from _secret_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_values(item)


def _sent_secrets(response: httpx.Response) -> tuple[str, ...]:
    try:
        content = response.request.content
    except (RuntimeError, httpx.RequestNotRead):
        return ()
    if not content:
        return ()
    try:
        body = json.loads(content)
    except ValueError:
        return ()
    return tuple(_secret_values(body))


def _field(path: str) -> str:
    # Faraday reports JSON pointers ("/options/port") or dotted paths; FieldError is dotted.
    return path.strip("/").replace("/", ".").lstrip(".") or "$"


def _unreadable(response: httpx.Response) -> str:
    text = " ".join(response.text.split())[:_SNIPPET]
    status = response.status_code
    return f"HTTP {status} without a Faraday error body" + (f": {text}" if text else "")


def _with_class(
    error: ApiError, cls: type[ApiError], field_errors: tuple[FieldError, ...]
) -> ApiError:
    context: dict[str, Any] = {
        "backend": error.backend,
        "status": error.status,
        "code": error.code,
        "request_id": error.request_id,
        "method": error.method,
        "path": error.path,
    }
    if cls is InvalidRequestError:
        return InvalidRequestError(error.message, field_errors=field_errors, **context)
    return cls(error.message, **context)


def map_faraday_error(response: httpx.Response, *, backend: str = "faraday") -> ApiError:
    """The exception for a Faraday error response (any body, even an unreadable one)."""
    secrets = _sent_secrets(response)
    try:
        payload = response.json()
        body = FaradayErrorBody.model_validate(payload) if isinstance(payload, dict) else None
    except (ValueError, ValidationError):
        body = None
    if body is None or (body.error is None and body.note is None):
        error = build_api_error(
            response, backend=backend, message=scrub(_unreadable(response), secrets)
        )
        return _in_use(response, error)

    code = str(body.error) if body.error is not None else None
    message = scrub(body.note or code or f"HTTP {response.status_code}", secrets)
    field_errors = tuple(
        FieldError(
            field=_field(item.path),
            message=scrub(
                item.message + (f" ({item.suggestion})" if item.suggestion else ""), secrets
            ),
            code=item.error_type,
        )
        for item in body.validation_errors
    )
    error = build_api_error(
        response,
        backend=backend,
        message=message,
        code=code,
        request_id=body.id,
        field_errors=field_errors,
    )
    if type(error) is ApiError and code in CODE_CLASSES:
        error = _with_class(error, CODE_CLASSES[code], field_errors)
    return _in_use(response, error)


def _in_use(response: httpx.Response, error: ApiError) -> ApiError:
    """A 409 to DELETE /connections/{id}: datasets or targets still use the connection."""
    request = response.request
    if (
        response.status_code == 409
        and request.method == "DELETE"
        and _CONNECTION_PATH.search(request.url.path)
    ):
        return ConnectionInUseError(
            error.message,
            users=(),
            backend=error.backend,
            status=error.status,
            code=error.code,
            request_id=error.request_id,
            method=error.method,
            path=error.path,
        )
    return error
