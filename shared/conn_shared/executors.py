"""Run `Call`s and flows over httpx: a sync and an async executor.

Both drive the one attempt loop in `conn_shared.http` and differ only in how they
send and sleep, so the client is never written twice:

    with SyncExecutor(backend.profile()) as executor:
        connection = executor.call(backend.connection_details("abc"))
        result = executor.run(ensure_connection(backend, spec))

    async with AsyncExecutor(backend.profile()) as executor:
        connection = await executor.call(backend.connection_details("abc"))

Each executor owns a pooled httpx client with the profile's timeouts. Flows
receive call errors at their `yield`, so they can recover.
"""

import asyncio
import logging
import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import httpx

from conn_shared.calls import Call, Flow, Now, Sleep
from conn_shared.errors import ConnError
from conn_shared.http import ApiProfile, Send, Throttle, attempts

__all__ = ["AsyncExecutor", "ExecutorStats", "SyncExecutor"]

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
    """Runs calls and flows with a pooled `httpx.Client`; use it as a context manager."""

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
        self._client = client or httpx.Client(transport=transport, **profile.client_options())
        self._owns_client = client is None
        self._sleep = sleep

    def call(self, call: Call[T]) -> T:
        """Send one call (with retries) and return its parsed result."""
        self.stats.calls += 1
        return self._drive(self._start(call))

    def run(self, flow: Flow[T]) -> T:
        """Drive a flow to its end: send its calls, sleep its sleeps, answer NOW."""
        return self._drive(flow)

    def _drive(self, steps: Generator[Any, Any, T]) -> T:
        # One loop for the attempt loop's Send/Sleep and a flow's Call/Sleep/NOW;
        # a failed nested Call is thrown back in at its yield.
        reply: Any = None
        failure: ConnError | None = None
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
            else:
                try:
                    reply = self.call(step)
                except ConnError as exc:
                    failure = exc

    def _send(self, call: Call[Any]) -> httpx.Response | httpx.HTTPError:
        started = time.monotonic()
        try:
            response = self._client.send(self._request(self._client, call))
        except httpx.HTTPError as exc:
            return exc
        _log_response(self.profile, call, response.status_code, started)
        return response

    def close(self) -> None:
        """Close the pooled connections (only when this executor created the client)."""
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
        self._client = client or httpx.AsyncClient(transport=transport, **profile.client_options())
        self._owns_client = client is None
        self._sleep = sleep

    async def call(self, call: Call[T]) -> T:
        """Send one call (with retries) and return its parsed result."""
        self.stats.calls += 1
        return await self._drive(self._start(call))

    async def run(self, flow: Flow[T]) -> T:
        """Drive a flow to its end: send its calls, sleep its sleeps, answer NOW."""
        return await self._drive(flow)

    async def _drive(self, steps: Generator[Any, Any, T]) -> T:
        # The twin of SyncExecutor._drive: the same loop with awaits.
        reply: Any = None
        failure: ConnError | None = None
        while True:
            try:
                step = steps.throw(failure) if failure else steps.send(reply)
            except StopIteration as done:
                result: T = done.value
                return result
            reply, failure = None, None
            if isinstance(step, Sleep):
                await self._sleep(step.seconds)
            elif isinstance(step, Now):
                reply = self._clock()
            elif isinstance(step, Send):
                reply = await self._send(step.call)
            else:
                try:
                    reply = await self.call(step)
                except ConnError as exc:
                    failure = exc

    async def _send(self, call: Call[Any]) -> httpx.Response | httpx.HTTPError:
        started = time.monotonic()
        try:
            response = await self._client.send(self._request(self._client, call))
        except httpx.HTTPError as exc:
            return exc
        _log_response(self.profile, call, response.status_code, started)
        return response

    async def aclose(self) -> None:
        """Close the pooled connections (only when this executor created the client)."""
        if self._owns_client:
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
