"""`conn-demo`: the whole connection lifecycle on every backend, against the embedded simulator.

For each backend it runs ensure (twice: the second must reuse), verify, wait
until ready, sync and wait, resync and wait, pause, resume and delete, printing
each step as it happens and a summary table at the end. A step the backend
does not support must raise `UnsupportedStepError` before any request (shown as
"unsupported", zero API calls). The exit status is 1 when anything else
happened than expected.

The per-backend cases (`CASES`) are plain data so the integration tests run
the very same lifecycle.
"""

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.server import SimServer

__all__ = ["CASES", "BackendCase", "StepResult", "build_backend", "main", "run_lifecycle"]

#: Simulated seconds per real second: a 60 s historical sync takes 0.3 s.
DEFAULT_CLOCK_SPEED = 200.0
#: Poll quickly: the simulator's clock runs fast.
DEMO_WAIT = WaitPolicy(poll_interval=0.05, max_poll_interval=0.5, backoff=1.5, timeout=120)


@dataclass(frozen=True)
class BackendCase:
    """One backend's demo connection: how to build the backend and what to ensure."""

    name: str
    spec: Any


CASES: dict[str, BackendCase] = {
    "fivetran": BackendCase(
        name="fivetran",
        spec=FivetranConnectionSpec(
            group_id="demo_group",
            service="postgres",
            schema_name="demo_postgres",
            config={
                "host": "db.example.com",
                "port": 5432,
                "database": "shop",
                "user": "loader",
                "password": "demo-password-not-real",
                "update_method": "XMIN",
            },
            run_setup_tests=True,
        ),
    ),
    "faraday": BackendCase(
        name="faraday",
        spec=FaradayConnectionSpec(
            name="Demo Postgres",
            options={
                "type": "postgres",
                "host": "db.example.com",
                "port": 5432,
                "database": "shop",
                "schema": "public",
                "user": "loader",
                "password": "demo-password-not-real",
            },
        ),
    ),
    "hub": BackendCase(
        name="hub",
        spec=HubConnectionSpec(
            name="Demo Postgres",
            provider="postgres",
            visibility="private",
            config={"host": "db.example.com", "port": 5432, "database": "shop"},
            credentials={"username": "loader", "password": "demo-password-not-real"},
        ),
    ),
}


def build_backend(name: str, server: SimServer, credentials: SimCredentials) -> Backend[Any]:
    """A client backend of the given kind pointed at `server`, with demo-friendly retries.

    The backend comes from the registry; the simulator's credentials for it are the
    ones named like its settings' fields (`api_key`, `api_secret`, `token`).
    Raises ValueError naming the registered backends for an unknown `name`.
    """
    entry = backend_entry(name)
    accepted = credentials.as_dict()[name]
    secrets = {k: v for k, v in accepted.items() if k in entry.settings_class.model_fields}
    return entry.build(
        base_url=server.base_url(name),
        retry=RetryPolicy(backoff_initial=0.05, backoff_max=0.5, deadline=30),
        **secrets,
    )


@dataclass
class StepResult:
    """One row of the summary table."""

    backend: str
    step: str
    outcome: str
    calls: int
    seconds: float
    ok: bool


@dataclass
class _Run:
    backend: Backend[Any]
    spec: Any
    connection_id: str | None = None
    handle: SyncHandle | None = None
    results: list[StepResult] = field(default_factory=list)


def _describe_ensure(expect_created: bool) -> Callable[[_Run, EnsureResult], tuple[str, bool]]:
    def describe(run: _Run, result: EnsureResult) -> tuple[str, bool]:
        run.connection_id = result.connection.connection_id
        verb = "created" if result.created else "reused"
        return f"{verb} {result.connection.connection_id}", result.created is expect_created

    return describe


def _describe_readiness(run: _Run, readiness: Readiness) -> tuple[str, bool]:
    reason = f" ({readiness.reason})" if readiness.reason else ""
    return f"{readiness.state.value}{reason}", readiness.state is ReadinessState.READY


def _describe_handle(run: _Run, handle: SyncHandle) -> tuple[str, bool]:
    run.handle = handle
    return f"{handle.kind.value} requested", True


def _describe_outcome(run: _Run, outcome: SyncOutcome) -> tuple[str, bool]:
    return outcome.state.value, outcome.state is SyncState.SUCCEEDED


def _describe_pause(expect_paused: bool) -> Callable[[_Run, Any], tuple[str, bool]]:
    def describe(run: _Run, info: Any) -> tuple[str, bool]:
        return ("paused" if info.paused else "active"), info.paused is expect_paused

    return describe


def _describe_delete(run: _Run, deleted: bool) -> tuple[str, bool]:
    return ("deleted" if deleted else "already gone"), deleted


def _need_id(run: _Run) -> str:
    if run.connection_id is None:
        raise RuntimeError("no connection: ensure did not succeed")
    return run.connection_id


def _need_handle(run: _Run) -> SyncHandle:
    if run.handle is None:
        raise RuntimeError("no sync handle: the trigger step did not succeed")
    return run.handle


# (label, capability it needs, flow factory, describe result -> (text, as expected?))
_STEPS: Sequence[
    tuple[str, Step, Callable[[_Run], Flow[Any]], Callable[[_Run, Any], tuple[str, bool]]]
] = (
    ("ensure", Step.ENSURE, lambda r: ensure_connection(r.backend, r.spec), _describe_ensure(True)),
    (
        "ensure again",
        Step.ENSURE,
        lambda r: ensure_connection(r.backend, r.spec),
        _describe_ensure(False),
    ),
    (
        "verify",
        Step.VERIFY,
        lambda r: verify_connection(r.backend, _need_id(r)),
        _describe_readiness,
    ),
    (
        "wait until ready",
        Step.READINESS,
        lambda r: wait_until_ready(r.backend, _need_id(r), policy=DEMO_WAIT),
        _describe_readiness,
    ),
    ("sync", Step.SYNC, lambda r: trigger_sync(r.backend, _need_id(r)), _describe_handle),
    (
        "wait for sync",
        Step.SYNC_OUTCOME,
        lambda r: wait_for_sync(r.backend, _need_handle(r), policy=DEMO_WAIT),
        _describe_outcome,
    ),
    ("resync", Step.RESYNC, lambda r: trigger_resync(r.backend, _need_id(r)), _describe_handle),
    (
        "wait for resync",
        Step.SYNC_OUTCOME,
        lambda r: wait_for_sync(r.backend, _need_handle(r), policy=DEMO_WAIT),
        _describe_outcome,
    ),
    (
        "pause",
        Step.PAUSE,
        lambda r: pause_connection(r.backend, _need_id(r)),
        _describe_pause(True),
    ),
    (
        "resume",
        Step.RESUME,
        lambda r: resume_connection(r.backend, _need_id(r)),
        _describe_pause(False),
    ),
    ("delete", Step.DELETE, lambda r: delete_connection(r.backend, _need_id(r)), _describe_delete),
)


def run_lifecycle(
    backend: Backend[Any],
    spec: Any,
    executor: SyncExecutor,
    *,
    on_step: Callable[[StepResult], None] | None = None,
) -> list[StepResult]:
    """Run every lifecycle step on one backend; each result says whether it went as expected."""
    run = _Run(backend=backend, spec=spec)
    for label, step, make_flow, describe in _STEPS:
        if step in (Step.SYNC, Step.RESYNC):
            run.handle = None
        elif step is Step.SYNC_OUTCOME and run.handle is None:
            continue  # nothing to wait for: the trigger was unsupported or already failed
        requests_before = executor.stats.requests
        started = time.perf_counter()
        try:
            text, ok = describe(run, executor.run(make_flow(run)))
        except UnsupportedStepError:
            text, ok = "unsupported", step not in backend.capabilities
        except (ConnError, RuntimeError) as exc:
            text, ok = f"error: {exc}", False
        result = StepResult(
            backend=backend.name,
            step=label,
            outcome=text,
            calls=executor.stats.requests - requests_before,
            seconds=time.perf_counter() - started,
            ok=ok,
        )
        run.results.append(result)
        if on_step is not None:
            on_step(result)
    return run.results


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_step(result: StepResult) -> None:
    mark = "ok " if result.ok else "!! "
    print(
        f"{mark}{result.backend:<9} {result.step:<17} {result.outcome:<48} "
        f"{result.calls:>3} calls {result.seconds:6.2f} s",
        flush=True,
    )


def _print_table(results: Sequence[StepResult]) -> None:
    header = ("backend", "step", "outcome", "API calls", "seconds")
    rows = [
        (
            r.backend,
            r.step,
            r.outcome if r.ok else f"UNEXPECTED: {r.outcome}",
            str(r.calls),
            f"{r.seconds:.2f}",
        )
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print()
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `conn-demo`."""
    parser = argparse.ArgumentParser(
        prog="conn-demo",
        description="Run the connection lifecycle on every backend against the embedded simulator.",
    )
    parser.add_argument(
        "--backends",
        default=",".join(CASES),
        help="comma-separated backends to run (default: %(default)s)",
    )
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=DEFAULT_CLOCK_SPEED,
        help="simulated seconds per real second (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        parser.error(f"--backends: unknown {unknown}; choose from {sorted(CASES)}")

    credentials = SimCredentials()
    results: list[StepResult] = []
    started = time.perf_counter()
    with SimServer(
        names=names, clock=SimClock(speed=args.clock_speed), credentials=credentials
    ) as server:
        print(f"simulator on {server.url} (clock x{args.clock_speed:g})", flush=True)
        for name in names:
            backend = build_backend(name, server, credentials)
            case = CASES[name]
            with SyncExecutor(backend.profile()) as executor:
                results += run_lifecycle(backend, case.spec, executor, on_step=_print_step)
    _print_table(results)
    failures = [r for r in results if not r.ok]
    total = time.perf_counter() - started
    print(f"\n{len(results)} steps, {len(failures)} unexpected, {total:.1f} s in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
