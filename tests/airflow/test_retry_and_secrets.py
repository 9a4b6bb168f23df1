"""Retry safety on the Fivetran example DAG under `dag.test()`.

The first try of `sync` sends its request, the simulator commits it and drops
the answer (the try dies with a NetworkError), and that sync finishes before
the retry starts. On Airflow 3.3 the retry finds the intent in the task state
store, re-attaches, and reports that sync's outcome: the simulator counts one
sync request. Airflow 3.2 has no task state store, and docs/airflow.md says
what the fallback guarantees: a retry that finds the first sync finished asks
for a new one and reports that. (The secrets every example DAG leaves behind
are searched in `test_example_dags.py`; the other step boundaries, in Airflow
and Dagster, in `tests/reliability`.)
"""

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_conn._compat import HAS_STATE_STORES
from conn_shared import SyncReport, SyncState
from conn_shared.sim import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from tests.airflow.conftest import connection_json
from tests.airflow.support import example_dags, task_states, try_numbers, xcoms

SYNC_ROUTE = "/v1/connections/{connectionId}/sync"
MODES = [pytest.param(False, id="worker"), pytest.param(True, id="deferrable")]


@pytest.mark.parametrize("deferrable", MODES)
def test_a_retried_sync_task_reattaches_to_the_sync_its_first_try_asked_for(
    airflow_env: SimServer, deferrable: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One attempt per request: the lost answer ends the try, as a killed worker would.
    monkeypatch.setenv(
        "AIRFLOW_CONN_CONN_FIVETRAN_DEFAULT",
        connection_json(airflow_env, "fivetran", max_attempts=1),
    )
    dags, _ = example_dags(deferrable=deferrable)
    dag = dags["airflow_fivetran"]
    sync = dag.get_task("sync")
    sync.retry_delay = timedelta(0)
    retried_at: list[datetime] = []

    def first_sync_ends(context: Any) -> None:
        # Past the simulator's 30 s sync, so the retry finds it finished whatever the host's speed.
        clock = airflow_env.advance(60)
        retried_at.append(datetime.fromtimestamp(clock["now"], tz=timezone.utc))

    sync.on_retry_callback = [first_sync_ends]
    airflow_env.set_faults(
        FaultPlan(
            [
                FaultRule(
                    "commit_then_lose",
                    times=1,
                    method="POST",
                    path="/fivetran/v1/connections/*/sync",
                )
            ]
        )
    )

    run = dag.test()

    assert task_states(run)["sync"] == "success"
    assert try_numbers(run)["sync"] == 2
    report = SyncReport.model_validate(xcoms(run)[("sync", "return_value")])
    assert report.state is SyncState.SUCCEEDED
    assert report.finished_at is not None
    if HAS_STATE_STORES:  # re-attached: the first try's sync, asked for once
        assert airflow_env.count("fivetran", "POST", SYNC_ROUTE) == 1
        assert report.finished_at < retried_at[0]
    else:  # 3.2: the first sync had ended, so the retry asked for a second one
        assert airflow_env.count("fivetran", "POST", SYNC_ROUTE) == 2
        assert report.finished_at > retried_at[0]
