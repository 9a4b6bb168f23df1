"""Regression: a rescheduled sync of a manual connection is triggered again when due.

Fivetran's `rescheduled_for` doc: "If schedule_type is manual, the connection expects
the sync to be triggered at the designated time through the Sync Connection Data
endpoint." The simulator does exactly that, and the client's wait used to poll a
manual connection in `rescheduled` until its deadline.
"""

from datetime import datetime, timezone
from typing import Any

import pytest

from conn_shared import SyncHandle, SyncKind, SyncState
from conn_shared.lifecycle import get_sync_outcome
from tests.unit.fivetran.support import FakeFivetran, backend

C = "/v1/connections"
# The executors in support.py answer NOW with 2024-12-01T10:46:40Z.
PAST = "2024-12-01T10:40:00.000000Z"
FUTURE = "2024-12-01T11:40:00.000000Z"


def _handle() -> SyncHandle:
    return SyncHandle(
        backend="fivetran",
        connection_id="conn_1",
        kind=SyncKind.SYNC,
        requested_at=datetime(2024, 12, 1, 10, 0, tzinfo=timezone.utc),
        before={"succeeded_at": None, "failed_at": None, "sync_state": "scheduled"},
    )


def test_a_due_manual_reschedule_is_triggered_and_read_again(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(
        schedule_type="manual",
        status={"sync_state": "rescheduled", "rescheduled_for": PAST},
    )

    outcome, _ = run(api, fake, get_sync_outcome(api, _handle()))

    assert fake.sent() == [
        ("GET", f"{C}/conn_1"),
        ("POST", f"{C}/conn_1/sync"),
        ("GET", f"{C}/conn_1"),
    ]
    assert fake.bodies("POST", f"{C}/conn_1/sync") == [{}]
    assert outcome.state is SyncState.RUNNING


@pytest.mark.parametrize(
    ("schedule_type", "rescheduled_for"),
    [
        pytest.param("manual", FUTURE, id="manual-not-yet-due"),
        pytest.param("auto", PAST, id="auto-restarts-by-itself"),
    ],
)
def test_no_trigger_otherwise(run: Any, schedule_type: str, rescheduled_for: str) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(
        schedule_type=schedule_type,
        status={"sync_state": "rescheduled", "rescheduled_for": rescheduled_for},
    )

    outcome, _ = run(api, fake, get_sync_outcome(api, _handle()))

    assert fake.sent() == [("GET", f"{C}/conn_1")]
    assert outcome.state is SyncState.RESCHEDULED
