"""The "client" orchestrator of `conn-demo`: the lifecycle verbs driven directly, no framework.

What the Airflow tasks and Dagster ops do underneath, step by step, plus the two
steps the examples leave out: ensuring again (it must reuse, not create) and
delete. Needs only the `sim` extra. A step the backend lacks must raise
`UnsupportedStepError` before any request.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from conn_demo.context import REJECTED_PASSWORD, SOURCE_PASSWORD, DemoContext, failing_step
from conn_demo.records import LIFECYCLE, SETUP_FAILS, Status, StepRecord
from conn_shared import (
    Backend,
    ConnError,
    EnsureResult,
    FaradayConnectionSpec,
    FivetranConnectionSpec,
    Flow,
    HubConnectionSpec,
    Readiness,
    ReadinessState,
    RetryPolicy,
    Step,
    SyncExecutor,
    SyncHandle,
    SyncOutcome,
    SyncState,
    UnsupportedStepError,
    WaitPolicy,
    backend_entry,
    delete_connection,
    ensure_connection,
    pause_connection,
    resume_connection,
    trigger_resync,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.sim.server import SimServer

__all__ = ["ClientDriver", "build_backend", "demo_spec"]

#: Poll quickly: the simulator's clock runs fast.
DEMO_WAIT = WaitPolicy(poll_interval=0.05, max_poll_interval=0.5, backoff=1.5, timeout=120)
_DATABASE = {"host": "db.example.com", "port": 5432, "database": "shop"}


def demo_spec(backend: str, password: str) -> Any:
    """The demo's connection spec for `backend`, with the source's `password`.

    Raises KeyError for a backend the demo has no connection for.
    """
    if backend == "fivetran":
        return FivetranConnectionSpec(
            group_id="demo_group",
            service="postgres",
            schema_name="demo_postgres",
            config={**_DATABASE, "user": "loader", "password": password, "update_method": "XMIN"},
            run_setup_tests=True,
        )
    if backend == "faraday":
        options = {"type": "postgres", **_DATABASE, "schema": "public", "user": "loader"}
        return FaradayConnectionSpec(
            name="Demo Postgres", options={**options, "password": password}
        )
    if backend == "hub":
        return HubConnectionSpec(
            name="Demo Postgres",
            provider="postgres",
            visibility="private",
            config=_DATABASE,
            credentials={"username": "loader", "password": password},
        )
    raise KeyError(f"conn-demo has no client connection for backend {backend!r}")


def build_backend(name: str, server: SimServer) -> Backend[Any]:
    """A client backend of the given kind pointed at `server`, with demo-friendly retries.

    The backend comes from the registry; the simulator's credentials for it are the
    ones named like its settings' fields (`api_key`, `api_secret`, `token`).
    Raises UnknownBackendError naming the registered backends for an unknown `name`.
    """
    entry = backend_entry(name)
    accepted = server.credentials.as_dict()[name]
    secrets = {k: v for k, v in accepted.items() if k in entry.settings_class.model_fields}
    return entry.build(
        base_url=server.base_url(name),
        retry=RetryPolicy(backoff_initial=0.05, backoff_max=0.5, deadline=30),
        **secrets,
    )


@dataclass
class _Run:
    backend: Backend[Any]
    spec: Any
    connection_id: str | None = None
    handle: SyncHandle | None = None


def _ensured(expect_created: bool) -> Callable[[_Run, EnsureResult], tuple[str, bool]]:
    def describe(run: _Run, result: EnsureResult) -> tuple[str, bool]:
        run.connection_id = result.connection.connection_id
        verb = "created" if result.created else "reused"
        return f"{verb} {result.connection.connection_id}", result.created is expect_created

    return describe


def _readiness(run: _Run, readiness: Readiness) -> tuple[str, bool]:
    if readiness.state is ReadinessState.FAILED and readiness.reason:
        return readiness.reason, False  # the vendor's own words
    reason = f" ({readiness.reason})" if readiness.reason else ""
    return f"{readiness.state.value}{reason}", readiness.state is ReadinessState.READY


def _handle(run: _Run, handle: SyncHandle) -> tuple[str, bool]:
    run.handle = handle
    return f"{handle.kind.value} requested", True


def _outcome(run: _Run, outcome: SyncOutcome) -> tuple[str, bool]:
    return outcome.state.value, outcome.state is SyncState.SUCCEEDED


def _paused(expect_paused: bool) -> Callable[[_Run, Any], tuple[str, bool]]:
    def describe(run: _Run, info: Any) -> tuple[str, bool]:
        return ("paused" if info.paused else "active"), info.paused is expect_paused

    return describe


def _deleted(run: _Run, deleted: bool) -> tuple[str, bool]:
    return ("deleted" if deleted else "already gone"), deleted


def _need_id(run: _Run) -> str:
    if run.connection_id is None:
        raise RuntimeError("no connection: ensure did not succeed")
    return run.connection_id


def _need_handle(run: _Run) -> SyncHandle:
    if run.handle is None:
        raise RuntimeError("no sync handle: the trigger step did not succeed")
    return run.handle


# (step, capability it needs, flow factory, describe result -> (text, as expected?))
STEPS: Sequence[
    tuple[str, Step, Callable[[_Run], Flow[Any]], Callable[[_Run, Any], tuple[str, bool]]]
] = (
    ("ensure", Step.ENSURE, lambda r: ensure_connection(r.backend, r.spec), _ensured(True)),
    ("ensure again", Step.ENSURE, lambda r: ensure_connection(r.backend, r.spec), _ensured(False)),
    ("verify", Step.VERIFY, lambda r: verify_connection(r.backend, _need_id(r)), _readiness),
    (
        "wait until ready",
        Step.READINESS,
        lambda r: wait_until_ready(r.backend, _need_id(r), policy=DEMO_WAIT),
        _readiness,
    ),
    ("sync", Step.SYNC, lambda r: trigger_sync(r.backend, _need_id(r)), _handle),
    (
        "wait for sync",
        Step.SYNC_OUTCOME,
        lambda r: wait_for_sync(r.backend, _need_handle(r), policy=DEMO_WAIT),
        _outcome,
    ),
    ("resync", Step.RESYNC, lambda r: trigger_resync(r.backend, _need_id(r)), _handle),
    (
        "wait for resync",
        Step.SYNC_OUTCOME,
        lambda r: wait_for_sync(r.backend, _need_handle(r), policy=DEMO_WAIT),
        _outcome,
    ),
    ("pause", Step.PAUSE, lambda r: pause_connection(r.backend, _need_id(r)), _paused(True)),
    ("resume", Step.RESUME, lambda r: resume_connection(r.backend, _need_id(r)), _paused(False)),
    ("delete", Step.DELETE, lambda r: delete_connection(r.backend, _need_id(r)), _deleted),
)


class ClientDriver:
    """Drives `conn_shared`'s verbs with a `SyncExecutor`, one backend at a time."""

    name = "client"

    def prepare(self, ctx: DemoContext) -> None:
        """Nothing to load."""

    def lifecycle(self, ctx: DemoContext, backend: str) -> None:
        """Every step, in order; a step the backend lacks must be refused before any request."""
        self._run(ctx, backend, demo_spec(backend, SOURCE_PASSWORD), STEPS, LIFECYCLE)

    def unsupported(self, ctx: DemoContext, backend: str) -> None:
        """Nothing more: `lifecycle` already asked for every step, supported or not."""

    def setup_fails(self, ctx: DemoContext, backend: str) -> None:
        """Ensure a connection with a password the source rejects, then the failing step."""
        failing = failing_step(backend)
        steps = [s for s in STEPS if s[0] in ("ensure", failing)]
        self._run(ctx, backend, demo_spec(backend, REJECTED_PASSWORD), steps, SETUP_FAILS)

    def close(self) -> None:
        """Nothing to release."""

    def _run(
        self,
        ctx: DemoContext,
        backend: str,
        spec: Any,
        steps: Sequence[
            tuple[str, Step, Callable[[_Run], Flow[Any]], Callable[[_Run, Any], tuple[str, bool]]]
        ],
        scenario: str,
    ) -> None:
        client = build_backend(backend, ctx.server)
        run = _Run(backend=client, spec=spec)
        failing = failing_step(backend) if scenario == SETUP_FAILS else None
        with SyncExecutor(client.profile()) as executor:
            for label, step, make_flow, describe in steps:
                if step in (Step.SYNC, Step.RESYNC):
                    run.handle = None
                elif step is Step.SYNC_OUTCOME and run.handle is None:
                    continue  # nothing to wait for: the trigger was refused or failed
                ctx.progress.activity(f"client · {backend} · {label}")
                before, started = ctx.calls(backend), time.perf_counter()
                try:
                    text, as_hoped = describe(run, executor.run(make_flow(run)))
                    status = Status.SUCCEEDED if as_hoped else Status.FAILED
                except UnsupportedStepError as exc:
                    text, status = f"refused before any request: {exc}", Status.UNSUPPORTED
                except (ConnError, RuntimeError) as exc:
                    text, status = f"error: {exc}", Status.FAILED
                if step not in client.capabilities:
                    expected = Status.UNSUPPORTED
                else:
                    expected = Status.FAILED if label == failing else Status.SUCCEEDED
                ctx.progress.record(
                    StepRecord(
                        orchestrator=self.name,
                        backend=backend,
                        step=label,
                        status=status,
                        expected=expected,
                        outcome=text,
                        api_calls=ctx.calls(backend) - before,
                        seconds=time.perf_counter() - started,
                        scenario=scenario,
                        task=label,
                    )
                )
