"""Run `Call`s and flows over httpx: a sync and an async executor.

Both drive the one attempt loop in `conn_shared.http` and differ only in how they
send and sleep, so the client is never written twice:

    with SyncExecutor(backend.profile()) as executor:
        connection = executor.call(backend.connection_details("abc"))
        result = executor.run(ensure_connection(backend, spec))

    async with AsyncExecutor(backend.profile()) as executor:
        connection = await executor.call(backend.connection_details("abc"))

Executors are cheap: they borrow a pooled httpx client from a process-wide
cache keyed by the profile's pool key (backend, base URL, credentials,
transport settings). The sync cache is per process (forked workers get their
own); the async cache is per event loop, because an `httpx.AsyncClient` is
bound to the loop it first ran on. So every wait in an Airflow triggerer or an
async Dagster op on one account shares one client, one connection pool, one
cap on in-flight requests and one rate-limit throttle: a client per wait cost
854 MB and stalled the loop for 25 s at 1,000 waits. Passing `client=` or
`transport=` gives the executor a private client instead (tests, proxies).

Reads that carry a `Coalesce` (the polls of waits) are answered through the
pool's `Coalescer` (`conn_shared.coalesce`): concurrent waits on one account
share one listing per round instead of one GET each.

Flows receive call errors at their `yield`, so they can recover.
"""

import asyncio
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

import httpx

from conn_shared.calls import Call, Flow, Now, Sleep
from conn_shared.coalesce import AwaitRound, Coalescer, LetJoin, RoundStep, read_flow
from conn_shared.errors import ConnError
from conn_shared.http import ApiProfile, Send, Throttle, attempts

__all__ = ["AsyncExecutor", "ExecutorStats", "SyncExecutor", "aclose_shared_clients"]

logger = logging.getLogger("conn_shared.http")

T = TypeVar("T")


@dataclass
class ExecutorStats:
    """Counters for reports: calls made, and HTTP requests sent for them (retries included)."""

    calls: int = 0
    requests: int = 0

    @property
    def retries(self) -> int:
        """Requests sent beyond the first attempt of each call."""
        return self.requests - self.calls


def _log_response(profile: ApiProfile, call: Call[Any], status: int, started: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s %s -> %d in %.0f ms",
            profile.backend,
            call.method,
            call.path,
            status,
            (time.monotonic() - started) * 1000,
        )


#: Flows an event loop resumes per turn, at most, after they started, slept or were
#: answered by a shared listing together: a thousand waits woken at once would otherwise
#: all run their next step (and the full results of those that finished) in one turn,
#: and stall the loop for as long.
_WAKE_BATCH = 50


class _Pacer:
    """Resumes waiting futures `_WAKE_BATCH` per turn of one event loop, in order."""

    def __init__(self) -> None:
        self._queue: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def turn(self) -> None:
        """Wait for this flow's turn: the next `_WAKE_BATCH` in line go each loop turn."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.release(waiter)
        await waiter

    def release(self, waiter: asyncio.Future[None]) -> None:
        """Resume `waiter` in a coming turn (called on the waiter's loop)."""
        self._queue.append(waiter)
        if self._loop is None:
            self._loop = waiter.get_loop()
            self._loop.call_soon(self._turn)

    def _turn(self) -> None:
        for _ in range(min(_WAKE_BATCH, len(self._queue))):
            waiter = self._queue.popleft()
            if not waiter.done():
                waiter.set_result(None)
        if self._queue and self._loop is not None:
            self._loop.call_soon(self._turn)
        else:
            self._loop = None


@dataclass
class _SyncPool:
    client: httpx.Client
    throttle: Throttle = field(default_factory=Throttle)
    coalescer: Coalescer = field(default_factory=Coalescer)


@dataclass
class _AsyncPool:
    client: httpx.AsyncClient
    # At most the pool size in flight: httpcore re-matches every queued request
    # against every connection on each pass, so a deep queue stalls the loop.
    slots: asyncio.Semaphore
    throttle: Throttle = field(default_factory=Throttle)
    coalescer: Coalescer = field(default_factory=Coalescer)
    pacer: _Pacer = field(default_factory=_Pacer)


_sync_pools: dict[tuple[int, tuple[Any, ...]], _SyncPool] = {}
_sync_lock = threading.Lock()
_LoopPools = dict[tuple[Any, ...], _AsyncPool]
# Keyed weakly by loop: a loop that ends takes its clients with it.
_async_pools: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopPools]" = (
    weakref.WeakKeyDictionary()
)


def _sync_pool(profile: ApiProfile) -> _SyncPool:
    key = (os.getpid(), profile.pool_key())
    with _sync_lock:
        pool = _sync_pools.get(key)
        if pool is None or pool.client.is_closed:
            pool = _sync_pools[key] = _SyncPool(httpx.Client(**profile.client_options()))
        return pool


def _async_pool(profile: ApiProfile) -> _AsyncPool:
    # Called on the loop thread only, so no lock: nothing awaits in between.
    loop = asyncio.get_running_loop()
    pools = _async_pools.setdefault(loop, {})
    key = profile.pool_key()
    pool = pools.get(key)
    if pool is None or pool.client.is_closed:
        client = httpx.AsyncClient(**profile.client_options())
        pool = pools[key] = _AsyncPool(client, asyncio.Semaphore(profile.max_connections))
    return pool


async def aclose_shared_clients() -> None:
    """Close the pooled async clients of the running event loop (e.g. at shutdown)."""
    pools = _async_pools.pop(asyncio.get_running_loop(), {})
    for pool in pools.values():
        await pool.client.aclose()


class _ExecutorBase:
    def __init__(
        self,
        profile: ApiProfile,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.profile = profile
        self.stats = ExecutorStats()
        self._throttle = Throttle()
        # Private unless the executor shares its pool's (and with it a real clock).
        self._coalescer = Coalescer()
        self._monotonic = monotonic
        self._clock = clock
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        profile = self.profile
        return f"{type(self).__name__}(backend={profile.backend!r}, base_url={profile.base_url!r})"

    def _request(self, client: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        self.stats.requests += 1
        return client.build_request(
            call.method, call.path, params=call.query(), json=call.json, headers=call.headers
        )

    def _start(self, call: Call[T]) -> Generator[Send | Sleep, Any, T]:
        return attempts(self.profile, call, self._throttle, self._monotonic, self._rng)


class SyncExecutor(_ExecutorBase):
    """Runs calls and flows with a pooled `httpx.Client`; use it as a context manager.

    Without `client` or `transport` it borrows the process's shared client for
    the profile (see the module docstring) and closing it leaves that client open.
    """

    def __init__(
        self,
        profile: ApiProfile,
        *,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(profile, monotonic=monotonic, clock=clock, rng=rng)
        self._owns_client = client is None and transport is not None
        if client is not None:
            self._client = client
        elif transport is not None:
            self._client = httpx.Client(transport=transport, **profile.client_options())
        else:
            pool = _sync_pool(profile)
            self._client = pool.client
            if monotonic is time.monotonic:  # a fake clock must not write the pool's state
                self._throttle, self._coalescer = pool.throttle, pool.coalescer
        self._sleep = sleep

    def call(self, call: Call[T]) -> T:
        """Send one call (with retries) and return its parsed result."""
        self.stats.calls += 1
        return self._drive(self._start(call))

    def run(self, flow: Flow[T]) -> T:
        """Drive a flow to its end: send its calls, sleep its sleeps, answer NOW."""
        return self._drive(flow)

    def _drive(self, steps: Generator[Any, Any, T]) -> T:
        # One loop for the attempt loop's Send/Sleep, a flow's Call/Sleep/NOW and a
        # coalesced read's RoundSteps; a failed nested Call is thrown back in at its
        # yield. Closing the generator on the way out runs its clean-up at once
        # (a round whose leader was interrupted hands its members back).
        reply: Any = None
        failure: ConnError | None = None
        try:
            while True:
                try:
                    step = steps.throw(failure) if failure else steps.send(reply)
                except StopIteration as done:
                    result: T = done.value
                    return result
                reply, failure = None, None
                if isinstance(step, Sleep):
                    self._sleep(step.seconds)
                elif isinstance(step, Now):
                    reply = self._clock()
                elif isinstance(step, Send):
                    reply = self._send(step.call)
                elif isinstance(step, RoundStep):
                    reply = self._round_step(step)
                else:
                    try:
                        if step.coalesce is None:
                            reply = self.call(step)
                        else:
                            reply = self._drive(read_flow(self._coalescer, step))
                    except ConnError as exc:
                        failure = exc
        finally:
            steps.close()

    def _round_step(self, step: RoundStep) -> float | None:
        if isinstance(step, AwaitRound):
            done = threading.Event()
            if self._coalescer.on_done(step.round, done.set):
                done.wait()
        elif not isinstance(step, LetJoin):  # threads join a round while its listing runs
            return self._monotonic()
        return None

    def _send(self, call: Call[Any]) -> httpx.Response | httpx.HTTPError:
        started = time.monotonic()
        try:
            response = self._client.send(self._request(self._client, call))
        except httpx.HTTPError as exc:
            return exc
        _log_response(self.profile, call, response.status_code, started)
        return response

    def close(self) -> None:
        """Close the client if this executor made a private one; a shared one stays open."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> "SyncExecutor":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncExecutor(_ExecutorBase):
    """Runs calls and flows with a pooled `httpx.AsyncClient`; use it as an async context manager.

    Nothing here blocks the event loop, so it is safe inside an Airflow triggerer.
    Without `client` or `transport` it borrows the running loop's shared client
    for the profile on first use (it may be built outside the loop), and
    closing it leaves that client open; `aclose_shared_clients()` closes them.
    """

    def __init__(
        self,
        profile: ApiProfile,
        *,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(profile, monotonic=monotonic, clock=clock, rng=rng)
        self._owns_client = client is None and transport is not None
        self._client: httpx.AsyncClient | None = client
        self._slots: asyncio.Semaphore | None = None
        self._pacer = _Pacer()
        if transport is not None and client is None:
            self._client = httpx.AsyncClient(transport=transport, **profile.client_options())
        self._sleep = sleep

    def _bound(self) -> httpx.AsyncClient:
        if self._client is None:
            pool = _async_pool(self.profile)
            self._client, self._slots = pool.client, pool.slots
            if self._monotonic is time.monotonic:  # a fake clock must not write the pool's state
                self._throttle, self._coalescer = pool.throttle, pool.coalescer
            self._pacer = pool.pacer
        return self._client

    async def call(self, call: Call[T]) -> T:
        """Send one call (with retries) and return its parsed result."""
        self.stats.calls += 1
        self._bound()  # the shared throttle must be in place before the attempt loop reads it
        return await self._drive(self._start(call))

    async def run(self, flow: Flow[T]) -> T:
        """Drive a flow to its end: send its calls, sleep its sleeps, answer NOW.

        Flows that start or wake together resume a batch per turn of the loop, so
        a thousand of them never run one long turn (see `_Pacer`).
        """
        self._bound()
        await self._pacer.turn()
        return await self._drive(flow)

    async def _drive(self, steps: Generator[Any, Any, T]) -> T:
        # The twin of SyncExecutor._drive: the same loop with awaits.
        reply: Any = None
        failure: ConnError | None = None
        try:
            while True:
                try:
                    step = steps.throw(failure) if failure else steps.send(reply)
                except StopIteration as done:
                    result: T = done.value
                    return result
                reply, failure = None, None
                if isinstance(step, Sleep):
                    await self._sleep(step.seconds)
                    await self._pacer.turn()
                elif isinstance(step, Now):
                    reply = self._clock()
                elif isinstance(step, Send):
                    reply = await self._send(step.call)
                elif isinstance(step, RoundStep):
                    reply = await self._round_step(step)
                else:
                    try:
                        if step.coalesce is None:
                            reply = await self.call(step)
                        else:
                            self._bound()  # the pool's coalescer, once the loop is known
                            reply = await self._drive(read_flow(self._coalescer, step))
                    except ConnError as exc:
                        failure = exc
        finally:
            steps.close()

    async def _round_step(self, step: RoundStep) -> float | None:
        if isinstance(step, AwaitRound):
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if self._coalescer.on_done(step.round, lambda: self._pacer.release(done)):
                await done
        elif isinstance(step, LetJoin):
            await asyncio.sleep(0)  # one turn of the loop: polls woken together join
        else:
            return self._monotonic()
        return None

    async def _send(self, call: Call[Any]) -> httpx.Response | httpx.HTTPError:
        client = self._bound()
        started = time.monotonic()
        try:
            if self._slots is None:
                response = await client.send(self._request(client, call))
            else:
                async with self._slots:
                    response = await client.send(self._request(client, call))
        except httpx.HTTPError as exc:
            return exc
        _log_response(self.profile, call, response.status_code, started)
        return response

    async def aclose(self) -> None:
        """Close the client if this executor made a private one; a shared one stays open."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> "AsyncExecutor":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
