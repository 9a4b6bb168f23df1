"""The reconcile job: make the vendors' connections match their declared specs.

    job = build_reconcile_job(name="reconcile_connections", connections=declared)
    job.execute_in_process(run_config={"dry_run": True})   # prints each plan, changes nothing

One op per declared connection that has a spec (records given only by id are
left alone). With `dry_run` the op runs `plan_connection`, which sends GETs
only, and logs the plan's diff (`ConnectionPlan.describe()`: what a create
would send, or field by field what an update would change; secrets only as
`***`). Without it the op ensures the connection (creates it, or updates the
drifted settings in place; never a second one), runs the vendor's verification
where there is one, and waits until it is ready.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from pydantic import Field

from conn_shared import (
    ReadinessState,
    Step,
    backend_entry,
    ensure_connection,
    plan_connection,
    verify_connection,
    wait_until_ready,
)
from dagster_conn.config import build_spec
from dagster_conn.resources import ConnectionResource, connection_resource
from dagster_conn.translator import ConnectionProps

__all__ = ["ReconcileConfig", "build_reconcile_job"]


class ReconcileConfig(dg.Config):
    """`dry_run`: only plan (GETs) and log each connection's diff; change nothing."""

    dry_run: bool = Field(default=False, description="Plan and log the diff only.")


async def _apply(
    context: dg.OpExecutionContext,
    resource: ConnectionResource,
    connection: ConnectionProps,
    spec: Any,
    hide: Sequence[str],
) -> dg.Output[dict[str, Any]]:
    backend = resource.get_backend()
    ensured = await resource.arun(
        ensure_connection(backend, spec, update=True, resend_secrets=connection.resend_secrets),
        hide=hide,
    )
    connection_id = ensured.connection.connection_id
    if Step.VERIFY in backend.capabilities:
        verified = await resource.arun(verify_connection(backend, connection_id))
        if verified.state is ReadinessState.FAILED:
            raise dg.Failure(
                description=f"{connection.name}: {connection.backend} connection "
                f"{connection_id} failed verification: {verified.reason or 'no reason given'}",
                allow_retries=False,
            )
    ready = await resource.arun(
        wait_until_ready(backend, connection_id, policy=resource.wait_policy())
    )
    action = "created" if ensured.created else "updated" if ensured.updated else "unchanged"
    context.log.info(f"{connection.name}: {action}, {ready.state.value} ({connection_id})")
    url = resource.connection_url(connection_id)
    metadata: dict[str, Any] = {"action": action, "connection_id": connection_id}
    if url:
        metadata["url"] = dg.MetadataValue.url(url)
    value = {"connection_id": connection_id, "action": action, "readiness": ready.state.value}
    return dg.Output(value, metadata=metadata)


def _reconcile_op(connection: ConnectionProps, resource_key: str) -> dg.OpDefinition:
    entry = backend_entry(connection.backend)

    @dg.op(
        name=f"reconcile_{connection.key_name}",
        required_resource_keys={resource_key},
        tags={"kind": connection.backend},
        description=f"Make {connection.backend} connection {connection.name!r} match its spec.",
    )
    async def _reconcile(
        context: dg.OpExecutionContext, config: ReconcileConfig
    ) -> dg.Output[dict[str, Any]]:
        resource = connection_resource(context, resource_key, connection.backend)
        assert connection.spec is not None
        spec, hide = build_spec(entry, connection.spec, connection.secrets)
        hide = hide + tuple(spec.secret_values())
        if not config.dry_run:
            return await _apply(context, resource, connection, spec, hide)
        plan = await resource.arun(
            plan_connection(resource.get_backend(), spec, resend_secrets=connection.resend_secrets),
            hide=hide,
        )
        described = plan.describe()
        context.log.info(f"{connection.name} (dry run):\n{described}")
        metadata = {
            "action": plan.action.value,
            "changes": len(plan.changes),
            "plan": dg.MetadataValue.md(f"```\n{described}\n```"),
        }
        return dg.Output(plan.model_dump(mode="json"), metadata=metadata)

    return _reconcile


def build_reconcile_job(
    *,
    name: str,
    connections: Sequence[ConnectionProps],
    resource_keys: Mapping[str, str] | None = None,
    description: str | None = None,
) -> dg.JobDefinition | None:
    """The reconcile job of the `connections` that have a spec; None when none has.

    Its run config is one flag for every op: `{"dry_run": true}` plans and logs
    each diff and changes nothing. Sends nothing when built.
    """
    keys = dict(resource_keys or {})
    managed = [c for c in connections if c.spec is not None]
    if not managed:
        return None
    ops = [_reconcile_op(c, keys.get(c.backend, c.backend)) for c in managed]
    names = [op.name for op in ops]

    @dg.graph(name=name, description=description or "Make the connections match their specs.")
    def _all() -> None:
        for op_def in ops:
            op_def()

    @dg.config_mapping
    def _one_flag(config: ReconcileConfig) -> dict[str, Any]:
        return {"ops": {op_name: {"config": {"dry_run": config.dry_run}} for op_name in names}}

    return _all.to_job(name=name, config=_one_flag)
