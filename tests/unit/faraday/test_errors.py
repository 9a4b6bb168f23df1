"""Faraday error bodies map to the shared exception tree, with code, request id and fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conn_shared.backends.faraday.errors import map_faraday_error
from conn_shared.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    ConnectionInUseError,
    FieldError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from conn_shared.executors import SyncExecutor
from conn_shared.retry import RetryPolicy
from tests.unit.faraday.support import (
    API_KEY,
    BASE,
    CONN_ID,
    PASSWORD,
    Script,
    backend,
    error_body,
    reply,
)


def _response(
    status: int,
    body: Any = None,
    *,
    method: str = "GET",
    path: str = f"/connections/{CONN_ID}",
    content: bytes | None = None,
    request_json: Any = None,
) -> httpx.Response:
    request = httpx.Request(method, BASE + path, json=request_json)
    if content is not None:
        return httpx.Response(status, content=content, request=request)
    return httpx.Response(status, json=body, request=request)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        pytest.param(400, "BAD_REQUEST", InvalidRequestError, id="400-BAD_REQUEST"),
        pytest.param(400, "VALIDATION_FAILED", InvalidRequestError, id="400-VALIDATION_FAILED"),
        pytest.param(401, "MISSING_API_KEY", AuthenticationError, id="401-MISSING_API_KEY"),
        pytest.param(401, "MALFORMED_API_KEY", AuthenticationError, id="401-MALFORMED_API_KEY"),
        pytest.param(401, "EXPIRED_API_KEY", AuthenticationError, id="401-EXPIRED_API_KEY"),
        pytest.param(
            401, "INVALID_AUTHORIZATION", AuthenticationError, id="401-INVALID_AUTHORIZATION"
        ),
        pytest.param(403, "FORBIDDEN", PermissionDeniedError, id="403-FORBIDDEN"),
        pytest.param(
            403, "MAX_RESOURCES_REACHED", PermissionDeniedError, id="403-MAX_RESOURCES_REACHED"
        ),
        pytest.param(404, "NOT_FOUND", NotFoundError, id="404-NOT_FOUND"),
        pytest.param(409, "CONFLICT", ConflictError, id="409-CONFLICT"),
        pytest.param(429, "TOO_MANY_REQUESTS", RateLimitedError, id="429-unknown-code"),
        pytest.param(500, "INTERNAL_SERVER_ERROR", ServerError, id="500-INTERNAL_SERVER_ERROR"),
        pytest.param(503, "SOMETHING_NEW", ServerError, id="503-unknown-code"),
        # An unlisted status says nothing specific: the Faraday code decides.
        pytest.param(405, "FORBIDDEN", PermissionDeniedError, id="405-code-decides"),
        pytest.param(410, "NOT_FOUND", NotFoundError, id="410-code-decides"),
        pytest.param(418, "EXPIRED_API_KEY", AuthenticationError, id="418-code-decides"),
        pytest.param(422, "CONFLICT", InvalidRequestError, id="422-status-decides"),
        pytest.param(418, "SOMETHING_NEW", ApiError, id="418-unknown-code"),
    ],
)
def test_error_codes_map_to_classes(status: int, code: str, cls: type[ApiError]) -> None:
    error = map_faraday_error(
        _response(status, error_body(code, "what went wrong", error_id="082f9513"))
    )
    assert type(error) is cls
    assert error.status == status
    assert error.code == code
    assert error.request_id == "082f9513"
    assert error.message == "what went wrong"
    assert error.backend == "faraday"
    assert error.method == "GET"
    assert error.path == f"/v1/connections/{CONN_ID}"
    assert str(error) == (
        f"faraday GET /v1/connections/{CONN_ID} {status} {code}: what went wrong "
        "(request id 082f9513)"
    )


def test_validation_errors_become_field_errors() -> None:
    body = error_body(
        "VALIDATION_FAILED",
        "The request body failed validation",
        validationErrors=[
            {
                "path": "/options/port",
                "message": "must be number",
                "context": {"errorType": "type"},
            },
            {
                "path": ".name",
                "message": "must match pattern",
                "context": {"errorType": "pattern"},
                "suggestion": "use a non-blank name",
            },
            {"path": "", "message": "must have required property 'options'", "context": {}},
        ],
    )
    error = map_faraday_error(_response(400, body, method="POST", path="/connections"))
    assert isinstance(error, InvalidRequestError)
    assert error.field_errors == (
        FieldError("options.port", "must be number", "type"),
        FieldError("name", "must match pattern (use a non-blank name)", "pattern"),
        FieldError("$", "must have required property 'options'", None),
    )
    assert "options.port: must be number" in str(error)


def test_unknown_status_field_errors_kept_when_the_code_picks_invalid_request() -> None:
    body = error_body(
        "VALIDATION_FAILED", "bad", validationErrors=[{"path": "/name", "message": "m"}]
    )
    error = map_faraday_error(_response(418, body))
    assert isinstance(error, InvalidRequestError)
    assert error.field_errors == (FieldError("name", "m", None),)


def test_secret_options_sent_are_scrubbed_from_error_text() -> None:
    body = error_body(
        "VALIDATION_FAILED",
        f"password {PASSWORD} rejected",
        validationErrors=[{"path": "/options/password", "message": f"'{PASSWORD}' too short"}],
    )
    error = map_faraday_error(
        _response(
            400,
            body,
            method="POST",
            path="/connections",
            request_json={"name": "x", "options": {"type": "postgres", "password": PASSWORD}},
        )
    )
    assert isinstance(error, InvalidRequestError)
    assert PASSWORD not in str(error)
    assert PASSWORD not in repr(error.field_errors)
    assert "***" in error.message


@pytest.mark.parametrize(
    ("status", "content", "cls"),
    [
        pytest.param(502, b"<html>Bad Gateway</html>", ServerError, id="html-502"),
        pytest.param(404, b"", NotFoundError, id="empty-404"),
        pytest.param(401, b"not json", AuthenticationError, id="text-401"),
        pytest.param(400, b"[1, 2]", InvalidRequestError, id="json-array-400"),
        pytest.param(403, b'{"message": "nope"}', PermissionDeniedError, id="foreign-json-403"),
        pytest.param(409, b'{"error": 5, "id": []}', ConflictError, id="wrong-types-409"),
    ],
)
def test_unparseable_bodies_still_give_a_typed_error(
    status: int, content: bytes, cls: type[ApiError]
) -> None:
    error = map_faraday_error(_response(status, content=content))
    assert type(error) is cls
    assert error.status == status
    assert f"HTTP {status} without a Faraday error body" in error.message


def test_409_on_connection_delete_is_connection_in_use() -> None:
    error = map_faraday_error(
        _response(409, error_body("CONFLICT", "in use", error_id="r9"), method="DELETE")
    )
    assert isinstance(error, ConnectionInUseError)
    assert (error.code, error.request_id, error.users) == ("CONFLICT", "r9", ())


def test_409_elsewhere_is_a_plain_conflict() -> None:
    error = map_faraday_error(
        _response(409, error_body("CONFLICT", "busy"), method="POST", path="/connections")
    )
    assert type(error) is ConflictError


def test_mapper_runs_through_the_executor_and_scrubs_the_api_key() -> None:
    script = Script().on(
        "GET",
        f"/connections/{CONN_ID}",
        reply(401, error_body("MALFORMED_API_KEY", f"could not parse {API_KEY}")),
    )
    b = backend(retry=RetryPolicy(max_attempts=1))
    with (
        SyncExecutor(b.profile(), transport=script.transport()) as executor,
        pytest.raises(AuthenticationError) as caught,
    ):
        executor.call(b.get_connection(CONN_ID))
    assert caught.value.code == "MALFORMED_API_KEY"
    assert API_KEY not in str(caught.value)
    assert API_KEY not in caught.value.message
