"""The Dagster harness, proved on `dagster-daemon` with definitions written by the test.

The sensor ticks every second from the start (no UI toggle); on its first tick it calls
the simulator with credentials from the daemon's environment and requests one run of
an asset job, whose asset check runs with it. Everything is read back through the
daemon's instance.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from conn_shared.sim.server import SimServer
from tests.e2e.conftest import PLANTED
from tests.e2e.harness.browser import ARTEFACTS
from tests.e2e.harness.dagster import DagsterDaemon, DagsterSettings
from tests.e2e.harness.logs import search

DEFS = """
import os

import dagster as dg
import httpx


@dg.asset
def smoke_asset(context: dg.AssetExecutionContext) -> int:
    context.log.info("e2e-visible-marker")
    return 1


@dg.asset_check(asset=smoke_asset)
def smoke_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"checked": "yes"})


smoke_job = dg.define_asset_job(
    "smoke_job", selection=[smoke_asset], executor_def=dg.in_process_executor
)


@dg.sensor(job=smoke_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def smoke_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    tick = int(context.cursor or 0) + 1
    if tick > 1:
        return dg.SensorResult(skip_reason=f"tick {tick}", cursor=str(tick))
    response = httpx.get(
        os.environ["E2E_SIM_URL"] + "/v1/groups",
        auth=(os.environ["E2E_SIM_KEY"], os.environ["E2E_SIM_SECRET"]),
        timeout=30,
    )
    request = dg.RunRequest(run_key="first", tags={"sim_status": str(response.status_code)})
    return dg.SensorResult(run_requests=[request], cursor=str(tick))


defs = dg.Definitions(assets=[smoke_asset], asset_checks=[smoke_check], jobs=[smoke_job],
                      sensors=[smoke_sensor])
"""


@pytest.fixture(scope="module")
def dagster(
    tmp_path_factory: pytest.TempPathFactory, conn_sim_server: SimServer
) -> Iterator[DagsterDaemon]:
    defs_file = tmp_path_factory.mktemp("dagster") / "e2e_smoke_defs.py"
    defs_file.write_text(DEFS)
    settings = DagsterSettings(
        defs_file=defs_file,
        env={
            "E2E_SIM_URL": conn_sim_server.base_url("fivetran"),
            "E2E_SIM_KEY": PLANTED.fivetran_api_key,
            "E2E_SIM_SECRET": PLANTED.fivetran_api_secret,
        },
        artefacts=ARTEFACTS / "dagster-smoke",
    )
    daemon = DagsterDaemon(settings, name="dagster-smoke")
    with daemon:
        yield daemon
    assert daemon.processes.leftovers() == []
    assert not daemon.home.exists()


def test_the_daemon_heartbeats(dagster: DagsterDaemon) -> None:
    beats = dagster.heartbeats()

    assert {"SENSOR", "QUEUED_RUN_COORDINATOR"} <= set(beats)
    assert dagster.daemon.alive()


def test_the_sensor_ticks_and_keeps_its_cursor(dagster: DagsterDaemon) -> None:
    ticks = dagster.wait_for_ticks("smoke_sensor", 3, timeout=180)

    cursors = [int(t.cursor) for t in reversed(ticks) if t.cursor]
    assert cursors[:3] == [1, 2, 3]


def test_the_sensor_run_materializes_and_runs_the_asset_check(
    dagster: DagsterDaemon, conn_sim_server: SimServer
) -> None:
    (run,) = dagster.wait_for_runs(1, job_name="smoke_job", timeout=180)

    assert run.status.value == "SUCCESS"
    assert run.tags["dagster/sensor_name"] == "smoke_sensor"
    assert run.tags["sim_status"] == "200"
    assert conn_sim_server.count("fivetran", "GET", "/v1/groups", 200) >= 1
    assert len(dagster.materializations("smoke_asset")) == 1
    (check,) = dagster.check_executions("smoke_asset", "smoke_check")
    assert check.status.value == "SUCCEEDED"
    assert "e2e-visible-marker" in dagster.run_log(run.run_id)


def test_the_planted_secret_stays_out_of_the_daemon_log(
    dagster: DagsterDaemon, planted_secrets: tuple[str, ...]
) -> None:
    dagster.wait_for_runs(1, job_name="smoke_job", timeout=180)
    files = [dagster.daemon.log_path]

    assert search(files, "smoke_sensor")  # the search reads the daemon's log
    for secret in planted_secrets:
        assert search(files, secret) == []


def test_defs_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"defs_file .*missing\.py is not a file"):
        DagsterDaemon(DagsterSettings(defs_file=tmp_path / "missing.py"))
