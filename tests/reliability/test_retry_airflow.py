"""Retry safety in Airflow: a try ended at each step boundary is retried and re-attaches.

One DAG per backend, run with `dag.test()` (Airflow's own retries, deferrable or
not), asks for one connection and, where the backend syncs, two syncs:

    ensure    its first try ends after the create was sent (committed, answer lost,
              the look-up after it failing too)
    sync      its first try ends while waiting (the vendor's clock stands still
              and the wait's deadline passes); the clock runs again for the retry
    second    a resync of one table (Fivetran) or another sync (Faraday): its first
              try ends after the request was sent (committed, answer lost)

Each of those tasks succeeds on its second try, and the simulator's counters show
one connection and one request per sync asked for. The Fivetran example DAG's
incremental sync after a lost request is covered in `tests/airflow`.
"""

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_provider_conn import EnsureConnectionOperator, TriggerSyncOperator
from conn_shared.sim import FaultPlan
from conn_shared.sim.server import SimServer
from tests.airflow.conftest import POLL, connection_json
from tests.airflow.support import task_states, try_numbers, xcoms
from tests.dagster.support import CREATE_ROUTE, SYNC_ROUTE
from tests.reliability.support import (
    RESYNC_ROUTE,
    connections,
    flatten,
    frozen_clock,
    lost_create,
    lost_request,
    run_dag,
    spec_with_secret,
    thaw,
)

#: The second sync task of each backend that syncs: its arguments and the route it POSTs.
SECOND: dict[str, tuple[dict[str, Any], str]] = {
    "fivetran": ({"resync": True, "tables": ["public.orders"]}, RESYNC_ROUTE),
    "faraday": ({}, SYNC_ROUTE["faraday"]),
}
CASES = [
    pytest.param("fivetran", False, id="fivetran-worker"),
    pytest.param("fivetran", True, id="fivetran-deferrable"),
    pytest.param("faraday", False, id="faraday-worker"),
    pytest.param("faraday", True, id="faraday-deferrable"),
    pytest.param("hub", False, id="hub"),
]


def _dag(sim: SimServer, backend: str, deferrable: bool) -> DAG:
    waits = {"poll_interval": POLL, "max_poll_interval": 0.5, "deferrable": deferrable}
    with DAG(
        f"retry_{backend}_{'deferred' if deferrable else 'worker'}",
        schedule=None,
        start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
        default_args={"retries": 1, "retry_delay": timedelta(0)},
    ) as dag:
        spec = spec_with_secret(backend, "retried", "{{ conn.source_postgres.password }}")
        ensure = EnsureConnectionOperator(task_id="ensure", backend=backend, spec=spec)
        if backend in SECOND:
            sync = TriggerSyncOperator(
                task_id="sync",
                backend=backend,
                connection_id=ensure.output,
                # The first try's deadline passes at its first poll; the retry has a minute.
                timeout="{{ 0.001 if ti.try_number == 1 else 60 }}",
                on_retry_callback=thaw(sim),
                **waits,
            )
            kwargs, _ = SECOND[backend]
            second = TriggerSyncOperator(
                task_id="second",
                backend=backend,
                connection_id=ensure.output,
                timeout=60,
                **kwargs,
                **waits,
            )
            ensure >> sync >> second
    return dag


@pytest.mark.parametrize(("backend", "deferrable"), CASES)
def test_a_try_ended_at_each_step_boundary_is_retried_and_reattaches(
    airflow_env: SimServer, monkeypatch: pytest.MonkeyPatch, backend: str, deferrable: bool
) -> None:
    sim = airflow_env
    # One attempt per request: a failed request ends the try, as a killed worker would.
    monkeypatch.setenv(
        f"AIRFLOW_CONN_CONN_{backend.upper()}_DEFAULT",
        connection_json(sim, backend, max_attempts=1),
    )
    dag = _dag(sim, backend, deferrable)
    faults = [lost_create(backend)]
    if backend in SECOND:
        _, route = SECOND[backend]
        # Faraday's second sync POSTs where the first did: let the first one through.
        faults.append(lost_request(backend, route, after=int(route == SYNC_ROUTE[backend])))
    sim.set_faults(FaultPlan(flatten(faults)))

    with frozen_clock(sim):
        run = run_dag(dag)

    states, tries = task_states(run), try_numbers(run)
    assert set(states.values()) == {"success"}, states
    assert set(tries.values()) == {2}, tries  # every task's first try ended at its boundary
    assert sim.count(backend, "POST", CREATE_ROUTE[backend]) == 1
    assert connections(sim, backend) == 1
    if backend in SECOND:
        _, route = SECOND[backend]
        values = xcoms(run)
        assert values[("sync", "return_value")]["state"] == "succeeded"
        assert values[("second", "return_value")]["state"] == "succeeded"
        if route == SYNC_ROUTE[backend]:
            assert sim.count(backend, "POST", route) == 2  # two syncs asked for, two requests
        else:
            assert sim.count(backend, "POST", SYNC_ROUTE[backend]) == 1
            assert sim.count(backend, "POST", route) == 1
