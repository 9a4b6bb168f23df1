"""The Dagster part of `conn-demo`: the example definitions' jobs and assets, in process.

For each backend's connection in `example_dags/dagster_defs.py` it runs the
job named after the connection (ensure -> verify -> wait until ready -> sync
-> wait, with the steps the backend has), the on-demand jobs the backend has
(`<name>_resync`, `<name>_pause`, `<name>_resume`, given the id the job's
ensure step returned), and the connection's assets: a sync materialization
with its health checks, or an observation for the hub.

Runs execute in process on an in-memory instance (an on-disk one costs seconds
per run). Success and failure hooks read the simulator's counters after each op;
each record's state and outcome come from the run's event log: the step's
success and its last log line, or its failure's description.

A step a backend lacks is shown by building its op anyway: `dagster_conn` must
refuse it with `DagsterInvalidDefinitionError`.
"""

import contextlib
import importlib.util
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import dagster as dg

from conn_demo.context import (
    REJECTED_PASSWORD,
    SOURCE_PASSWORD,
    DemoContext,
    failing_step,
    patched_environ,
    record_refusals,
)
from conn_demo.records import LIFECYCLE, SETUP_FAILS, Status, StepRecord
from conn_shared import Step
from dagster_conn import (
    build_pause_op,
    build_resume_op,
    build_resync_op,
    build_sync_op,
    build_verify_op,
    build_wait_sync_op,
)

__all__ = ["OP_STEPS", "DagsterDriver"]

#: An op's name after its connection's, in the example jobs -> the step it runs.
OP_STEPS = {
    "ensure_connection": "ensure",
    "verify_connection": "verify",
    "wait_until_ready": "wait until ready",
    "trigger_sync": "sync",
    "wait_for_sync": "wait for sync",
    "trigger_resync": "resync",
    "wait_for_resync": "wait for resync",
    "pause_connection": "pause",
    "resume_connection": "resume",
}
#: (step, capability, op factory) for each step a backend may lack.
_PROBES: tuple[tuple[str, Step, Callable[..., dg.OpDefinition]], ...] = (
    ("verify", Step.VERIFY, build_verify_op),
    ("sync", Step.SYNC, build_sync_op),
    ("wait for sync", Step.SYNC_OUTCOME, build_wait_sync_op),
    ("resync", Step.RESYNC, build_resync_op),
    ("pause", Step.PAUSE, build_pause_op),
    ("resume", Step.RESUME, build_resume_op),
)


_ASSET_EVENTS = ("ASSET_MATERIALIZATION", "ASSET_OBSERVATION")


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("conn_demo_dagster_defs", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _failure_text(event: Any) -> str:
    """A step failure's description (a `dg.Failure`'s own text), else its error's message."""
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return str(data.user_failure_data.description)
    return str(data.error.message).strip().splitlines()[0] if data.error else "failed"


class DagsterDriver:
    """Runs the jobs and assets of `example_dags/dagster_defs.py` for each backend."""

    name = "dagster"

    def __init__(self) -> None:
        self._defs: dg.Definitions | None = None
        self._connections: dict[str, Any] = {}
        self._jobs: set[str] = set()
        self._stack = contextlib.ExitStack()
        self._instance: dg.DagsterInstance | None = None

    def prepare(self, ctx: DemoContext) -> None:
        """Load the example definitions and an in-memory instance (no request is sent)."""
        module = _load(ctx.examples / "dagster_defs.py")
        self._defs = module.defs
        self._connections = {c.backend: c for c in module.CONNECTIONS}
        self._jobs = {job.name for job in self._defs.resolve_all_job_defs()}
        self._stack.enter_context(patched_environ(self._secrets(SOURCE_PASSWORD)))
        self._instance = self._stack.enter_context(dg.DagsterInstance.ephemeral())

    def lifecycle(self, ctx: DemoContext, backend: str) -> None:
        """The connection's job, its on-demand jobs and its assets; each step must succeed."""
        connection = self._connections[backend]
        result = self._job(ctx, backend, connection.name, LIFECYCLE, lambda s: Status.SUCCEEDED)
        if not result.success:
            return
        on_it = {"connection_id": result.output_for_node(f"{connection.name}_ensure_connection")}
        self._on_demand(ctx, backend, f"{connection.name}_resync", on_it)
        self._assets(ctx, backend, connection.name)  # before the pause: paused refuses syncs
        self._on_demand(ctx, backend, f"{connection.name}_pause", on_it)
        self._on_demand(ctx, backend, f"{connection.name}_resume", on_it)

    def setup_fails(self, ctx: DemoContext, backend: str) -> None:
        """The connection's job with a password the source rejects: one step must fail."""
        failing = failing_step(backend)
        with patched_environ(self._secrets(REJECTED_PASSWORD)):
            self._job(
                ctx,
                backend,
                self._connections[backend].name,
                SETUP_FAILS,
                lambda step: Status.FAILED if step == failing else Status.SUCCEEDED,
            )

    def unsupported(self, ctx: DemoContext, backend: str) -> None:
        """Build each op `backend` lacks; each must be refused when defined."""
        probes = [(step, cap, partial(build, backend=backend)) for step, cap, build in _PROBES]
        record_refusals(
            ctx,
            self.name,
            backend,
            probes,
            refusal=dg.DagsterInvalidDefinitionError,
            when="defined",
        )

    def close(self) -> None:
        """Drop the instance and restore the password variables."""
        self._stack.close()

    def _on_demand(self, ctx: DemoContext, backend: str, job: str, inputs: dict[str, Any]) -> None:
        """Run an on-demand job of the example, if it defines one for this backend."""
        if job in self._jobs:
            self._job(ctx, backend, job, LIFECYCLE, lambda step: Status.SUCCEEDED, inputs=inputs)

    def _secrets(self, password: str) -> dict[str, str]:
        """Every variable the connections' specs read a secret from, set to `password`."""
        return {var: password for c in self._connections.values() for var in c.secrets.values()}

    def _job(
        self,
        ctx: DemoContext,
        backend: str,
        job_name: str,
        scenario: str,
        expect: Callable[[str], Status],
        *,
        inputs: dict[str, Any] | None = None,
    ) -> dg.ExecuteInProcessResult:
        """Run a job; one record per step that started, in order."""
        assert self._defs is not None
        marks: dict[str, int] = {}  # step key -> the backend's calls when its op ended

        @dg.success_hook(name="conn_demo_calls_after_success")
        def _after_success(context: dg.HookContext) -> None:
            marks[context.step_key] = ctx.calls(backend)

        @dg.failure_hook(name="conn_demo_calls_after_failure")
        def _after_failure(context: dg.HookContext) -> None:
            marks[context.step_key] = ctx.calls(backend)

        job = self._defs.resolve_job_def(job_name).with_hooks({_after_success, _after_failure})
        run_config: dict[str, Any] = {}
        if inputs:
            first = next(n for n in job.graph.nodes if set(inputs) <= set(n.definition.input_dict))
            run_config = {"ops": {first.name: {"inputs": inputs}}}
        ctx.progress.activity(f"dagster · {backend} · job {job_name}")
        before = ctx.calls(backend)
        result = job.execute_in_process(
            instance=self._instance, run_config=run_config or None, raise_on_error=False
        )
        connection = self._connections[backend].name
        for key, started, ended, event, message in self._steps(result.run_id):
            step = OP_STEPS.get(key.removeprefix(f"{connection}_"), key)
            if event is not None and event.is_step_success:
                status, outcome = Status.SUCCEEDED, message or "succeeded"
            else:
                status = Status.FAILED
                outcome = _failure_text(event) if event is not None else "did not finish"
            after = marks.get(key, before)
            ctx.progress.record(
                StepRecord(
                    orchestrator=self.name,
                    backend=backend,
                    step=step,
                    status=status,
                    expected=expect(step),
                    outcome=outcome,
                    api_calls=after - before,
                    seconds=ended - started,
                    scenario=scenario,
                    task=f"{job_name}.{key}",
                )
            )
            before = after
        return result

    def _steps(self, run_id: str) -> list[tuple[str, float, float, Any, str]]:
        """(key, start, end, success/failure event, last log line) per step that started.

        Read from the instance's event log; times are the log's, in seconds.
        """
        assert self._instance is not None
        steps: dict[str, list[Any]] = {}
        for entry in self._instance.all_logs(run_id):
            key, event = entry.step_key, entry.dagster_event
            if key is None:
                continue
            if event is not None and event.is_step_start:
                steps.setdefault(key, [entry.timestamp, entry.timestamp, None, ""])
            row = steps.get(key)
            if row is None:  # a step that never started (its upstream failed)
                continue
            row[1] = entry.timestamp
            if event is None:
                row[3] = entry.user_message
            elif event.is_step_success or event.is_step_failure:
                row[2] = event
        return [(key, *row) for key, row in steps.items()]

    def _assets(self, ctx: DemoContext, backend: str, name: str) -> None:
        """Materialize the connection's synced assets (checks included), or observe them."""
        assert self._defs is not None
        graph = self._defs.resolve_asset_graph()
        keys = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == name]
        for step, selected in (
            ("materialize assets", [k for k in keys if graph.get(k).is_materializable]),
            ("observe assets", [k for k in keys if graph.get(k).is_observable]),
        ):
            if selected:
                self._asset_run(ctx, backend, step, selected)

    def _asset_run(
        self, ctx: DemoContext, backend: str, step: str, keys: Sequence[dg.AssetKey]
    ) -> None:
        assert self._defs is not None
        ctx.progress.activity(f"dagster · {backend} · {step}")
        job = self._defs.resolve_implicit_global_asset_job_def()
        before, started = ctx.calls(backend), time.perf_counter()
        result = job.execute_in_process(
            instance=self._instance, asset_selection=list(keys), raise_on_error=False
        )
        seconds = time.perf_counter() - started
        events = result.all_events
        done = sum(1 for e in events if e.event_type_value in _ASSET_EVENTS)
        checks = [
            e.asset_check_evaluation_data
            for e in events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        ]
        verb = "materialized" if step.startswith("materialize") else "observed"
        outcome = f"{verb} {done} asset{'' if done == 1 else 's'}"
        if checks:
            outcome += f"; checks {sum(c.passed for c in checks)}/{len(checks)} passed"
        if not result.success:
            failures = [_failure_text(e) for e in events if e.is_step_failure]
            outcome = "; ".join(failures) or "run failed"
        ctx.progress.record(
            StepRecord(
                orchestrator=self.name,
                backend=backend,
                step=step,
                status=Status.SUCCEEDED if result.success else Status.FAILED,
                expected=Status.SUCCEEDED,
                outcome=outcome,
                api_calls=ctx.calls(backend) - before,
                seconds=seconds,
                task=f"{result.dagster_run.job_name}",
            )
        )
