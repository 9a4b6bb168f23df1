"""Scale: one DAG run fans out 200 deferred sync waits, all served by one triggerer.

The DAG is `tests/e2e/dags/e2e_scale.py`: 200 `SyncCompleteSensor`s that start from the
trigger. The test first asks the simulator for 200 syncs (200 connections of one
Fivetran account) and passes their handles as the run's conf. The simulated syncs
would take an hour: every wait is still going once all 200 are deferred and each
trigger has started in the triggerer, however long a busy machine takes to get
there. Then the test moves the simulator's clock past the syncs' end, every trigger
fires, and the workers resume the 200 tasks.

Measured, and printed (never asserted): the triggerer's peak RSS over its process tree
(the triggerer, its trigger-runner subprocess, its log server), its CPU seconds while
the run lasted, and the run's wall time; also written to `build/e2e/scale.json`.
"""

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pytest

from conn_shared import FivetranConnectionSpec, SyncExecutor, ensure_connection, trigger_sync
from conn_shared.sim.server import SimServer
from tests.e2e.conftest import E2E_ROOT, PLANTED, PLANTED_SOURCE_PASSWORD
from tests.e2e.harness.airflow import AirflowDeployment, AirflowSettings
from tests.e2e.harness.airflow_api import RunWatch
from tests.e2e.harness.browser import ARTEFACTS
from tests.e2e.harness.processes import ResourceSampler
from tests.e2e.harness.vendors import SOURCE_HOST, airflow_connections, fivetran

# Starting the deployment, asking for 200 syncs and resuming 200 tasks on two busy cores.
pytestmark = pytest.mark.timeout(2400)

DAG_ID = "e2e_scale"
WAITS = 200
#: Simulated seconds a sync takes: far longer than the fan-out; the test ends them.
SYNC_SECONDS = 3600.0
DETAILS = "/v1/connections/{connectionId}"


@dataclass(frozen=True)
class Figures:
    """What the scale run cost the triggerer, and how long it took (seconds, MiB)."""

    waits: int
    triggerer_peak_rss_mib: float
    triggerer_cpu_seconds: float
    triggerer_pids_seen: int
    all_deferred_after_seconds: float
    wall_seconds: float


@dataclass(frozen=True)
class ScaleRun:
    run_id: str
    watch: RunWatch
    handles: list[dict[str, object]]
    figures: Figures
    triggerer_pid: int
    deferred_at_once: int


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    options = {"sync_seconds": SYNC_SECONDS, "historical_sync_seconds": SYNC_SECONDS}
    with SimServer(credentials=PLANTED, fivetran_options=options) as server:
        yield server


@pytest.fixture(scope="module")
def airflow(sim: SimServer) -> Iterator[AirflowDeployment]:
    settings = AirflowSettings(
        dags_folder=E2E_ROOT / "dags",
        connections=airflow_connections(sim, source_password=PLANTED_SOURCE_PASSWORD),
        env={"E2E_SCALE_WAITS": str(WAITS), "E2E_SCALE_POLL_SECONDS": "5"},
        artefacts=ARTEFACTS / "airflow-scale",
    )
    deployment = AirflowDeployment(settings, name="airflow-scale")
    with deployment:
        yield deployment
    assert deployment.processes.leftovers() == []


def _ask_for_syncs(sim: SimServer, count: int) -> list[dict[str, object]]:
    """`count` manual connections, each with one sync asked for; their handles as JSON."""
    backend = fivetran(sim)
    handles: list[dict[str, object]] = []
    with SyncExecutor(backend.profile()) as executor:
        for index in range(count):
            spec = FivetranConnectionSpec(
                group_id="warehouse",
                service="postgres",
                schema_name=f"scale_{index:03d}",
                config={"host": SOURCE_HOST, "database": "shop", "user": "loader"},
                schedule_type="manual",
            )
            ensured = executor.run(ensure_connection(backend, spec))
            handle = executor.run(trigger_sync(backend, ensured.connection.connection_id))
            handles.append(handle.model_dump(mode="json"))
    return handles


def _all_deferred(watch: RunWatch) -> bool:
    states = watch.final_states()
    return len(states) == WAITS and set(states.values()) == {"deferred"}


@pytest.fixture(scope="module")
def scale_run(airflow: AirflowDeployment, sim: SimServer) -> ScaleRun:
    airflow.api.wait_for_dags([DAG_ID])
    handles = _ask_for_syncs(sim, WAITS)
    triggerer = airflow.component("triggerer")
    before = ResourceSampler(triggerer.pid)
    before.sample()

    started = time.monotonic()
    with airflow.sampler("triggerer") as sampler:
        run_id = airflow.api.trigger(DAG_ID, conf={"handles": handles})
        watch = airflow.api.watch(DAG_ID, run_id)
        watch.wait(timeout=1200, poll=2.0, until=_all_deferred)
        # Every trigger has started (each wrote its log file) while all syncs still run.
        deadline = time.monotonic() + 600
        while len(airflow.trigger_logs(DAG_ID, run_id=run_id)) < WAITS:
            if time.monotonic() > deadline:
                raise TimeoutError(f"not every trigger started within 600 s: {watch.summary()}")
            time.sleep(2.0)
        all_deferred = time.monotonic() - started
        watch.poll()
        deferred_at_once = sum(1 for s in watch.final_states().values() if s == "deferred")
        sim.advance(SYNC_SECONDS)  # every sync ends now
        watch.wait(timeout=1800, poll=2.0)
    wall = time.monotonic() - started
    usage = sampler.usage()

    figures = Figures(
        waits=WAITS,
        triggerer_peak_rss_mib=round(usage.peak_rss_mib, 1),
        triggerer_cpu_seconds=round(usage.cpu_seconds - before.usage().cpu_seconds, 1),
        triggerer_pids_seen=usage.pids_seen,
        all_deferred_after_seconds=round(all_deferred, 1),
        wall_seconds=round(wall, 1),
    )
    path = ARTEFACTS / "scale.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(figures), indent=2))
    print(f"scale: {figures}")
    return ScaleRun(
        run_id,
        watch,
        handles,
        figures,
        triggerer.pid,
        deferred_at_once,
    )


def test_every_wait_completes_with_one_triggerer(
    airflow: AirflowDeployment, scale_run: ScaleRun
) -> None:
    watch = scale_run.watch

    assert watch.run["state"] == "success", watch.summary()
    assert set(watch.final_states().values()) == {"success"}
    # All 200 were deferred at one moment, each trigger started, every sync still going.
    assert scale_run.deferred_at_once == WAITS
    assert len(airflow.trigger_logs(DAG_ID, run_id=scale_run.run_id)) == WAITS
    # One triggerer served them all, the same process from start to end.
    assert airflow.component("triggerer").pid == scale_run.triggerer_pid
    assert airflow.component("triggerer").alive()
    assert airflow.api.health()["triggerer"]["status"] == "healthy"


def test_the_waits_started_in_the_triggerer(
    airflow: AirflowDeployment, scale_run: ScaleRun
) -> None:
    # A worker that defers a task reports it (audit log); these never ran before deferral.
    assert airflow.api.deferrals(DAG_ID, scale_run.run_id) == set()
    for index in (0, WAITS // 2, WAITS - 1):
        states = scale_run.watch.states(f"wait_{index:03d}")
        assert "running" not in states[: states.index("deferred")], states


def test_each_wait_reports_its_own_sync(airflow: AirflowDeployment, scale_run: ScaleRun) -> None:
    api, run_id = airflow.api, scale_run.run_id
    for index, handle in enumerate(scale_run.handles):
        report = api.xcom_value(DAG_ID, run_id, f"wait_{index:03d}")
        assert (report["connection_id"], report["state"]) == (
            handle["connection_id"],
            "succeeded",
        )
    # Started from the trigger, each still links to its connection (pushed on resume).
    linked = {
        e["task_id"] for e in api.xcom_entries(DAG_ID, run_id) if e["key"] == "connection_url"
    }
    assert linked == {f"wait_{index:03d}" for index in range(WAITS)}
    url = api.xcom_value(DAG_ID, run_id, "wait_007", "connection_url")
    assert url.endswith(str(scale_run.handles[7]["connection_id"]))


def test_no_planted_secret_in_the_scale_deployment(
    airflow: AirflowDeployment, scale_run: ScaleRun, planted_secrets: tuple[str, ...]
) -> None:
    assert airflow.trigger_logs(DAG_ID, run_id=scale_run.run_id)
    for secret in planted_secrets:
        assert airflow.find_in_logs(secret) == [], secret
