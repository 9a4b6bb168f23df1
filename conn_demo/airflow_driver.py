"""The Airflow part of `conn-demo`: each backend's example DAG under `dag.test()`, deferrable.

`[operators] default_deferrable` is on while the example DAGs are parsed, so
every wait defers and `dag.test()` runs its trigger in line: the waits go
through the triggers, on the async client. An Airflow listener notes when each
task starts and ends and reads the simulator's counters then; each record's
state, outcome and error come from what Airflow recorded for the run (the task
instances and their XCom, read back from the metadata database).

A step a backend lacks is shown by defining its operator anyway, as a DAG
file would: the provider must refuse it with `UnsupportedStepError`.
"""

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow.listeners import hookimpl

from airflow_provider_conn.hooks import hook_class
from conn_demo.context import (
    REJECTED_PASSWORD,
    SOURCE_PASSWORD,
    DemoContext,
    failing_step,
    patched_environ,
    record_refusals,
)
from conn_demo.records import LIFECYCLE, SETUP_FAILS, Status, StepRecord
from conn_shared import Step, UnsupportedStepError
from conn_shared.sim.server import SimServer

__all__ = ["TASK_STEPS", "AirflowDriver", "connection_json"]

#: Task id in the example DAGs -> the step it runs ("sync and wait" when it waits).
TASK_STEPS = {
    "ensure": "ensure",
    "verify": "verify",
    "ready": "wait until ready",
    "sync": "sync",
    "synced": "wait for sync",
    "resync": "resync",
    "resynced": "wait for resync",
    "pause": "pause",
    "resume": "resume",
}
_SOURCE = "AIRFLOW_CONN_SOURCE_POSTGRES"


def connection_json(server: SimServer, backend: str) -> str:
    """The `AIRFLOW_CONN_*` value (JSON form) of `backend`'s default connection on `server`.

    The hook's `credential_fields` say which Airflow field holds each credential.
    """
    hook = hook_class(backend)
    accepted = server.credentials.as_dict()[backend]
    conn: dict[str, Any] = {
        "conn_type": hook.conn_type,
        "extra": {"base_url": server.base_url(backend)},
    }
    for setting, (attribute, _label) in hook.credential_fields.items():
        conn[attribute] = accepted[setting]
    return json.dumps(conn)


def _source(password: str) -> str:
    """The `source_postgres` connection the example DAGs render their specs from."""
    return json.dumps(
        {"conn_type": "postgres", "host": "db.example.com", "login": "loader", "password": password}
    )


@dataclass
class _Span:
    """One task of a run, as the listener saw it."""

    started: float
    calls_before: int
    ended: float = 0.0
    calls_after: int = 0
    error: str = ""


@dataclass
class _TaskWatcher:
    """An Airflow listener: when each task starts and ends, and the backend's API calls then.

    `dag.test()` runs the tasks one after another in this process (a deferred task's
    trigger in between), so the calls between a task's first start and its last end
    are that task's, its trigger's included.
    """

    ctx: DemoContext | None = None
    backend: str = ""
    spans: dict[str, _Span] = field(default_factory=dict)

    def watch(self, ctx: DemoContext, backend: str) -> None:
        """Start a new run of `backend`'s DAG."""
        self.ctx, self.backend, self.spans = ctx, backend, {}

    @hookimpl
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        """A try starts, or a deferred task resumes."""
        if self.ctx is None:
            return
        task_id = task_instance.task_id
        if task_id not in self.spans:
            self.spans[task_id] = _Span(time.perf_counter(), self.ctx.calls(self.backend))
        self.ctx.progress.activity(
            f"airflow · {self.backend} · task {task_id} (try {task_instance.try_number})"
        )

    @hookimpl
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        """A task succeeded."""
        self._end(task_instance.task_id, "")

    @hookimpl
    def on_task_instance_failed(self, previous_state: Any, task_instance: Any, error: Any) -> None:
        """A try failed (the task may be retried)."""
        self._end(task_instance.task_id, str(error) if error else "")

    def _end(self, task_id: str, error: str) -> None:
        span = self.spans.get(task_id)
        if self.ctx is None or span is None:
            return
        span.ended, span.calls_after, span.error = (
            time.perf_counter(),
            self.ctx.calls(self.backend),
            error,
        )


def _task_instances(run: Any) -> dict[str, tuple[str, int]]:
    """task_id -> (final state, try number) of a DAG run, from the metadata database."""
    from airflow.models.taskinstance import TaskInstance  # noqa: PLC0415
    from airflow.utils.session import create_session  # noqa: PLC0415
    from sqlalchemy import select  # noqa: PLC0415

    query = select(TaskInstance.task_id, TaskInstance.state, TaskInstance.try_number).where(
        TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id
    )
    with create_session() as session:
        return {task_id: (str(state), tries) for task_id, state, tries in session.execute(query)}


def _return_values(run: Any) -> dict[str, Any]:
    """task_id -> the `return_value` XCom each task of a DAG run left."""
    from airflow.models.xcom import XComModel  # noqa: PLC0415
    from airflow.utils.session import create_session  # noqa: PLC0415
    from sqlalchemy import select  # noqa: PLC0415

    query = select(XComModel).where(
        XComModel.dag_id == run.dag_id,
        XComModel.run_id == run.run_id,
        XComModel.key == "return_value",
    )
    with create_session() as session:
        return {row.task_id: XComModel.deserialize_value(row) for row in session.scalars(query)}


def describe(value: Any) -> str:
    """A task's XCom in a few words: the connection id, a readiness or sync state, ..."""
    if isinstance(value, bool):
        return "deleted" if value else "already gone"
    if isinstance(value, str):
        return f"connection {value}"
    if isinstance(value, dict):
        if "state" in value:  # Readiness, SyncReport
            state = f"{value['kind']} {value['state']}" if "kind" in value else value["state"]
            return f"{state} ({value['reason']})" if value.get("reason") else str(state)
        if "paused" in value:  # the connection after pause / resume
            return "paused" if value["paused"] else "active (not paused)"
        if "kind" in value:  # a SyncHandle: asked for, not waited for
            return f"{value['kind']} requested"
    return "no result"


def _probes() -> tuple[tuple[str, Step, Callable[[str], Any]], ...]:
    """(step, capability, operator factory) for each step a backend may lack."""
    from airflow_provider_conn import (  # noqa: PLC0415
        PauseConnectionOperator,
        ResumeConnectionOperator,
        SyncCompleteSensor,
        TriggerSyncOperator,
        VerifyConnectionOperator,
    )

    on = "{{ ti.xcom_pull('ensure') }}"  # the connection id, rendered when the task runs
    return (
        (
            "verify",
            Step.VERIFY,
            lambda b: VerifyConnectionOperator(task_id="v", backend=b, connection_id=on),
        ),
        (
            "sync",
            Step.SYNC,
            lambda b: TriggerSyncOperator(
                task_id="s", backend=b, wait_for_completion=False, connection_id=on
            ),
        ),
        (
            "wait for sync",
            Step.SYNC_OUTCOME,
            lambda b: SyncCompleteSensor(task_id="w", backend=b, handle="{{ ti.xcom_pull('s') }}"),
        ),
        (
            "resync",
            Step.RESYNC,
            lambda b: TriggerSyncOperator(
                task_id="r", backend=b, resync=True, wait_for_completion=False, connection_id=on
            ),
        ),
        (
            "pause",
            Step.PAUSE,
            lambda b: PauseConnectionOperator(task_id="p", backend=b, connection_id=on),
        ),
        (
            "resume",
            Step.RESUME,
            lambda b: ResumeConnectionOperator(task_id="u", backend=b, connection_id=on),
        ),
    )


class AirflowDriver:
    """Runs `example_dags/airflow_<backend>.py` for each backend with `dag.test()`."""

    name = "airflow"

    def __init__(self) -> None:
        self._dags: dict[str, Any] = {}
        self._watcher = _TaskWatcher()
        self._listening = False
        self._stack = contextlib.ExitStack()

    def prepare(self, ctx: DemoContext) -> None:
        """Airflow connections to the simulator, the metadata database, the parsed examples.

        No request is sent.

        Raises RuntimeError naming the files that failed to parse.
        """
        from airflow.dag_processing.dagbag import DagBag  # noqa: PLC0415
        from airflow.sdk.listener import get_listener_manager  # noqa: PLC0415
        from airflow.utils import db  # noqa: PLC0415

        connections = {_SOURCE: _source(SOURCE_PASSWORD)}
        for backend in ctx.server.backends:
            conn_id = hook_class(backend).default_conn_name
            connections[f"AIRFLOW_CONN_{conn_id.upper()}"] = connection_json(ctx.server, backend)
        self._stack.enter_context(patched_environ(connections))
        db.initdb()
        bag = DagBag(dag_folder=str(ctx.examples))
        if bag.import_errors:
            raise RuntimeError(f"example DAGs failed to parse: {sorted(bag.import_errors)}")
        self._dags = dict(bag.dags)
        get_listener_manager().add_listener(self._watcher)  # type: ignore[no-untyped-call]
        self._listening = True

    def lifecycle(self, ctx: DemoContext, backend: str) -> None:
        """Run `airflow_<backend>`: every step the backend has, each expected to succeed."""
        self._run(ctx, backend, LIFECYCLE, lambda step: Status.SUCCEEDED)

    def setup_fails(self, ctx: DemoContext, backend: str) -> None:
        """Run `airflow_<backend>` with a password the source rejects: one step must fail."""
        failing = failing_step(backend)
        with patched_environ({_SOURCE: _source(REJECTED_PASSWORD)}):
            self._run(
                ctx,
                backend,
                SETUP_FAILS,
                lambda step: Status.FAILED if step == failing else Status.SUCCEEDED,
            )

    def unsupported(self, ctx: DemoContext, backend: str) -> None:
        """Define each operator `backend` lacks in a DAG; each must be refused at parse time."""
        from airflow.sdk import DAG  # noqa: PLC0415

        def in_a_dag(capability: Step, build: Callable[[str], Any]) -> Callable[[], object]:
            def define() -> object:
                with DAG(f"conn_demo_{backend}_{capability.value}", schedule=None):
                    return build(backend)

            return define

        probes = [(step, cap, in_a_dag(cap, build)) for step, cap, build in _probes()]
        record_refusals(
            ctx, self.name, backend, probes, refusal=UnsupportedStepError, when="parsed"
        )

    def close(self) -> None:
        """Stop listening to task events; drop the Airflow connections."""
        self._stack.close()
        if self._listening:
            from airflow.sdk.listener import get_listener_manager  # noqa: PLC0415

            get_listener_manager().pm.unregister(self._watcher)
            self._listening = False

    def _run(
        self, ctx: DemoContext, backend: str, scenario: str, expect: Callable[[str], Status]
    ) -> None:
        dag = self._dags[f"airflow_{backend}"]
        self._watcher.watch(ctx, backend)
        ctx.progress.activity(f"airflow · {backend} · dag.test() of {dag.dag_id}")
        run = dag.test()
        states = _task_instances(run)
        values = _return_values(run)
        spans = self._watcher.spans
        self._watcher.ctx = None
        # The tasks that ran, in the order they started; in the lifecycle, the rest too.
        order = list(spans) + (
            [t for t in dag.task_ids if t not in spans] if scenario == LIFECYCLE else []
        )
        for task_id in order:
            state, tries = states.get(task_id, ("none", 0))
            step: str = TASK_STEPS.get(task_id) or task_id
            if step == "sync" and dag.task_dict[task_id].wait_for_completion:
                step = "sync and wait"
            span = spans.get(task_id)
            if state == "success":
                status, outcome = Status.SUCCEEDED, describe(values.get(task_id))
            else:
                status = Status.FAILED
                reason = span.error if span is not None and span.error else "no error recorded"
                if span is None:
                    outcome = f"did not run ({state})"
                else:
                    outcome = reason if state == "failed" else f"{state}: {reason}"
            if tries > 1:
                outcome += f" (try {tries})"
            ctx.progress.record(
                StepRecord(
                    orchestrator=self.name,
                    backend=backend,
                    step=step,
                    status=status,
                    expected=expect(TASK_STEPS.get(task_id) or task_id),
                    outcome=outcome,
                    api_calls=span.calls_after - span.calls_before if span else 0,
                    seconds=span.ended - span.started if span and span.ended else 0.0,
                    scenario=scenario,
                    task=f"{dag.dag_id}.{task_id}",
                )
            )
