"""Retry safety and secrets, on the Fivetran example DAG under `dag.test()`.

Retry safety: the first try of `sync` sends its request, the simulator commits
it and drops the answer (the try dies with a NetworkError); the retry finds
the intent in the task state store, re-attaches, and reports that sync's
outcome. The simulator counts one sync request.

Secrets: the source database's password (rendered into the spec) and the
Fivetran API secret (the Airflow connection's password) never reach XCom or
the recorded rendered fields, and every place they could appear in the task
logs is masked (`dag.test()` prints unmasked; `redact` is what the supervisor
applies to real log files).
"""

from datetime import timedelta

import pytest
from airflow.sdk.log import redact

from conn_shared.sim import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from tests.airflow.conftest import SOURCE_PASSWORD, connection_json
from tests.airflow.support import example_dags, rendered_fields, task_states, try_numbers, xcoms

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


def test_planted_secrets_never_surface(
    airflow_env: SimServer, capfd: pytest.CaptureFixture[str]
) -> None:
    api_secret = airflow_env.credentials.as_dict()["fivetran"]["api_secret"]
    dags, _ = example_dags(deferrable=True)

    run = dags["airflow_fivetran"].test()
    logs = "".join(capfd.readouterr())

    assert set(task_states(run).values()) == {"success"}
    recorded = repr(xcoms(run)) + repr(rendered_fields(run))
    assert "{{" not in repr(rendered_fields(run)["ensure"])  # the spec was rendered ...
    for secret in (SOURCE_PASSWORD, api_secret):
        assert secret not in recorded  # ... and recorded with its secrets masked
        assert secret not in redact(logs)
