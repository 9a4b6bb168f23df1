"""Asking for a sync once per step, however often Dagster retries it, and waiting for it.

Shared by the sync ops and the sync assets. A step that asks for a sync first
reads the connection's before-state (`prepare_sync`, GETs only) and records the
resulting `SyncHandle` as a run tag (`conn_sync/<step key>`), *then* sends the
request. When Dagster retries the step in the same run (a `RetryPolicy` after
a network failure, or `RetryRequested` for a rescheduled sync), the retry finds
the tag and re-attaches to that sync (`reattach_sync`): the request is sent
again only if the vendor shows that nothing started since the before-state.
So a retried step never starts a second sync. A new run (a re-execution) starts
with retry number 0 and asks for a fresh sync: the user asked for new data.

Run tags are the one place Dagster lets a step write mid-flight that its own
retry can read back: an output is written only when the step ends.
"""

import json
import time
from collections.abc import Sequence
from typing import Any

import dagster as dg

from conn_shared import (
    Backend,
    ConnError,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    SyncReport,
    SyncRescheduledError,
    TableRef,
    prepare_sync,
    reattach_sync,
    request_sync,
    wait_for_sync,
)
from dagster_conn.config import WaitSyncConfig
from dagster_conn.resources import ConnectionResource, raise_failure

__all__ = [
    "HANDLE_TAG_PREFIX",
    "await_sync",
    "report_metadata",
    "request_sync_once",
    "stored_handle",
]

#: Run tags holding a step's requested sync: `conn_sync/<step key>`.
HANDLE_TAG_PREFIX = "conn_sync/"

StepContext = dg.OpExecutionContext | dg.AssetExecutionContext


def _tag_key(context: StepContext) -> str:
    step = context.op_execution_context.get_step_execution_context().step
    return f"{HANDLE_TAG_PREFIX}{step.key}"


def stored_handle(context: StepContext) -> SyncHandle | None:
    """The handle an earlier try of this step recorded in this run, if any.

    The tag names the run that wrote it: a re-execution, which may inherit its
    parent's tags, never re-attaches to the parent's sync.
    """
    run = context.instance.get_run_by_id(context.run.run_id)
    raw = None if run is None else run.tags.get(_tag_key(context))
    if raw is None:
        return None
    stored = json.loads(raw)
    if not isinstance(stored, dict) or stored.get("run_id") != context.run.run_id:
        return None
    return SyncHandle.model_validate(stored["handle"])


async def request_sync_once(
    context: StepContext,
    resource: ConnectionResource,
    connection_id: str,
    *,
    kind: SyncKind = SyncKind.SYNC,
    tables: Sequence[TableRef] | None = None,
    force: bool = False,
) -> SyncHandle:
    """Ask for a sync or resync, or, on a retry of this step, re-attach to the one asked for.

    Vendor calls: the before-state GET, then the sync request (Fivetran POST
    /v1/connections/{id}/sync or /resync, Faraday POST
    /connections/{id}/force_update); a retry sends one GET, and the request
    again only if nothing started. Raises `dg.Failure` (see `resources`).
    """
    backend: Backend[Any] = resource.get_backend()
    if context.retry_number > 0:
        handle = stored_handle(context)
        if handle is not None:
            outcome: SyncOutcome = await resource.arun(reattach_sync(backend, handle))
            context.log.info(
                f"retry {context.retry_number}: re-attached to the {handle.kind.value} of "
                f"{handle.connection_id} requested at {handle.requested_at.isoformat()} "
                f"(now {outcome.state.value})"
            )
            return handle
    handle = await resource.arun(prepare_sync(backend, connection_id, kind=kind, tables=tables))
    context.instance.add_run_tags(
        context.run.run_id,
        {
            _tag_key(context): json.dumps(
                {"run_id": context.run.run_id, "handle": handle.model_dump(mode="json")}
            )
        },
    )
    await resource.arun(request_sync(backend, handle, force=force))
    context.log.info(f"asked for a {handle.kind.value} of {resource.backend_name} {connection_id}")
    return handle


async def await_sync(
    resource: ConnectionResource, handle: SyncHandle, config: WaitSyncConfig
) -> SyncOutcome:
    """Wait for the sync behind `handle` to succeed (polling with the config's policy).

    A sync the vendor postponed is waited for, retried or failed, as
    `config.on_rescheduled` says: "retry" raises `dg.RetryRequested` timed to
    the vendor's `rescheduled_for` (at least 1 s from now). A failed sync, a
    paused connection or a timeout raise `dg.Failure` (see `resources`).
    Vendor calls: GETs of the connection (Fivetran, Faraday).
    """
    waits = config.on_rescheduled == "wait"
    policy = config.policy(resource, on_rescheduled="wait" if waits else "fail")
    async with resource.async_executor() as executor:
        try:
            return await executor.run(wait_for_sync(resource.get_backend(), handle, policy=policy))
        except SyncRescheduledError as exc:
            if config.on_rescheduled == "retry":
                due = exc.rescheduled_until if exc.rescheduled_until is not None else time.time()
                raise dg.RetryRequested(
                    max_retries=config.rescheduled_max_retries,
                    seconds_to_wait=max(1.0, due - time.time()),
                ) from exc
            raise_failure(exc)
        except ConnError as exc:
            raise_failure(exc)


def report_metadata(report: SyncReport) -> dict[str, Any]:
    """Dagster metadata of a sync: state, start, end, duration (s), kind and vendor URL.

    Keys are prefixed `conn/`; the sensor reads `conn/finished_at` back to tell a
    sync Dagster recorded from one it still has to record.
    """
    metadata: dict[str, Any] = {
        "conn/backend": report.backend,
        "conn/connection_id": report.connection_id,
        "conn/kind": report.kind.value,
        "conn/state": report.state.value,
        "conn/requested_at": dg.MetadataValue.timestamp(report.requested_at),
    }
    if report.finished_at is not None:
        metadata["conn/finished_at"] = dg.MetadataValue.timestamp(report.finished_at)
    if report.duration_seconds is not None:
        metadata["conn/duration_seconds"] = dg.MetadataValue.float(report.duration_seconds)
    if report.url:
        metadata["conn/url"] = dg.MetadataValue.url(report.url)
    return metadata
