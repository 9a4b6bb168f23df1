"""The whole lifecycle through the shared client against the simulator, on every backend.

ensure twice (one create only), verify, wait until ready, sync and resync with their
waits, pause, resume, delete; steps a backend lacks raise UnsupportedStepError
before a single request reaches the simulator. Sync and async executors both.
"""

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from conn_shared import ReadinessState, Step, SyncHandle, SyncKind, SyncState
from conn_shared.calls import Flow
from conn_shared.errors import ConnectionPausedError, UnsupportedStepError
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    get_readiness,
    pause_connection,
    resume_connection,
    trigger_resync,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.sim.server import SimServer
from tests.integration.conftest import DriverFactory
from tests.integration.support import (
    BACKENDS,
    CREATE_ROUTE,
    MODES,
    WAIT,
    Driver,
    connection_ids,
    make_spec,
    requests_total,
)

BACKEND_PARAMS = [pytest.param(name, id=name) for name in BACKENDS]
MODE_PARAMS = [pytest.param(mode, id=mode) for mode in MODES]

#: The request each backend sends to start a sync, as the simulator counts it.
SYNC_ROUTE = {
    "fivetran": "/v1/connections/{connectionId}/sync",
    "faraday": "/v1/connections/{connection_id}/force_update",
}
RESYNC_ROUTE = {"fivetran": "/v1/connections/{connectionId}/resync"}


def _unsupported(sim: SimServer, driver: Driver, step: Step, make: Callable[[], Any]) -> None:
    """The verb refuses before building a flow: nothing reaches the simulator."""
    before_sim, before_client = requests_total(sim), driver.stats.requests
    with pytest.raises(UnsupportedStepError) as caught:
        driver.run(make())
    assert caught.value.step == step.value
    assert caught.value.backend == driver.backend.name
    assert requests_total(sim) == before_sim
    assert driver.stats.requests == before_client


def _step(sim: SimServer, driver: Driver, step: Step, make: Callable[[], Flow[Any]]) -> Any | None:
    """Run the step when the backend declares it, else check it is refused up front."""
    if step in driver.backend.capabilities:
        return driver.run(make())
    _unsupported(sim, driver, step, make)
    return None


def _record(sim: SimServer, name: str, connection_id: str) -> dict[str, Any]:
    """The simulator's own view of one connection."""
    dumped = sim.state()["backends"][name]["connections"]
    if isinstance(dumped, dict):
        record: dict[str, Any] = dumped[connection_id]
        return record
    return next(c for c in dumped if c["id"] == connection_id)


def _paused_in_sim(sim: SimServer, name: str, connection_id: str) -> bool:
    record = _record(sim, name, connection_id)
    if name == "fivetran":
        return bool(record["paused"])
    return bool(record["status"] == "disabled")


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_whole_lifecycle(sim: SimServer, drivers: DriverFactory, name: str, mode: str) -> None:
    driver = drivers(name, mode)
    backend = driver.backend
    spec = make_spec(name)

    first = driver.run(ensure_connection(backend, spec))
    second = driver.run(ensure_connection(backend, spec))
    connection_id = first.connection.connection_id
    assert (first.created, second.created, second.updated) == (True, False, False)
    assert second.connection.connection_id == connection_id
    assert sim.count(name, "POST", CREATE_ROUTE[name]) == 1
    assert connection_ids(sim, name) == [connection_id]

    verified = _step(sim, driver, Step.VERIFY, lambda: verify_connection(backend, connection_id))
    if verified is not None:
        assert verified.state is ReadinessState.READY, verified.reason
    ready = driver.run(wait_until_ready(backend, connection_id, policy=WAIT))
    assert ready.state is ReadinessState.READY
    assert ready.connection_id == connection_id

    for kind, trigger in (
        (SyncKind.SYNC, lambda: trigger_sync(backend, connection_id)),
        (SyncKind.RESYNC, lambda: trigger_resync(backend, connection_id)),
    ):
        step = Step.SYNC if kind is SyncKind.SYNC else Step.RESYNC
        handle = _step(sim, driver, step, trigger)
        if handle is None:
            continue
        assert (handle.kind, handle.connection_id) == (kind, connection_id)
        outcome = driver.run(wait_for_sync(backend, handle, policy=WAIT))
        assert outcome.state is SyncState.SUCCEEDED, outcome.reason
        assert outcome.finished_at is not None
    if Step.SYNC in backend.capabilities:
        assert sim.count(name, "POST", SYNC_ROUTE[name]) == 1
    if Step.RESYNC in backend.capabilities:
        assert sim.count(name, "POST", RESYNC_ROUTE[name]) == 1
    if Step.SYNC_OUTCOME not in backend.capabilities:
        stray = SyncHandle(
            backend=name,
            connection_id=connection_id,
            kind=SyncKind.SYNC,
            requested_at=datetime.now(timezone.utc),
        )
        _unsupported(sim, driver, Step.SYNC_OUTCOME, lambda: wait_for_sync(backend, stray))

    paused = _step(sim, driver, Step.PAUSE, lambda: pause_connection(backend, connection_id))
    if paused is not None:
        assert paused.paused is True
        assert _paused_in_sim(sim, name, connection_id)
    resumed = _step(sim, driver, Step.RESUME, lambda: resume_connection(backend, connection_id))
    if resumed is not None:
        assert resumed.paused is False
        assert not _paused_in_sim(sim, name, connection_id)

    assert driver.run(delete_connection(backend, connection_id)) is True
    assert connection_ids(sim, name) == []
    assert driver.run(delete_connection(backend, connection_id)) is False


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_a_disabled_hub_connection_is_paused_and_ends_a_readiness_wait(
    sim: SimServer, drivers: DriverFactory, mode: str
) -> None:
    """A disabled connection never becomes ready by itself: the wait ends typed, at once."""
    driver = drivers("hub", mode)
    backend = driver.backend
    ensured = driver.run(ensure_connection(backend, make_spec("hub")))
    connection_id = ensured.connection.connection_id
    driver.run(verify_connection(backend, connection_id))
    driver.run(pause_connection(backend, connection_id))

    readiness = driver.run(get_readiness(backend, connection_id))
    with pytest.raises(ConnectionPausedError, match="reactivate"):
        driver.run(wait_until_ready(backend, connection_id, policy=WAIT))

    assert readiness.state is ReadinessState.PAUSED
    assert readiness.reason is not None
    assert "disabled" in readiness.reason


def _host_in_sim(sim: SimServer, name: str, connection_id: str) -> str:
    record = _record(sim, name, connection_id)
    settings = record["options"] if name == "faraday" else record["config"]
    return str(settings["host"])


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_ensure_updates_drifted_settings_in_place(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    backend = driver.backend
    created = driver.run(ensure_connection(backend, make_spec(name)))
    connection_id = created.connection.connection_id
    moved = make_spec(name, host="db2.example.com", password="another-password")

    drifted = driver.run(ensure_connection(backend, moved))
    settled = driver.run(ensure_connection(backend, moved))

    assert (drifted.created, drifted.updated) == (False, True)
    assert (settled.created, settled.updated) == (False, False)
    assert drifted.connection.connection_id == settled.connection.connection_id == connection_id
    assert _host_in_sim(sim, name, connection_id) == "db2.example.com"
    assert sim.count(name, "POST", CREATE_ROUTE[name]) == 1
    assert connection_ids(sim, name) == [connection_id]


#: Fivetran settings a spec may pin; each must read back the way it was sent.
FIVETRAN_SETTINGS = [
    pytest.param({"sync_frequency": 60}, id="sync_frequency"),
    pytest.param({"sync_frequency": 1440, "daily_sync_time": "14:00"}, id="daily"),
    pytest.param({"daily_sync_time": "14:00"}, id="daily_sync_time-alone"),
    pytest.param({"schedule_type": "manual"}, id="schedule_type"),
    pytest.param({"paused": True}, id="paused"),
    pytest.param({"pause_after_trial": True}, id="pause_after_trial"),
    pytest.param({"data_delay_sensitivity": "HIGH"}, id="data_delay_sensitivity"),
    pytest.param({"data_delay_threshold": 10}, id="data_delay_threshold"),
    pytest.param({"networking_method": "SshTunnel"}, id="networking_method"),
    pytest.param({"proxy_agent_id": "agent_1"}, id="proxy_agent_id"),
    pytest.param({"private_link_id": "link_1"}, id="private_link_id"),
    pytest.param({"hybrid_deployment_agent_id": "hd_1"}, id="hybrid_deployment_agent_id"),
]


@pytest.mark.parametrize("settings", FIVETRAN_SETTINGS)
def test_fivetran_settings_read_back_without_drift(
    sim: SimServer, drivers: DriverFactory, settings: dict[str, Any]
) -> None:
    """Ensure twice with a pinned setting: no PATCH, because the answer echoes it as sent."""
    driver = drivers("fivetran", "sync")
    spec = make_spec("fivetran").model_copy(update=settings)

    first = driver.run(ensure_connection(driver.backend, spec))
    second = driver.run(ensure_connection(driver.backend, spec))

    assert (first.created, second.created, second.updated) == (True, False, False)
    assert sim.count("fivetran", "PATCH", "/v1/connections/{connectionId}") == 0
    record = _record(sim, "fivetran", first.connection.connection_id)
    assert {key: record[key] for key in settings} == settings


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize(
    "name",
    # Faraday does not enforce unique names, so racing creates can make two there;
    # its ensure then refuses to guess (tested with its unit tests).
    [pytest.param("fivetran", id="fivetran"), pytest.param("hub", id="hub")],
)
def test_racing_ensures_make_one_connection(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    racers = 4
    results = driver.run_all(
        [ensure_connection(driver.backend, make_spec(name)) for _ in range(racers)]
    )
    ids = {r.connection.connection_id for r in results}
    assert len(ids) == 1
    assert connection_ids(sim, name) == sorted(ids)
    assert sum(r.created for r in results) == 1
