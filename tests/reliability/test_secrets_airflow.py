"""Secrets in Airflow's failures: tasks that fail while holding a spec or a credential leak neither.

One DAG, run with `dag.test()`, whose every task fails with secrets in hand:
a spec rendered from a DAG param (which Airflow itself does not mask) that the
spec model refuses, one the vendor refuses, a create whose answer is lost and
whose look-up fails, an Airflow connection with a wrong key, and a deferred wait
whose trigger meets an error. The task and trigger logs (as printed, with each
exception and traceback), the rendered fields and the XComs are searched for
the param, the source password, the wrong key and every accepted credential.
"""

import json
from datetime import datetime, timezone

import pytest
from airflow.sdk import DAG

from airflow_provider_conn import EnsureConnectionOperator, SyncCompleteSensor
from conn_shared.sim import FaultPlan
from conn_shared.sim.server import SimServer
from tests.airflow.conftest import SOURCE_PASSWORD, connection_json
from tests.airflow.support import recorded, task_states
from tests.reliability.support import lost_create, run_dag, spec_with_secret
from tests.support.secrets import credential_values, secrets_in

PARAM_SECRET = "param-secret-planted-77aa31"
WRONG_KEY = "wrong-key-planted-0d5e96"
FROM_PARAM = "{{ params.secret }}"
#: Task id -> the exception its failure must log (so each failure path really ran).
FAILURES = {
    "refused_here": "ValueError: spec: invalid FivetranConnectionSpec",
    "refused_by_vendor": "InvalidRequestError",
    "create_lost": "ServerError",
    "wrong_key": "AuthenticationError",
    "trigger_error": "NotFoundError",
}


def _dag() -> DAG:
    with DAG(
        "secrets_in_failures",
        schedule=None,
        start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
        params={"secret": PARAM_SECRET},
        default_args={"retries": 0},
    ) as dag:
        typed = spec_with_secret("fivetran", "refused", FROM_PARAM)
        EnsureConnectionOperator(
            task_id="refused_here", backend="fivetran", spec={**typed, "sync_frequency": FROM_PARAM}
        )
        refused = spec_with_secret("faraday", "refused", FROM_PARAM)
        refused["options"]["port"] = FROM_PARAM  # Faraday wants a number: a 400
        EnsureConnectionOperator(task_id="refused_by_vendor", backend="faraday", spec=refused)
        EnsureConnectionOperator(
            task_id="create_lost",
            backend="hub",
            spec=spec_with_secret("hub", "lost", "{{ conn.source_postgres.password }}"),
        )
        EnsureConnectionOperator(
            task_id="wrong_key",
            backend="fivetran",
            conn_id="fivetran_wrong_key",
            spec=spec_with_secret("fivetran", "wrong_key", FROM_PARAM),
        )
        handle = {"backend": "fivetran", "connection_id": "no_such_connection", "kind": "sync"}
        SyncCompleteSensor(
            task_id="trigger_error",
            backend="fivetran",
            handle={**handle, "requested_at": "2026-01-01T00:00:00Z"},
            deferrable=True,
        )
    return dag


def test_tasks_failing_with_secrets_in_hand_leave_none_behind(
    airflow_env: SimServer,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    record_property: object,
) -> None:
    sim = airflow_env
    monkeypatch.setenv("AIRFLOW_CONN_CONN_HUB_DEFAULT", connection_json(sim, "hub", max_attempts=1))
    wrong = json.loads(connection_json(sim, "fivetran"))
    monkeypatch.setenv("AIRFLOW_CONN_FIVETRAN_WRONG_KEY", json.dumps({**wrong, "login": WRONG_KEY}))
    sim.set_faults(FaultPlan(lost_create("hub")))
    capfd.readouterr()

    run = run_dag(_dag())
    logs = "".join(capfd.readouterr())

    assert set(task_states(run).values()) == {"failed"}, task_states(run)
    assert [task for task, error in FAILURES.items() if error not in logs] == []
    secrets = {
        **credential_values(sim.credentials),
        "param": PARAM_SECRET,
        "source password": SOURCE_PASSWORD,
        "wrong key": WRONG_KEY,
    }
    places = recorded(run, logs)
    assert "{{" not in places["secrets_in_failures: rendered refused_by_vendor"]  # rendered
    assert secrets_in(places, secrets) == []
    record_property("places_searched", len(places))  # type: ignore[operator]
