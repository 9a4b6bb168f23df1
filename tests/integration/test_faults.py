"""Injected faults against the shared client: what is retried, what is recovered, what is not
duplicated. Every fault comes from the simulator's fault plan or rate limiter.
"""

import pytest

from conn_shared import ReadinessState, Step, SyncState
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    get_readiness,
    pause_connection,
    resume_connection,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.ratelimit import RateLimit
from conn_shared.sim.server import SimServer
from tests.integration.conftest import DriverFactory
from tests.integration.support import (
    BACKENDS,
    CREATE_ROUTE,
    DETAILS_ROUTE,
    MODES,
    WAIT,
    connection_ids,
    make_spec,
)

BACKEND_PARAMS = [pytest.param(name, id=name) for name in BACKENDS]
MODE_PARAMS = [pytest.param(mode, id=mode) for mode in MODES]

#: (fault rules on GETs of one connection, HTTP statuses the simulator counts for them)
GET_FAULTS = [
    pytest.param(
        [FaultRule("error", 502, times=2), FaultRule("error", 503, times=2)],
        {502: 2, 503: 2},
        id="502-503-burst",
    ),
    pytest.param([FaultRule("malformed_json", times=1)], {200: 1}, id="malformed-json"),
    pytest.param([FaultRule("drop", times=1)], {200: 1}, id="dropped-mid-body"),
]


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize(("rules", "faulted"), GET_FAULTS)
@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_faulty_gets_are_retried_transparently(
    sim: SimServer,
    drivers: DriverFactory,
    name: str,
    rules: list[FaultRule],
    faulted: dict[int, int],
    mode: str,
) -> None:
    driver = drivers(name, mode)
    connection_id = driver.run(
        ensure_connection(driver.backend, make_spec(name))
    ).connection.connection_id
    for rule in rules:
        rule.method, rule.path = "GET", f"/{name}/*/connections/{connection_id}"
    sim.set_faults(FaultPlan(rules))
    before = driver.stats.retries

    readiness = driver.run(get_readiness(driver.backend, connection_id))

    assert readiness.connection_id == connection_id
    assert readiness.state in (ReadinessState.PENDING, ReadinessState.READY)
    injected = sum(faulted.values())
    assert driver.stats.retries - before == injected
    for status, count in faulted.items():
        seen = sim.count(name, "GET", DETAILS_ROUTE[name], status=status)
        # The answered retry is a 200 too when the fault itself was sent as a 200.
        assert seen == count + (1 if status == 200 else 0)
    assert sim.state()["faults"]["fired"] == {rules[0].kind: injected}


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_create_committed_but_answer_lost_leaves_one_connection(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    spec = make_spec(name)
    path = f"/{name}{CREATE_ROUTE[name]}"
    sim.set_faults(FaultPlan([FaultRule("commit_then_lose", times=1, method="POST", path=path)]))

    ensured = driver.run(ensure_connection(driver.backend, spec))

    assert sim.state()["faults"]["fired"] == {"commit_then_lose": 1}
    assert connection_ids(sim, name) == [ensured.connection.connection_id]
    again = driver.run(ensure_connection(driver.backend, spec))
    assert (again.created, again.connection.connection_id) == (
        False,
        ensured.connection.connection_id,
    )
    assert connection_ids(sim, name) == [ensured.connection.connection_id]


#: One backend per executor mode is enough for the (real-time) rate-limit waits.
DETAILS_CALL = {
    "fivetran": "connection_details",
    "faraday": "get_connection",
    "hub": "get_connection",
}
RATE_LIMIT_CASES = [
    pytest.param("fivetran", "sync", id="fivetran-sync"),
    pytest.param("faraday", "async", id="faraday-async"),
    pytest.param("hub", "sync", id="hub-sync"),
    pytest.param("hub", "async", id="hub-async"),
]


@pytest.mark.parametrize(("name", "mode"), RATE_LIMIT_CASES)
def test_rate_limited_burst_waits_and_every_call_succeeds(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    backend = driver.backend
    connection_id = driver.run(ensure_connection(backend, make_spec(name))).connection.connection_id
    # A slow refill: eight concurrent calls cannot all fit, however the threads run.
    sim.set_rate_limit(RateLimit(rate=4, burst=4))
    details = getattr(backend, DETAILS_CALL[name])

    results = driver.gather([details(connection_id) for _ in range(8)])

    assert [r.id for r in results] == [connection_id] * 8
    assert sim.count(name, "GET", DETAILS_ROUTE[name], status=200) == 8
    # Either a call met a 429 (Retry-After: 1 s) or a success said the quota was spent
    # (X-RateLimit-Remaining: 0) and the executor held the next calls until the next
    # token (0.25 s at 4 a second); which one depends on how the threads are scheduled.
    assert driver.sleeps
    assert max(driver.sleeps) > 0.2


def _storm(seed: int, name: str) -> FaultPlan:
    """Seeded faults on everything the client may resend, and one lost create."""
    return FaultPlan(
        [
            FaultRule("error", 502, times=1, method="GET"),  # at least one, whatever the draws
            FaultRule(
                "commit_then_lose", times=1, method="POST", path=f"/{name}{CREATE_ROUTE[name]}"
            ),
            FaultRule("error", 503, probability=0.1, method="GET"),
            FaultRule("drop", probability=0.05, method="GET"),
            FaultRule("malformed_json", probability=0.05, method="GET"),
            FaultRule("error", 502, probability=0.1, method="PATCH"),
            FaultRule("drop", probability=0.1, method="DELETE"),
        ],
        seed=seed,
    )


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_the_lifecycle_survives_a_storm_of_faults(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    backend = driver.backend
    caps = backend.capabilities
    sim.set_faults(_storm(seed=1, name=name))

    ensured = driver.run(ensure_connection(backend, make_spec(name)))
    connection_id = ensured.connection.connection_id
    assert driver.run(ensure_connection(backend, make_spec(name))).created is False
    if Step.VERIFY in caps:
        driver.run(verify_connection(backend, connection_id))
    ready = driver.run(wait_until_ready(backend, connection_id, policy=WAIT))
    assert ready.state is ReadinessState.READY
    if Step.SYNC in caps:
        handle = driver.run(trigger_sync(backend, connection_id))
        assert driver.run(wait_for_sync(backend, handle, policy=WAIT)).state is SyncState.SUCCEEDED
    if Step.PAUSE in caps:
        assert driver.run(pause_connection(backend, connection_id)).paused is True
        assert driver.run(resume_connection(backend, connection_id)).paused is False
    assert driver.run(delete_connection(backend, connection_id)) is True

    fired = sim.state()["faults"]["fired"]
    assert fired["commit_then_lose"] == 1
    assert fired["error"] >= 1
    assert driver.stats.retries > 0
    assert connection_ids(sim, name) == []
