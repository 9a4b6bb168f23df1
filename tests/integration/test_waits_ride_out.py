"""Waits and writes that ride out the real world (issue: outages, rate limits, pauses).

Each case is one small input from the field, replayed against the simulator on
every backend that has the step, with the sync and the async executor.
"""

import logging
from datetime import timedelta
from typing import Any

import pytest

from conn_shared.errors import ConnectionPausedError, RateLimitedError
from conn_shared.lifecycle import (
    ReadinessState,
    Step,
    SyncState,
    ensure_connection,
    get_sync_outcome,
    pause_connection,
    resume_connection,
    trigger_resync,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from tests.integration.conftest import DriverFactory
from tests.integration.support import (
    BACKENDS,
    CREATE_ROUTE,
    DETAILS_ROUTE,
    MODES,
    WAIT,
    Driver,
    make_spec,
)

MODE_PARAMS = [pytest.param(mode, id=mode) for mode in MODES]
SYNC_ROUTE = {
    "fivetran": "/v1/connections/{connectionId}/sync",
    "faraday": "/v1/connections/{connection_id}/force_update",
}
SYNC_GLOB = {
    "fivetran": "/fivetran/v1/connections/*/sync",
    "faraday": "/faraday/v1/connections/*/force_update",
}
#: Two single-call retry budgets' worth of 503s (FAST_RETRY allows 5 attempts a call).
OUTAGE = 10


def _outage_on_polls_of(name: str, connection_id: str) -> FaultPlan:
    return FaultPlan(
        [
            FaultRule(
                "error",
                503,
                times=OUTAGE,
                method="GET",
                path=f"/{name}/*/connections/{connection_id}",
            )
        ]
    )


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in BACKENDS])
def test_an_outage_while_waiting_for_readiness_is_polled_through(
    sim: SimServer,
    drivers: DriverFactory,
    name: str,
    mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver = drivers(name, mode)
    connection_id = driver.run(
        ensure_connection(driver.backend, make_spec(name))
    ).connection.connection_id
    if Step.VERIFY in driver.backend.capabilities:  # the hub waits for a verification
        driver.run(verify_connection(driver.backend, connection_id))
    sim.set_faults(_outage_on_polls_of(name, connection_id))

    with caplog.at_level(logging.WARNING, logger="conn_shared.waiting"):
        readiness = driver.run(wait_until_ready(driver.backend, connection_id, policy=WAIT))

    assert readiness.state is ReadinessState.READY
    assert sim.state()["faults"]["fired"] == {"error": OUTAGE}
    warnings = [r.getMessage() for r in caplog.records if r.name == "conn_shared.waiting"]
    assert warnings, "each failed poll is logged"
    assert "ServerError 503" in warnings[0]
    assert warnings[-1].endswith(f"({len(warnings)} failed so far)")


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in SYNC_ROUTE])
def test_an_outage_while_waiting_for_a_sync_does_not_end_the_wait(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    connection_id = driver.run(
        ensure_connection(driver.backend, make_spec(name))
    ).connection.connection_id
    driver.run(wait_until_ready(driver.backend, connection_id, policy=WAIT))
    handle = driver.run(trigger_sync(driver.backend, connection_id))
    sim.set_faults(_outage_on_polls_of(name, connection_id))

    outcome = driver.run(wait_for_sync(driver.backend, handle, policy=WAIT))

    assert outcome.state is SyncState.SUCCEEDED
    assert sim.state()["faults"]["fired"] == {"error": OUTAGE}


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in BACKENDS])
def test_a_create_refused_with_a_long_retry_after_is_sent_once_and_raised(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    sim.set_faults(FaultPlan([FaultRule("rate_limit", seconds=400, times=1, method="POST")]))

    with pytest.raises(RateLimitedError) as caught:
        driver.run(ensure_connection(driver.backend, make_spec(name)))

    assert caught.value.retry_after == pytest.approx(400, abs=1)
    assert sim.count(name, "POST", CREATE_ROUTE[name]) == 1
    assert sim.count(name, "POST", CREATE_ROUTE[name], status=429) == 1


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in BACKENDS])
def test_a_create_refused_with_a_short_retry_after_waits_it_then_creates_once(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    sim.set_faults(FaultPlan([FaultRule("rate_limit", seconds=1, times=1, method="POST")]))

    ensured = driver.run(ensure_connection(driver.backend, make_spec(name)))

    assert ensured.created
    assert sim.count(name, "POST", CREATE_ROUTE[name]) == 2
    assert sim.count(name, "POST", CREATE_ROUTE[name], status=429) == 1
    assert sum(driver.sleeps) >= 0.95  # the Retry-After passed before the second POST


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in SYNC_ROUTE])
def test_a_sync_request_refused_with_a_long_retry_after_is_sent_once_and_raised(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    connection_id = driver.run(
        ensure_connection(driver.backend, make_spec(name))
    ).connection.connection_id
    driver.run(wait_until_ready(driver.backend, connection_id, policy=WAIT))
    sim.set_faults(
        FaultPlan(
            [FaultRule("rate_limit", seconds=400, times=1, method="POST", path=SYNC_GLOB[name])]
        )
    )

    with pytest.raises(RateLimitedError) as caught:
        driver.run(trigger_sync(driver.backend, connection_id))

    assert caught.value.retry_after == pytest.approx(400, abs=1)
    assert sim.count(name, "POST", SYNC_ROUTE[name]) == 1


def _fivetran(driver: Driver, **fields: Any) -> str:
    spec = make_spec("fivetran").model_copy(update=fields)
    connection_id = driver.run(ensure_connection(driver.backend, spec)).connection.connection_id
    driver.run(wait_until_ready(driver.backend, connection_id, policy=WAIT))
    return connection_id


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize(
    "resync", [pytest.param(False, id="sync"), pytest.param(True, id="resync")]
)
def test_a_connection_paused_during_the_wait_ends_it_at_once_typed(
    sim: SimServer, drivers: DriverFactory, mode: str, resync: bool
) -> None:
    driver = drivers("fivetran", mode)
    connection_id = _fivetran(driver, schedule_type="manual")
    first = driver.run(trigger_sync(driver.backend, connection_id))
    driver.run(wait_for_sync(driver.backend, first, policy=WAIT))  # the first sync is over
    ask = trigger_resync if resync else trigger_sync
    handle = driver.run(ask(driver.backend, connection_id))
    driver.run(pause_connection(driver.backend, connection_id))
    polls_before = sim.count("fivetran", "GET", DETAILS_ROUTE["fivetran"])

    with pytest.raises(ConnectionPausedError, match="paused") as caught:
        driver.run(wait_for_sync(driver.backend, handle, policy=WAIT))

    assert caught.value.connection_id == connection_id
    assert sim.count("fivetran", "GET", DETAILS_ROUTE["fivetran"]) - polls_before == 1


def test_a_policy_may_wait_through_a_pause_until_the_resume(
    sim: SimServer, drivers: DriverFactory
) -> None:
    driver = drivers("fivetran", "sync")
    connection_id = _fivetran(driver, schedule_type="manual")
    first = driver.run(trigger_sync(driver.backend, connection_id))
    driver.run(wait_for_sync(driver.backend, first, policy=WAIT))
    handle = driver.run(trigger_sync(driver.backend, connection_id))
    driver.run(pause_connection(driver.backend, connection_id))
    patient = WAIT.model_copy(update={"on_paused": "wait"})
    polls: list[int] = []

    resumer = drivers("fivetran", "sync")

    def resume_after_a_few_polls(seconds: float) -> None:
        polls.append(1)
        if len(polls) == 3:
            resumer.run(resume_connection(resumer.backend, connection_id))

    driver.on_sleep = resume_after_a_few_polls
    outcome = driver.run(wait_for_sync(driver.backend, handle, policy=patient))

    assert outcome.state is SyncState.SUCCEEDED
    assert len(polls) >= 3


def test_a_late_first_poll_reports_our_success_not_a_later_failure(
    sim: SimServer, drivers: DriverFactory
) -> None:
    driver = drivers("fivetran", "sync")
    connection_id = _fivetran(driver, sync_frequency=15)
    first = driver.run(trigger_sync(driver.backend, connection_id))
    driver.run(wait_for_sync(driver.backend, first, policy=WAIT))
    handle = driver.run(trigger_sync(driver.backend, connection_id))
    sim.advance(600)  # our sync ends...
    # ...and every scheduled sync after it fails
    driver.call(
        driver.backend.modify_connection(connection_id, config={"sim_sync_outcome": "fail"})
    )
    sim.advance(7200)  # the triggerer picks the wait up two hours late

    outcome = driver.run(get_sync_outcome(driver.backend, handle))

    assert outcome.state is SyncState.SUCCEEDED
    assert outcome.finished_at is not None
    assert outcome.finished_at < handle.requested_at + timedelta(minutes=15)
    record = sim.state()["backends"]["fivetran"]["connections"][connection_id]
    assert record["failed_at"] > record["succeeded_at"]  # later syncs did fail
