"""Concurrent waits on one account share listings: same outcomes, far fewer requests.

Twenty waits run at once through one executor (asyncio.gather, or threads
sharing a sync executor) against the simulator; each wait alone would poll its
connection several times. The outcomes are checked against a fresh read of
each connection on its own, and the traffic against what twenty separate waits
would have sent.
"""

import pytest

from conn_shared import (
    NotFoundError,
    ReadinessState,
    Step,
    SyncHandle,
    SyncState,
    delete_connection,
    ensure_connection,
    get_readiness,
    get_sync_outcome,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from tests.integration.conftest import DriverFactory
from tests.integration.support import DETAILS_ROUTE, MODES, WAIT, Driver, make_spec

WAITS = 20
LIST_ROUTE = {"fivetran": "/v1/connections", "faraday": "/v1/connections"}
LIST_GLOB = {"fivetran": "/fivetran/v1/connections", "faraday": "/faraday/v1/connections"}
SYNC_BACKENDS = [pytest.param(name, id=name) for name in ("fivetran", "faraday")]
MODE_PARAMS = [pytest.param(mode, id=mode) for mode in MODES]


def _connections(driver: Driver, count: int) -> list[str]:
    specs = [make_spec(driver.backend.name, label=f"co_{i:02d}") for i in range(count)]
    ensured = driver.run_all([ensure_connection(driver.backend, spec) for spec in specs])
    return [e.connection.connection_id for e in ensured]


def _gets(sim: SimServer, name: str, route: str) -> int:
    return sim.count(name, "GET", route)


def _synced(driver: Driver, count: int) -> list[SyncHandle]:
    ids = _connections(driver, count)
    return driver.run_all([trigger_sync(driver.backend, i) for i in ids])


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", SYNC_BACKENDS)
def test_concurrent_sync_waits_share_listings_and_end_the_same(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    handles = _synced(driver, WAITS)
    details, listings = _gets(sim, name, DETAILS_ROUTE[name]), _gets(sim, name, LIST_ROUTE[name])

    outcomes = driver.run_all([wait_for_sync(driver.backend, h, policy=WAIT) for h in handles])

    polled = _gets(sim, name, DETAILS_ROUTE[name]) - details
    listed = _gets(sim, name, LIST_ROUTE[name]) - listings
    assert listed >= 1
    # Alone, every wait polls at least twice (the sync outlasts the first interval).
    assert polled + listed < WAITS * 2, (polled, listed)
    # Each connection read on its own agrees (a later scheduled sync may have finished since).
    fresh = driver.run_all([get_sync_outcome(driver.backend, h) for h in handles])
    for handle, outcome, alone in zip(handles, outcomes, fresh, strict=True):
        assert (outcome.state, alone.state) == (SyncState.SUCCEEDED, SyncState.SUCCEEDED)
        assert outcome.connection_id == alone.connection_id == handle.connection_id
        assert outcome.finished_at is not None
        assert alone.finished_at is not None
        assert outcome.finished_at <= alone.finished_at
        assert outcome.raw["id"] == handle.connection_id


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_concurrent_readiness_waits_on_the_hub_share_listings(
    sim: SimServer, drivers: DriverFactory, mode: str
) -> None:
    driver = drivers("hub", mode)
    ids = _connections(driver, WAITS)
    assert Step.VERIFY in driver.backend.capabilities
    driver.run_all([verify_connection(driver.backend, i) for i in ids])
    details = _gets(sim, "hub", DETAILS_ROUTE["hub"])

    ready = driver.run_all([wait_until_ready(driver.backend, i, policy=WAIT) for i in ids])

    assert [r.state for r in ready] == [ReadinessState.READY] * WAITS
    assert _gets(sim, "hub", DETAILS_ROUTE["hub"]) - details <= WAITS
    alone = driver.run_all([get_readiness(driver.backend, i) for i in ids])
    assert [r.raw["status"] for r in ready] == [r.raw["status"] for r in alone]


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(FaultRule("error", 503, times=8), id="listing-outage-ridden-out"),
        pytest.param(FaultRule("rate_limit", seconds=0.05, times=1), id="listing-429"),
    ],
)
@pytest.mark.parametrize("name", SYNC_BACKENDS)
def test_a_failing_listing_fails_each_poll_and_the_waits_ride_it_out(
    sim: SimServer, drivers: DriverFactory, name: str, rule: FaultRule
) -> None:
    driver = drivers(name, "async")
    handles = _synced(driver, WAITS)
    rule.method, rule.path = "GET", LIST_GLOB[name]
    sim.set_faults(FaultPlan([rule]))
    details = _gets(sim, name, DETAILS_ROUTE[name])

    outcomes = driver.run_all([wait_for_sync(driver.backend, h, policy=WAIT) for h in handles])

    assert [o.state for o in outcomes] == [SyncState.SUCCEEDED] * WAITS
    assert sim.state()["faults"]["fired"] == {rule.kind: rule.times}
    # Nobody fell back to polling alone: one listing stood for every wait, failures included.
    assert _gets(sim, name, DETAILS_ROUTE[name]) == details
    # One shared throttle: after the 429 no wait sent anything until the listing was retried.
    limited = rule.times if rule.kind == "rate_limit" else 0
    assert sim.count(name, "GET", LIST_ROUTE[name], status=429) == limited


@pytest.mark.parametrize("name", SYNC_BACKENDS)
def test_a_connection_missing_from_the_listing_is_read_alone(
    sim: SimServer, drivers: DriverFactory, name: str
) -> None:
    driver = drivers(name, "async")
    handles = _synced(driver, 6)
    gone = handles[0].connection_id
    driver.run(delete_connection(driver.backend, gone))
    details = _gets(sim, name, DETAILS_ROUTE[name])

    waits = [wait_for_sync(driver.backend, h, policy=WAIT) for h in handles]
    results = driver.run_all_settled(waits)

    assert isinstance(results[0], NotFoundError), results[0]
    assert [r.state for r in results[1:]] == [SyncState.SUCCEEDED] * 5
    # The deleted one asked on its own (and got the 404 a lone wait gets); nobody else did.
    assert _gets(sim, name, DETAILS_ROUTE[name]) - details == 1


def test_fivetran_waits_whose_group_lists_nothing_read_alone(
    sim: SimServer, drivers: DriverFactory
) -> None:
    driver = drivers("fivetran", "async")
    handles = [
        h.model_copy(update={"before": {**h.before, "group_id": "another_group"}})
        for h in _synced(driver, 3)
    ]
    details = _gets(sim, "fivetran", DETAILS_ROUTE["fivetran"])

    outcomes = driver.run_all([wait_for_sync(driver.backend, h, policy=WAIT) for h in handles])

    assert [o.state for o in outcomes] == [SyncState.SUCCEEDED] * 3
    assert sim.count("fivetran", "GET", LIST_ROUTE["fivetran"]) >= 1
    assert _gets(sim, "fivetran", DETAILS_ROUTE["fivetran"]) - details >= 3
