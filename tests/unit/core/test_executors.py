"""The attempt loop through both executors, with scripted transports and a fake clock."""

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from conn_shared.calls import NOW, Call, Flow, Sleep
from conn_shared.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    UnexpectedResponseError,
)
from conn_shared.executors import AsyncExecutor, SyncExecutor
from conn_shared.http import ApiProfile, build_api_error
from conn_shared.retry import RetryPolicy

SECRET = "sk-live-0123456789abcdef"


def _map_error(response: httpx.Response) -> ApiError:
    body = response.json()
    return build_api_error(response, backend="demo", message=body["message"], code=body["code"])


def _profile(**retry: Any) -> ApiProfile:
    policy = RetryPolicy(jitter=0.0, backoff_initial=1.0, **retry)
    return ApiProfile(
        backend="demo",
        base_url="https://api.example.test/v1",
        map_error=_map_error,
        retry=policy,
        secrets=(SECRET,),
    )


def _json(response: httpx.Response) -> Any:
    return response.json()


GET = Call(operation="demo.get", method="GET", path="/things/1", parse=_json)
POST = Call(operation="demo.create", method="POST", path="/things", parse=_json, json={"a": 1})


class Script:
    """A transport that answers from a list and records every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers: Iterator[httpx.Response | Exception] = iter(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        # A fresh copy: parametrized answers are shared by the sync and async runs.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def _err(status: int, code: str = "Oops", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"code": code, "message": f"failed {status}"}, headers=headers
    )


def _ok(body: Any = None) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"id": "1"})


def _frozen() -> float:
    return 0.0


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class AsyncSleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run_sync(script: Script, call: Call[Any], **retry: Any) -> tuple[Any, list[float]]:
    sleeps = Sleeps()
    executor = SyncExecutor(
        _profile(**retry), transport=httpx.MockTransport(script), sleep=sleeps, monotonic=_frozen
    )
    with executor:
        return executor.call(call), sleeps


async def run_async(script: Script, call: Call[Any], **retry: Any) -> tuple[Any, list[float]]:
    sleeps = AsyncSleeps()
    async with AsyncExecutor(
        _profile(**retry), transport=httpx.MockTransport(script), sleep=sleeps, monotonic=_frozen
    ) as executor:
        return await executor.call(call), sleeps


@pytest.fixture(params=["sync", "async"])
def send(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Run a call through either executor; returns (result, sleeps)."""
    if request.param == "sync":
        return run_sync
    return lambda script, call, **kw: asyncio.run(run_async(script, call, **kw))


def test_success_parses_and_sends_the_described_request(send: Callable[..., Any]) -> None:
    script = Script(_ok({"id": "42"}))
    call = Call(
        operation="demo.list",
        method="GET",
        path="/things",
        parse=_json,
        params={"limit": 5, "cursor": None},
        headers={"Accept": "application/json;version=2"},
    )
    result, sleeps = send(script, call)
    assert result == {"id": "42"}
    assert sleeps == []
    (request,) = script.requests
    assert str(request.url) == "https://api.example.test/v1/things?limit=5"
    assert request.headers["Accept"] == "application/json;version=2"
    assert request.headers["User-Agent"].startswith("conn-providers/")


@pytest.mark.parametrize(
    ("answers", "sleeps"),
    [
        pytest.param((_err(503), _err(502), _ok()), [1.0, 2.0], id="5xx-burst"),
        pytest.param((httpx.ReadTimeout("slow"), _ok()), [1.0], id="read-timeout"),
        pytest.param((httpx.ConnectError("refused"), _ok()), [1.0], id="connect-error"),
        pytest.param((httpx.RemoteProtocolError("dropped"), _ok()), [1.0], id="dropped"),
        pytest.param(
            (httpx.Response(200, text='{"id": "tru'), _ok()), [1.0], id="truncated-json-body"
        ),
        pytest.param((_err(429, headers={"Retry-After": "3"}), _ok()), [3.0], id="429-seconds"),
    ],
)
def test_idempotent_call_is_retried(
    send: Callable[..., Any], answers: tuple[Any, ...], sleeps: list[float]
) -> None:
    script = Script(*answers)
    result, slept = send(script, GET)
    assert result == {"id": "1"}
    assert slept == sleeps
    assert len(script.requests) == len(answers)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param(_err(503), ServerError, id="503"),
        pytest.param(httpx.ReadTimeout("slow"), RequestTimeoutError, id="read-timeout"),
        pytest.param(httpx.RemoteProtocolError("dropped"), NetworkError, id="dropped"),
    ],
)
def test_a_create_that_may_have_been_applied_is_not_resent(
    send: Callable[..., Any], answer: Any, error: type[Exception]
) -> None:
    script = Script(answer, _ok())
    with pytest.raises(error):
        send(script, POST)
    assert len(script.requests) == 1


def test_a_create_that_never_left_is_resent(send: Callable[..., Any]) -> None:
    script = Script(httpx.ConnectError("refused"), _err(429), _ok())
    result, slept = send(script, POST)
    assert result == {"id": "1"}
    assert len(script.requests) == 3
    assert slept[0] == 1.0


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(400, ApiError, id="400"),
        pytest.param(401, AuthenticationError, id="401"),
        pytest.param(404, NotFoundError, id="404"),
        pytest.param(409, ConflictError, id="409"),
    ],
)
def test_client_errors_are_never_retried(
    send: Callable[..., Any], status: int, error: type[Exception]
) -> None:
    script = Script(_err(status, code="Bad"), _ok())
    with pytest.raises(error) as caught:
        send(script, GET)
    assert len(script.requests) == 1
    assert caught.value.status == status
    assert caught.value.code == "Bad"
    assert caught.value.backend == "demo"
    assert "GET /v1/things/1" in str(caught.value)


def test_429_http_date_is_honoured(send: Callable[..., Any]) -> None:
    when = httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})  # in the past
    script = Script(
        httpx.Response(429, json={"code": "Limit", "message": "x"}, headers=when), _ok()
    )
    result, slept = send(script, GET)
    assert result == {"id": "1"}
    assert slept == []  # a date already past means no wait at all
    assert len(script.requests) == 2


def test_rate_limit_beyond_the_cap_raises_with_retry_after(send: Callable[..., Any]) -> None:
    script = Script(_err(429, headers={"Retry-After": "7200"}))
    with pytest.raises(RateLimitedError) as caught:
        send(script, GET)
    assert caught.value.retry_after == 7200.0


def test_retries_stop_at_max_attempts(send: Callable[..., Any]) -> None:
    script = Script(*[_err(503)] * 3)
    with pytest.raises(ServerError):
        send(script, GET, max_attempts=3)
    assert len(script.requests) == 3


def test_unreadable_error_body_still_gives_a_typed_error(send: Callable[..., Any]) -> None:
    script = Script(httpx.Response(404, text="<html>nope</html>"))
    with pytest.raises(NotFoundError, match="unreadable error body"):
        send(script, GET)


def test_unparseable_success_body_is_unexpected_response(send: Callable[..., Any]) -> None:
    def strict(response: httpx.Response) -> int:
        return int(response.json()["count"])

    script = Script(_ok({"count": "many"}))
    call = Call(operation="demo.count", method="GET", path="/count", parse=strict)
    with pytest.raises(UnexpectedResponseError, match=r"demo\.count"):
        send(script, call)


def test_secrets_are_scrubbed_from_error_text_and_logs(
    send: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = httpx.Response(401, json={"code": "Auth", "message": f"bad key {SECRET}"})
    script = Script(echo)
    with pytest.raises(AuthenticationError) as caught:
        send(script, GET)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert SECRET not in caplog.text


def test_exhausted_quota_pauses_the_next_call() -> None:
    sleeps = Sleeps()
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4"}
    script = Script(httpx.Response(200, json={"id": "1"}, headers=headers), _ok())
    transport = httpx.MockTransport(script)
    with SyncExecutor(_profile(), transport=transport, sleep=sleeps, monotonic=_frozen) as ex:
        ex.call(GET)
        ex.call(GET)
    assert sleeps == [4.0]
    assert ex.stats.calls == 2
    assert ex.stats.requests == 2
    assert ex.stats.retries == 0


def _flow_with_recovery() -> Flow[dict[str, Any]]:
    started = yield NOW
    try:
        created = yield POST
    except NetworkError:
        created = yield GET  # look the resource up instead of creating it twice
    yield Sleep(2.5)
    return {"created": created, "started": started}


def test_flow_runs_on_both_executors_and_recovers_from_thrown_errors() -> None:
    def script() -> Script:
        return Script(httpx.ReadTimeout("lost"), _ok({"id": "found"}))

    sleeps = Sleeps()
    with SyncExecutor(
        _profile(), transport=httpx.MockTransport(script()), sleep=sleeps, clock=lambda: 100.0
    ) as ex:
        sync_result = ex.run(_flow_with_recovery())

    async def main() -> tuple[dict[str, Any], list[float]]:
        asleeps = AsyncSleeps()
        async with AsyncExecutor(
            _profile(), transport=httpx.MockTransport(script()), sleep=asleeps, clock=lambda: 100.0
        ) as aex:
            return await aex.run(_flow_with_recovery()), asleeps

    async_result, async_sleeps = asyncio.run(main())
    expected = {"created": {"id": "found"}, "started": 100.0}
    assert sync_result == expected
    assert async_result == expected
    assert sleeps == [2.5]
    assert async_sleeps == [2.5]


def test_request_body_is_json() -> None:
    script = Script(_ok())
    run_sync(script, POST)
    assert json.loads(script.requests[0].content) == {"a": 1}
