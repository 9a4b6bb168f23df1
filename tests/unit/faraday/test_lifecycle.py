"""The Faraday state mapping, table-tested with no server: readiness, sync outcome, drift."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from conn_shared import ReadinessState, SyncState
from conn_shared.backends.faraday.models import Connection
from conn_shared.backends.faraday.spec import option_drift
from conn_shared.backends.faraday.states import (
    connection_info,
    readiness_of,
    sync_before,
    sync_outcome_of,
)
from tests.unit.faraday.support import CONN_ID, PASSWORD, connection_json

T0 = "2026-01-01T12:00:00Z"
T1 = "2026-01-01T12:30:00Z"


def _conn(**overrides: Any) -> Connection:
    return Connection.model_validate(connection_json(**overrides))


@pytest.mark.parametrize(
    ("overrides", "state", "reason"),
    [
        pytest.param({"status": "ready"}, ReadinessState.READY, None, id="ready"),
        pytest.param({"status": "new"}, ReadinessState.PENDING, None, id="new"),
        pytest.param({"status": "starting"}, ReadinessState.PENDING, None, id="starting"),
        pytest.param({"status": "running"}, ReadinessState.PENDING, None, id="running"),
        pytest.param(
            {"status": "error", "status_error": "host unreachable"},
            ReadinessState.FAILED,
            "host unreachable",
            id="error-status_error",
        ),
        pytest.param(
            {"status": "error", "contents_error": "Password incorrect"},
            ReadinessState.FAILED,
            "Password incorrect",
            id="error-contents_error",
        ),
        pytest.param(
            {"status": "error", "status_error": "first", "contents_error": "second"},
            ReadinessState.FAILED,
            "first",
            id="error-status_error-wins",
        ),
        pytest.param(
            {"status": "error"},
            ReadinessState.FAILED,
            "status is error, no message",
            id="error-no-message",
        ),
        pytest.param(
            {"status": "pending"},
            ReadinessState.PENDING,
            "unknown Faraday status 'pending', treated as pending",
            id="unknown-pending-from-the-docs",
        ),
        pytest.param(
            {"status": "ready", "archived_at": T0},
            ReadinessState.READY,
            None,
            id="archived-still-by-status",
        ),
    ],
)
def test_readiness_mapping(
    overrides: dict[str, Any], state: ReadinessState, reason: str | None
) -> None:
    readiness = readiness_of(_conn(**overrides))
    assert (readiness.state, readiness.reason) == (state, reason)
    assert readiness.backend == "faraday"
    assert readiness.connection_id == CONN_ID


BEFORE = {"status": "ready", "last_updated_output_at": T0, "status_changed_at": T0}


@pytest.mark.parametrize(
    ("before", "overrides", "state", "reason"),
    [
        pytest.param(BEFORE, {}, SyncState.PENDING, None, id="nothing-moved"),
        pytest.param(
            BEFORE,
            {"status": "running", "status_changed_at": T1},
            SyncState.RUNNING,
            None,
            id="rerun-running",
        ),
        pytest.param(
            BEFORE,
            {"status": "ready", "status_changed_at": T1, "last_updated_output_at": T1},
            SyncState.SUCCEEDED,
            None,
            id="output-advanced",
        ),
        pytest.param(
            BEFORE,
            {"status": "running", "last_updated_output_at": T1},
            SyncState.SUCCEEDED,
            None,
            id="output-advanced-then-a-later-rerun-started",
        ),
        pytest.param(
            BEFORE,
            {"status": "error", "status_changed_at": T1, "status_error": "boom"},
            SyncState.FAILED,
            "boom",
            id="error-after-request",
        ),
        pytest.param(
            {**BEFORE, "status": "error"},
            {"status": "error", "status_error": "old failure"},
            SyncState.PENDING,
            None,
            id="error-from-before-the-request",
        ),
        pytest.param(
            {"status": "new", "last_updated_output_at": None, "status_changed_at": None},
            {"status": "ready", "last_updated_output_at": T0, "status_changed_at": T0},
            SyncState.SUCCEEDED,
            None,
            id="first-build",
        ),
        pytest.param(
            BEFORE,
            {"status": "ready", "last_updated_output_at": "2026-01-01T13:00:00+01:00"},
            SyncState.PENDING,
            None,
            id="same-instant-other-offset",
        ),
        pytest.param(
            {"status": "ready", "last_updated_output_at": "2026-01-01T12:00:00"},
            {"status": "ready", "last_updated_output_at": T1},
            SyncState.SUCCEEDED,
            None,
            id="naive-before-read-as-utc",
        ),
        pytest.param(
            {"status": "ready", "last_updated_output_at": "yesterday-ish"},
            {"status": "ready", "last_updated_output_at": T1},
            SyncState.SUCCEEDED,
            None,
            id="unreadable-before-differs",
        ),
        pytest.param(
            {},
            {"status": "ready", "last_updated_output_at": T0},
            SyncState.SUCCEEDED,
            None,
            id="empty-before",
        ),
        pytest.param(
            BEFORE,
            {"status": "queued", "status_changed_at": T1},
            SyncState.RUNNING,
            "unknown Faraday status 'queued', treated as running",
            id="unknown-status",
        ),
    ],
)
def test_sync_outcome_mapping(
    before: dict[str, Any], overrides: dict[str, Any], state: SyncState, reason: str | None
) -> None:
    outcome = sync_outcome_of(_conn(**overrides), before)
    assert (outcome.state, outcome.reason) == (state, reason)


def test_sync_outcome_finished_at() -> None:
    done = sync_outcome_of(_conn(last_updated_output_at=T1), BEFORE)
    failed = sync_outcome_of(_conn(status="error", status_changed_at=T1), BEFORE)
    assert done.finished_at == datetime(2026, 1, 1, 12, 30, tzinfo=timezone.utc)
    assert failed.finished_at == datetime(2026, 1, 1, 12, 30, tzinfo=timezone.utc)
    assert failed.reason == "status is error, no message"


def test_sync_before_is_plain_json() -> None:
    before = sync_before(_conn(status_changed_at=None))
    assert before == {
        "status": "ready",
        "last_updated_output_at": "2026-01-01T12:00:00+00:00",
        "status_changed_at": None,
    }
    assert all(isinstance(v, str | type(None)) for v in before.values())


CURRENT = {"type": "postgres", "host": "h", "port": 5432, "password": "***", "rsa_public_key": "k"}


@pytest.mark.parametrize(
    ("desired", "drift"),
    [
        pytest.param({"type": "postgres", "host": "h", "port": 5432}, {}, id="same"),
        pytest.param({"type": "postgres", "port": 5432.0}, {}, id="same-number-other-type"),
        pytest.param({"type": "postgres", "host": "h2"}, {"host": "h2"}, id="changed"),
        pytest.param({"type": "postgres", "schema": "s"}, {"schema": "s"}, id="added"),
        pytest.param(
            {"type": "postgres", "host": None}, {"host": None}, id="null-removes-via-merge-patch"
        ),
        pytest.param({"type": "postgres", "password": PASSWORD}, {}, id="secret-never-drift"),
        pytest.param(
            {"type": "postgres", "api_key": "a", "client_secret": "b", "token": "c"},
            {},
            id="all-secret-kinds",
        ),
        pytest.param({"type": "mysql"}, {}, id="type-is-not-a-setting"),
    ],
)
def test_option_drift(desired: dict[str, Any], drift: dict[str, Any]) -> None:
    assert option_drift(CURRENT, desired) == drift


def test_connection_info_is_redacted_and_unpaused() -> None:
    info = connection_info(_conn())
    assert info.connection_id == CONN_ID
    assert info.name == "Warehouse"
    assert info.paused is None
    assert info.raw["options"]["password"] == "***"
    assert PASSWORD not in info.model_dump_json()
