"""The connection job: ensure -> verify -> wait until ready -> sync -> wait for the sync.

from dagster_conn import build_connection_job

job = build_connection_job(
    name="shop_postgres",
    backend="fivetran",
    spec={"group_id": "warehouse", "service": "postgres", "schema_name": "shop",
          "config": {"host": "db.example.com", "user": "loader"}},
    secrets={"config.password": "SHOP_PG_PASSWORD"},
)
"""

from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg

from conn_shared import Step, backend_entry
from dagster_conn.config import EnsureConfig
from dagster_conn.ops import (
    VERBS,
    build_ensure_op,
    build_sync_op,
    build_verify_op,
    build_wait_ready_op,
    build_wait_sync_op,
    require_step,
)

__all__ = ["CHAIN", "build_connection_job"]

#: The job's chain, in order: ensure -> verify -> wait until ready -> sync -> wait for it.
CHAIN: tuple[Step, ...] = (Step.ENSURE, Step.VERIFY, Step.READINESS, Step.SYNC, Step.SYNC_OUTCOME)
_BUILDERS: dict[Step, Callable[..., dg.OpDefinition]] = {
    Step.ENSURE: build_ensure_op,
    Step.VERIFY: build_verify_op,
    Step.READINESS: build_wait_ready_op,
    Step.SYNC: build_sync_op,
    Step.SYNC_OUTCOME: build_wait_sync_op,
}


def build_connection_job(
    *,
    name: str,
    backend: str,
    resource_key: str | None = None,
    steps: Sequence[Step | str] | None = None,
    spec: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
) -> dg.JobDefinition:
    """A job: ensure -> verify -> wait until ready -> sync -> wait for the sync.

    `steps` picks from that chain (values of `conn_shared.Step`: "ensure",
    "verify", "readiness", "sync", "sync_outcome"); None takes every step the
    backend supports (the hub stops at ready, Faraday skips verify). Naming a
    step the backend lacks raises `DagsterInvalidDefinitionError` at once. The
    ops are named `<name>_<verb>`. `spec` and `secrets` become the ensure op's
    default `EnsureConfig` (secrets: dotted spec path -> environment variable);
    run config given at launch replaces it. The waits poll as the resource says
    unless their `WaitConfig` overrides it.
    """
    entry = backend_entry(backend)
    if steps is None:
        chosen = [s for s in CHAIN if s in entry.capabilities]
    else:
        chosen = []
        for raw in steps:
            step = _chain_step(raw)
            require_step(backend, step)
            chosen.append(step)
        chosen = [s for s in CHAIN if s in chosen]
    if Step.SYNC_OUTCOME in chosen and Step.SYNC not in chosen:
        raise dg.DagsterInvalidDefinitionError(
            "steps: 'sync_outcome' waits for the sync the 'sync' step asks for; add 'sync'"
        )
    ops = [
        _BUILDERS[step](backend=backend, name=f"{name}_{VERBS[step]}", resource_key=resource_key)
        for step in chosen
    ]

    @dg.graph(name=name, description=description)
    def _chain() -> None:
        value: Any = None
        for op_def in ops:
            value = op_def() if value is None else op_def(value)

    config = None
    if spec is not None and Step.ENSURE in chosen:
        ensure = EnsureConfig(spec=spec, secrets=secrets or {})
        config = dg.RunConfig(ops={ops[0].name: ensure})
    return _chain.to_job(name=name, config=config, tags=tags)


def _chain_step(raw: Step | str) -> Step:
    for step in CHAIN:
        if raw in (step, step.value):
            return step
    allowed = ", ".join(s.value for s in CHAIN)
    raise dg.DagsterInvalidDefinitionError(f"steps: {raw!r} is not one of {allowed}")
