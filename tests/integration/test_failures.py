"""Things going wrong, end to end: failed setup, failed syncs, rescheduled syncs, bad keys,
a delete refused while a dataset uses the connection.
"""

from datetime import datetime
from typing import Any

import pytest

from conn_shared import ReadinessState, Step, SyncState
from conn_shared.errors import (
    ApiError,
    AuthenticationError,
    ConnectionFailedError,
    ConnectionInUseError,
    LifecycleError,
    PermissionDeniedError,
    SyncFailedError,
    WaitTimeoutError,
)
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    pause_connection,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.sim.credentials import (
    FARADAY_EXPIRED_API_KEY,
    FIVETRAN_EXPIRED_API_KEY,
    HUB_EXPIRED_TOKEN,
)
from conn_shared.sim.server import SimServer
from conn_shared.waiting import WaitPolicy
from tests.integration.conftest import DriverFactory
from tests.integration.support import (
    CREATE_ROUTE,
    DETAILS_ROUTE,
    MODES,
    WAIT,
    connection_ids,
    make_spec,
)
from tests.support.faraday import create_dataset

MODE_PARAMS = [pytest.param(mode, id=mode) for mode in MODES]


# --- setup that fails ------------------------------------------------------------------

#: What each simulator says when the host cannot be reached.
UNREACHABLE = {
    "fivetran": "Connecting to host: Could not connect to fail.example.com.",
    "faraday": "Could not connect: host 'fail.example.com' is unreachable",
    "hub": "Could not reach postgres using config.host [connection_failed]",
}


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in UNREACHABLE])
def test_failed_setup_is_a_connection_failure_naming_the_reason(
    sim: SimServer, drivers: DriverFactory, name: str, mode: str
) -> None:
    driver = drivers(name, mode)
    backend = driver.backend
    ensured = driver.run(ensure_connection(backend, make_spec(name, host="fail.example.com")))
    connection_id = ensured.connection.connection_id
    if Step.VERIFY in backend.capabilities:
        verified = driver.run(verify_connection(backend, connection_id))
        assert verified.state is ReadinessState.FAILED
        assert verified.reason is not None
        assert UNREACHABLE[name] in verified.reason

    with pytest.raises(ConnectionFailedError) as caught:
        driver.run(wait_until_ready(backend, connection_id, policy=WAIT))

    assert UNREACHABLE[name] in str(caught.value)
    assert connection_id in str(caught.value)
    assert caught.value.backend == name


# --- syncs that fail -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_sync_of_a_paused_fivetran_connection_is_refused_before_the_request(
    sim: SimServer, drivers: DriverFactory, mode: str
) -> None:
    driver = drivers("fivetran", mode)
    backend = driver.backend
    connection_id = driver.run(
        ensure_connection(backend, make_spec("fivetran"))
    ).connection.connection_id
    driver.run(pause_connection(backend, connection_id))

    with pytest.raises(LifecycleError, match=f"connection {connection_id} is paused"):
        driver.run(trigger_sync(backend, connection_id))

    assert sim.count("fivetran", "POST", "/v1/connections/{connectionId}/sync") == 0


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_failing_fivetran_sync_raises_sync_failed(
    sim: SimServer, drivers: DriverFactory, mode: str
) -> None:
    driver = drivers("fivetran", mode)
    backend = driver.backend
    spec = make_spec("fivetran", extra={"sim_sync_outcome": "fail"})
    connection_id = driver.run(ensure_connection(backend, spec)).connection.connection_id
    driver.run(wait_until_ready(backend, connection_id, policy=WAIT))
    handle = driver.run(trigger_sync(backend, connection_id))

    with pytest.raises(SyncFailedError, match=f"sync of connection {connection_id} failed"):
        driver.run(wait_for_sync(backend, handle, policy=WAIT))

    record = sim.state()["backends"]["fivetran"]["connections"][connection_id]
    assert record["failed_at"] is not None
    assert record["succeeded_at"] is None


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_faraday_rebuild_that_errors_raises_sync_failed(
    sim: SimServer, drivers: DriverFactory, mode: str
) -> None:
    """A ready connection whose host drifted to an unreachable one fails its next build."""
    driver = drivers("faraday", mode)
    backend = driver.backend
    good = driver.run(ensure_connection(backend, make_spec("faraday")))
    connection_id = good.connection.connection_id
    driver.run(wait_until_ready(backend, connection_id, policy=WAIT))
    drifted = driver.run(ensure_connection(backend, make_spec("faraday", host="fail.example.com")))
    assert (drifted.created, drifted.updated) == (False, True)
    handle = driver.run(trigger_sync(backend, connection_id))

    with pytest.raises(SyncFailedError) as caught:
        driver.run(wait_for_sync(backend, handle, policy=WAIT))

    assert UNREACHABLE["faraday"] in str(caught.value)


# --- rescheduled Fivetran syncs --------------------------------------------------------


def _quota_connection(driver: Any, schedule_type: str = "auto") -> str:
    """A Fivetran connection whose syncs first wait in `rescheduled` (schema name "quota")."""
    spec = make_spec("fivetran", label="it_quota").model_copy(
        update={"schedule_type": schedule_type}
    )
    connection_id: str = driver.run(
        ensure_connection(driver.backend, spec)
    ).connection.connection_id
    return connection_id


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize(
    "schedule_type",
    [
        pytest.param("auto", id="auto-restarts-itself"),
        pytest.param("manual", id="manual-is-triggered-again"),
    ],
)
def test_rescheduled_sync_is_followed_until_it_completes(
    sim: SimServer, drivers: DriverFactory, schedule_type: str, mode: str
) -> None:
    driver = drivers("fivetran", mode)
    connection_id = _quota_connection(driver, schedule_type)
    handle = driver.run(trigger_sync(driver.backend, connection_id))
    record = sim.state()["backends"]["fivetran"]["connections"][connection_id]
    assert record["status"]["sync_state"] == "rescheduled"

    outcome = driver.run(wait_for_sync(driver.backend, handle, policy=WAIT))

    assert outcome.state is SyncState.SUCCEEDED
    assert outcome.finished_at is not None
    rescheduled_for = datetime.fromisoformat(
        record["status"]["rescheduled_for"].replace("Z", "+00:00")
    )
    assert outcome.finished_at > rescheduled_for
    sync_route = "/v1/connections/{connectionId}/sync"
    # Only a manual connection needs the second trigger.
    assert sim.count("fivetran", "POST", sync_route) == (2 if schedule_type == "manual" else 1)


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_rescheduled_past_the_deadline_times_out_at_once(
    sim: SimServer, drivers: DriverFactory, mode: str
) -> None:
    driver = drivers("fivetran", mode)
    connection_id = _quota_connection(driver)
    handle = driver.run(trigger_sync(driver.backend, connection_id))
    polls_before = sim.count("fivetran", "GET", DETAILS_ROUTE["fivetran"])
    # The simulator reschedules for 300 simulated seconds; this wait allows 120.
    short = WaitPolicy(poll_interval=0.02, max_poll_interval=0.2, timeout=120)

    with pytest.raises(WaitTimeoutError) as caught:
        driver.run(wait_for_sync(driver.backend, handle, policy=short))

    message = str(caught.value)
    assert "rescheduled by the vendor until" in message
    assert "after the wait deadline" in message
    assert connection_id in message
    # One look was enough to know the deadline cannot be met.
    assert sim.count("fivetran", "GET", DETAILS_ROUTE["fivetran"]) == polls_before + 1


# --- authentication --------------------------------------------------------------------

WRONG_KEY = "wrong-key-0a1b2c3d4e5f"
# The hub answers FastAPI's {"detail": "..."}: no vendor code, the detail is the message.
AUTH_CASES = [
    pytest.param(
        "fivetran",
        WRONG_KEY,
        AuthenticationError,
        401,
        "AuthFailed",
        "Invalid API key or secret",
        id="fivetran-wrong",
    ),
    pytest.param(
        "fivetran",
        FIVETRAN_EXPIRED_API_KEY,
        AuthenticationError,
        401,
        "AuthFailed",
        "has expired",  # the simulator names the key here; the client scrubs it
        id="fivetran-expired",
    ),
    pytest.param(
        "faraday",
        WRONG_KEY,
        PermissionDeniedError,
        403,
        "INVALID_AUTHORIZATION",
        "does not grant access",
        id="faraday-wrong",
    ),
    pytest.param(
        "faraday",
        FARADAY_EXPIRED_API_KEY,
        AuthenticationError,
        401,
        "EXPIRED_API_KEY",
        "has expired",
        id="faraday-expired",
    ),
    pytest.param("hub", WRONG_KEY, AuthenticationError, 401, None, "Invalid token", id="hub-wrong"),
    pytest.param(
        "hub",
        HUB_EXPIRED_TOKEN,
        AuthenticationError,
        401,
        None,
        "Token has expired",
        id="hub-expired",
    ),
]


@pytest.mark.parametrize("mode", MODE_PARAMS)
@pytest.mark.parametrize(("name", "key", "error", "status", "code", "said"), AUTH_CASES)
def test_bad_credentials_raise_typed_errors_without_the_key(
    sim: SimServer,
    drivers: DriverFactory,
    name: str,
    key: str,
    error: type[ApiError],
    status: int,
    code: str | None,
    said: str,
    mode: str,
) -> None:
    driver = drivers(name, mode, key=key)

    with pytest.raises(error) as caught:
        driver.run(ensure_connection(driver.backend, make_spec(name)))

    exc = caught.value
    assert type(exc) is error
    assert (exc.status, exc.code, exc.backend) == (status, code, name)
    assert said in exc.message
    assert key not in str(exc)
    assert key not in repr(exc)
    assert driver.stats.requests == 1, "an auth failure is never retried"
    assert sim.count(name, "POST", CREATE_ROUTE[name]) == 0


# --- a delete refused while a dataset uses the connection ------------------------------


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_faraday_delete_refused_while_a_dataset_uses_the_connection(
    sim: SimServer, drivers: DriverFactory, mode: str
) -> None:
    driver = drivers("faraday", mode)
    connection_id = driver.run(
        ensure_connection(driver.backend, make_spec("faraday"))
    ).connection.connection_id
    dataset_id = create_dataset(sim, connection_id)["id"]

    with pytest.raises(ConnectionInUseError) as caught:
        driver.run(delete_connection(driver.backend, connection_id))

    assert dataset_id in str(caught.value)
    assert "Customers" in str(caught.value)
    assert any(dataset_id in user for user in caught.value.users)
    assert connection_ids(sim, "faraday") == [connection_id]
    datasets = sim.state()["backends"]["faraday"]["datasets"]
    assert [d["id"] for d in datasets] == [dataset_id]
    assert sim.count("faraday", "DELETE", DETAILS_ROUTE["faraday"]) == 0
