"""Helpers for the integration tests: the shared client against a real `SimServer`.

`Driver` runs flows through a `SyncExecutor` or an `AsyncExecutor` (mode "sync" or
"async") with the same test code. Its executor answers `NOW` with the simulator's
clock: the simulator runs its clock fast, so vendor timestamps (`rescheduled_for`,
`succeeded_at`) are in simulated time and a wait's deadline must be too. Sleeps are
real (and recorded), so retries and Retry-After waits really happen.
"""

import asyncio
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from conn_shared import (
    AsyncExecutor,
    Backend,
    Call,
    FaradayConnectionSpec,
    FivetranConnectionSpec,
    Flow,
    HubConnectionSpec,
    RetryPolicy,
    SyncExecutor,
    WaitPolicy,
    backend_entry,
    backend_names,
)
from conn_shared.executors import ExecutorStats
from conn_shared.sim.server import SimServer
from tests.integration.audit import SpecAudit

__all__ = [
    "BACKENDS",
    "CREATE_ROUTE",
    "DETAILS_ROUTE",
    "FAST_RETRY",
    "MODES",
    "WAIT",
    "Driver",
    "connection_ids",
    "make_backend",
    "make_spec",
    "requests_total",
]

T = TypeVar("T")

BACKENDS = backend_names()
MODES = ("sync", "async")

#: Route templates as the simulator counts them (`SimServer.count`).
CREATE_ROUTE = {
    "fivetran": "/v1/connections",
    "faraday": "/v1/connections",
    "hub": "/api/v1/connections",
}
DETAILS_ROUTE = {
    "fivetran": "/v1/connections/{connectionId}",
    "faraday": "/v1/connections/{connection_id}",
    "hub": "/api/v1/connections/{connection_uuid}",
}

#: Retries that keep the suite quick: a few hundredths of a second between attempts.
FAST_RETRY = RetryPolicy(backoff_initial=0.01, backoff_max=0.05, deadline=30)
#: Poll often; the deadline is in simulated seconds (the executor's clock is the simulator's).
WAIT = WaitPolicy(poll_interval=0.02, max_poll_interval=0.2, backoff=1.5, timeout=7200)


def make_backend(
    name: str,
    server: SimServer,
    *,
    key: str | None = None,
    secret: str | None = None,
    retry: RetryPolicy = FAST_RETRY,
) -> Backend[Any]:
    """A client backend from the registry, pointed at `server`.

    Its credentials are the simulator's accepted ones named like the settings' fields
    (`api_key`, `api_secret`, `token`); `key` replaces the first, `secret` the second.
    """
    entry = backend_entry(name)
    accepted = server.credentials.as_dict()[name]
    fields = {k: v for k, v in accepted.items() if k in entry.settings_class.model_fields}
    names = list(fields)
    for value, field in ((key, names[0]), (secret, names[1] if len(names) > 1 else None)):
        if value is not None and field is not None:
            fields[field] = value
    return entry.build(base_url=server.base_url(name), retry=retry, **fields)


def _fivetran_spec(label: str, host: str, password: str, extra: dict[str, Any]) -> Any:
    return FivetranConnectionSpec(
        group_id="it_group",
        service="postgres",
        schema_name=label,
        config={
            "host": host,
            "port": 5432,
            "database": "shop",
            "user": "loader",
            "password": password,
            "update_method": "XMIN",
            **extra,
        },
        run_setup_tests=True,
    )


def _faraday_spec(label: str, host: str, password: str, extra: dict[str, Any]) -> Any:
    return FaradayConnectionSpec(
        name=label,
        options={
            "type": "postgres",
            "host": host,
            "port": 5432,
            "database": "shop",
            "schema": "public",
            "user": "loader",
            "password": password,
            **extra,
        },
    )


def _hub_spec(label: str, host: str, password: str, extra: dict[str, Any]) -> Any:
    return HubConnectionSpec(
        name=label,
        provider="postgres",
        visibility="private",
        config={"host": host, "port": 5432, "database": "shop", **extra},
        credentials={"username": SecretStr("loader"), "password": SecretStr(password)},
    )


#: A postgres connection spec per backend: (label, host, password, extra) -> spec.
SPEC_BUILDERS: dict[str, Callable[[str, str, str, dict[str, Any]], Any]] = {
    "fivetran": _fivetran_spec,
    "faraday": _faraday_spec,
    "hub": _hub_spec,
}


def make_spec(
    name: str,
    *,
    label: str = "it_postgres",
    host: str = "db.example.com",
    password: str = "pw-not-a-secret",
    extra: dict[str, Any] | None = None,
) -> Any:
    """A postgres connection spec for `name`; `label` is its identity (name / schema name).

    `host` and `password` steer the simulators' outcome switches (a value containing
    "fail" fails setup tests, the build or the verification); `extra` is merged into
    Fivetran's config, Faraday's options or the hub's config.
    """
    spec = SPEC_BUILDERS[backend_entry(name).name](label, host, password, extra or {})
    assert isinstance(spec, backend_entry(name).spec_class)
    return spec


def connection_ids(server: SimServer, name: str) -> list[str]:
    """Ids of the connections the simulator holds for backend `name` (its admin dump)."""
    dumped = server.state()["backends"][name]["connections"]
    if isinstance(dumped, dict):  # Fivetran keys its dump by id
        return sorted(dumped)
    return sorted(str(c["id"]) for c in dumped)


def requests_total(server: SimServer) -> int:
    """Vendor requests the simulator has counted since its last reset."""
    return sum(int(row["count"]) for row in server.request_counts())


class Driver:
    """One executor, sync or async, whose `run`/`call` look synchronous to the test."""

    def __init__(self, mode: str, backend: Backend[Any], server: SimServer) -> None:
        if mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
        self.mode = mode
        self.backend = backend
        #: Every sleep the executor asked for, in seconds (retries, Retry-After, polls).
        self.sleeps: list[float] = []
        #: Called before each sleep of the sync executor: a test's hook into a running wait.
        self.on_sleep: Callable[[float], None] | None = None
        #: Where the traffic departed from the vendor's definition (Fivetran, Faraday).
        self.audit = SpecAudit(backend.name)
        profile = backend.profile()
        options = profile.client_options()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sync: SyncExecutor | None = None
        self._async: AsyncExecutor | None = None
        # The executors leave clients they were given open: close() closes these.
        self._clients: list[httpx.Client] = []
        self._aclients: list[httpx.AsyncClient] = []
        if mode == "sync":
            client = httpx.Client(**options, event_hooks=self.audit.sync_hooks())
            self._clients.append(client)
            self._sync = SyncExecutor(
                profile, client=client, sleep=self._sleep, clock=server.clock.now
            )
        else:
            self._loop = asyncio.new_event_loop()
            aclient = httpx.AsyncClient(**options, event_hooks=self.audit.async_hooks())
            self._aclients.append(aclient)
            self._async = AsyncExecutor(
                profile, client=aclient, sleep=self._asleep, clock=server.clock.now
            )

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        time.sleep(seconds)

    async def _asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(seconds)

    @property
    def stats(self) -> ExecutorStats:
        """Calls and HTTP requests the executor made (retries included)."""
        executor = self._sync or self._async
        assert executor is not None
        return executor.stats

    def _wait(self, coroutine: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        return self._loop.run_until_complete(coroutine)

    def run(self, flow: Flow[T]) -> T:
        """Drive `flow` to its end with this driver's executor."""
        if self._sync is not None:
            return self._sync.run(flow)
        assert self._async is not None
        return self._wait(self._async.run(flow))

    def call(self, call: Call[T]) -> T:
        """Send one call (with retries)."""
        if self._sync is not None:
            return self._sync.call(call)
        assert self._async is not None
        return self._wait(self._async.call(call))

    def gather(self, calls: list[Call[T]], *, threads: int = 8) -> list[T]:
        """Send `calls` concurrently: threads sharing the sync executor, or asyncio.gather."""
        if self._sync is not None:
            sync = self._sync
            with ThreadPoolExecutor(threads) as pool:
                return list(pool.map(sync.call, calls))
        executor = self._async
        assert executor is not None

        async def all_of() -> list[T]:
            return list(await asyncio.gather(*(executor.call(c) for c in calls)))

        return self._wait(all_of())

    def run_all(self, flows: list[Flow[T]]) -> list[T]:
        """Run `flows` concurrently: threads sharing the sync executor, or asyncio.gather."""
        if self._sync is not None:
            sync = self._sync
            with ThreadPoolExecutor(len(flows)) as pool:
                return list(pool.map(sync.run, flows))
        executor = self._async
        assert executor is not None

        async def all_of() -> list[T]:
            return list(await asyncio.gather(*(executor.run(f) for f in flows)))

        return self._wait(all_of())

    def run_all_settled(self, flows: list[Flow[T]]) -> list[T | Exception]:
        """Like `run_all`, with each flow's exception in its place instead of raised."""

        def settled(flow: Flow[T]) -> Flow[T | Exception]:
            try:
                result: T = yield from flow
            except Exception as exc:  # handed back to the test as a value
                return exc
            return result

        return self.run_all([settled(flow) for flow in flows])

    def close(self) -> None:
        """Close the client's connections (and the event loop in async mode)."""
        for client in self._clients:
            client.close()
        if self._loop is not None:
            for aclient in self._aclients:
                self._loop.run_until_complete(aclient.aclose())
            self._loop.close()
