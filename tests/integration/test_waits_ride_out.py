"""Waits and writes that ride out the real world (issue: outages, rate limits, pauses).

Each case is one small input from the field, replayed against the simulator on
every backend that has the step, with the sync and the async executor.
"""

import logging

import pytest

from conn_shared.errors import RateLimitedError
from conn_shared.lifecycle import (
    ReadinessState,
    Step,
    SyncState,
    ensure_connection,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from tests.integration.conftest import DriverFactory
from tests.integration.support import BACKENDS, CREATE_ROUTE, MODES, WAIT, make_spec

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
