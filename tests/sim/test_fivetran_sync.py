"""The Fivetran sync state machine on the SimClock: initial and manual syncs, `force`,
failures, paused connections, `rescheduled`, re-syncs and the automatic schedule.

Defaults of the session server: syncs take 30 s, historical syncs 60 s, a rescheduled
sync waits 300 s. Time moves with `advance`; nothing sleeps.
"""

from datetime import datetime
from typing import Any

import pytest

from tests.sim.conftest import FivetranApi


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _status(api: FivetranApi, cid: str) -> dict[str, Any]:
    status: dict[str, Any] = api.get(cid)["status"]
    return status


def test_a_new_connection_runs_its_initial_historical_sync(fivetran: FivetranApi) -> None:
    created = fivetran.create()
    assert created["status"]["sync_state"] == "syncing"
    assert created["status"]["is_historical_sync"] is True
    assert (created["succeeded_at"], created["failed_at"]) == (None, None)
    fivetran.sim.advance(61)
    done = fivetran.get(created["id"])
    assert done["status"]["sync_state"] == "scheduled"
    assert done["status"]["is_historical_sync"] is False
    assert _ts(done["succeeded_at"]) == pytest.approx(_ts(created["created_at"]) + 60)


def test_manual_connections_sync_only_when_asked(fivetran: FivetranApi) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    fivetran.sim.advance(3600)
    assert fivetran.get(cid)["status"]["sync_state"] == "scheduled"
    assert fivetran.get(cid)["succeeded_at"] is None
    triggered = fivetran.post(cid, "sync", {})
    assert triggered.json() == {
        "code": "Success",
        "message": f"Sync has been successfully triggered for connection with id '{cid}'",
    }
    assert _status(fivetran, cid)["sync_state"] == "syncing"
    fivetran.sim.advance(31)
    assert fivetran.get(cid)["succeeded_at"] is not None


def test_sync_without_force_leaves_a_running_sync_alone(fivetran: FivetranApi) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    fivetran.post(cid, "sync", {})
    fivetran.sim.advance(10)
    again = fivetran.post(cid, "sync", {"force": False})
    assert again.status_code == 200
    assert "no new sync was started" in again.json()["message"]
    fivetran.sim.advance(25)  # 35 s after the first trigger: the first sync has ended
    assert fivetran.get(cid)["succeeded_at"] is not None


def test_sync_with_force_restarts_a_running_sync(fivetran: FivetranApi) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    fivetran.post(cid, "sync", {})
    fivetran.sim.advance(10)
    assert fivetran.post(cid, "sync", {"force": True}).status_code == 200
    fivetran.sim.advance(25)  # the restarted sync runs until ~40 s
    assert fivetran.get(cid)["succeeded_at"] is None
    assert _status(fivetran, cid)["sync_state"] == "syncing"
    fivetran.sim.advance(10)
    assert fivetran.get(cid)["succeeded_at"] is not None


@pytest.mark.parametrize(
    ("schema_or_config", "expected"),
    [
        pytest.param(
            {"schema_prefix": "fail_sync_orders", "host": "db"}, "failed", id="schema-name"
        ),
        pytest.param(
            {"schema_prefix": "ok", "host": "db", "sim_sync_outcome": "fail"}, "failed", id="config"
        ),
        pytest.param({"schema_prefix": "ok", "host": "db"}, "succeeded", id="default"),
    ],
)
def test_sync_outcome_switches(
    fivetran: FivetranApi, schema_or_config: dict[str, Any], expected: str
) -> None:
    cid = fivetran.create(schema_or_config, schedule_type="manual")["id"]
    fivetran.post(cid, "sync", {})
    fivetran.sim.advance(31)
    done = fivetran.get(cid)
    outcome = "failed" if done["failed_at"] else "succeeded" if done["succeeded_at"] else "none"
    assert outcome == expected
    assert done["status"]["update_state"] == ("delayed" if expected == "failed" else "on_schedule")


def test_a_failing_connection_can_be_fixed_by_patching_its_config(fivetran: FivetranApi) -> None:
    cid = fivetran.create(
        {"schema_prefix": "x", "host": "db", "sim_sync_outcome": "fail"}, schedule_type="manual"
    )["id"]
    fivetran.post(cid, "sync", {})
    fivetran.sim.advance(31)
    fivetran.patch(cid, config={"sim_sync_outcome": "succeed"})
    fivetran.post(cid, "sync", {})
    fivetran.sim.advance(31)
    done = fivetran.get(cid)
    assert _ts(done["succeeded_at"]) > _ts(done["failed_at"])
    assert done["status"]["update_state"] == "on_schedule"


def test_a_broken_connection_fails_its_syncs(fivetran: FivetranApi) -> None:
    cid = fivetran.create({"schema_prefix": "b", "host": "fail.example"}, schedule_type="manual")[
        "id"
    ]
    fivetran.post(cid, "sync", {})
    fivetran.sim.advance(31)
    assert fivetran.get(cid)["failed_at"] is not None


def test_a_paused_connection_accepts_sync_but_does_not_run_it(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True)["id"]
    answer = fivetran.post(cid, "sync", {"force": True})
    assert answer.status_code == 200
    assert "is paused" in answer.json()["message"]
    fivetran.sim.advance(3600)
    paused = fivetran.get(cid)
    assert paused["status"]["sync_state"] == "paused"
    assert (paused["succeeded_at"], paused["failed_at"]) == (None, None)


def test_pausing_cancels_the_running_sync_and_resuming_reruns_it(fivetran: FivetranApi) -> None:
    cid = fivetran.create()["id"]  # the initial historical sync is running
    fivetran.sim.advance(10)
    assert fivetran.patch(cid, paused=True)["status"]["sync_state"] == "paused"
    fivetran.sim.advance(120)
    assert fivetran.get(cid)["succeeded_at"] is None
    resumed = fivetran.patch(cid, paused=False)
    assert resumed["status"]["sync_state"] == "syncing"
    assert resumed["status"]["is_historical_sync"] is True
    fivetran.sim.advance(61)
    assert fivetran.get(cid)["succeeded_at"] is not None


def test_quota_switch_reschedules_a_manual_sync_until_triggered_again(
    fivetran: FivetranApi,
) -> None:
    cid = fivetran.create({"schema_prefix": "quota_crm", "host": "db"}, schedule_type="manual")[
        "id"
    ]
    before = fivetran.sim.clock.now()
    fivetran.post(cid, "sync", {})
    status = _status(fivetran, cid)
    assert status["sync_state"] == "rescheduled"
    assert _ts(status["rescheduled_for"]) == pytest.approx(before + 300, abs=5)
    early = fivetran.post(cid, "sync", {})
    assert "rescheduled for" in early.json()["message"]
    fivetran.sim.advance(301)
    assert _status(fivetran, cid)["sync_state"] == "rescheduled"  # manual: waits for a call
    fivetran.post(cid, "sync", {})
    status = _status(fivetran, cid)
    assert (status["sync_state"], "rescheduled_for" in status) == ("syncing", False)
    fivetran.sim.advance(31)
    assert fivetran.get(cid)["succeeded_at"] is not None


def test_quota_switch_on_an_automatic_connection_resumes_by_itself(fivetran: FivetranApi) -> None:
    created = fivetran.create({"schema_prefix": "quota_ads", "host": "db"})
    assert created["status"]["sync_state"] == "rescheduled"
    assert created["status"]["is_historical_sync"] is True
    fivetran.sim.advance(301)
    assert _status(fivetran, created["id"])["sync_state"] == "syncing"
    fivetran.sim.advance(60)
    done = fivetran.get(created["id"])
    assert _ts(done["succeeded_at"]) == pytest.approx(_ts(created["created_at"]) + 360)


def test_resync_runs_a_historical_sync(fivetran: FivetranApi) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    answer = fivetran.post(cid, "resync", None)
    assert answer.json()["code"] == "Success"
    status = _status(fivetran, cid)
    assert (status["sync_state"], status["is_historical_sync"]) == ("syncing", True)
    fivetran.sim.advance(31)
    assert _status(fivetran, cid)["is_historical_sync"] is True  # historical syncs take 60 s
    fivetran.sim.advance(30)
    assert _status(fivetran, cid)["is_historical_sync"] is False
    assert fivetran.get(cid)["succeeded_at"] is not None


def test_resync_waits_for_the_running_sync_then_runs(fivetran: FivetranApi) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    fivetran.post(cid, "sync", {})
    assert fivetran.post(cid, "resync", {}).status_code == 200
    fivetran.sim.advance(31)  # the incremental sync ended; the historical one started
    status = _status(fivetran, cid)
    assert (status["sync_state"], status["is_historical_sync"]) == ("syncing", True)
    first_success = fivetran.get(cid)["succeeded_at"]
    fivetran.sim.advance(61)
    assert _ts(fivetran.get(cid)["succeeded_at"]) == pytest.approx(_ts(first_success) + 60)


def test_resync_during_a_failing_sync_is_declined_with_409(fivetran: FivetranApi) -> None:
    cid = fivetran.create({"schema_prefix": "fail_sync_x", "host": "db"}, schedule_type="manual")[
        "id"
    ]
    fivetran.post(cid, "sync", {})
    declined = fivetran.post(cid, "resync", {})
    assert declined.status_code == 409
    assert declined.json()["code"] == "Conflict"


def test_resync_on_a_paused_connection_runs_when_it_resumes(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True, schedule_type="manual")["id"]
    fivetran.post(cid, "resync", {"scope": {"public": ["users", "orders"]}})
    status = _status(fivetran, cid)
    assert (status["sync_state"], status["is_historical_sync"]) == ("paused", True)
    state = fivetran.sim.state()["backends"]["fivetran"]["connections"][cid]["sim"]
    assert state["resync_tables"] == {"public": ["users", "orders"]}
    fivetran.patch(cid, paused=False, schedule_type="auto")
    assert _status(fivetran, cid)["sync_state"] == "syncing"


@pytest.mark.parametrize(
    ("service", "scope"),
    [
        pytest.param("postgres", {}, id="empty-scope"),
        pytest.param("postgres", {"public": []}, id="empty-table-list"),
        pytest.param("postgres", {"public": "users"}, id="tables-not-a-list"),
        pytest.param("google_sheets", {"sheet": ["tab"]}, id="service-without-table-resync"),
    ],
)
def test_resync_scope_is_validated(
    fivetran: FivetranApi, service: str, scope: dict[str, Any]
) -> None:
    cid = fivetran.create({"schema": "s", "host": "db"}, service=service, paused=True)["id"]
    answer = fivetran.post(cid, "resync", {"scope": scope})
    assert (answer.status_code, answer.json()["code"]) == (400, "InvalidInput")


def test_patching_is_historical_sync_restarts_as_a_historical_sync(fivetran: FivetranApi) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    fivetran.post(cid, "sync", {})
    fivetran.sim.advance(20)
    patched = fivetran.patch(cid, is_historical_sync=True)
    assert patched["status"]["is_historical_sync"] is True
    fivetran.sim.advance(59)
    assert fivetran.get(cid)["succeeded_at"] is None  # the incremental sync was cancelled
    fivetran.sim.advance(2)
    assert fivetran.get(cid)["succeeded_at"] is not None


def test_automatic_connections_sync_every_sync_frequency(fivetran: FivetranApi) -> None:
    created = fivetran.create(sync_frequency=60)
    fivetran.sim.advance(61)
    first = _ts(fivetran.get(created["id"])["succeeded_at"])
    fivetran.sim.advance(3600)
    second = _ts(fivetran.get(created["id"])["succeeded_at"])
    # The next sync starts one sync_frequency after the previous one started.
    assert second == pytest.approx(_ts(created["created_at"]) + 3600 + 30)
    assert second > first


def test_pausing_stops_an_incremental_sync_that_finishes_only_after_resume(
    fivetran: FivetranApi,
) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    fivetran.post(cid, "sync", {})
    fivetran.sim.advance(10)
    paused = fivetran.patch(cid, paused=True)
    assert (paused["status"]["sync_state"], paused["succeeded_at"]) == ("paused", None)
    fivetran.sim.advance(3600)
    assert fivetran.get(cid)["succeeded_at"] is None  # nothing finishes while paused
    resumed = fivetran.patch(cid, paused=False)
    resumed_at = fivetran.sim.clock.now()
    assert resumed["status"]["sync_state"] == "syncing"
    assert resumed["status"]["is_historical_sync"] is False
    fivetran.sim.advance(25)
    assert fivetran.get(cid)["succeeded_at"] is None  # it runs again from the start: 30 s
    fivetran.sim.advance(10)
    assert _ts(fivetran.get(cid)["succeeded_at"]) == pytest.approx(resumed_at + 30, abs=2)


def test_pausing_and_resuming_an_idle_manual_connection_starts_nothing(
    fivetran: FivetranApi,
) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    fivetran.patch(cid, paused=True)
    assert fivetran.patch(cid, paused=False)["status"]["sync_state"] == "scheduled"


def _stuck(fivetran: FivetranApi, **fields: Any) -> tuple[str, float]:
    config = {"schema_prefix": "stuck", "host": "db", "sim_sync_outcome": "stuck"}
    created = fivetran.create(config, **fields)
    return created["id"], _ts(created["created_at"])


def test_stuck_switch_keeps_an_automatic_connection_rescheduled(fivetran: FivetranApi) -> None:
    cid, created_at = _stuck(fivetran)
    status = _status(fivetran, cid)
    assert status["sync_state"] == "rescheduled"
    assert _ts(status["rescheduled_for"]) == pytest.approx(created_at + 300)
    fivetran.sim.advance(301)
    status = _status(fivetran, cid)
    assert status["sync_state"] == "rescheduled"
    assert _ts(status["rescheduled_for"]) == pytest.approx(created_at + 600)
    fivetran.sim.advance(86_400)
    status = _status(fivetran, cid)
    assert status["sync_state"] == "rescheduled"
    due = _ts(status["rescheduled_for"])
    assert 0 < due - fivetran.sim.clock.now() <= 300
    assert fivetran.get(cid)["succeeded_at"] is None
    # Once the source has quota again, the sync starts at the next rescheduled_for.
    fivetran.patch(cid, config={"sim_sync_outcome": "succeed"})
    fivetran.sim.advance(due - fivetran.sim.clock.now() + 1)
    assert _status(fivetran, cid)["sync_state"] == "syncing"
    fivetran.sim.advance(61)
    assert _ts(fivetran.get(cid)["succeeded_at"]) == pytest.approx(due + 60)


def test_stuck_switch_reschedules_a_manual_sync_each_time_it_is_asked(
    fivetran: FivetranApi,
) -> None:
    cid, _ = _stuck(fivetran, schedule_type="manual")
    fivetran.post(cid, "sync", {})
    fivetran.sim.advance(301)
    again = fivetran.post(cid, "sync", {})
    status = _status(fivetran, cid)
    assert status["sync_state"] == "rescheduled"
    assert _ts(status["rescheduled_for"]) == pytest.approx(fivetran.sim.clock.now() + 300, abs=2)
    assert again.json() == {
        "code": "Success",
        "message": f"Sync for connection with id '{cid}' is rescheduled for "
        f"{status['rescheduled_for']}",
    }


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        pytest.param("omit", "absent", id="omitted"),
        pytest.param("null", None, id="null"),
    ],
)
def test_rescheduled_without_rescheduled_for(
    fivetran: FivetranApi, shown: str, expected: str | None
) -> None:
    config = {"schema_prefix": "quota_x", "host": "db", "sim_rescheduled_for": shown}
    cid = fivetran.unchecked.post(
        "/v1/connections", json={"group_id": "g1", "service": "postgres", "config": config}
    ).json()["data"]["id"]
    status = fivetran.unchecked.get(f"/v1/connections/{cid}").json()["data"]["status"]
    assert status["sync_state"] == "rescheduled"
    assert status.get("rescheduled_for", "absent") == expected
    fivetran.sim.advance(301)  # the sync itself still starts when its time comes
    status = fivetran.unchecked.get(f"/v1/connections/{cid}").json()["data"]["status"]
    assert status["sync_state"] == "syncing"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param(
            {"sim_sync_outcome": "explode"},
            "Invalid config.sim_sync_outcome 'explode'; expected one of "
            "('succeed', 'fail', 'reschedule', 'stuck')",
            id="sync-outcome",
        ),
        pytest.param(
            {"sim_rescheduled_for": "hide"},
            "Invalid config.sim_rescheduled_for 'hide'; expected one of ('omit', 'null')",
            id="rescheduled-for",
        ),
        pytest.param(
            {"sim_list_omit": "status"},
            "Invalid config.sim_list_omit: expected a list of field names",
            id="list-omit-not-a-list",
        ),
    ],
)
def test_unknown_switch_values_are_refused(
    fivetran: FivetranApi, config: dict[str, Any], message: str
) -> None:
    body = {"group_id": "g1", "service": "postgres", "config": {"schema_prefix": "s", **config}}
    created = fivetran.request("POST", "/v1/connections", json=body)
    assert (created.status_code, created.json()) == (
        400,
        {"code": "InvalidInput", "message": message},
    )
    cid = fivetran.create(schedule_type="manual")["id"]
    patched = fivetran.request("PATCH", f"/v1/connections/{cid}", json={"config": config})
    assert (patched.status_code, patched.json()["message"]) == (400, message)


def test_later_scheduled_syncs_fail_after_a_success_when_the_switch_flips(
    fivetran: FivetranApi,
) -> None:
    created = fivetran.create(sync_frequency=15)
    cid, created_at = created["id"], _ts(created["created_at"])
    fivetran.sim.advance(61)
    succeeded = fivetran.get(cid)["succeeded_at"]
    patched = fivetran.patch(cid, config={"sim_sync_outcome": "fail"})
    assert patched["status"]["setup_state"] == "connected"
    fivetran.sim.advance(15 * 60)
    done = fivetran.get(cid)
    assert done["succeeded_at"] == succeeded
    assert _ts(done["failed_at"]) == pytest.approx(created_at + 15 * 60 + 30)


def _runs(api: FivetranApi, cid: str) -> dict[str, int]:
    runs: dict[str, int] = api.sim.state()["backends"]["fivetran"]["connections"][cid]["sim"][
        "runs_requested"
    ]
    return runs


def test_state_counts_the_runs_requests_started_not_those_they_attached_to(
    fivetran: FivetranApi,
) -> None:
    # Chaos runs count duplicate syncs with it: a re-sent sync or resync must show as one.
    cid = fivetran.create(schedule_type="manual")["id"]
    assert _runs(fivetran, cid) == {"sync": 0, "resync": 0}
    fivetran.post(cid, "sync", {})
    fivetran.post(cid, "sync", {})  # attaches to the running sync
    assert _runs(fivetran, cid) == {"sync": 1, "resync": 0}
    fivetran.sim.advance(31)
    fivetran.post(cid, "sync", {})  # the first one ended: a second run
    fivetran.post(cid, "resync", {})  # queued behind it
    fivetran.post(cid, "resync", {})  # absorbed by the queued one
    assert _runs(fivetran, cid) == {"sync": 2, "resync": 1}
    fivetran.post(cid, "sync", {"force": True})  # a restart is a new run
    assert _runs(fivetran, cid) == {"sync": 3, "resync": 1}
