"""The whole lifecycle over real sockets: a tiny stateful Faraday on 127.0.0.1, sync and async.

The fake keeps connections in memory and checks the bearer key; it exists to prove the
backend works over a real HTTP exchange (headers, content types, status codes without
bodies), not to model Faraday (the simulator does that).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from conn_shared import ReadinessState
from conn_shared.backends.faraday import FaradayBackend, FaradayConnectionSpec
from conn_shared.errors import AuthenticationError, ConnectionInUseError
from conn_shared.executors import AsyncExecutor, SyncExecutor
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    get_readiness,
    get_sync_outcome,
    trigger_sync,
)
from tests.unit.faraday.support import API_KEY, PASSWORD, connection_json

MODES = [pytest.param("sync", id="sync"), pytest.param("async", id="async")]


class _State:
    def __init__(self) -> None:
        self.connections: dict[str, dict[str, Any]] = {}
        self.datasets: dict[str, list[dict[str, Any]]] = {}
        self.seen: list[tuple[str, str, str | None]] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    state: _State

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _send(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def _handle(self) -> None:
        state = self.state
        parts = self.path.split("?")[0].strip("/").split("/")
        state.seen.append((self.command, self.path, self.headers.get("Content-Type")))
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._send(401, {"error": "MISSING_API_KEY", "id": "e401", "note": "no key"})
            return
        if parts[:2] != ["v1", "connections"]:
            self._send(404, {"error": "NOT_FOUND", "id": "e404", "note": "no route"})
            return
        rest = parts[2:]
        with state.lock:
            if not rest:
                self._collection()
                return
            conn = state.connections.get(rest[0])
            if conn is None:
                self._send(404, {"error": "NOT_FOUND", "id": "e404", "note": "no connection"})
            elif len(rest) == 1:
                self._item(conn)
            elif rest[1] == "datasets":
                self._send(200, state.datasets.get(conn["id"], []))
            elif rest[1] == "targets":
                self._send(200, [])
            elif rest[1] == "force_update" and self.command == "POST":
                conn["status"] = "ready"
                conn["last_updated_output_at"] = "2026-06-01T00:00:00Z"
                self._send(202)
            else:
                self._send(404, {"error": "NOT_FOUND", "id": "e404", "note": "no route"})

    def _collection(self) -> None:
        if self.command == "GET":
            self._send(200, list(self.state.connections.values()))
            return
        body = self._body()
        conn = connection_json(id=str(uuid.uuid4()), name=body["name"], status="new")
        conn["options"] = body["options"]
        self.state.connections[conn["id"]] = conn
        self._send(201, conn)

    def _item(self, conn: dict[str, Any]) -> None:
        if self.command == "GET":
            self._send(200, conn)
        elif self.command == "PATCH":
            patch = self._body()
            for key, value in patch.get("options", {}).items():
                if value is None:
                    conn["options"].pop(key, None)
                else:
                    conn["options"][key] = value
            self._send(200, conn)
        elif self.command == "DELETE":
            if self.state.datasets.get(conn["id"]):
                self._send(409, {"error": "CONFLICT", "id": "e409", "note": "in use"})
                return
            del self.state.connections[conn["id"]]
            self._send(204)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()


@pytest.fixture
def faraday() -> Iterator[tuple[str, _State]]:
    state = _State()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def _run(mode: str, backend: FaradayBackend, flow: Any) -> Any:
    if mode == "sync":
        with SyncExecutor(backend.profile()) as executor:
            return executor.run(flow)
    async with AsyncExecutor(backend.profile()) as aexecutor:
        return await aexecutor.run(flow)


@pytest.mark.parametrize("mode", MODES)
async def test_lifecycle_over_loopback(mode: str, faraday: tuple[str, _State]) -> None:
    base_url, state = faraday
    b = FaradayBackend(api_key=API_KEY, base_url=base_url)
    options = {"type": "postgres", "host": "db", "port": 5432, "password": PASSWORD}
    spec = FaradayConnectionSpec(name="Warehouse", options=options)

    created = await _run(mode, b, ensure_connection(b, spec))
    again = await _run(mode, b, ensure_connection(b, spec))
    assert created.created
    assert not again.created
    cid = created.connection.connection_id
    assert again.connection.connection_id == cid
    assert len(state.connections) == 1

    drifted = FaradayConnectionSpec(name="Warehouse", options={**options, "port": 6543})
    updated = await _run(mode, b, ensure_connection(b, drifted))
    assert updated.updated
    assert state.connections[cid]["options"]["port"] == 6543
    assert ("PATCH", f"/v1/connections/{cid}", "application/merge-patch+json") in state.seen

    assert (await _run(mode, b, get_readiness(b, cid))).state is ReadinessState.PENDING
    handle = await _run(mode, b, trigger_sync(b, cid))
    outcome = await _run(mode, b, get_sync_outcome(b, handle))
    assert outcome.state.value == "succeeded"

    state.datasets[cid] = [{"id": "d1", "name": "Orders", "connection_id": cid}]
    with pytest.raises(ConnectionInUseError, match="Orders"):
        await _run(mode, b, delete_connection(b, cid))
    assert not any(method == "DELETE" for method, _, _ in state.seen)
    state.datasets[cid] = []
    assert await _run(mode, b, delete_connection(b, cid)) is True
    assert await _run(mode, b, delete_connection(b, cid)) is False
    assert state.connections == {}


@pytest.mark.parametrize("mode", MODES)
async def test_wrong_key_over_loopback(mode: str, faraday: tuple[str, _State]) -> None:
    base_url, _ = faraday
    b = FaradayBackend(api_key="not-the-key", base_url=base_url)
    with pytest.raises(AuthenticationError) as caught:
        await _run(mode, b, get_readiness(b, "anything"))
    assert (caught.value.code, caught.value.request_id) == ("MISSING_API_KEY", "e401")
