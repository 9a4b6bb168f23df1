"""Lifecycle verbs over a scripted in-memory backend: capability checks and waits."""

import asyncio
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, ClassVar

import httpx
import pytest

from conn_shared import (
    ConnectionInfo,
    EnsureResult,
    Readiness,
    ReadinessState,
    Step,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    SyncReport,
    SyncState,
    TableRef,
)
from conn_shared.calls import Call, Flow
from conn_shared.errors import (
    ApiError,
    ConnectionFailedError,
    SyncFailedError,
    UnsupportedStepError,
    WaitTimeoutError,
)
from conn_shared.executors import AsyncExecutor, SyncExecutor
from conn_shared.http import ApiProfile, build_api_error
from conn_shared.lifecycle import (
    delete_connection,
    pause_connection,
    trigger_resync,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.waiting import WaitPolicy

FAST = WaitPolicy(poll_interval=1, max_poll_interval=4, backoff=2, timeout=60)


def _map(response: httpx.Response) -> ApiError:
    return build_api_error(response, backend="toy", message="failed")


class ToyBackend:
    """Reads `GET /state` answers from a script; supports only readiness and sync."""

    name: ClassVar[str] = "toy"
    capabilities: ClassVar[frozenset[Step]] = frozenset(
        {Step.READINESS, Step.SYNC, Step.SYNC_OUTCOME}
    )

    def profile(self) -> ApiProfile:
        return ApiProfile(backend="toy", base_url="https://toy.test", map_error=_map)

    def _state(self) -> Call[dict[str, Any]]:
        return Call(operation="toy.state", method="GET", path="/state", parse=lambda r: r.json())

    def readiness_flow(self, connection_id: str) -> Flow[Readiness]:
        body = yield self._state()
        return Readiness(
            backend="toy",
            connection_id=connection_id,
            state=ReadinessState(body["readiness"]),
            reason=body.get("reason"),
        )

    def prepare_sync_flow(
        self, connection_id: str, *, kind: SyncKind, tables: Any
    ) -> Flow[SyncHandle]:
        yield from ()
        return SyncHandle(
            backend="toy",
            connection_id=connection_id,
            kind=kind,
            requested_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        )

    def request_sync_flow(self, handle: SyncHandle, *, force: bool) -> Flow[None]:
        yield Call(operation="toy.sync", method="POST", path="/sync", parse=lambda r: None)

    def sync_outcome_flow(self, handle: SyncHandle) -> Flow[SyncOutcome]:
        body = yield self._state()
        until = body.get("until")
        return SyncOutcome(
            backend="toy",
            connection_id=handle.connection_id,
            state=SyncState(body["sync"]),
            reason=body.get("reason"),
            rescheduled_until=datetime.fromtimestamp(until, tz=timezone.utc) if until else None,
        )

    # Declared by the protocol; the capabilities above keep them unreachable.
    def ensure_flow(self, spec: Any, *, update: bool) -> Flow[EnsureResult]:
        raise AssertionError("unreachable")

    verify_flow = pause_flow = resume_flow = ensure_flow  # type: ignore[assignment]

    def delete_flow(self, connection_id: str, *, missing_ok: bool) -> Flow[bool]:
        raise AssertionError("unreachable")


class StateServer:
    def __init__(self, *states: dict[str, Any]) -> None:
        self.states: Iterator[dict[str, Any]] = iter(states)
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if request.url.path == "/sync":
            return httpx.Response(200, json={})
        return httpx.Response(200, json=next(self.states))


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def _sync_executor(server: StateServer, time: FakeTime) -> SyncExecutor:
    return SyncExecutor(
        ToyBackend().profile(),
        transport=httpx.MockTransport(server),
        sleep=time.sleep,
        clock=time.clock,
    )


@pytest.mark.parametrize(
    "verb",
    [
        pytest.param(lambda b: verify_connection(b, "c1"), id="verify"),
        pytest.param(lambda b: pause_connection(b, "c1"), id="pause"),
        pytest.param(lambda b: delete_connection(b, "c1"), id="delete"),
        pytest.param(lambda b: trigger_resync(b, "c1"), id="resync"),
        pytest.param(
            lambda b: trigger_resync(b, "c1", tables=[TableRef(schema="s", table="t")]),
            id="resync-tables",
        ),
    ],
)
def test_unsupported_step_raises_before_any_flow_exists(verb: Any) -> None:
    with pytest.raises(UnsupportedStepError) as caught:
        verb(ToyBackend())
    assert caught.value.backend == "toy"
    assert "readiness" in caught.value.supported
    assert "toy backend does not support step" in str(caught.value)


def test_wait_until_ready_polls_then_returns() -> None:
    server = StateServer({"readiness": "pending"}, {"readiness": "pending"}, {"readiness": "ready"})
    time = FakeTime()
    with _sync_executor(server, time) as ex:
        readiness = ex.run(wait_until_ready(ToyBackend(), "c1", policy=FAST))
    assert readiness.state is ReadinessState.READY
    assert time.slept == [1, 2]
    assert server.requests == ["GET /state"] * 3


def test_wait_until_ready_raises_the_failure_reason() -> None:
    server = StateServer({"readiness": "failed", "reason": "Validate Login: bad password"})
    with (
        _sync_executor(server, FakeTime()) as ex,
        pytest.raises(ConnectionFailedError, match="Validate Login") as caught,
    ):
        ex.run(wait_until_ready(ToyBackend(), "c1", policy=FAST))
    assert caught.value.connection_id == "c1"


def test_wait_until_ready_times_out_at_the_deadline_with_the_last_reason() -> None:
    server = StateServer(*[{"readiness": "pending", "reason": "needs_verification"}] * 100)
    time = FakeTime()
    with (
        _sync_executor(server, time) as ex,
        pytest.raises(WaitTimeoutError, match="last state pending: needs_verification") as caught,
    ):
        ex.run(wait_until_ready(ToyBackend(), "c1", policy=FAST))
    assert time.now == 1_060.0
    assert caught.value.connection_id == "c1"


def test_wait_for_sync_follows_a_reschedule_then_fails_loudly() -> None:
    server = StateServer(
        {"sync": "rescheduled", "until": 1_003.0},
        {"sync": "running"},
        {"sync": "failed", "reason": "source quota"},
    )
    time = FakeTime()
    with _sync_executor(server, time) as ex:
        handle = ex.run(trigger_sync(ToyBackend(), "c1"))
        with pytest.raises(SyncFailedError, match="source quota") as caught:
            ex.run(wait_for_sync(ToyBackend(), handle, policy=FAST))
    assert time.slept == [3.0, 1]
    assert caught.value.connection_id == handle.connection_id


def test_wait_for_sync_runs_on_the_async_executor() -> None:
    server = StateServer({"sync": "running"}, {"sync": "succeeded"})
    time = FakeTime()

    async def main() -> SyncOutcome:
        async with AsyncExecutor(
            ToyBackend().profile(),
            transport=httpx.MockTransport(server),
            sleep=time.asleep,
            clock=time.clock,
        ) as ex:
            handle = await ex.run(trigger_sync(ToyBackend(), "c1"))
            return await ex.run(wait_for_sync(ToyBackend(), handle, policy=FAST))

    outcome = asyncio.run(main())
    assert outcome.state is SyncState.SUCCEEDED
    assert server.requests == ["POST /sync", "GET /state", "GET /state"]


def test_a_handle_from_another_backend_is_refused() -> None:
    handle = SyncHandle(
        backend="fivetran",
        connection_id="c1",
        kind=SyncKind.SYNC,
        requested_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    with pytest.raises(ValueError, match="handle: belongs to backend 'fivetran'"):
        wait_for_sync(ToyBackend(), handle)


def test_normalized_results_round_trip_through_json() -> None:
    handle = SyncHandle(
        backend="toy",
        connection_id="c1",
        kind=SyncKind.RESYNC,
        requested_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        before={"succeeded_at": None, "failed_at": "2026-01-01T00:00:00Z"},
        tables=(TableRef(schema="s", table="t"),),
    )
    assert SyncHandle.model_validate_json(handle.model_dump_json()) == handle
    info = ConnectionInfo(backend="toy", connection_id="c1", raw={"a": 1})
    assert EnsureResult.model_validate_json(
        EnsureResult(connection=info, created=True).model_dump_json()
    ) == EnsureResult(connection=info, created=True)


@pytest.mark.parametrize(
    ("finished", "duration"),
    [
        pytest.param(datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc), 300.0, id="finished"),
        pytest.param(None, None, id="running"),
    ],
)
def test_a_sync_report_is_flat_json_with_its_duration(
    finished: datetime | None, duration: float | None
) -> None:
    handle = SyncHandle(
        backend="toy",
        connection_id="c1",
        kind=SyncKind.SYNC,
        requested_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    state = SyncState.SUCCEEDED if finished else SyncState.RUNNING
    outcome = SyncOutcome(
        backend="toy", connection_id="c1", state=state, finished_at=finished, raw={"x": 1}
    )
    report = SyncReport.of(handle, outcome, url="https://toy.test/c1")
    assert report.duration_seconds == duration
    assert "raw" not in report.model_dump()
    assert SyncReport.model_validate_json(report.model_dump_json()) == report
