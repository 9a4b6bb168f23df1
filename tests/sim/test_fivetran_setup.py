"""Fivetran setup tests: the config values that decide each outcome, re-testing, and
setup tests that take simulated time."""

from typing import Any

import httpx
import pytest

from conn_shared.sim.clock import SimClock
from conn_shared.sim.fivetran import FivetranSim
from conn_shared.sim.server import SimServer
from tests.sim.conftest import FivetranApi


def _results(data: dict[str, Any]) -> dict[str, str]:
    return {test["title"]: test["status"] for test in data["setup_tests"]}


@pytest.mark.parametrize(
    ("config", "extra", "setup_state", "results"),
    [
        pytest.param(
            {"host": "db.example", "user": "etl"},
            {},
            "connected",
            {
                "Connecting to host": "PASSED",
                "Validate Login": "PASSED",
                "Checking permissions": "PASSED",
            },
            id="valid",
        ),
        pytest.param(
            {"host": "fail.example"},
            {},
            "broken",
            {
                "Connecting to host": "FAILED",
                "Validate Login": "PASSED",
                "Checking permissions": "PASSED",
            },
            id="host-fails",
        ),
        pytest.param(
            {"host": "db", "password": "please-FAIL"},
            {},
            "broken",
            {
                "Connecting to host": "PASSED",
                "Validate Login": "FAILED",
                "Checking permissions": "PASSED",
            },
            id="login-fails",
        ),
        pytest.param(
            {"host": "db", "password": ""},
            {},
            "incomplete",
            {"Validate configuration": "FAILED"},
            id="empty-value-incomplete",
        ),
        pytest.param(
            {"host": "untrusted_cert.db"},
            {},
            "broken",
            {
                "Validate certificate": "FAILED",
                "Connecting to host": "PASSED",
                "Validate Login": "PASSED",
                "Checking permissions": "PASSED",
            },
            id="untrusted-certificate",
        ),
        pytest.param(
            {"host": "untrusted_cert.db"},
            {"trust_certificates": True},
            "connected",
            {
                "Connecting to host": "PASSED",
                "Validate Login": "PASSED",
                "Checking permissions": "PASSED",
            },
            id="certificate-trusted",
        ),
        pytest.param(
            {"host": "warn.db"},
            {},
            "connected",
            {
                "Connecting to host": "PASSED",
                "Validate Login": "PASSED",
                "Checking permissions": "WARNING",
            },
            id="warning",
        ),
        pytest.param(
            {"host": "fail.db"}, {"run_setup_tests": False}, "incomplete", {}, id="not-run"
        ),
    ],
)
def test_setup_outcome_switches(
    fivetran: FivetranApi,
    config: dict[str, Any],
    extra: dict[str, Any],
    setup_state: str,
    results: dict[str, str],
) -> None:
    created = fivetran.create({"schema_prefix": "s", **config}, paused=True, **extra)
    assert created["status"]["setup_state"] == setup_state
    assert _results(created) == results
    tasks = [task["code"] for task in created["status"]["tasks"]]
    assert tasks == (["reconnect"] if setup_state == "broken" else [])


def test_fixing_the_config_and_rerunning_the_tests_connects(fivetran: FivetranApi) -> None:
    cid = fivetran.create({"schema_prefix": "s", "host": "fail.db"})["id"]
    assert fivetran.get(cid)["status"]["sync_state"] == "scheduled"  # broken: no initial sync
    fivetran.patch(cid, config={"host": "db"}, run_setup_tests=False)
    assert fivetran.get(cid)["status"]["setup_state"] == "broken"
    retested = fivetran.post(cid, "test", {})
    assert retested.json()["message"] == "Setup tests have been completed"
    data = retested.json()["data"]
    assert data["status"]["setup_state"] == "connected"
    assert data["status"]["sync_state"] == "syncing"  # the initial sync starts once connected


def test_patching_the_config_reruns_the_setup_tests_by_default(fivetran: FivetranApi) -> None:
    cid = fivetran.create({"schema_prefix": "s", "host": "db"}, paused=True)["id"]
    patched = fivetran.patch(cid, config={"user": "failing-user"})
    assert patched["status"]["setup_state"] == "broken"
    assert patched["config"]["host"] == "db"  # config is merged, not replaced


def test_secrets_are_masked_in_responses_but_kept(fivetran: FivetranApi) -> None:
    cid = fivetran.create({"schema_prefix": "s", "host": "db", "password": "hunter2"})["id"]
    assert fivetran.get(cid)["config"]["password"] == "******"
    dumped = fivetran.sim.state()["backends"]["fivetran"]["connections"][cid]["sim"]
    assert dumped["config"]["password"] == "hunter2"


def test_running_the_tests_needs_a_body(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True)["id"]
    answer = fivetran.request("POST", f"/v1/connections/{cid}/test")
    assert (answer.status_code, answer.json()["code"]) == (400, "InvalidInput")


def test_patch_with_only_test_controls_is_rejected(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True)["id"]
    answer = fivetran.request(
        "PATCH",
        f"/v1/connections/{cid}",
        json={"run_setup_tests": True, "trust_certificates": True},
    )
    assert answer.status_code == 400
    assert "persistent configuration parameter" in answer.json()["message"]


def test_setup_tests_that_take_simulated_time() -> None:
    clock = SimClock()
    backend = FivetranSim(clock, setup_test_seconds=20.0)
    with SimServer(backends=[backend], clock=clock) as sim:
        client = httpx.Client(
            base_url=sim.base_url("fivetran"),
            auth=(backend.api_key, backend.api_secret),
        )
        created = client.post(
            "/v1/connections",
            json={"group_id": "g", "service": "postgres", "config": {"schema_prefix": "slow"}},
        ).json()["data"]
        assert (created["status"]["setup_state"], created["setup_tests"]) == ("incomplete", [])
        sim.advance(21)
        later = client.get(f"/v1/connections/{created['id']}").json()["data"]
        assert later["status"]["setup_state"] == "connected"
        assert later["status"]["sync_state"] == "syncing"
        client.close()
