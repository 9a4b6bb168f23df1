"""The whole hub lifecycle over real HTTP on 127.0.0.1, sync and async.

The in-memory `FakeHub` is served by a stdlib HTTP server on a free loopback
port, so the URL joining, the bearer header, keep-alive pooling and a create
whose answer is really dropped (the server closes the socket) go over a socket.
"""

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from pydantic import SecretStr

from conn_shared import EnsureResult, ReadinessState
from conn_shared.backends.hub import HubBackend, HubConnectionSpec
from conn_shared.executors import AsyncExecutor, SyncExecutor
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    pause_connection,
    resume_connection,
    verify_connection,
    wait_until_ready,
)
from conn_shared.retry import RetryPolicy
from conn_shared.waiting import WaitPolicy

from .support import MODES, SECRET, TOKEN, FakeHub, Mode


class _Server:
    def __init__(self, hub: FakeHub) -> None:
        served = hub

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                request = httpx.Request(
                    self.command,
                    f"http://{self.headers['host']}{self.path}",
                    headers=list(self.headers.items()),
                    content=self.rfile.read(length),
                )
                try:
                    response = served(request)
                except httpx.HTTPError:
                    self.close_connection = True  # drop the answer: the client sees no reply
                    return
                body = response.read()
                self.send_response(response.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve  # noqa: N815 - http.server names

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def hub() -> Iterator[tuple[FakeHub, str]]:
    fake = FakeHub()
    server = _Server(fake)
    server.thread.start()
    yield fake, server.base_url
    server.httpd.shutdown()
    server.httpd.server_close()


SPEC = HubConnectionSpec(
    name="orders", provider="postgres", slug="orders-pg", credentials={"password": SECRET}
)
FAST = WaitPolicy(poll_interval=0.01, max_poll_interval=0.01, timeout=30)


def _lifecycle_sync(backend: HubBackend) -> tuple[EnsureResult, EnsureResult, list[object]]:
    with SyncExecutor(backend.profile()) as ex:
        first = ex.run(ensure_connection(backend, SPEC))
        second = ex.run(ensure_connection(backend, SPEC))
        cid = first.connection.connection_id
        steps: list[object] = [
            ex.run(verify_connection(backend, cid)).state,
            ex.run(wait_until_ready(backend, cid, policy=FAST)).state,
            ex.run(pause_connection(backend, cid)).paused,
            ex.run(resume_connection(backend, cid)).paused,
            ex.run(delete_connection(backend, cid)),
            ex.run(delete_connection(backend, cid)),
        ]
    return first, second, steps


async def _lifecycle_async(backend: HubBackend) -> tuple[EnsureResult, EnsureResult, list[object]]:
    async with AsyncExecutor(backend.profile()) as ex:
        first = await ex.run(ensure_connection(backend, SPEC))
        second = await ex.run(ensure_connection(backend, SPEC))
        cid = first.connection.connection_id
        steps: list[object] = [
            (await ex.run(verify_connection(backend, cid))).state,
            (await ex.run(wait_until_ready(backend, cid, policy=FAST))).state,
            (await ex.run(pause_connection(backend, cid))).paused,
            (await ex.run(resume_connection(backend, cid))).paused,
            await ex.run(delete_connection(backend, cid)),
            await ex.run(delete_connection(backend, cid)),
        ]
    return first, second, steps


@pytest.mark.parametrize("mode", MODES)
def test_lifecycle_over_loopback(mode: Mode, hub: tuple[FakeHub, str]) -> None:
    fake, base_url = hub
    fake.lose_creates = 1
    backend = HubBackend(
        base_url=base_url + "/", token=SecretStr(TOKEN), retry=RetryPolicy(max_attempts=2)
    )
    if mode == "sync":
        first, second, steps = _lifecycle_sync(backend)
    else:
        first, second, steps = asyncio.run(_lifecycle_async(backend))

    assert (first.created, second.created, second.updated) == (True, False, False)
    assert steps == [ReadinessState.READY, ReadinessState.READY, True, False, True, False]
    assert fake.sent("POST").count("POST /api/v1/connections") == 1
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in fake.requests)
    assert fake.connections == {}
