"""Every example DAG runs to success under `dag.test()` against the simulator, deferrable or not.

Each run is also searched for the planted secrets: the source database's password
(rendered into the specs) and every credential the simulator accepts (the Airflow
connections' passwords and logins), in each XCom, each task's rendered fields and
the task and trigger logs (as printed, unmasked).
"""

import httpx
import pytest

from conn_shared.sim import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from tests.airflow.conftest import SOURCE_PASSWORD
from tests.airflow.support import example_dags, recorded, rendered_fields, task_states, xcoms
from tests.support.secrets import credential_values, secrets_in

DAG_IDS = [
    "airflow_asset_watcher",
    "airflow_faraday",
    "airflow_fivetran",
    "airflow_hub",
    "airflow_mixed",
]
MODES = [pytest.param(False, id="worker"), pytest.param(True, id="deferrable")]
#: Fields of a SyncReport that differ between two runs of the same DAG.
VARYING = {"connection_id", "requested_at", "finished_at", "duration_seconds", "url"}


def _stable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VARYING}
    return value


@pytest.mark.parametrize("deferrable", MODES)
def test_every_example_dag_succeeds_and_leaves_no_secret(
    airflow_env: SimServer,
    deferrable: bool,
    capfd: pytest.CaptureFixture[str],
    record_property: object,
) -> None:
    secrets = {**credential_values(airflow_env.credentials), "source password": SOURCE_PASSWORD}
    dags, errors = example_dags(deferrable=deferrable)
    assert errors == {}
    assert sorted(dags) == DAG_IDS
    capfd.readouterr()

    places: dict[str, str] = {}
    for dag_id in DAG_IDS:
        run = dags[dag_id].test()
        states = task_states(run)
        assert set(states.values()) == {"success"}, (dag_id, states)
        logs = "".join(capfd.readouterr())
        places.update(recorded(run, logs))
        if dag_id == "airflow_fivetran":
            assert "{{" not in repr(rendered_fields(run)["ensure"])  # the spec was rendered
            assert "asked for a resync of fivetran" in logs  # the task logs were captured

    assert secrets_in(places, secrets) == []
    record_property("places_searched", len(places))  # type: ignore[operator]


def test_deferred_and_worker_runs_leave_equal_sync_reports(airflow_env: SimServer) -> None:
    reports = {}
    for deferrable in (False, True):
        dags, _ = example_dags(deferrable=deferrable)
        run = dags["airflow_fivetran"].test()
        values = xcoms(run)
        reports[deferrable] = {
            task: _stable(values[(task, "return_value")]) for task in ("sync", "resynced")
        }

    assert reports[False] == reports[True]
    assert reports[True]["sync"] == {
        "backend": "fivetran",
        "kind": "sync",
        "state": "succeeded",
        "reason": None,
        "rescheduled_until": None,
    }


def test_parsing_every_example_dag_sends_no_request(airflow_env: SimServer) -> None:
    airflow_env.set_faults(FaultPlan([FaultRule("rate_limit", path="*")]))

    for deferrable in (False, True):
        dags, errors = example_dags(deferrable=deferrable)
        assert errors == {}
        assert len(dags) == len(DAG_IDS)

    assert _requests(airflow_env) == 0
    # The control: a request does reach the simulator's counters, refused with 429.
    assert httpx.get(airflow_env.base_url("fivetran") + "/v1/connections").status_code == 429
    assert _requests(airflow_env) == 1


def _requests(sim: SimServer) -> int:
    return sum(int(row["count"]) for row in sim.request_counts())
