"""The lifecycle over real sockets: the scripted Fivetran served on 127.0.0.1, sync and async.

The server checks Basic auth and hands each request to `FakeFivetran`; a
"lost" answer closes the socket without replying, so the client sees a real
dropped connection after the work was done.
"""

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from conn_shared import ReadinessState, SyncState
from conn_shared.backends.fivetran import FivetranBackend, FivetranConnectionSpec, FivetranSettings
from conn_shared.calls import Flow
from conn_shared.errors import AuthenticationError
from conn_shared.executors import AsyncExecutor, SyncExecutor
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    get_sync_outcome,
    pause_connection,
    trigger_sync,
    verify_connection,
)
from tests.unit.fivetran.support import API_KEY, API_SECRET, BASIC, T1, FakeFivetran, error

MODES = [pytest.param("sync", id="sync"), pytest.param("async", id="async")]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeFivetran
    lock: threading.Lock

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        content = self.rfile.read(length) if length else b""
        url = f"http://{self.headers.get('Host')}{self.path}"
        request = httpx.Request(self.command, url, headers=dict(self.headers), content=content)
        if self.headers.get("Authorization") != BASIC:
            response = error(401, "AuthFailed", "Invalid API key or secret")
        else:
            try:
                with self.lock:
                    response = self.fake(request)
            except httpx.TransportError:
                self.close_connection = True  # the work is done, the answer never leaves
                return
        self.send_response(response.status_code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()


@pytest.fixture
def server() -> Iterator[tuple[FakeFivetran, str]]:
    fake = FakeFivetran()
    handler = type("Handler", (_Handler,), {"fake": fake, "lock": threading.Lock()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _backend(base_url: str, secret: str = API_SECRET) -> FivetranBackend:
    return FivetranBackend(FivetranSettings(api_key=API_KEY, api_secret=secret, base_url=base_url))


def _run(mode: str, api: FivetranBackend, flows: list[Flow[Any]]) -> list[Any]:
    """Run the flows one after another on one executor (one connection pool)."""
    if mode == "sync":
        with SyncExecutor(api.profile(), sleep=lambda _: None) as executor:
            return [executor.run(flow) for flow in flows]

    async def go() -> list[Any]:
        async def no_sleep(_: float) -> None:
            return None

        async with AsyncExecutor(api.profile(), sleep=no_sleep) as executor:
            return [await executor.run(flow) for flow in flows]

    return asyncio.run(go())


SPEC = FivetranConnectionSpec(
    group_id="group_1",
    service="postgres",
    config={"schema_prefix": "pg", "host": "db.internal", "password": "pw-Secret-1"},
    paused=False,
)


@pytest.mark.parametrize("mode", MODES)
def test_lifecycle_over_loopback(server: tuple[FakeFivetran, str], mode: str) -> None:
    fake, url = server
    api = _backend(url)
    created, reused, ready = _run(
        mode,
        api,
        [
            ensure_connection(api, SPEC),
            ensure_connection(api, SPEC),
            verify_connection(api, "conn_100"),
        ],
    )
    assert (created.created, reused.created) == (True, False)
    assert ready.state is ReadinessState.PENDING  # the fake creates it "incomplete"

    (handle,) = _run(mode, api, [trigger_sync(api, "conn_100")])
    fake.connections["conn_100"]["succeeded_at"] = T1
    fake.connections["conn_100"]["status"]["sync_state"] = "scheduled"
    outcome, paused, deleted, again = _run(
        mode,
        api,
        [
            get_sync_outcome(api, handle),
            pause_connection(api, "conn_100"),
            delete_connection(api, "conn_100"),
            delete_connection(api, "conn_100"),
        ],
    )
    assert outcome.state is SyncState.SUCCEEDED
    assert paused.paused is True
    assert (deleted, again) == (True, False)
    assert [r.headers["Accept"] for r in fake.requests if r.url.path.endswith("/sync")] == [
        "application/json;version=2"
    ]


@pytest.mark.parametrize("mode", MODES)
def test_a_dropped_create_answer_is_found_not_repeated(
    server: tuple[FakeFivetran, str], mode: str
) -> None:
    fake, url = server
    fake.lost[("POST", "/v1/connections")] = [httpx.RemoteProtocolError("dropped")]
    api = _backend(url)
    (result,) = _run(mode, api, [ensure_connection(api, SPEC)])
    assert result.created is True
    assert fake.sent() == [
        ("GET", "/v1/connections"),
        ("POST", "/v1/connections"),
        ("GET", "/v1/connections"),
    ]
    assert len(fake.connections) == 1


@pytest.mark.parametrize("mode", MODES)
def test_wrong_credentials_are_an_authentication_error(
    server: tuple[FakeFivetran, str], mode: str
) -> None:
    fake, url = server
    api = _backend(url, secret="not-the-secret")
    with pytest.raises(AuthenticationError) as caught:
        _run(mode, api, [ensure_connection(api, SPEC)])
    assert caught.value.code == "AuthFailed"
    assert "not-the-secret" not in str(caught.value)
    assert fake.requests == []
