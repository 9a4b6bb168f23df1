"""`TriggerSyncOperator`: ask for a sync or resync once, whatever happens to the task.

The intent is written before the request is sent. `prepare_sync` reads the
connection's before-state (GET only) and returns a `SyncHandle` (plain JSON);
the handle goes into Airflow's task state store under `INTENT_KEY`; only then
does `request_sync` send the request. A retried or restarted try finds the
handle and calls `reattach_sync`, which asks again only if the vendor shows
that nothing began since the before-state, so a try killed after its request
(or whose answer was lost) never starts a second sync.

A sync that ends `failed` removes the intent, so a retry asks for a new sync
instead of re-reading the failure. Airflow 3.2 has no task state store: there a
retry prepares a new handle, and `force=False` attaches to a sync still running
but starts a new one when the first already finished (docs/airflow.md).

Waiting runs `wait_for_sync` on the worker, or, deferred, the same flow with
the same handle, policy and progress in `SyncCompleteTrigger`; both return
`SyncReport` JSON, so the XCom is the same either way.
"""

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_conn._compat import StateStore, state_store
from airflow_provider_conn.common import (
    airflow_errors,
    as_bool,
    default_deferrable,
    has_template,
    validate_model,
    wait_policy,
)
from airflow_provider_conn.events import result_of
from airflow_provider_conn.tasks import ConnTaskMixin
from airflow_provider_conn.triggers import SyncCompleteTrigger, sync_report_json
from conn_shared import (
    Backend,
    Step,
    SyncFailedError,
    SyncHandle,
    SyncKind,
    TableRef,
    WaitPolicy,
    WaitProgress,
    prepare_sync,
    reattach_sync,
    request_sync,
    wait_for_sync,
)

__all__ = ["INTENT_KEY", "TriggerSyncOperator", "table_refs"]

#: Task state store key of the sync's intent (its SyncHandle as JSON). Never rename.
INTENT_KEY = "conn_sync_intent"


def table_refs(tables: Any) -> tuple[TableRef, ...] | None:
    """`tables` as TableRefs: "schema.table" strings or {"schema", "table"} objects.

    Raises ValueError naming `tables` and the accepted forms.
    """
    if tables is None:
        return None
    if isinstance(tables, str) or not isinstance(tables, Sequence):
        raise ValueError(
            f"tables: expected a list of 'schema.table' or {{'schema', 'table'}}, got {tables!r}"
        )
    refs = []
    for item in tables:
        if isinstance(item, str) and item.count(".") == 1 and all(item.split(".")):
            schema, table = item.split(".")
            refs.append(TableRef.model_validate({"schema": schema, "table": table}))
        elif isinstance(item, dict) and set(item) == {"schema", "table"}:
            refs.append(validate_model(TableRef, item, "tables"))
        else:
            raise ValueError(
                f"tables: each item must be 'schema.table' or {{'schema', 'table'}}, got {item!r}"
            )
    return tuple(refs) or None


class TriggerSyncOperator(ConnTaskMixin, BaseOperator):
    """Ask for a sync (or a resync) of a connection and, by default, wait for it.

    Args:
        backend: "fivetran" or "faraday" (the hub has no sync; plain, not templated).
        connection_id: the connection (templated, e.g. an ensure task's XCom).
        conn_id: the Airflow connection (default `conn_<backend>_default`).
        resync: a historical resync (Fivetran) instead of an incremental sync (plain).
        tables: resync only these tables: "schema.table" or {"schema", "table"} (templated).
        force: restart a sync already running (Fivetran). Default False: a running
            sync is attached to, never restarted.
        wait_for_completion: wait for the sync to end (plain).
        deferrable: wait in the triggerer instead of holding a worker slot; default
            `[operators] default_deferrable`, read when the task is constructed.
        poll_interval: seconds between the first status polls (default 30).
        max_poll_interval: cap in seconds as the interval grows by 1.5 (default 300).
        timeout: seconds the wait may take from the request, an absolute deadline
            that retries and deferral keep (default 86400; None: no limit).
            `execution_timeout` is separate: it bounds each try on the worker.

    Returns (XCom): with `wait_for_completion`, a `SyncReport` as JSON (backend,
    connection_id, kind, state, reason, requested_at, finished_at,
    duration_seconds, rescheduled_until, url), the same deferred or not;
    without it, the `SyncHandle` JSON for `SyncCompleteSensor(handle=...)`.

    Raises: a failed sync (SyncFailedError), a reschedule or the deadline let
    Airflow retry; bad credentials, a paused connection or an unsupported step
    fail at once. Vendor endpoints: Fivetran `GET /v1/connections/{id}`, `POST
    .../sync` or `.../resync`; Faraday `GET /v1/connections/{id}`, `POST
    .../force_update`.
    """

    template_fields: Sequence[str] = (
        "conn_id",
        "connection_id",
        "tables",
        "force",
        "poll_interval",
        "max_poll_interval",
        "timeout",
    )

    def __init__(
        self,
        *,
        backend: str,
        connection_id: str,
        conn_id: str | None = None,
        resync: bool = False,
        tables: Any = None,
        force: bool = False,
        wait_for_completion: bool = True,
        deferrable: bool | None = None,
        poll_interval: float = 30.0,
        max_poll_interval: float = 300.0,
        timeout: float | None = 86400.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.resync = as_bool(resync, "resync")
        self.wait_for_completion = as_bool(wait_for_completion, "wait_for_completion")
        step = (Step.RESYNC_TABLES if tables else Step.RESYNC) if self.resync else Step.SYNC
        if tables and not self.resync:
            raise ValueError("tables: only a resync takes tables; set resync=True")
        steps = [step, Step.SYNC_OUTCOME] if self.wait_for_completion else [step]
        self.setup_conn_task(backend, conn_id, steps)
        self.connection_id = connection_id
        self.tables = tables
        self.force = force
        self.deferrable = (
            default_deferrable() if deferrable is None else as_bool(deferrable, "deferrable")
        )
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.timeout = timeout
        self._policy()  # bad numbers fail the DAG file, not the first run
        if not has_template(tables):
            table_refs(tables)

    def _policy(self) -> WaitPolicy:
        if any(has_template(v) for v in (self.poll_interval, self.max_poll_interval, self.timeout)):
            return WaitPolicy()  # checked after rendering
        return wait_policy(
            poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval,
            timeout=self.timeout,
        )

    def execute(self, context: Any) -> dict[str, Any]:
        """Ask for the sync once (or re-attach to it) and, if asked, wait for it."""
        policy = self._policy()
        backend = self.get_backend()
        self.push_url(context, backend, self.connection_id)
        store = state_store(context)
        handle = self._intent(backend, store)
        if not self.wait_for_completion:
            return handle.model_dump(mode="json")
        if self.deferrable:
            progress = WaitProgress.start(policy, time.time())
            self.defer(
                trigger=SyncCompleteTrigger(
                    backend=self.backend,
                    conn_id=self.conn_id,
                    handle=handle.model_dump(mode="json"),
                    policy=policy.model_dump(mode="json"),
                    progress=progress.model_dump(mode="json"),
                ),
                method_name="execute_complete",
                timeout=_backstop(policy),
            )
        try:
            outcome = self.drive(backend, wait_for_sync(backend, handle, policy=policy))
        except SyncFailedError:
            _forget(store)
            raise
        return sync_report_json(backend, handle, outcome)

    def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
        """Validate the trigger's event; the SyncReport JSON, or its error raised typed."""
        try:
            with airflow_errors():
                return result_of(event, kind="sync_report")
        except SyncFailedError:
            _forget(state_store(context))
            raise

    def _intent(self, backend: Backend[Any], store: StateStore | None) -> SyncHandle:
        kind = SyncKind.RESYNC if self.resync else SyncKind.SYNC
        with airflow_errors():
            tables = table_refs(self.tables)
            stored = store.get(INTENT_KEY) if store is not None else None
        if stored is not None:
            handle = SyncHandle.model_validate(stored)
            if handle.connection_id == self.connection_id and handle.kind is kind:
                seen = self.drive(backend, reattach_sync(backend, handle))
                self.log.info(
                    "re-attached to the %s asked for at %s: %s",
                    kind.value,
                    handle.requested_at.isoformat(),
                    seen.state.value,
                )
                return handle
        handle = self.drive(
            backend, prepare_sync(backend, self.connection_id, kind=kind, tables=tables)
        )
        if store is not None:
            store.set(INTENT_KEY, handle.model_dump(mode="json"))
        self.drive(backend, request_sync(backend, handle, force=as_bool(self.force, "force")))
        self.log.info(
            "asked for a %s of %s connection %s", kind.value, self.backend, handle.connection_id
        )
        return handle


def _forget(store: StateStore | None) -> None:
    if store is not None:
        store.delete(INTENT_KEY)


def _backstop(policy: WaitPolicy) -> timedelta | None:
    # The trigger ends itself at the deadline with WaitTimeoutError; Airflow's
    # deferral timeout only guards against a trigger that never answers.
    if policy.timeout is None:
        return None
    return timedelta(seconds=policy.timeout + policy.max_poll_interval + 60)
