"""The Airflow harness, proved on a real deployment with DAGs written by the test.

One deployment for the module (api-server, scheduler, dag-processor, triggerer as
separate processes) runs standard operators only: a Python task that calls the
simulator through an `AIRFLOW_CONN_*` connection and prints its (planted) password,
a deferrable `DateTimeSensorAsync` that waits in the triggerer, and a Bash task.
Then the tests kill task processes the two ways a retry-safety scenario will, and
look at the UI through headless Chromium.

The sensor's target is rendered when its task starts ("now + 10 s"), so it always
defers however late a busy machine starts it; a `TimeDeltaSensor` counts from the
run's start and returned at once when the first worker started after its target.
"""

import os
import signal
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from conn_shared.sim.server import SimServer
from tests.e2e.conftest import PLANTED
from tests.e2e.harness.airflow import AirflowDeployment, AirflowSettings, short_heartbeat_config
from tests.e2e.harness.airflow_api import RunWatch
from tests.e2e.harness.browser import (
    ARTEFACTS,
    airflow_page,
    chromium,
    open_add_connection,
    open_form_section,
    screenshot,
)
from tests.e2e.harness.logs import search
from tests.e2e.harness.processes import Usage

# Retries: Airflow 3.3.2's scheduler can fail a deferrable task whose trigger fires
# quickly while a stale "success" event of its deferral is still in flight (apache/airflow
# #67287; the fix for the queued variant is not in 3.3.2). A retry re-runs it cleanly.
DAGS = """
import time
from datetime import timedelta

import httpx
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, BaseHook

RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=1)}
SMOKE_ASSET = Asset("e2e-smoke://done")
IN_TEN_SECONDS = "{{ (macros.datetime.utcnow() + macros.timedelta(seconds=10)).isoformat() }}"


def call_sim(**context):
    conn = BaseHook.get_connection("sim_fivetran")
    print(f"calling the simulator with password {conn.password}")  # the masker must hide it
    print("e2e-visible-marker")
    response = httpx.get(f"{conn.host}/v1/groups", auth=(conn.login, conn.password), timeout=30)
    response.raise_for_status()
    context["task_state_store"].set("marker", "stored-by-call-sim")
    return {"status": response.status_code}


def victim(**context):
    try_number = context["ti"].try_number
    if try_number == 1:
        print("first try: waiting to be killed", flush=True)
        time.sleep(600)
    return {"try": try_number}


with DAG("e2e_smoke", schedule=None, default_args=RETRIES):
    (
        PythonOperator(task_id="call_sim", python_callable=call_sim)
        >> DateTimeSensorAsync(
            task_id="wait",
            target_time=IN_TEN_SECONDS,
        )
        >> BashOperator(
            task_id="done", bash_command="echo done-{{ run_id }}", outlets=[SMOKE_ASSET]
        )
    )

with DAG("e2e_downstream", schedule=[SMOKE_ASSET]):
    EmptyOperator(task_id="noticed")

for dag_id in ("e2e_kill_runner", "e2e_lost_worker"):
    with DAG(dag_id, schedule=None, default_args={**RETRIES, "retries": 1}):
        PythonOperator(task_id="victim", python_callable=victim)
"""
T = TypeVar("T")
DAG_IDS = ("e2e_smoke", "e2e_downstream", "e2e_kill_runner", "e2e_lost_worker")
HEARTBEAT_TIMEOUT = 20


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"components": ("api-server", "webserver")},
            r"unknown components \['webserver'\]; expected some of",
            id="unknown-component",
        ),
        pytest.param(
            {"components": ("scheduler",)}, "must include 'api-server'", id="no-api-server"
        ),
        pytest.param(
            {"dags_folder": Path("/nonexistent")},
            "dags_folder /nonexistent is not a folder",
            id="no-dags-folder",
        ),
    ],
)
def test_settings_are_checked_before_anything_starts(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    settings = AirflowSettings(**{"dags_folder": tmp_path, **changes})

    with pytest.raises(ValueError, match=message):
        AirflowDeployment(settings)


@pytest.fixture(scope="module")
def airflow(
    tmp_path_factory: pytest.TempPathFactory, conn_sim_server: SimServer
) -> Iterator[AirflowDeployment]:
    dags = tmp_path_factory.mktemp("dags")
    (dags / "e2e_smoke_dags.py").write_text(DAGS)
    settings = AirflowSettings(
        dags_folder=dags,
        connections={
            "sim_fivetran": {
                "conn_type": "generic",
                "host": conn_sim_server.base_url("fivetran"),
                "login": PLANTED.fivetran_api_key,
                "password": PLANTED.fivetran_api_secret,
            }
        },
        config=short_heartbeat_config(HEARTBEAT_TIMEOUT),
        artefacts=ARTEFACTS / "airflow-smoke",
    )
    deployment = AirflowDeployment(settings, name="airflow-smoke")
    with deployment:
        deployment.api.wait_for_dags(DAG_IDS)
        yield deployment
    assert deployment.processes.leftovers() == []
    assert not deployment.home.exists()


@dataclass(frozen=True)
class SmokeRun:
    run_id: str
    watch: RunWatch
    triggerer: Usage


@pytest.fixture(scope="module")
def smoke_run(airflow: AirflowDeployment) -> SmokeRun:
    run_id = airflow.api.trigger("e2e_smoke")
    watch = airflow.api.watch("e2e_smoke", run_id)
    with airflow.sampler("triggerer") as sampler:
        watch.wait(timeout=300)
    return SmokeRun(run_id, watch, sampler.usage())


def test_components_run_as_separate_healthy_processes(airflow: AirflowDeployment) -> None:
    pids = airflow.pids()
    health = airflow.api.health()

    assert sorted(pids) == sorted(["api-server", "scheduler", "dag-processor", "triggerer"])
    assert len(set(pids.values())) == 4
    assert all(airflow.component(name).alive() for name in pids)
    assert {k: v["status"] for k, v in health.items()} == {
        "metadatabase": "healthy",
        "scheduler": "healthy",
        "triggerer": "healthy",
        "dag_processor": "healthy",
    }
    assert airflow.api.version()["version"].startswith("3.")
    assert set(DAG_IDS) <= set(airflow.api.dag_ids())


def test_run_succeeds_with_the_sensor_deferred_to_the_triggerer(
    airflow: AirflowDeployment, smoke_run: SmokeRun
) -> None:
    watch = smoke_run.watch

    assert watch.run["state"] == "success", watch.summary()
    assert set(watch.final_states().values()) == {"success"}
    assert watch.seen("deferred") == {("wait", -1)}, watch.summary()
    trigger_logs = airflow.trigger_logs("e2e_smoke", run_id=smoke_run.run_id, task_id="wait")
    assert trigger_logs, "the triggerer wrote no log for the sensor"
    assert search(trigger_logs, "airflow.providers.standard.triggers.temporal.DateTimeTrigger")
    assert search(trigger_logs, "trigger completed")


def test_xcom_and_task_state_store_read_back_over_rest(
    airflow: AirflowDeployment, smoke_run: SmokeRun
) -> None:
    api, run_id = airflow.api, smoke_run.run_id

    assert api.run_xcoms("e2e_smoke", run_id) == {
        ("call_sim", -1, "return_value"): {"status": 200},
        ("done", -1, "return_value"): f"done-{run_id}",
    }
    assert api.state_store("e2e_smoke", run_id, "call_sim") == {"marker": "stored-by-call-sim"}
    assert api.extra_links("e2e_smoke", run_id, "call_sim") == {}
    try_number = smoke_run.watch.tries[("call_sim", -1)]
    assert "e2e-visible-marker" in api.task_log("e2e_smoke", run_id, "call_sim", try_number)
    with pytest.raises(KeyError, match="no XCom 'absent'"):
        api.xcom_value("e2e_smoke", run_id, "call_sim", "absent")


def test_tasks_reach_the_simulator_through_their_airflow_connection(
    conn_sim_server: SimServer, smoke_run: SmokeRun
) -> None:
    tries = smoke_run.watch.tries[("call_sim", -1)]

    assert conn_sim_server.count("fivetran", "GET", "/v1/groups", 200) == tries


def test_planted_password_is_masked_in_every_airflow_log_file(
    airflow: AirflowDeployment, smoke_run: SmokeRun, planted_secrets: tuple[str, ...]
) -> None:
    task_logs = airflow.task_logs("e2e_smoke", run_id=smoke_run.run_id, task_id="call_sim")

    # The search works: the line that printed the password is there, masked.
    assert search(task_logs, "e2e-visible-marker")
    assert search(task_logs, "calling the simulator with password ***")
    for secret in planted_secrets:
        assert search(airflow.airflow_log_files(), secret) == []


def test_the_scheduler_console_echoes_task_output_unmasked(
    airflow: AirflowDeployment, smoke_run: SmokeRun
) -> None:
    """A trap for secret checks: Airflow 3.3.2's LocalExecutor echoes task output unmasked.

    The supervisor masks the task's log file but also forwards each line to the
    scheduler's own console, which has no masker. Scenarios that plant a secret search
    the console logs too (`all_log_files`): code that never prints a secret passes.
    """
    hits = airflow.find_in_logs(PLANTED.fivetran_api_secret)

    assert hits
    assert {h.path for h in hits} == {airflow.component("scheduler").log_path}
    assert all("calling the simulator with password" in h.line for h in hits)


@pytest.mark.parametrize(
    ("dag_id", "whole_worker"),
    [
        # The supervisor sees its runner die and reports the failure at once.
        pytest.param("e2e_kill_runner", False, id="runner"),
        # Supervisor and runner die: only the shortened heartbeat timeout notices.
        pytest.param("e2e_lost_worker", True, id="whole-worker"),
    ],
)
def test_a_killed_task_is_retried(
    airflow: AirflowDeployment, dag_id: str, whole_worker: bool
) -> None:
    run_id = airflow.api.trigger(dag_id)
    procs = airflow.wait_for_task_processes(dag_id, run_id, "victim")
    ti = airflow.api.task_instance(dag_id, run_id, "victim")
    assert ti["pid"] == procs.runner.pid
    assert " ".join(procs.supervisor.cmdline()).startswith("airflow worker -- LocalExecutor")

    if whole_worker:
        procs.supervisor.send_signal(signal.SIGKILL)
    procs.runner.send_signal(signal.SIGKILL)
    watch = airflow.api.watch(dag_id, run_id)
    run = watch.wait(timeout=300)

    assert run["state"] == "success", watch.summary()
    assert "up_for_retry" in watch.states("victim")
    tries = airflow.api.tries(dag_id, run_id, "victim")
    assert [(t["try_number"], t["state"]) for t in tries][-1] == (2, "success")
    assert airflow.api.xcom_value(dag_id, run_id, "victim") == {"try": 2}
    assert procs.supervisor.is_running() is not whole_worker


def test_an_asset_event_schedules_exactly_one_downstream_run(
    airflow: AirflowDeployment, smoke_run: SmokeRun
) -> None:
    """The pattern of the asset-watcher scenario: an asset event, then one DAG run."""
    api = airflow.api
    (asset,) = api.assets(uri_pattern="e2e-smoke://done")
    (event,) = api.asset_events(asset_id=asset["id"])
    assert event["source_run_id"] == smoke_run.run_id

    runs = _wait_for(lambda: api.dag_runs("e2e_downstream") or None, timeout=180)
    (run,) = runs
    api.watch("e2e_downstream", run["dag_run_id"]).wait(timeout=180)

    assert api.dag_run("e2e_downstream", run["dag_run_id"])["state"] == "success"
    assert run["run_type"] == "asset_triggered"
    assert len(api.dag_runs("e2e_downstream")) == 1


def test_the_triggerer_is_sampled_as_a_process_tree(smoke_run: SmokeRun) -> None:
    usage = smoke_run.triggerer

    # The triggerer, its trigger-runner subprocess and its log server.
    assert usage.pids_seen >= 2
    assert usage.peak_rss_mib > 50
    assert usage.cpu_seconds > 0


def test_connection_form_metadata_comes_from_provider_info(airflow: AirflowDeployment) -> None:
    smtp = airflow.api.hook_meta_for("smtp")

    assert smtp["hook_name"] == "SMTP"
    assert smtp["extra_fields"]["from_email"]["schema"]["title"] == "From email"
    with pytest.raises(KeyError, match=r"no connection type 'conn_nowhere'.*'smtp'"):
        airflow.api.hook_meta_for("conn_nowhere")


def _wait_for(probe: Callable[[], T | None], *, timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while (value := probe()) is None:
        assert time.monotonic() < deadline, f"nothing within {timeout} s"
        time.sleep(1.0)
    return value


def _is_png(path: Path) -> bool:
    header = path.read_bytes()[:24]
    width, height = struct.unpack(">II", header[16:24])
    return header[:8] == b"\x89PNG\r\n\x1a\n" and width > 0 and height > 0


def test_the_ui_home_page_after_login(airflow: AirflowDeployment) -> None:
    with (
        chromium() as browser,
        airflow_page(browser, airflow.url, username="admin", password="admin") as page,
    ):
        page.get_by_text("Welcome").wait_for()
        page.get_by_text("Dag Processor").wait_for()
        path = screenshot(page, "airflow-home")

    assert _is_png(path)
    assert os.path.getsize(path) > 10_000


def test_the_ui_add_connection_form_shows_declared_fields(airflow: AirflowDeployment) -> None:
    with (
        chromium() as browser,
        airflow_page(browser, airflow.url, username="admin", password="admin") as page,
    ):
        dialog = open_add_connection(page, airflow.url, "SMTP")
        standard = dialog.inner_text()
        standard_png = screenshot(page, "airflow-add-connection-smtp")
        open_form_section(dialog, "Extra Fields")
        dialog.get_by_text("From email").wait_for()
        extra = dialog.inner_text()

    assert "Host" in standard
    assert "From email" not in standard
    assert "From email" in extra
    assert _is_png(standard_png)
