"""Hub error bodies map into the package's exception tree; retries follow the core policy."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from conn_shared.backends.hub import HubBackend, map_hub_error
from conn_shared.calls import Call
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
    RequestTimeoutError,
    ServerError,
    UnexpectedResponseError,
)

from . import seed_examples as seed
from .support import MODES, SECRET, TOKEN, Mode, connection, make_backend, run_call

DELETE = ("DELETE", "https://hub.example.test/api/v1/connections/c-1")
CREATE = ("POST", "https://hub.example.test/api/v1/connections")
GET = ("GET", "https://hub.example.test/api/v1/connections/c-1")


def _response(
    status: int, body: Any, request: tuple[str, str] = GET, headers: dict[str, str] | None = None
) -> httpx.Response:
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, bytes) else {"json": body}
    return httpx.Response(status, headers=headers, request=httpx.Request(*request), **kwargs)


MAPPINGS = [
    pytest.param(
        _response(422, seed.VALIDATION_ERROR),
        InvalidRequestError,
        None,
        "request validation failed",
        (FieldError("string", "string", "string"),),
        id="422-seed-example",
    ),
    pytest.param(
        _response(
            422,
            {
                "detail": [
                    {
                        "loc": ["body", "credentials", "password"],
                        "msg": "Field required",
                        "type": "missing",
                        "input": {"password": SECRET},
                    },
                    {"loc": ["query", "limit"], "msg": "too big", "type": "less_than_equal"},
                    {"loc": ["path", "connection_uuid"], "msg": "not a uuid", "type": "uuid"},
                    {"loc": ["body"], "msg": "bad json", "type": "json_invalid"},
                    {"loc": ["body", "items", 0], "msg": "bad item", "type": "x"},
                    "a bare string entry",
                ]
            },
            CREATE,
        ),
        InvalidRequestError,
        None,
        "request validation failed",
        (
            FieldError("credentials.password", "Field required", "missing"),
            FieldError("limit", "too big", "less_than_equal"),
            FieldError("connection_uuid", "not a uuid", "uuid"),
            FieldError("body", "bad json", "json_invalid"),
            FieldError("items.0", "bad item", "x"),
            FieldError("request", "a bare string entry"),
        ),
        id="422-locations-stripped",
    ),
    pytest.param(
        _response(400, {"detail": "Provider not supported"}, CREATE),
        InvalidRequestError,
        None,
        "Provider not supported",
        (),
        id="400-text",
    ),
    pytest.param(
        _response(401, {"detail": "Not authenticated"}),
        AuthenticationError,
        None,
        "Not authenticated",
        (),
        id="401",
    ),
    pytest.param(
        _response(403, {"detail": "Forbidden"}),
        PermissionDeniedError,
        None,
        "Forbidden",
        (),
        id="403",
    ),
    pytest.param(
        _response(404, {"detail": "Connection not found"}),
        NotFoundError,
        None,
        "Connection not found",
        (),
        id="404",
    ),
    pytest.param(
        _response(409, {"detail": "name already used"}, CREATE),
        ConflictError,
        None,
        "name already used",
        (),
        id="409-create-is-plain-conflict",
    ),
    pytest.param(
        _response(418, {"detail": {"message": "short and stout", "code": "TEAPOT"}}),
        ApiError,
        "TEAPOT",
        "short and stout",
        (),
        id="detail-object",
    ),
    pytest.param(
        _response(500, b"<html>oops</html>"),
        ServerError,
        None,
        "Internal Server Error",
        (),
        id="500-html",
    ),
    pytest.param(_response(502, b""), ServerError, None, "Bad Gateway", (), id="502-empty"),
    pytest.param(
        _response(400, ["not", "an", "object"]),
        InvalidRequestError,
        None,
        "Bad Request",
        (),
        id="400-list-body",
    ),
    pytest.param(
        _response(404, {"error": "other shape"}),
        NotFoundError,
        None,
        "Not Found",
        (),
        id="404-no-detail",
    ),
]


@pytest.mark.parametrize(("response", "cls", "code", "message", "field_errors"), MAPPINGS)
def test_error_body_maps_to_the_tree(
    response: httpx.Response,
    cls: type[ApiError],
    code: str | None,
    message: str,
    field_errors: tuple[FieldError, ...],
) -> None:
    error = map_hub_error(response)
    assert type(error) is cls
    assert error.backend == "hub"
    assert error.status == response.status_code
    assert error.code == code
    assert error.message == message
    assert getattr(error, "field_errors", ()) == field_errors
    assert SECRET not in str(error)


def test_request_id_comes_from_the_header() -> None:
    response = _response(404, {"detail": "gone"}, headers={"x-request-id": "req-42"})
    error = map_hub_error(response)
    assert error.request_id == "req-42"
    assert str(error) == ("hub GET /api/v1/connections/c-1 404: gone (request id req-42)")


@pytest.mark.parametrize(
    ("body", "users", "code"),
    [
        pytest.param({"detail": "Connection is in use"}, (), None, id="text"),
        pytest.param(
            {"detail": {"message": "in use", "code": "IN_USE", "users": ["dag-a", "dag-b"]}},
            ("dag-a", "dag-b"),
            "IN_USE",
            id="with-users",
        ),
        pytest.param(
            {"detail": {"message": "in use", "usedBy": ["pipeline-1"]}},
            ("pipeline-1",),
            None,
            id="used-by",
        ),
    ],
)
def test_409_on_delete_is_connection_in_use(
    body: dict[str, Any], users: tuple[str, ...], code: str | None
) -> None:
    error = map_hub_error(_response(409, body, DELETE))
    assert isinstance(error, ConnectionInUseError)
    assert error.users == users
    assert error.code == code
    assert error.method == "DELETE"


def test_rate_limit_error_carries_retry_after() -> None:
    error = map_hub_error(_response(429, {"detail": "slow down"}, headers={"Retry-After": "12"}))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 12.0


@pytest.mark.parametrize("mode", MODES)
def test_token_echoed_in_an_error_is_scrubbed(mode: Mode) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"detail": f"bad token {TOKEN}"})

    with pytest.raises(InvalidRequestError) as caught:
        run_call(mode, make_backend(), handler, make_backend().get_connection("c-1"))
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caught.value.message


@pytest.mark.parametrize("mode", MODES)
def test_unreadable_success_body_is_unexpected_response(mode: Mode) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "c-1"})  # no name, provider or status

    with pytest.raises(UnexpectedResponseError, match=r"hub\.get_connection"):
        run_call(mode, make_backend(), handler, make_backend().get_connection("c-1"))


def _http_date(delta: timedelta) -> str:
    return format_datetime(datetime.now(timezone.utc) + delta, usegmt=True)


def _ok_for(call: Call[Any]) -> httpx.Response:
    return httpx.Response(200, json=connection())


RETRIES = [
    pytest.param(
        lambda b: b.get_connection("c-1"),
        [httpx.Response(429, headers={"Retry-After": "7"}, json={"detail": "slow"})],
        2,
        [7.0],
        None,
        id="429-retry-after-seconds",
    ),
    pytest.param(
        lambda b: b.create_connection(name="n", provider="s3"),
        [httpx.Response(429, headers={"Retry-After": "3"}, json={"detail": "slow"})],
        2,
        [3.0],
        None,
        id="429-create-retried-it-was-refused",
    ),
    pytest.param(
        lambda b: b.get_connection("c-1"),
        [httpx.Response(429, headers={"Retry-After": _http_date(timedelta(days=-1))})],
        2,
        [],
        None,
        id="429-http-date-in-the-past",
    ),
    pytest.param(
        lambda b: b.get_connection("c-1"),
        [httpx.Response(s, json={"detail": "down"}) for s in (502, 503, 504)],
        4,
        [1.0, 2.0, 4.0],
        None,
        id="5xx-burst-on-get",
    ),
    pytest.param(
        lambda b: b.verify_connection("c-1"),
        [httpx.Response(503, json={"detail": "down"})],
        2,
        [1.0],
        None,
        id="verify-is-idempotent",
    ),
    pytest.param(
        lambda b: b.update_connection("c-1", name="x"),
        [httpx.ReadTimeout("dropped")],
        2,
        [1.0],
        None,
        id="patch-is-idempotent",
    ),
    pytest.param(
        lambda b: b.create_connection(name="n", provider="s3"),
        [httpx.Response(503, json={"detail": "down"})],
        1,
        [],
        ServerError,
        id="create-not-retried-on-5xx",
    ),
    pytest.param(
        lambda b: b.create_connection(name="n", provider="s3"),
        [httpx.ReadTimeout("dropped")],
        1,
        [],
        RequestTimeoutError,
        id="create-not-retried-on-read-timeout",
    ),
    pytest.param(
        lambda b: b.query("c-1", "select 1"),
        [httpx.Response(502, json={"detail": "down"})],
        1,
        [],
        ServerError,
        id="query-not-retried",
    ),
    pytest.param(
        lambda b: b.create_connection(name="n", provider="s3"),
        [httpx.ConnectError("refused")],
        2,
        [1.0],
        None,
        id="create-retried-when-never-sent",
    ),
    pytest.param(
        lambda b: b.get_connection("c-1"),
        [httpx.Response(500, json={"detail": "bug"})],
        1,
        [],
        ServerError,
        id="500-not-retried",
    ),
    *[
        pytest.param(
            lambda b: b.get_connection("c-1"),
            [httpx.Response(status, json={"detail": "no"})],
            1,
            [],
            cls,
            id=f"{status}-never-retried",
        )
        for status, cls in (
            (400, InvalidRequestError),
            (401, AuthenticationError),
            (403, PermissionDeniedError),
            (404, NotFoundError),
            (409, ConflictError),
            (422, InvalidRequestError),
        )
    ],
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("build", "failures", "requests", "sleeps", "raises"), RETRIES)
def test_retry_behaviour_through_the_profile(
    mode: Mode,
    build: Any,
    failures: list[httpx.Response | Exception],
    requests: int,
    sleeps: list[float],
    raises: type[Exception] | None,
) -> None:
    backend: HubBackend = make_backend()
    queue = list(failures)
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if queue:
            answer = queue.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=answer.content
            )
        return httpx.Response(200, json=connection())

    slept: list[float] = []
    if raises is None:
        run_call(mode, backend, handler, build(backend), slept)
    else:
        with pytest.raises(raises):
            run_call(mode, backend, handler, build(backend), slept)
    assert len(sent) == requests
    assert slept == sleeps


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_http_date_in_the_future_is_waited_for(mode: Mode) -> None:
    answers = [
        httpx.Response(429, headers={"Retry-After": _http_date(timedelta(seconds=120))}),
        httpx.Response(200, json=connection()),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    slept: list[float] = []
    backend = make_backend()
    run_call(mode, backend, handler, backend.get_connection("c-1"), slept)
    assert len(slept) == 1
    assert 60.0 < slept[0] <= 120.0
