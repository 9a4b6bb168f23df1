"""A sync asked for once, whatever happens to the task that asked.

`prepare_sync` gives the intent (a JSON handle) before anything is sent; a task
that dies after `request_sync` was sent re-attaches with `reattach_sync`, which
asks again only when the vendor shows that nothing began. The simulator counts
the sync requests it received.
"""

import pytest

from conn_shared import (
    NetworkError,
    SyncHandle,
    SyncState,
    ensure_connection,
    get_sync_outcome,
    prepare_sync,
    reattach_sync,
    request_sync,
    trigger_sync,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.sim import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from tests.integration.conftest import DriverFactory
from tests.integration.support import MODES, WAIT, Driver, make_spec

MODE_PARAMS = [pytest.param(mode, id=mode) for mode in MODES]
SYNC_ROUTE = {
    "fivetran": "/v1/connections/{connectionId}/sync",
    "faraday": "/v1/connections/{connection_id}/force_update",
}
SYNC_GLOB = {
    "fivetran": "/fivetran/v1/connections/*/sync",
    "faraday": "/faraday/v1/connections/*/force_update",
}
NAME_PARAMS = [pytest.param(name, id=name) for name in SYNC_ROUTE]


def _ready(driver: Driver, name: str) -> str:
    """A ready connection with no sync running (a new Fivetran connection starts its first)."""
    connection_id = driver.run(
        ensure_connection(driver.backend, make_spec(name))
    ).connection.connection_id
    driver.run(wait_until_ready(driver.backend, connection_id, policy=WAIT))
    first = driver.run(trigger_sync(driver.backend, connection_id))
    driver.run(wait_for_sync(driver.backend, first, policy=WAIT))
    return connection_id


def _requests(sim: SimServer, name: str) -> int:
    """Sync requests beyond the one `_ready` sent."""
    return sim.count(name, "POST", SYNC_ROUTE[name]) - 1


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", NAME_PARAMS)
def test_prepare_sends_no_write_and_its_handle_travels_as_json(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    connection_id = _ready(driver, name)

    handle = driver.run(prepare_sync(driver.backend, connection_id))

    assert _requests(sim, name) == 0
    assert SyncHandle.model_validate_json(handle.model_dump_json()) == handle
    assert driver.run(get_sync_outcome(driver.backend, handle)).state is SyncState.PENDING


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", NAME_PARAMS)
def test_a_try_killed_after_its_request_was_sent_reattaches_without_asking_again(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    connection_id = _ready(driver, name)
    stored = driver.run(prepare_sync(driver.backend, connection_id)).model_dump(mode="json")
    driver.run(request_sync(driver.backend, SyncHandle.model_validate(stored)))  # then killed

    retried = drivers(name, mode)  # the next try: a new executor and the stored intent
    handle = SyncHandle.model_validate(stored)
    seen = retried.run(reattach_sync(retried.backend, handle))
    outcome = retried.run(wait_for_sync(retried.backend, handle, policy=WAIT))

    assert seen.state is not SyncState.PENDING
    assert outcome.state is SyncState.SUCCEEDED
    assert _requests(sim, name) == 1


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", NAME_PARAMS)
def test_a_try_whose_request_was_applied_but_its_answer_lost_reattaches(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    # The transport's retries on: the lost answer must still end the try, unsent again
    # (`make chaos` found both vendors' sync requests resent, each starting a second run).
    driver = drivers(name, mode)
    connection_id = _ready(driver, name)
    handle = driver.run(prepare_sync(driver.backend, connection_id))
    sim.set_faults(
        FaultPlan([FaultRule("commit_then_lose", times=1, method="POST", path=SYNC_GLOB[name])])
    )
    with pytest.raises(NetworkError):
        driver.run(request_sync(driver.backend, handle))
    assert _requests(sim, name) == 1

    retried = drivers(name, mode)
    retried.run(reattach_sync(retried.backend, handle))
    outcome = retried.run(wait_for_sync(retried.backend, handle, policy=WAIT))

    assert outcome.state is SyncState.SUCCEEDED
    assert _requests(sim, name) == 1


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", NAME_PARAMS)
def test_a_try_that_died_before_sending_asks_once_on_reattach(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    connection_id = _ready(driver, name)
    handle = driver.run(prepare_sync(driver.backend, connection_id))  # then the worker died

    seen = driver.run(reattach_sync(driver.backend, handle))
    outcome = driver.run(wait_for_sync(driver.backend, handle, policy=WAIT))

    assert seen.state is SyncState.PENDING
    assert outcome.state is SyncState.SUCCEEDED
    assert _requests(sim, name) == 1


@pytest.mark.parametrize("name", NAME_PARAMS)
def test_reattaching_to_a_finished_sync_reports_it_and_sends_nothing(
    sim: SimServer, drivers: DriverFactory, name: str
) -> None:
    driver = drivers(name, "sync")
    connection_id = _ready(driver, name)
    handle = driver.run(prepare_sync(driver.backend, connection_id))
    driver.run(request_sync(driver.backend, handle))
    driver.run(wait_for_sync(driver.backend, handle, policy=WAIT))

    seen = driver.run(reattach_sync(driver.backend, handle))

    assert seen.state is SyncState.SUCCEEDED
    assert _requests(sim, name) == 1
