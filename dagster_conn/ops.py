"""Ops for every lifecycle step (the job that chains them is in `dagster_conn.jobs`).

    sync = build_sync_op(backend="fivetran")      # an op named "fivetran_trigger_sync"

Each `build_*_op(*, backend, name=None, resource_key=None)` returns an op that
runs one `conn_shared` verb through the resource under `resource_key` (by
default the backend's name: "fivetran", "faraday" or "hub"). Building an op
for a step the backend lacks fails at once, naming the backend and the step.
Ops pass the connection id (a str) downstream; the sync ops pass the
`SyncHandle` as plain JSON, and the wait returns the `SyncReport` as JSON.
The waiting steps (wait until ready, trigger and wait for a sync) are async
ops on `conn_shared`'s per-event-loop client; the others are sync.
"""

from collections.abc import Callable
from typing import Any

import dagster as dg

from conn_shared import (
    BackendEntry,
    ReadinessState,
    Step,
    SyncHandle,
    SyncKind,
    SyncReport,
    TableRef,
    backend_entry,
    delete_connection,
    ensure_connection,
    pause_connection,
    resume_connection,
    verify_connection,
    wait_until_ready,
)
from dagster_conn.config import (
    DeleteConfig,
    EnsureConfig,
    ResyncConfig,
    TriggerConfig,
    WaitConfig,
    WaitSyncConfig,
    build_spec,
)
from dagster_conn.resources import connection_resource
from dagster_conn.syncs import await_sync, report_metadata, request_sync_once

__all__ = [
    "VERBS",
    "build_delete_op",
    "build_ensure_op",
    "build_pause_op",
    "build_resume_op",
    "build_resync_op",
    "build_sync_op",
    "build_verify_op",
    "build_wait_ready_op",
    "build_wait_sync_op",
    "require_step",
]


#: The op name's verb for each step: `<backend>_<verb>`, or `<job>_<verb>` in a job.
VERBS: dict[Step, str] = {
    Step.ENSURE: "ensure_connection",
    Step.VERIFY: "verify_connection",
    Step.READINESS: "wait_until_ready",
    Step.SYNC: "trigger_sync",
    Step.RESYNC: "trigger_resync",
    Step.RESYNC_TABLES: "trigger_resync",
    Step.SYNC_OUTCOME: "wait_for_sync",
    Step.PAUSE: "pause_connection",
    Step.RESUME: "resume_connection",
    Step.DELETE: "delete_connection",
}


def require_step(backend: str, step: Step) -> BackendEntry:
    """The backend's registry entry; DagsterInvalidDefinitionError if it lacks `step`."""
    entry = backend_entry(backend)
    if step not in entry.capabilities:
        supported = ", ".join(s.value for s in Step if s in entry.capabilities)
        raise dg.DagsterInvalidDefinitionError(
            f"the {backend} backend has no {step.value!r} step, so it gets no op for it; "
            f"supported steps: {supported}"
        )
    return entry


def _op(
    step: Step, backend: str, name: str | None, resource_key: str | None
) -> tuple[Callable[[Callable[..., Any]], dg.OpDefinition], str]:
    """The `dg.op` decorator for `step`, after the definition-time capability check."""
    require_step(backend, step)
    key = resource_key or backend
    verb = VERBS[step]
    decorator = dg.op(
        name=name or f"{backend}_{verb}",
        required_resource_keys={key},
        tags={"kind": backend},
        description=f"{verb.replace('_', ' ')} ({backend}, resource {key!r})",
    )
    return decorator, key


def build_ensure_op(
    *, backend: str, name: str | None = None, resource_key: str | None = None
) -> dg.OpDefinition:
    """An op that creates the connection its `EnsureConfig` describes, or finds it; never two.

    Outputs the connection id. Vendor calls: the look-up GETs, then POST (create)
    or PATCH (drifted settings) where needed.
    """
    decorator, key = _op(Step.ENSURE, backend, name, resource_key)
    entry = backend_entry(backend)

    @decorator
    def _ensure(context: dg.OpExecutionContext, config: EnsureConfig) -> dg.Output[str]:
        resource = connection_resource(context, key, backend)
        spec, hide = build_spec(entry, config.spec, config.secrets)
        flow = ensure_connection(
            resource.get_backend(), spec, update=config.update, resend_secrets=config.resend_secrets
        )
        result = resource.run(flow, hide=hide + spec.secret_values())
        connection_id = result.connection.connection_id
        context.log.info(
            f"{backend} connection {connection_id}: "
            f"{'created' if result.created else 'found'}"
            f"{', drifted settings updated' if result.updated else ''}"
        )
        url = resource.connection_url(connection_id)
        metadata: dict[str, Any] = {"created": result.created, "updated": result.updated}
        if url:
            metadata["url"] = dg.MetadataValue.url(url)
        return dg.Output(connection_id, metadata=metadata)

    return _ensure


def build_verify_op(
    *, backend: str, name: str | None = None, resource_key: str | None = None
) -> dg.OpDefinition:
    """An op that runs the vendor's setup tests / verification; passes the id on.

    Fails (no retries) when they fail. Vendor calls: Fivetran POST .../test, hub POST .../verify.
    """
    decorator, key = _op(Step.VERIFY, backend, name, resource_key)

    @decorator
    def _verify(context: dg.OpExecutionContext, connection_id: str) -> str:
        resource = connection_resource(context, key, backend)
        readiness = resource.run(verify_connection(resource.get_backend(), connection_id))
        if readiness.state is ReadinessState.FAILED:
            raise dg.Failure(
                description=f"{backend} connection {connection_id} failed verification: "
                f"{readiness.reason or 'no reason given'}",
                allow_retries=False,
            )
        context.log.info(f"{backend} connection {connection_id}: {readiness.state.value}")
        return connection_id

    return _verify


def build_wait_ready_op(
    *, backend: str, name: str | None = None, resource_key: str | None = None
) -> dg.OpDefinition:
    """An async op that polls readiness (its `WaitConfig`) until ready; passes the id on.

    A failed or paused connection fails at once, a timeout may be retried. Vendor calls: GETs.
    """
    decorator, key = _op(Step.READINESS, backend, name, resource_key)

    @decorator
    async def _wait_ready(
        context: dg.OpExecutionContext, config: WaitConfig, connection_id: str
    ) -> str:
        resource = connection_resource(context, key, backend)
        flow = wait_until_ready(
            resource.get_backend(), connection_id, policy=config.policy(resource)
        )
        await resource.arun(flow)
        context.log.info(f"{backend} connection {connection_id} is ready")
        return connection_id

    return _wait_ready


def _sync_op(
    step: Step,
    *,
    kind: SyncKind,
    backend: str,
    name: str | None,
    resource_key: str | None,
    config_class: type[dg.Config],
    options: Callable[[Any], dict[str, Any]],
) -> dg.OpDefinition:
    decorator, key = _op(step, backend, name, resource_key)

    async def _trigger(
        context: dg.OpExecutionContext, config: Any, connection_id: str
    ) -> dict[str, Any]:
        resource = connection_resource(context, key, backend)
        handle = await request_sync_once(
            context, resource, connection_id, kind=kind, **options(config)
        )
        return handle.model_dump(mode="json")

    # Dagster reads the config class off the annotation, before decorating.
    _trigger.__annotations__["config"] = config_class
    return decorator(_trigger)


def build_sync_op(
    *, backend: str, name: str | None = None, resource_key: str | None = None
) -> dg.OpDefinition:
    """An async op that asks for a sync once (retries re-attach) and outputs its handle (JSON).

    `TriggerConfig.force` restarts a running sync. Vendor calls: a GET, then
    Fivetran POST .../sync or Faraday POST .../force_update.
    """
    return _sync_op(
        Step.SYNC,
        kind=SyncKind.SYNC,
        backend=backend,
        name=name,
        resource_key=resource_key,
        config_class=TriggerConfig,
        options=lambda config: {"force": config.force},
    )


def build_resync_op(
    *, backend: str, name: str | None = None, resource_key: str | None = None
) -> dg.OpDefinition:
    """An async op that asks for a historical resync (of `ResyncConfig.tables`, or all).

    Outputs the handle (JSON). Vendor calls: a GET, then Fivetran POST .../resync.
    """

    def options(config: Any) -> dict[str, Any]:
        tables = None
        if config.tables:
            tables = [TableRef(schema_name=t.schema_name, table=t.table) for t in config.tables]
        return {"tables": tables}

    return _sync_op(
        Step.RESYNC,
        kind=SyncKind.RESYNC,
        backend=backend,
        name=name,
        resource_key=resource_key,
        config_class=ResyncConfig,
        options=options,
    )


def build_wait_sync_op(
    *, backend: str, name: str | None = None, resource_key: str | None = None
) -> dg.OpDefinition:
    """An async op that waits for the sync of its input handle; outputs the `SyncReport` JSON.

    `WaitSyncConfig` sets the polling and what a rescheduled sync does (wait,
    `RetryRequested` at the vendor's time, or fail). Vendor calls: GETs.
    """
    decorator, key = _op(Step.SYNC_OUTCOME, backend, name, resource_key)

    @decorator
    async def _wait_sync(
        context: dg.OpExecutionContext, config: WaitSyncConfig, handle: dict[str, Any]
    ) -> dg.Output[dict[str, Any]]:
        resource = connection_resource(context, key, backend)
        sync = SyncHandle.model_validate(handle)
        outcome = await await_sync(resource, sync, config)
        report = SyncReport.of(sync, outcome, url=resource.connection_url(sync.connection_id))
        context.log.info(f"{sync.kind.value} of {sync.connection_id}: {report.state.value}")
        return dg.Output(report.model_dump(mode="json"), metadata=report_metadata(report))

    return _wait_sync


def _toggle_op(
    step: Step, backend: str, name: str | None, resource_key: str | None
) -> dg.OpDefinition:
    decorator, key = _op(step, backend, name, resource_key)
    verb_flow = pause_connection if step is Step.PAUSE else resume_connection

    @decorator
    def _toggle(context: dg.OpExecutionContext, connection_id: str) -> str:
        resource = connection_resource(context, key, backend)
        info = resource.run(verb_flow(resource.get_backend(), connection_id))
        context.log.info(f"{backend} connection {connection_id}: paused={info.paused}")
        return connection_id

    return _toggle


def build_pause_op(
    *, backend: str, name: str | None = None, resource_key: str | None = None
) -> dg.OpDefinition:
    """An op that stops scheduled syncs (Fivetran PATCH paused=true, hub POST .../disable)."""
    return _toggle_op(Step.PAUSE, backend, name, resource_key)


def build_resume_op(
    *, backend: str, name: str | None = None, resource_key: str | None = None
) -> dg.OpDefinition:
    """An op that undoes the pause (Fivetran PATCH paused=false, hub POST .../reactivate)."""
    return _toggle_op(Step.RESUME, backend, name, resource_key)


def build_delete_op(
    *, backend: str, name: str | None = None, resource_key: str | None = None
) -> dg.OpDefinition:
    """An op that deletes the connection; outputs True if it did, False if it was gone.

    Refuses (no retries) while other resources use it (Faraday datasets). Vendor call: DELETE.
    """
    decorator, key = _op(Step.DELETE, backend, name, resource_key)

    @decorator
    def _delete(context: dg.OpExecutionContext, config: DeleteConfig, connection_id: str) -> bool:
        resource = connection_resource(context, key, backend)
        flow = delete_connection(
            resource.get_backend(), connection_id, missing_ok=config.missing_ok
        )
        deleted = resource.run(flow)
        context.log.info(f"{backend} connection {connection_id}: deleted={deleted}")
        return deleted

    return _delete
