"""A scripted Fivetran for the unit tests: an httpx.MockTransport handler with state.

It answers the connection endpoints the lifecycle uses, records every request,
and can be told to fail a given request (an error status, or a dropped answer
after the work was done), so flows run end to end through real executors.
"""

import asyncio
import copy
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from conn_shared.backends.fivetran import FivetranBackend, FivetranSettings
from conn_shared.calls import Call, Flow
from conn_shared.executors import AsyncExecutor, SyncExecutor
from conn_shared.redaction import is_secret_key
from conn_shared.retry import RetryPolicy

API_KEY = "key-AKIA5EXAMPLE"
API_SECRET = "secret-Zq9xVv7LpW3"
BASIC = "Basic a2V5LUFLSUE1RVhBTVBMRTpzZWNyZXQtWnE5eFZ2N0xwVzM="
T0 = "2024-12-01T10:00:00.000000Z"
T1 = "2024-12-01T11:00:00.000000Z"
T2 = "2024-12-01T12:00:00.000000Z"


def backend(**retry: Any) -> FivetranBackend:
    """A backend with the test credentials and a retry policy without jitter."""
    policy = RetryPolicy(jitter=0.0, backoff_initial=1.0, **retry)
    return FivetranBackend(
        FivetranSettings(
            api_key=API_KEY,
            api_secret=API_SECRET,
            base_url="https://api.fivetran.test",
            retry=policy,
        )
    )


def connection(**overrides: Any) -> dict[str, Any]:
    """A connection as a real response carries it (integer sync_frequency, null timestamps)."""
    status = {
        "setup_state": "connected",
        "sync_state": "scheduled",
        "update_state": "on_schedule",
        "is_historical_sync": False,
        "tasks": [],
        "warnings": [],
    }
    status.update(overrides.pop("status", {}))
    body = {
        "id": "conn_1",
        "group_id": "group_1",
        "service": "postgres",
        "schema": "pg",
        "paused": False,
        "pause_after_trial": False,
        "connected_by": "user_1",
        "created_at": T0,
        "succeeded_at": None,
        "failed_at": None,
        "sync_frequency": 360,
        "schedule_type": "auto",
        "service_version": 1,
        "status": status,
        "setup_tests": [],
        "config": {"schema_prefix": "pg", "host": "db.internal", "port": 5432},
    }
    body.update(overrides)
    return body


def envelope(data: Any = None, *, message: str = "ok") -> dict[str, Any]:
    """The `{code, message, data}` success envelope."""
    body: dict[str, Any] = {"code": "Success", "message": message}
    if data is not None:
        body["data"] = data
    return body


def error(status: int, code: str, message: str, **extra: Any) -> httpx.Response:
    """A Fivetran error answer."""
    return httpx.Response(status, json={"code": code, "message": message, **extra})


Fault = httpx.Response | Exception


@dataclass
class FakeFivetran:
    """Connections in memory; `faults[(method, path)]` lists answers to give first.

    A fault that is an exception listed under `lost` is raised *after* the
    request took effect, as when an answer is lost on the way back.
    """

    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: dict[tuple[str, str], list[Fault]] = field(default_factory=dict)
    lost: dict[tuple[str, str], list[Exception]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    page_size: int = 100
    #: Config keys masked in answers besides credential-named ones, as Fivetran's schemas do.
    secret_fields: frozenset[str] = frozenset({"connection_string"})
    ids: Any = field(default_factory=lambda: (f"conn_{n}" for n in itertools.count(100)))

    def add(self, **overrides: Any) -> dict[str, Any]:
        """Store a connection built by `connection(**overrides)`."""
        body = connection(**overrides)
        self.connections[body["id"]] = body
        return body

    def sent(self) -> list[tuple[str, str]]:
        """(method, path) of every request received."""
        return [(r.method, r.url.path) for r in self.requests]

    def bodies(self, method: str, path: str) -> list[Any]:
        """The JSON bodies sent to `method path`."""
        return [
            json.loads(r.content) if r.content else None
            for r in self.requests
            if (r.method, r.url.path) == (method, path)
        ]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        queued = self.faults.get(key)
        if queued:
            fault = queued.pop(0)
            if isinstance(fault, Exception):
                raise fault
            return fault
        response = self._answer(request)
        dropped = self.lost.get(key)
        if dropped:
            raise dropped.pop(0)
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")[2:]  # after v1/connections
        body = json.loads(request.content) if request.content else None
        if not parts:
            if request.method == "POST":
                return self._create(body or {})
            return self._list(request)
        conn = self.connections.get(parts[0])
        if conn is None:
            return error(404, "NotFound_Connection", f"Connection with id '{parts[0]}' not found")
        action = parts[1] if len(parts) > 1 else None
        if request.method == "GET" and action is None:
            return httpx.Response(200, json=envelope(copy.deepcopy(conn)))
        if request.method == "DELETE":
            del self.connections[parts[0]]
            return httpx.Response(200, json=envelope(message="deleted"))
        if request.method == "PATCH":
            for name, value in (body or {}).items():
                if name == "config":
                    conn["config"].update(value)
                elif name not in ("run_setup_tests", "trust_certificates", "trust_fingerprints"):
                    conn[name] = value
            return httpx.Response(200, json=envelope(copy.deepcopy(conn)))
        if action == "test":
            return httpx.Response(200, json=envelope(copy.deepcopy(conn)))
        if action in ("sync", "resync"):
            conn["status"]["sync_state"] = "syncing"
            if action == "resync":
                conn["status"]["is_historical_sync"] = True
            return httpx.Response(200, json=envelope(message="triggered"))
        return error(405, "MethodNotAllowed", "not scripted")

    def _list(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        items = [
            c
            for c in self.connections.values()
            if ("group_id" not in params or c["group_id"] == params["group_id"])
            and ("schema" not in params or c["schema"] == params["schema"])
        ]
        start = int(params.get("cursor", "0"))
        page = items[start : start + self.page_size]
        more = start + self.page_size < len(items)
        data: dict[str, Any] = {"items": copy.deepcopy(page)}
        if more:
            data["next_cursor"] = str(start + self.page_size)
        return httpx.Response(200, json=envelope(data))

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        config = dict(body.get("config") or {})
        name = config.get("schema_prefix") or config.get("schema")
        if config.get("table"):
            name = f"{name}.{config['table']}"
        clash = any(
            c["group_id"] == body["group_id"] and c["schema"] == name
            for c in self.connections.values()
        )
        if clash:
            return error(409, "Conflict_Connection", f"Connection '{name}' already exists")
        masked = _mask(config, self.secret_fields)
        created = self.add(
            id=next(self.ids),
            group_id=body["group_id"],
            service=body["service"],
            schema=name,
            config=masked,
            paused=body.get("paused", False),
            sync_frequency=body.get("sync_frequency", 360),
            status={"setup_state": "incomplete"},
        )
        return httpx.Response(201, json=envelope(copy.deepcopy(created)))


def _mask(value: Any, extra: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: "******" if is_secret_key(k) or k in extra else _mask(v, extra)
            for k, v in value.items()
        }
    return value


class Sleeps(list[float]):
    """Records sleeps instead of sleeping (sync)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class AsyncSleeps(list[float]):
    """Records sleeps instead of sleeping (async)."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _now() -> float:
    return 1_733_050_000.0


Runner = Callable[[FivetranBackend, Callable[[httpx.Request], httpx.Response], Any], Any]


def run_sync(
    api: FivetranBackend, handler: Callable[[httpx.Request], httpx.Response], work: Any
) -> tuple[Any, list[float]]:
    """Run a Call or a flow with SyncExecutor over `handler`; returns (result, sleeps)."""
    sleeps = Sleeps()
    with SyncExecutor(
        api.profile(),
        transport=httpx.MockTransport(handler),
        sleep=sleeps,
        monotonic=lambda: 0.0,
        clock=_now,
    ) as executor:
        result = executor.call(work) if isinstance(work, Call) else executor.run(work)
    return result, sleeps


def run_async(
    api: FivetranBackend, handler: Callable[[httpx.Request], httpx.Response], work: Any
) -> tuple[Any, list[float]]:
    """The same through AsyncExecutor, driven to completion in a fresh event loop."""

    async def go() -> tuple[Any, list[float]]:
        sleeps = AsyncSleeps()
        async with AsyncExecutor(
            api.profile(),
            transport=httpx.MockTransport(handler),
            sleep=sleeps,
            monotonic=lambda: 0.0,
            clock=_now,
        ) as executor:
            if isinstance(work, Call):
                return await executor.call(work), sleeps
            flow: Flow[Any] = work
            return await executor.run(flow), sleeps

    return asyncio.run(go())
