"""Retry safety on the Fivetran example DAG under `dag.test()`.

The first try of `sync` sends its request, the simulator commits it and drops
the answer (the try dies with a NetworkError); the retry finds the intent in
the task state store, re-attaches, and reports that sync's outcome. The
simulator counts one sync request. (The secrets every example DAG leaves
behind are searched in `test_example_dags.py`; the other step boundaries, in
Airflow and Dagster, in `tests/reliability`.)
"""

from datetime import timedelta

import pytest

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
    dag.get_task("sync").retry_delay = timedelta(0)
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
    assert xcoms(run)[("sync", "return_value")]["state"] == "succeeded"
    assert airflow_env.count("fivetran", "POST", SYNC_ROUTE) == 1
