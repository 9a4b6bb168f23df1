"""Test helpers for the hub backend: an in-memory hub behind httpx.MockTransport, and runners.

`FakeHub` answers the routes the lifecycle uses with the document's shapes and
records every request, so tests assert exactly what was sent. It can drop the
answer of a create after applying it (`lose_creates`), ignore requested slugs
(`honour_slug=False`) and answer chosen routes with errors (`fail`).
"""

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from conn_shared.backends.hub import HubBackend
from conn_shared.calls import Call, Flow
from conn_shared.executors import AsyncExecutor, SyncExecutor
from conn_shared.retry import RetryPolicy

T = TypeVar("T")
Mode = Literal["sync", "async"]
MODES = [pytest.param("sync", id="sync"), pytest.param("async", id="async")]

TOKEN = "hub-token-5f2c9a7e1d"
SECRET = "pg-password-8d1e6b4c"
BASE_URL = "https://hub.example.test"
ROOT = BASE_URL + "/api/v1"


def make_backend(**overrides: Any) -> HubBackend:
    """A backend for BASE_URL with the test token and retries without jitter."""
    fields: dict[str, Any] = {
        "base_url": BASE_URL,
        "token": SecretStr(TOKEN),
        "retry": RetryPolicy(jitter=0.0, backoff_initial=1.0),
    }
    fields.update(overrides)
    return HubBackend(**fields)


def connection(**fields: Any) -> dict[str, Any]:
    """A connection body in the document's shape; `fields` override the defaults."""
    body: dict[str, Any] = {
        "id": "c-1",
        "name": "orders",
        "slug": "orders",
        "provider": "postgres",
        "status": "needs_verification",
        "visibility": "private",
        "config": {},
        "hasCredentials": False,
        "isDefault": False,
        "isFromTemplate": False,
        "createdAt": "2026-01-02T03:04:05Z",
        "updatedAt": "2026-01-02T03:04:05Z",
        "verificationError": None,
        "verificationErrorCode": None,
    }
    body.update(fields)
    return body


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class FakeHub:
    """An in-memory hub: connections, write-only credentials, paging, verify, disable."""

    def __init__(self, *, page_size: int = 50, honour_slug: bool = True) -> None:
        self.connections: dict[str, dict[str, Any]] = {}
        self.credentials: dict[str, dict[str, str]] = {}
        self.requests: list[httpx.Request] = []
        self.page_size = page_size
        self.honour_slug = honour_slug
        self.lose_creates = 0
        self.fail: dict[tuple[str, str], list[httpx.Response | Exception]] = {}
        self._next_id = 0

    def add(self, credentials: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        """Store a connection directly (not through the API) and return it."""
        self._next_id += 1
        body = connection(id=f"c-{self._next_id}", **fields)
        self.connections[body["id"]] = body
        self.credentials[body["id"]] = dict(credentials or {})
        body["hasCredentials"] = bool(credentials)
        return body

    def sent(self, method: str | None = None) -> list[str]:
        """`METHOD path?query` of every request (optionally of one method)."""
        out = []
        for r in self.requests:
            if method is None or r.method == method:
                query = f"?{r.url.query.decode()}" if r.url.query else ""
                out.append(f"{r.method} {r.url.path}{query}")
        return out

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"detail": "Not authenticated"})
        path = request.url.path.removeprefix("/api/v1")
        queued = self.fail.get((request.method, path))
        if queued:
            answer = queued.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        body = json.loads(request.content) if request.content else None
        response = self._route(request.method, path, request.url.params, body)
        if request.method == "POST" and path == "/connections" and self.lose_creates:
            self.lose_creates -= 1
            raise httpx.ReadTimeout("answer lost after the create was applied", request=request)
        return response

    def _route(
        self, method: str, path: str, params: httpx.QueryParams, body: Any
    ) -> httpx.Response:
        parts = path.strip("/").split("/")
        if parts == ["connections"]:
            return self._list(params) if method == "GET" else self._create(body)
        if parts[:2] == ["connections", "slug"] and method == "GET":
            found = [c for c in self.connections.values() if c["slug"] == parts[2]]
            return httpx.Response(200, json=found[0]) if found else _missing()
        conn = self.connections.get(parts[1]) if len(parts) > 1 else None
        if conn is None:
            return _missing()
        action = parts[2] if len(parts) > 2 else None
        if action is None and method == "GET":
            return httpx.Response(200, json=conn)
        if action is None and method == "DELETE":
            del self.connections[conn["id"]]
            return httpx.Response(204)
        if action is None and method == "PATCH":
            return self._patch(conn, body)
        if action == "edit-settings":
            secrets = self.credentials[conn["id"]]
            fields = {name: {"configured": bool(value)} for name, value in secrets.items()}
            return httpx.Response(200, json={"config": conn["config"], "secretFields": fields})
        statuses = {"disable": "disabled", "reactivate": "needs_verification"}
        if action in statuses:
            conn["status"] = statuses[action]
        elif action == "verify":
            bad = "wrong" in self.credentials[conn["id"]].values()
            conn["status"] = "error" if bad else "verified"
            conn["verificationError"] = "password authentication failed" if bad else None
            conn["verificationErrorCode"] = "AUTH_FAILED" if bad else None
        else:
            return _missing()
        return httpx.Response(200, json=conn)

    def _list(self, params: httpx.QueryParams) -> httpx.Response:
        search = params.get("search", "").lower()
        limit = min(int(params.get("limit", 50)), self.page_size)
        offset = int(params.get("offset", 0))
        matches = [
            c
            for c in self.connections.values()
            if search in c["name"].lower() or search in c["slug"].lower()
        ]
        page = matches[offset : offset + limit]
        return httpx.Response(
            200,
            json={
                "connections": page,
                "hasNext": offset + limit < len(matches),
                "limit": limit,
                "offset": offset,
                "total": len(matches),
                "users": {},
            },
        )

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        slug = body.get("slug") if self.honour_slug and body.get("slug") else None
        conn = self.add(
            credentials=body.get("credentials"),
            name=body["name"],
            slug=slug or slugify(body["name"]),
            provider=body["provider"],
            visibility=body.get("visibility", "private"),
            config=body.get("config", {}),
        )
        return httpx.Response(201, json=conn)

    def _patch(self, conn: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        for key in ("name", "visibility", "config"):
            if key in body:
                conn[key] = body[key]
        if "credentials" in body:
            self.credentials[conn["id"]].update(body["credentials"])
            conn["hasCredentials"] = True
        conn["status"] = "needs_verification"
        return httpx.Response(200, json=conn)


def _missing() -> httpx.Response:
    return httpx.Response(404, json={"detail": "Connection not found"})


def run_flow(
    mode: Mode,
    backend: HubBackend,
    handler: Callable[[httpx.Request], httpx.Response],
    flow: Flow[T],
    sleeps: list[float] | None = None,
) -> T:
    """Drive `flow` through a SyncExecutor or an AsyncExecutor over MockTransport(handler)."""
    record = sleeps if sleeps is not None else []
    transport = httpx.MockTransport(handler)
    # Simulated time: each sleep is recorded and moves the wall clock that waits read,
    # so a wait reaches its deadline after its sleeps, never by real time passing. The
    # monotonic clock stays frozen, so retry waits come out exactly as the vendor asked.
    wall = [1_700_000_000.0]

    def clock() -> float:
        return wall[0]

    def frozen() -> float:
        return 1000.0

    def sync_sleep(seconds: float) -> None:
        record.append(seconds)
        wall[0] += seconds

    timing: dict[str, Any] = {"monotonic": frozen, "clock": clock}
    if mode == "sync":
        with SyncExecutor(backend.profile(), transport=transport, sleep=sync_sleep, **timing) as ex:
            return ex.run(flow)

    async def sleep(seconds: float) -> None:
        sync_sleep(seconds)

    async def drive() -> T:
        async with AsyncExecutor(
            backend.profile(), transport=transport, sleep=sleep, **timing
        ) as ex:
            return await ex.run(flow)

    return asyncio.run(drive())


def run_call(
    mode: Mode,
    backend: HubBackend,
    handler: Callable[[httpx.Request], httpx.Response],
    call: Call[T],
    sleeps: list[float] | None = None,
) -> T:
    """Send one call the way `run_flow` drives a flow."""

    def single() -> Flow[T]:
        result: T = yield call
        return result

    return run_flow(mode, backend, handler, single(), sleeps)
