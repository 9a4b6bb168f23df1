"""Retry behaviour through the Faraday profile: what is resent, what never is, how long it waits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from conn_shared.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RequestTimeoutError,
    ServerError,
)
from conn_shared.executors import SyncExecutor
from tests.unit.faraday.support import (
    CONN_ID,
    Script,
    Sleeps,
    backend,
    connection_json,
    error_body,
    reply,
)

PG = {"type": "postgres", "host": "h"}


def _executor(script: Script, sleeps: Sleeps) -> SyncExecutor:
    return SyncExecutor(
        backend().profile(),
        transport=script.transport(),
        sleep=sleeps,
        monotonic=sleeps.monotonic,
    )


def test_429_with_retry_after_seconds_waits_that_long() -> None:
    script = Script().on(
        "GET",
        f"/connections/{CONN_ID}",
        reply(429, error_body("TOO_MANY", "slow down"), {"Retry-After": "7"}),
        reply(200, connection_json()),
    )
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor:
        conn = executor.call(backend().get_connection(CONN_ID))
    assert conn.id == CONN_ID
    assert len(script.requests) == 2
    assert sleeps.waits == [7.0]


def test_429_with_retry_after_http_date_waits_until_then() -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    script = Script().on(
        "GET",
        "/connections",
        reply(429, None, {"Retry-After": format_datetime(when, usegmt=True)}),
        reply(200, []),
    )
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor:
        page = executor.call(backend().list_connections())
    assert page.items == []
    assert len(script.requests) == 2
    assert len(sleeps.waits) == 1
    assert 20.0 < sleeps.waits[0] <= 30.0


def test_429_on_create_is_retried_because_faraday_refused_it() -> None:
    script = Script().on(
        "POST",
        "/connections",
        reply(429, None, {"Retry-After": "1"}),
        reply(201, connection_json()),
    )
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor:
        executor.call(backend().create_connection("Warehouse", PG))
    assert script.sent() == [("POST", "/connections")] * 2
    assert sleeps.waits == [1.0]


@pytest.mark.parametrize("status", [pytest.param(s, id=str(s)) for s in (502, 503, 504)])
def test_5xx_burst_on_get_is_retried(status: int) -> None:
    script = Script().on(
        "GET",
        f"/connections/{CONN_ID}",
        reply(status, error_body("INTERNAL_SERVER_ERROR", "blip")),
        reply(status, None),
        reply(200, connection_json()),
    )
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor:
        executor.call(backend().get_connection(CONN_ID))
    assert len(script.requests) == 3
    assert len(sleeps.waits) == 2


def test_500_is_not_retried_by_default() -> None:
    script = Script().on(
        "GET", f"/connections/{CONN_ID}", reply(500, error_body("INTERNAL_SERVER_ERROR", "bug"))
    )
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor, pytest.raises(ServerError):
        executor.call(backend().get_connection(CONN_ID))
    assert len(script.requests) == 1


def test_create_is_not_resent_after_a_503() -> None:
    script = Script().on(
        "POST", "/connections", reply(503, error_body("INTERNAL_SERVER_ERROR", "down"))
    )
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor, pytest.raises(ServerError):
        executor.call(backend().create_connection("Warehouse", PG))
    assert len(script.requests) == 1
    assert sleeps.waits == []


def test_create_is_not_resent_after_a_read_timeout() -> None:
    script = Script().on("POST", "/connections", httpx.ReadTimeout("slow"))
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor, pytest.raises(RequestTimeoutError):
        executor.call(backend().create_connection("Warehouse", PG))
    assert len(script.requests) == 1


def test_create_is_resent_after_a_connect_error_it_never_left() -> None:
    script = Script().on(
        "POST", "/connections", httpx.ConnectError("refused"), reply(201, connection_json())
    )
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor:
        executor.call(backend().create_connection("Warehouse", PG))
    assert len(script.requests) == 2


def test_force_update_is_not_resent_after_a_read_timeout() -> None:
    # Each force_update starts a build: a resent one would be a second sync (`make chaos`).
    script = Script().on(
        "POST", f"/connections/{CONN_ID}/force_update", httpx.ReadTimeout("slow"), reply(202)
    )
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor, pytest.raises(RequestTimeoutError):
        executor.call(backend().force_update_connection(CONN_ID))
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        pytest.param(400, "VALIDATION_FAILED", InvalidRequestError, id="400"),
        pytest.param(401, "EXPIRED_API_KEY", AuthenticationError, id="401"),
        pytest.param(403, "FORBIDDEN", PermissionDeniedError, id="403"),
        pytest.param(404, "NOT_FOUND", NotFoundError, id="404"),
    ],
)
def test_other_4xx_are_never_retried(status: int, code: str, cls: type[Exception]) -> None:
    script = Script().on("GET", f"/connections/{CONN_ID}", reply(status, error_body(code, "no")))
    sleeps = Sleeps()
    with _executor(script, sleeps) as executor, pytest.raises(cls):
        executor.call(backend().get_connection(CONN_ID))
    assert len(script.requests) == 1
    assert sleeps.waits == []
