"""The Fivetran state mapping, table by table (pure: no requests)."""

from datetime import datetime, timezone
from typing import Any

import pytest

from conn_shared import ReadinessState, SyncHandle, SyncKind, SyncState
from conn_shared.backends.fivetran.models import Connection
from conn_shared.backends.fivetran.states import readiness_of, sync_marker, sync_outcome_of
from tests.unit.fivetran.support import T0, T1, T2, connection


def _conn(**fields: Any) -> Connection:
    return Connection.model_validate(connection(**fields))


def _test(title: str, status: str, message: str | None = None) -> dict[str, Any]:
    return {"title": title, "status": status, "message": message}


@pytest.mark.parametrize(
    ("setup_state", "tests", "tasks", "state", "reason"),
    [
        pytest.param("connected", [], [], ReadinessState.READY, None, id="connected"),
        pytest.param(
            "connected",
            [_test("Old", "FAILED", "stale")],
            [],
            ReadinessState.READY,
            None,
            id="connected-wins-over-stale-test",
        ),
        pytest.param(
            "broken",
            [_test("Validate Login", "FAILED", "Invalid login credentials.")],
            [],
            ReadinessState.FAILED,
            "Validate Login: Invalid login credentials.",
            id="broken-with-test",
        ),
        pytest.param(
            "broken",
            [],
            [{"code": "reconnect", "message": "Reconnect the source"}],
            ReadinessState.FAILED,
            "Reconnect the source",
            id="broken-with-task",
        ),
        pytest.param(
            "broken", [], [], ReadinessState.FAILED, "setup_state is broken", id="broken-bare"
        ),
        pytest.param(
            "incomplete",
            [
                _test("Connect", "PASSED"),
                _test("Permissions", "JOB_FAILED", "job crashed"),
                _test("Tables", "FAILED"),
            ],
            [],
            ReadinessState.FAILED,
            "Permissions: job crashed; Tables",
            id="incomplete-with-failed-tests",
        ),
        pytest.param(
            "incomplete",
            [_test("Connect", "PASSED"), _test("Warn", "WARNING", "slow")],
            [],
            ReadinessState.PENDING,
            None,
            id="incomplete-no-failures",
        ),
        pytest.param(
            "quarantined",
            [],
            [],
            ReadinessState.PENDING,
            "unknown setup_state 'quarantined'",
            id="unknown-state",
        ),
    ],
)
def test_readiness_mapping(
    setup_state: str,
    tests: list[dict[str, Any]],
    tasks: list[dict[str, Any]],
    state: ReadinessState,
    reason: str | None,
) -> None:
    readiness = readiness_of(
        _conn(status={"setup_state": setup_state, "tasks": tasks}, setup_tests=tests)
    )
    assert readiness.state is state
    assert readiness.reason == reason
    assert readiness.connection_id == "conn_1"
    assert readiness.raw["status"]["setup_state"] == setup_state


def _handle(kind: SyncKind = SyncKind.SYNC, **before: Any) -> SyncHandle:
    marker = {"succeeded_at": None, "failed_at": None, "sync_state": "scheduled"}
    marker.update(before)
    return SyncHandle(
        backend="fivetran",
        connection_id="conn_1",
        kind=kind,
        requested_at=datetime(2024, 12, 1, 10, 30, tzinfo=timezone.utc),
        before=marker,
    )


SYNC_CASES = [
    pytest.param({}, {"sync_state": "syncing"}, {}, SyncState.RUNNING, id="never-synced-running"),
    pytest.param(
        {},
        {"sync_state": "scheduled"},
        {"succeeded_at": T1},
        SyncState.SUCCEEDED,
        id="first-success",
    ),
    pytest.param(
        {}, {"sync_state": "scheduled"}, {"failed_at": T1}, SyncState.FAILED, id="first-failure"
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "scheduled"},
        {"succeeded_at": T0},
        SyncState.PENDING,
        id="nothing-moved",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "syncing"},
        {"succeeded_at": T1},
        SyncState.SUCCEEDED,
        id="success-moved-while-a-later-sync-runs",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "scheduled"},
        {"succeeded_at": T1},
        SyncState.SUCCEEDED,
        id="success-moved",
    ),
    pytest.param(
        {"succeeded_at": T0, "failed_at": T1},
        {"sync_state": "scheduled"},
        {"succeeded_at": "2024-12-01T10:30:00Z", "failed_at": T1},
        SyncState.PENDING,
        id="success-moved-but-not-past-older-failure",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "scheduled"},
        {"succeeded_at": T0, "failed_at": T1},
        SyncState.FAILED,
        id="failure-moved",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "scheduled"},
        {"succeeded_at": T2, "failed_at": T1},
        SyncState.SUCCEEDED,
        id="both-moved-success-later",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "scheduled"},
        {"succeeded_at": T1, "failed_at": T2},
        SyncState.SUCCEEDED,
        id="late-poll-success-then-a-later-failure",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "rescheduled", "rescheduled_for": T2},
        {"succeeded_at": T0},
        SyncState.RESCHEDULED,
        id="rescheduled",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "paused"},
        {"succeeded_at": T0},
        SyncState.PAUSED,
        id="paused",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "syncing"},
        {"succeeded_at": T0},
        SyncState.RUNNING,
        id="syncing",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "scheduled"},
        {"succeeded_at": T0, "paused": True},
        SyncState.PAUSED,
        id="connection-paused-while-scheduled",
    ),
    pytest.param(
        {"succeeded_at": T0},
        {"sync_state": "throttled"},
        {"succeeded_at": T0},
        SyncState.RUNNING,
        id="unknown-sync-state",
    ),
]


@pytest.mark.parametrize(("before", "status", "times", "expected"), SYNC_CASES)
def test_sync_outcome_mapping(
    before: dict[str, Any], status: dict[str, Any], times: dict[str, Any], expected: SyncState
) -> None:
    outcome = sync_outcome_of(_handle(**before), _conn(status=status, **times))
    assert outcome.state is expected
    if expected is SyncState.RESCHEDULED:
        assert outcome.rescheduled_until == datetime(2024, 12, 1, 12, tzinfo=timezone.utc)
    if expected in (SyncState.SUCCEEDED, SyncState.FAILED):
        assert outcome.finished_at is not None
    else:
        assert outcome.finished_at is None


@pytest.mark.parametrize(
    ("historical", "times", "expected"),
    [
        pytest.param(True, {"succeeded_at": T1}, SyncState.PENDING, id="still-historical"),
        pytest.param(False, {"succeeded_at": T1}, SyncState.SUCCEEDED, id="historical-done"),
        pytest.param(True, {"failed_at": T1}, SyncState.FAILED, id="historical-failed"),
    ],
)
def test_resync_succeeds_only_once_the_historical_flag_clears(
    historical: bool, times: dict[str, Any], expected: SyncState
) -> None:
    handle = _handle(SyncKind.RESYNC, succeeded_at=T0, is_historical_sync=False)
    status = {"sync_state": "scheduled", "is_historical_sync": historical}
    assert sync_outcome_of(handle, _conn(status=status, **times)).state is expected


def test_failure_reason_names_time_and_tasks() -> None:
    conn = _conn(
        failed_at=T1,
        status={"tasks": [{"code": "x", "message": "Grant SELECT on orders"}]},
    )
    outcome = sync_outcome_of(_handle(), conn)
    assert outcome.reason == "sync failed at 2024-12-01T11:00:00+00:00: Grant SELECT on orders"


def test_marker_is_plain_json_and_round_trips_through_the_handle() -> None:
    conn = _conn(succeeded_at=T0, failed_at=None, status={"sync_state": "syncing"})
    marker = sync_marker(conn)
    assert marker == {
        "succeeded_at": "2024-12-01T10:00:00+00:00",
        "failed_at": None,
        "sync_state": "syncing",
        "is_historical_sync": False,
        "group_id": "group_1",  # waits on the group share one listing of it
    }
    handle = _handle(**marker)
    again = SyncHandle.model_validate_json(handle.model_dump_json())
    later = _conn(succeeded_at=T1)
    assert sync_outcome_of(again, later).state is SyncState.SUCCEEDED
