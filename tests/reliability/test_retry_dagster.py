"""Retry safety in Dagster: a step ended at each boundary is retried in the run and re-attaches.

Steps get a `dg.RetryPolicy`; every retry happens inside one `execute_in_process` run.

- After the create was sent: the ensure op's first try ends with the create
  committed, its answer lost and the look-up after it failing; the retry finds it.
- After the request was sent: the sync op (Faraday) or resync op (Fivetran) ends
  with its request committed and the answer lost; the retry re-attaches.
- While waiting: on a simulator whose clock runs at real time (a sync takes
  `SYNC_SECONDS`), the wait's deadline passes at its first poll, so the wait op,
  or the sync asset (request and wait in one step), fails and is retried, with
  a growing delay, until a try finds the sync over. The asset's first try also
  loses its request's answer, so its retries cover both boundaries.

The simulator's counters show one connection and one request per sync asked for.
(The Fivetran sync op after a lost answer is covered in `tests/dagster/test_ops.py`,
a sync the vendor reschedules in `tests/dagster/test_rescheduled.py`.)
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest

from conn_shared import Step, backend_entry
from conn_shared.sim import FaultPlan
from conn_shared.sim.clock import SimClock
from conn_shared.sim.server import SimServer
from dagster_conn import (
    ConnectionResource,
    build_connection_assets,
    build_ensure_op,
    build_resync_op,
    build_sync_op,
    build_verify_op,
    build_wait_ready_op,
    build_wait_sync_op,
)
from tests.dagster.support import (
    CREATE_ROUTE,
    SYNC_ROUTE,
    credential_env,
    declared,
    event_text,
    make_resources,
    ready_connection,
    secrets_of,
    spec_of,
    synced_once,
)
from tests.reliability.conftest import PLANTED_CREDENTIALS
from tests.reliability.support import (
    RESYNC_ROUTE,
    connections,
    flatten,
    lost_create,
    lost_request,
)
from tests.support.secrets import credential_values, secrets_in

#: Real seconds a sync (or a Faraday build) takes on the real-time simulator.
SYNC_SECONDS = 1.0
#: Retries of a step that ended while waiting: 0.25 s, 0.5 s, 1 s, ... apart.
UNTIL_DONE = dg.RetryPolicy(max_retries=6, delay=0.25, backoff=dg.Backoff.EXPONENTIAL)
ONCE_MORE = dg.RetryPolicy(max_retries=1)
#: A wait whose deadline passes at its first poll (seconds).
NO_TIME = {"timeout": 0.001}
SYNCING = [pytest.param("fivetran", id="fivetran"), pytest.param("faraday", id="faraday")]


def _retries(result: dg.ExecuteInProcessResult, step: str) -> int:
    return len(
        [
            e
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY and e.step_key == step
        ]
    )


def _run(job: dg.JobDefinition, resources: Any, instance: dg.DagsterInstance, **kwargs: Any) -> Any:
    return job.execute_in_process(
        resources=resources, instance=instance, raise_on_error=False, **kwargs
    )


@pytest.mark.parametrize("backend", [*SYNCING, pytest.param("hub", id="hub")])
def test_ops_ended_after_the_create_or_the_request_retry_and_reattach(
    sim: SimServer, instance: dg.DagsterInstance, backend: str
) -> None:
    capabilities = backend_entry(backend).capabilities
    ensure = build_ensure_op(backend=backend, name="ensure").with_retry_policy(ONCE_MORE)
    ready = build_wait_ready_op(backend=backend, name="ready")
    verify = None
    if Step.VERIFY in capabilities:
        verify = build_verify_op(backend=backend, name="verify")
    syncs = Step.SYNC in capabilities
    resync = backend == "fivetran"
    if syncs:
        request = (build_resync_op if resync else build_sync_op)(backend=backend, name="request")
        wait = build_wait_sync_op(backend=backend, name="wait")

    @dg.job
    def lifecycle() -> None:
        connection_id = ensure()
        if verify is not None:
            connection_id = verify(connection_id)
        connection_id = ready(connection_id)
        if syncs:
            wait(request.with_retry_policy(ONCE_MORE)(connection_id))

    route = RESYNC_ROUTE if resync else SYNC_ROUTE.get(backend, "")
    faults = [lost_create(backend)] + ([lost_request(backend, route)] if syncs else [])
    sim.set_faults(FaultPlan(flatten(faults)))
    ops: dict[str, Any] = {
        "ensure": {"config": {"spec": spec_of(backend, "retried"), "secrets": secrets_of(backend)}}
    }
    if resync:
        ops["request"] = {"config": {"tables": [{"schema_name": "public", "table": "orders"}]}}

    result = _run(
        lifecycle,
        make_resources(sim, request_max_attempts=1),
        instance,
        run_config={"ops": ops},
    )

    assert result.success
    assert _retries(result, "ensure") == 1
    assert sim.count(backend, "POST", CREATE_ROUTE[backend]) == 1
    assert connections(sim, backend) == 1
    if syncs:
        assert _retries(result, "request") == 1
        assert sim.count(backend, "POST", route) == 1
        report = result.output_for_node("wait")
        assert (report["kind"], report["state"]) == ("resync" if resync else "sync", "succeeded")
    recorded = {"event log": event_text(instance, result.run_id)}
    assert secrets_in(recorded, credential_values(sim.credentials)) == []


@pytest.fixture(scope="module")
def real_time_sim() -> Iterator[SimServer]:
    """A simulator on real time where a sync or a build takes `SYNC_SECONDS`."""
    timings = {"sync_seconds": SYNC_SECONDS, "historical_sync_seconds": SYNC_SECONDS}
    with SimServer(
        clock=SimClock(speed=1.0),
        credentials=PLANTED_CREDENTIALS,
        fivetran_options=timings,
        faraday_options={"build_seconds": SYNC_SECONDS},
    ) as server:
        yield server


@pytest.fixture
def slow(real_time_sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> SimServer:
    """The real-time simulator, reset, with its credentials in the environment."""
    real_time_sim.reset()
    for name, value in credential_env(real_time_sim).items():
        monkeypatch.setenv(name, value)
    return real_time_sim


def _slow_resources(sim: SimServer) -> dict[str, ConnectionResource]:
    return make_resources(sim, request_max_attempts=1, poll_interval=0.05, max_poll_interval=0.1)


def _idle_connection(resource: ConnectionResource) -> str:
    # Ready, and past the first sync the vendor runs on its own: the sync asked for
    # next is the one the steps wait for, from its start.
    connection_id = ready_connection(resource)
    synced_once(resource, connection_id)
    return connection_id


@pytest.mark.parametrize("backend", SYNCING)
def test_a_wait_op_ended_while_waiting_is_retried_until_the_sync_it_waits_for_ends(
    slow: SimServer, instance: dg.DagsterInstance, backend: str
) -> None:
    resources = _slow_resources(slow)
    connection_id = _idle_connection(resources[backend])
    sync = build_sync_op(backend=backend, name="sync")
    wait = build_wait_sync_op(backend=backend, name="wait").with_retry_policy(UNTIL_DONE)

    @dg.job
    def sync_and_wait() -> None:
        wait(sync())

    before = slow.count(backend, "POST", SYNC_ROUTE[backend])
    result = _run(
        sync_and_wait,
        resources,
        instance,
        run_config={
            "ops": {
                "sync": {"inputs": {"connection_id": connection_id}},
                "wait": {"config": NO_TIME},
            }
        },
    )

    assert result.success
    assert _retries(result, "wait") >= 1
    assert slow.count(backend, "POST", SYNC_ROUTE[backend]) == before + 1
    assert result.output_for_node("wait")["state"] == "succeeded"


@pytest.mark.parametrize("backend", SYNCING)
def test_a_sync_asset_ended_after_its_request_and_while_waiting_reattaches_each_time(
    slow: SimServer, instance: dg.DagsterInstance, backend: str
) -> None:
    resources = _slow_resources(slow)
    _idle_connection(resources[backend])
    (asset,) = build_connection_assets(connections=[declared(backend)])
    job = dg.Definitions(
        assets=[asset],
        jobs=[dg.define_asset_job("materialize", selection=[asset], op_retry_policy=UNTIL_DONE)],
        resources=resources,
    ).resolve_job_def("materialize")
    slow.set_faults(FaultPlan(lost_request(backend, SYNC_ROUTE[backend])))
    before = slow.count(backend, "POST", SYNC_ROUTE[backend])

    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"ops": {asset.node_def.name: {"config": NO_TIME}}},
    )

    assert result.success
    # One retry for the lost answer, at least one more for the wait that ran out of time.
    assert _retries(result, asset.node_def.name) >= 2
    assert slow.count(backend, "POST", SYNC_ROUTE[backend]) == before + 1
    (materialization,) = result.get_asset_materialization_events()
    assert materialization.materialization.metadata["conn/state"].value == "succeeded"
    assert "re-attached" in event_text(instance, result.run_id)
