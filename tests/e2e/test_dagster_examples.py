"""`example_dags/dagster_defs.py` under `dagster-daemon`, against the simulator.

The daemon runs the example definitions as users do without a webserver: runs are
asked for with `dagster job launch`, queued in the instance and launched by the
daemon. The reconcile job creates one connection per backend; Fivetran then starts
the new connection's first (historical) sync by itself, as it does once a connection's
setup tests pass: no one asks for that sync. The example's sensor `vendor_syncs`
ticks every second and records it as a materialization. Finally the health checks
of all three connections run in one run of the implicit asset job, limited to the
check ops (no sync is asked for).
"""

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conn_shared.sim.server import SimServer
from tests.e2e.conftest import PLANTED, PLANTED_SOURCE_PASSWORD
from tests.e2e.harness.browser import ARTEFACTS
from tests.e2e.harness.dagster import DagsterDaemon, DagsterSettings
from tests.e2e.harness.deployment import REPO_ROOT
from tests.e2e.harness.logs import files_under, search
from tests.e2e.harness.vendors import dagster_env

# The module's first test starts the daemon and waits for two runs it launches.
pytestmark = pytest.mark.timeout(1500)

DEFS = REPO_ROOT / "example_dags" / "dagster_defs.py"
#: Simulated durations (s, real-time clock): short, so the vendor's own sync ends soon.
SIM_OPTIONS: dict[str, Any] = {
    "fivetran_options": {"sync_seconds": 10, "historical_sync_seconds": 10},
    "faraday_options": {"build_seconds": 5},
}
SYNC_ROUTE = "/v1/connections/{connectionId}/sync"
VENDOR_SOURCE = "vendor schedule (sensor)"
#: The checks `build_connection_checks(..., max_sync_age_seconds=...)` gives each connection.
CHECKS = {
    "fivetran_shop": {"connection_ready", "connection_not_paused", "last_sync_age"},
    "faraday_shop": {"connection_ready", "last_sync_age"},
    "hub_shop": {"connection_ready", "connection_not_paused"},
}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer(credentials=PLANTED, **SIM_OPTIONS) as server:
        yield server


@pytest.fixture(scope="module")
def dagster(sim: SimServer) -> Iterator[DagsterDaemon]:
    env = {
        **dagster_env(sim, source_password=PLANTED_SOURCE_PASSWORD),
        "CONN_POLL_INTERVAL": "0.5",
        "CONN_SENSOR_INTERVAL": "1",
    }
    settings = DagsterSettings(defs_file=DEFS, env=env, artefacts=ARTEFACTS / "dagster-examples")
    daemon = DagsterDaemon(settings, name="dagster-examples")
    with daemon:
        yield daemon
    assert daemon.processes.leftovers() == []
    assert not daemon.home.exists()


@pytest.fixture(scope="module")
def reconciled(dagster: DagsterDaemon) -> str:
    """The run id of the reconcile job, launched through the daemon and finished."""
    run_id = dagster.launch("connections_reconcile")
    dagster.wait_for_run(run_id, timeout=600)
    return run_id


def _vendor_materializations(dagster: DagsterDaemon) -> list[Any]:
    records = dagster.materializations("fivetran_shop")
    return [
        r for r in records if r.asset_materialization.metadata["conn/source"].value == VENDOR_SOURCE
    ]


def test_the_reconcile_job_launched_through_the_daemon_creates_each_connection(
    dagster: DagsterDaemon, reconciled: str, sim: SimServer
) -> None:
    run = dagster.instance.get_run_by_id(reconciled)

    assert run is not None
    assert run.status.value == "SUCCESS", dagster.run_log(reconciled)
    assert sim.count("fivetran", "POST", "/v1/connections", 201) == 1
    assert sim.count("faraday", "POST", "/v1/connections", 201) == 1
    assert sim.count("hub", "POST", "/api/v1/connections", 201) == 1


def test_the_sensor_records_the_sync_the_vendor_ran_on_its_own(
    dagster: DagsterDaemon, reconciled: str, sim: SimServer
) -> None:
    found = _wait_until(lambda: _vendor_materializations(dagster), dagster, timeout=600)

    (record,) = found
    metadata = record.asset_materialization.metadata
    (connection,) = sim.state()["backends"]["fivetran"]["connections"].values()
    # Nobody asked for that sync: the vendor started it when the setup tests passed.
    assert sim.count("fivetran", "POST", SYNC_ROUTE) == 0
    assert metadata["conn/connection_id"].value == connection["id"]
    assert metadata["conn/state"].value == "succeeded"
    # Reported by the sensor, outside any run, and once however often it ticked since.
    assert record.event_log_entry.run_id == ""
    assert len(dagster.sensor_ticks("vendor_syncs")) >= 2
    assert len(_vendor_materializations(dagster)) == 1


def test_the_asset_checks_run_through_the_daemon(
    dagster: DagsterDaemon, reconciled: str, sim: SimServer
) -> None:
    # The sensor's record first: then the Fivetran connection has a sync to be checked.
    _wait_until(lambda: _vendor_materializations(dagster), dagster, timeout=600)
    syncs_before = sim.count("fivetran", "POST", SYNC_ROUTE)

    run_id = dagster.launch(
        "__ASSET_JOB", op_selection=[f"{name}_health" for name in sorted(CHECKS)]
    )
    run = dagster.wait_for_run(run_id, timeout=600)

    assert run.status.value == "SUCCESS", dagster.run_log(run_id)
    for asset, names in CHECKS.items():
        for name in names:
            executions = [e for e in dagster.check_executions(asset, name) if e.run_id == run_id]
            assert [e.status.value for e in executions] == ["SUCCEEDED"], (asset, name)
    assert sim.count("fivetran", "POST", SYNC_ROUTE) == syncs_before  # checks only read


def test_no_planted_secret_reaches_a_log_or_an_event(
    dagster: DagsterDaemon, reconciled: str, planted_secrets: tuple[str, ...]
) -> None:
    _wait_until(lambda: _vendor_materializations(dagster), dagster, timeout=600)
    files = files_under(dagster.component_logs, dagster.home / "storage")
    events = "\n".join(dagster.run_log(run.run_id) for run in dagster.runs())

    assert search(files, "vendor_syncs")  # the search reads the daemon's console
    assert reconciled in events
    for secret in planted_secrets:
        assert search(files, secret) == []
        assert secret not in events


def _wait_until(probe: Callable[[], Any], dagster: DagsterDaemon, *, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if not dagster.daemon.alive():
            raise RuntimeError(f"dagster-daemon exited:\n{dagster.daemon.log_tail()}")
        assert time.monotonic() < deadline, f"nothing within {timeout} s"
        time.sleep(1.0)
    return value
