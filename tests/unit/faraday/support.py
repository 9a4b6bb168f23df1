"""Shared fixtures for the Faraday backend tests: a scripted transport and sample bodies.

`Script` answers each (method, path) from a queue of replies (a response, a status with
a JSON body, an exception, or a callable); the last reply repeats. It records every
request it saw, so tests assert the exact traffic, including what was *not* sent.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from conn_shared.backends.faraday import FaradayBackend

API_KEY = "fd-test-key-0123456789"
BASE = "https://api.faraday.test/v1"
CONN_ID = "5e0dfa56-2d52-4c06-a870-bc79c71e86a3"
OTHER_ID = "6f1eab67-3e63-4d17-b981-cd8ad82f97b4"
DATASET_ID = "8cd2dcf6-f2b3-4318-b8b3-eb19ab18d29d"
TARGET_ID = "9de3edf7-a3c4-4429-c9c4-fc2abc39e30e"
PASSWORD = "s3cr3t-Pa55word!"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def backend(**kwargs: Any) -> FaradayBackend:
    """A backend pointed at the fake base URL with the test key."""
    return FaradayBackend(api_key=API_KEY, base_url=BASE, **kwargs)


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """A response with a JSON body (or none)."""
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def error_body(code: str, note: str, *, error_id: str = "err-1", **extra: Any) -> dict[str, Any]:
    """A Faraday error body."""
    return {"error": code, "id": error_id, "note": note, **extra}


def connection_json(**overrides: Any) -> dict[str, Any]:
    """A connection as GET /connections/{id} returns it; valid against the spec."""
    body: dict[str, Any] = {
        "id": CONN_ID,
        "name": "Warehouse",
        "created_at": "2026-01-01T12:00:00Z",
        "updated_at": "2026-01-01T12:00:00Z",
        "directionality": "bidirectional",
        "resource_type": "connections",
        "status": "ready",
        "status_changed_at": "2026-01-01T12:00:00Z",
        "last_updated_output_at": "2026-01-01T12:00:00Z",
        "managed": False,
        "contents": [{"name": "orders", "row_count": 10}],
        "options": {
            "type": "postgres",
            "host": "db.example.com",
            "port": 5432,
            "database": "shop",
            "schema": "public",
            "user": "faraday",
            "password": PASSWORD,
        },
    }
    body.update(copy.deepcopy(overrides))
    return body


def dataset_json(**overrides: Any) -> dict[str, Any]:
    """A dataset as GET /connections/{id}/datasets lists it; valid against the spec."""
    body: dict[str, Any] = {
        "id": DATASET_ID,
        "name": "Orders",
        "connection_id": CONN_ID,
        "created_at": "2026-01-01T12:00:00Z",
        "updated_at": "2026-01-01T12:00:00Z",
        "resource_type": "datasets",
        "status": "ready",
        "identity_sets": {},
        "options": {"type": "postgres", "table_name": "orders"},
    }
    body.update(overrides)
    return body


def target_json(**overrides: Any) -> dict[str, Any]:
    """A target as GET /connections/{id}/targets lists it; valid against the spec."""
    body: dict[str, Any] = {
        "id": TARGET_ID,
        "name": "Scores export",
        "connection_id": CONN_ID,
        "scope_id": "0a1b2c3d-0000-4000-8000-000000000000",
        "created_at": "2026-01-01T12:00:00Z",
        "updated_at": "2026-01-01T12:00:00Z",
        "resource_type": "targets",
        "status": "ready",
        "representation": {"mode": "hashed"},
        "options": {"type": "postgres", "table_name": "scores"},
    }
    body.update(overrides)
    return body


@dataclass
class Script:
    """A scripted Faraday: queues of replies per (method, path), every request recorded."""

    routes: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, path: str, *replies: Reply) -> Script:
        """Answer `method path` (relative to the base URL) with `replies` in turn."""
        self.routes[(method, "/v1" + path)] = list(replies)
        return self

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return reply(404, error_body("NOT_FOUND", f"no route {request.url.path}"))
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            answer = answer(request)
        # A fresh copy each time: a response object is bound to the client that read it.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.read())

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def sent(self) -> list[tuple[str, str]]:
        """(method, path relative to the base URL) of every request, in order."""
        return [(r.method, r.url.path.removeprefix("/v1")) for r in self.requests]

    def bodies(self, method: str, path: str) -> list[Any]:
        """The JSON bodies sent to `method path`."""
        return [
            json.loads(r.content) if r.content else None
            for r in self.requests
            if r.method == method and r.url.path == "/v1" + path
        ]


@dataclass
class Sleeps:
    """A fake clock: sleeping records the wait and moves `monotonic` forward, instantly."""

    waits: list[float] = field(default_factory=list)
    now: float = 1000.0

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self(seconds)

    def monotonic(self) -> float:
        return self.now
