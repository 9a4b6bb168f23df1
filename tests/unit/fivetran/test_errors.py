"""Fivetran error bodies map onto the shared tree; retries follow the profile's policy."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from conn_shared.backends.fivetran.errors import map_fivetran_error
from conn_shared.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)
from tests.unit.fivetran.support import backend, connection, envelope, error

_REQUEST = httpx.Request("GET", "https://api.fivetran.test/v1/connections/c1")


def _mapped(response: httpx.Response) -> ApiError:
    response.request = _REQUEST
    return map_fivetran_error(response)


@pytest.mark.parametrize(
    ("response", "cls", "code"),
    [
        pytest.param(
            error(404, "NotFound_Connection", "Connection with id 'c1' not found"),
            NotFoundError,
            "NotFound_Connection",
            id="404",
        ),
        pytest.param(
            error(401, "AuthFailed", "Bad key"), AuthenticationError, "AuthFailed", id="401"
        ),
        pytest.param(
            error(403, "AccessDenied", "No permission"),
            PermissionDeniedError,
            "AccessDenied",
            id="403",
        ),
        pytest.param(
            error(409, "Conflict_Connection", "already exists"),
            ConflictError,
            "Conflict_Connection",
            id="409",
        ),
        pytest.param(
            error(429, "TooManyRequests", "slow down"),
            RateLimitedError,
            "TooManyRequests",
            id="429",
        ),
        pytest.param(error(500, "InternalError", "boom"), ServerError, "InternalError", id="500"),
        pytest.param(
            error(400, "InvalidInput", "bad"), InvalidRequestError, "InvalidInput", id="400"
        ),
        pytest.param(error(405, "MethodNotAllowed", "no"), ApiError, "MethodNotAllowed", id="405"),
    ],
)
def test_error_body_maps_to_class_and_code(
    response: httpx.Response, cls: type[ApiError], code: str
) -> None:
    mapped = _mapped(response)
    assert type(mapped) is cls
    assert mapped.code == code
    assert mapped.backend == "fivetran"
    assert mapped.status == response.status_code
    assert mapped.path == "/v1/connections/c1"
    assert response.json()["message"] in str(mapped)


def test_request_id_comes_from_header_or_body() -> None:
    from_header = httpx.Response(
        404, json={"code": "NotFound", "message": "x"}, headers={"X-Request-Id": "req-h"}
    )
    from_body = error(404, "NotFound", "x", request_id="req-b")
    assert _mapped(from_header).request_id == "req-h"
    assert _mapped(from_body).request_id == "req-b"
    assert "(request id req-b)" in str(_mapped(from_body))


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        pytest.param(
            {"errors": [{"field": "config.host", "message": "required", "code": "missing"}]},
            [("config.host", "required", "missing")],
            id="errors-list",
        ),
        pytest.param(
            {"details": {"sync_frequency": "must be one of ..."}},
            [("sync_frequency", "must be one of ...", None)],
            id="details-map",
        ),
        pytest.param({"details": "free text"}, [], id="details-text"),
    ],
)
def test_field_details_are_kept(extra: dict[str, Any], fields: list[tuple[Any, ...]]) -> None:
    mapped = _mapped(error(400, "InvalidInput", "Invalid request", **extra))
    assert isinstance(mapped, InvalidRequestError)
    assert [(f.field, f.message, f.code) for f in mapped.field_errors] == fields


@pytest.mark.parametrize(
    ("response", "cls"),
    [
        pytest.param(
            httpx.Response(502, text="<html>Bad Gateway</html>"), ServerError, id="html-502"
        ),
        pytest.param(httpx.Response(404, text=""), NotFoundError, id="empty-404"),
        pytest.param(httpx.Response(400, json=["odd"]), InvalidRequestError, id="list-body"),
        pytest.param(
            httpx.Response(401, json={"unexpected": 1}), AuthenticationError, id="no-code"
        ),
    ],
)
def test_unparseable_bodies_still_give_typed_errors(
    response: httpx.Response, cls: type[ApiError]
) -> None:
    mapped = _mapped(response)
    assert type(mapped) is cls
    assert mapped.code is None
    assert str(response.status_code) in str(mapped)


# --- retries through the Fivetran profile -------------------------------------------------


class _Script:
    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        # A fresh copy: parametrized answers are shared by the sync and async runs.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def _ok() -> httpx.Response:
    return httpx.Response(200, json=envelope(connection()))


def _http_date(seconds: int) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds), usegmt=True)


def test_429_with_retry_after_seconds_waits_that_long(run: Any) -> None:
    api = backend()
    limited = httpx.Response(
        429, json={"code": "TooManyRequests", "message": "x"}, headers={"Retry-After": "7"}
    )
    script = _Script(limited, _ok())
    result, sleeps = run(api, script, api.connection_details("c1"))
    assert result.id == "conn_1"
    assert sleeps == [7.0]
    assert len(script.requests) == 2


def test_429_with_retry_after_http_date_waits_until_then(run: Any) -> None:
    api = backend()
    limited = httpx.Response(
        429,
        json={"code": "TooManyRequests", "message": "x"},
        headers={"Retry-After": _http_date(30)},
    )
    script = _Script(limited, _ok())
    _, sleeps = run(api, script, api.connection_details("c1"))
    assert len(sleeps) == 1
    assert 25.0 <= sleeps[0] <= 30.0


def test_429_on_a_create_is_retried_because_nothing_was_applied(run: Any) -> None:
    api = backend()
    limited = httpx.Response(
        429, json={"code": "TooManyRequests", "message": "x"}, headers={"Retry-After": "2"}
    )
    script = _Script(limited, httpx.Response(201, json=envelope(connection())))
    result, sleeps = run(api, script, api.create_connection(group_id="g", service="postgres"))
    assert result.id == "conn_1"
    assert sleeps == [2.0]


def test_5xx_burst_on_get_is_retried(run: Any) -> None:
    api = backend()
    script = _Script(
        error(503, "Unavailable", "x"),
        error(502, "BadGateway", "x"),
        error(504, "Timeout", "x"),
        _ok(),
    )
    result, sleeps = run(api, script, api.connection_details("c1"))
    assert result.id == "conn_1"
    assert sleeps == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    ("answer", "cls"),
    [
        pytest.param(error(503, "Unavailable", "x"), ServerError, id="503"),
        pytest.param(httpx.ReadTimeout("slow"), RequestTimeoutError, id="read-timeout"),
    ],
)
def test_create_is_not_resent_after_an_ambiguous_failure(
    run: Any, answer: Any, cls: type[Exception]
) -> None:
    api = backend()
    script = _Script(answer, httpx.Response(201, json=envelope(connection())))
    with pytest.raises(cls):
        run(api, script, api.create_connection(group_id="g", service="postgres"))
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "status",
    [pytest.param(s, id=str(s)) for s in (400, 401, 403, 404, 409)],
)
def test_other_4xx_are_never_retried(run: Any, status: int) -> None:
    api = backend()
    script = _Script(error(status, "Nope", "x"), _ok())
    with pytest.raises(ApiError) as caught:
        run(api, script, api.connection_details("c1"))
    assert caught.value.status == status
    assert len(script.requests) == 1
