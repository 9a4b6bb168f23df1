"""The lifecycle flows end to end against a scripted Fivetran, through both executors."""

from datetime import datetime, timezone
from typing import Any, ClassVar

import httpx
import pytest

from conn_shared import ReadinessState, Step, SyncHandle, SyncKind, SyncState, TableRef
from conn_shared.backends.fivetran import FivetranBackend, FivetranConnectionSpec
from conn_shared.errors import (
    ConflictError,
    IdentityConflictError,
    NotFoundError,
    ServerError,
    SyncFailedError,
    UnsupportedStepError,
)
from conn_shared.lifecycle import (
    delete_connection,
    ensure_connection,
    get_readiness,
    get_sync_outcome,
    pause_connection,
    resume_connection,
    trigger_resync,
    trigger_sync,
    verify_connection,
    wait_for_sync,
)
from conn_shared.waiting import WaitPolicy
from tests.support.openapi import SpecValidator
from tests.unit.fivetran.support import T0, T1, FakeFivetran, backend, error

SPEC = SpecValidator.load("fivetran")
C = "/v1/connections"
LIST = ("GET", C)
CREATE = ("POST", C)


def _spec(**fields: Any) -> FivetranConnectionSpec:
    values: dict[str, Any] = {
        "group_id": "group_1",
        "service": "postgres",
        "config": {"schema_prefix": "pg", "host": "db.internal", "password": "pw-Secret-1"},
        "sync_frequency": 360,
    }
    values.update(fields)
    return FivetranConnectionSpec(**values)


# --- ensure ----------------------------------------------------------------------------------


def test_ensure_creates_then_reuses(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    first, _ = run(api, fake, ensure_connection(api, _spec()))
    second, _ = run(api, fake, ensure_connection(api, _spec()))

    assert first.created is True
    assert second.created is False
    assert second.updated is False
    assert first.connection.connection_id == second.connection.connection_id
    assert fake.sent() == [LIST, CREATE, LIST]
    lookup = fake.requests[0].url.params
    assert dict(lookup) == {"group_id": "group_1", "schema": "pg", "limit": "100"}
    (body,) = fake.bodies(*CREATE)
    assert body["config"]["password"] == "pw-Secret-1"
    SPEC.validate_request_body("POST", C, body)
    assert len(fake.connections) == 1


def test_ensure_patches_only_drifted_settings(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(config={"schema_prefix": "pg", "host": "old.internal", "password": "******"})
    spec = _spec(paused=False, sync_frequency=60)
    result, _ = run(api, fake, ensure_connection(api, spec))

    assert (result.created, result.updated) == (False, True)
    assert fake.sent() == [LIST, ("PATCH", f"{C}/conn_1")]
    (patch,) = fake.bodies("PATCH", f"{C}/conn_1")
    assert patch == {"sync_frequency": 60, "config": {"host": "db.internal"}}
    SPEC.validate_request_body("PATCH", f"{C}/conn_1", patch)


def test_ensure_without_update_leaves_drift_alone(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(sync_frequency=1440)
    result, _ = run(api, fake, ensure_connection(api, _spec(), update=False))
    assert (result.created, result.updated) == (False, False)
    assert fake.sent() == [LIST]


def test_a_lost_create_is_found_not_repeated(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.lost[CREATE] = [httpx.ReadTimeout("answer lost")]
    result, _ = run(api, fake, ensure_connection(api, _spec()))

    assert result.created is True
    assert fake.sent() == [LIST, CREATE, LIST]
    assert len(fake.connections) == 1


def test_a_create_that_failed_is_retried_after_a_look_up(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.faults[CREATE] = [error(503, "Unavailable", "try later")]
    result, _ = run(api, fake, ensure_connection(api, _spec()))

    assert result.created is True
    assert fake.sent() == [LIST, CREATE, LIST, CREATE]
    assert len(fake.connections) == 1


def test_creates_give_up_after_the_attempt_limit(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.faults[CREATE] = [error(503, "Unavailable", "down")] * 3
    with pytest.raises(ServerError):
        run(api, fake, ensure_connection(api, _spec()))
    assert fake.sent().count(CREATE) == FivetranBackend.max_create_attempts
    assert fake.connections == {}


def test_a_409_on_create_adopts_the_connection_created_meanwhile(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add()  # exists, but the first (filtered) look-up misses it
    empty = httpx.Response(200, json={"code": "Success", "data": {"items": []}})
    fake.faults[LIST] = [empty]
    result, _ = run(api, fake, ensure_connection(api, _spec()))

    assert (result.created, result.connection.connection_id) == (False, "conn_1")
    assert fake.sent() == [LIST, CREATE, LIST]
    assert "schema" not in fake.requests[2].url.params  # the whole group is listed


def test_a_409_for_a_connection_that_cannot_be_found_is_raised(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.faults[CREATE] = [error(409, "Conflict_Connection", "already exists")]
    with pytest.raises(ConflictError, match="already exists"):
        run(api, fake, ensure_connection(api, _spec()))


def test_a_namesake_of_another_service_is_an_identity_conflict(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(service="mysql")
    with pytest.raises(IdentityConflictError, match="mysql connection, not postgres") as caught:
        run(api, fake, ensure_connection(api, _spec()))
    assert (caught.value.connection_id, caught.value.expected, caught.value.found) == (
        "conn_1",
        "postgres",
        "mysql",
    )
    assert fake.sent() == [LIST]


def test_ensure_looks_past_the_first_page(run: Any) -> None:
    fake, api = FakeFivetran(page_size=1), backend()
    fake.add(id="other", group_id="group_2")  # a server ignoring the filters would return it
    fake.add(id="mine")
    ignoring = FakeFivetran(page_size=1, connections=fake.connections)

    def unfiltered(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == C:
            bare = request.url.copy_remove_param("group_id").copy_remove_param("schema")
            request = httpx.Request("GET", bare, headers=request.headers)
        return ignoring(request)

    result, _ = run(api, unfiltered, ensure_connection(api, _spec()))
    assert result.connection.connection_id == "mine"
    assert ignoring.sent() == [LIST, LIST]


def test_ensure_rejects_a_foreign_spec() -> None:
    with pytest.raises(TypeError, match="FivetranConnectionSpec"):
        next(backend().ensure_flow({"group_id": "g"}, update=True))


# --- readiness -----------------------------------------------------------------------------


def test_verify_runs_setup_tests_and_maps_failures(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(
        status={"setup_state": "broken"},
        setup_tests=[{"title": "Validate Login", "status": "FAILED", "message": "Bad password"}],
    )
    flow = api.verify_flow("conn_1", trust_certificates=True)
    readiness, _ = run(api, fake, flow)
    assert readiness.state is ReadinessState.FAILED
    assert readiness.reason == "Validate Login: Bad password"
    assert fake.bodies("POST", f"{C}/conn_1/test") == [{"trust_certificates": True}]


def test_verify_through_the_lifecycle_sends_an_empty_body(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add()
    readiness, _ = run(api, fake, verify_connection(api, "conn_1"))
    assert readiness.state is ReadinessState.READY
    assert fake.bodies("POST", f"{C}/conn_1/test") == [{}]


def test_readiness_reads_details(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(status={"setup_state": "incomplete"})
    readiness, _ = run(api, fake, get_readiness(api, "conn_1"))
    assert readiness.state is ReadinessState.PENDING
    assert fake.sent() == [("GET", f"{C}/conn_1")]


# --- syncs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("force", "body"),
    [pytest.param(False, {}, id="plain"), pytest.param(True, {"force": True}, id="force")],
)
def test_trigger_sync_records_before_state_then_asks(run: Any, force: bool, body: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(succeeded_at=T0)
    handle, _ = run(api, fake, trigger_sync(api, "conn_1", force=force))

    assert fake.sent() == [("GET", f"{C}/conn_1"), ("POST", f"{C}/conn_1/sync")]
    assert fake.bodies("POST", f"{C}/conn_1/sync") == [body]
    assert handle.kind is SyncKind.SYNC
    assert handle.before["succeeded_at"] == "2024-12-01T10:00:00+00:00"
    assert handle.before["failed_at"] is None
    assert handle.before["sync_state"] == "scheduled"


def test_wait_for_sync_polls_until_success(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(succeeded_at=T0)
    handle, _ = run(api, fake, trigger_sync(api, "conn_1"))
    polls: list[str] = []

    def finishes_after_first_poll(request: httpx.Request) -> httpx.Response:
        response = fake(request)
        if (request.method, request.url.path) == ("GET", f"{C}/conn_1"):
            polls.append(response.json()["data"]["status"]["sync_state"])
            conn = fake.connections["conn_1"]
            conn["succeeded_at"], conn["status"]["sync_state"] = T1, "scheduled"
        return response

    policy = WaitPolicy(poll_interval=5, max_poll_interval=5, timeout=60)
    outcome, sleeps = run(api, finishes_after_first_poll, wait_for_sync(api, handle, policy=policy))
    assert outcome.state is SyncState.SUCCEEDED
    assert outcome.finished_at is not None
    assert polls == ["syncing", "scheduled"]
    assert sleeps == [5.0]


@pytest.mark.parametrize(
    ("tables", "body"),
    [
        pytest.param(None, {}, id="whole-connection"),
        pytest.param(
            [
                TableRef(schema_name="public", table="orders"),
                TableRef(schema_name="public", table="items"),
            ],
            {"scope": {"public": ["orders", "items"]}},
            id="tables",
        ),
    ],
)
def test_resync_uses_the_resync_endpoint(run: Any, tables: Any, body: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(succeeded_at=T0)
    handle, _ = run(api, fake, trigger_resync(api, "conn_1", tables=tables))

    assert fake.bodies("POST", f"{C}/conn_1/resync") == [body]
    SPEC.validate_request_body("POST", f"{C}/conn_1/resync", body)
    assert handle.kind is SyncKind.RESYNC
    assert handle.tables == (tuple(tables) if tables else None)

    conn = fake.connections["conn_1"]
    conn["succeeded_at"], conn["status"]["sync_state"] = T1, "scheduled"
    still, _ = run(api, fake, get_sync_outcome(api, handle))
    assert still.state is SyncState.PENDING  # is_historical_sync is still true: not started
    conn["status"]["is_historical_sync"] = False
    done, _ = run(api, fake, get_sync_outcome(api, handle))
    assert done.state is SyncState.SUCCEEDED


def test_a_handle_of_another_backend_is_refused() -> None:
    api = backend()
    handle = SyncHandle(
        backend="hub",
        connection_id="c",
        kind=SyncKind.SYNC,
        requested_at=datetime(2024, 1, 1, tzinfo=timezone.utc),
    )
    with pytest.raises(ValueError, match="belongs to backend 'hub'"):
        get_sync_outcome(api, handle)


# --- pause, resume, delete -----------------------------------------------------------------


def test_pause_and_resume_patch_paused(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add()
    paused, _ = run(api, fake, pause_connection(api, "conn_1"))
    resumed, _ = run(api, fake, resume_connection(api, "conn_1"))
    assert (paused.paused, resumed.paused) == (True, False)
    assert fake.bodies("PATCH", f"{C}/conn_1") == [{"paused": True}, {"paused": False}]


def test_delete_then_delete_again(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add()
    deleted, _ = run(api, fake, delete_connection(api, "conn_1"))
    again, _ = run(api, fake, delete_connection(api, "conn_1"))
    assert (deleted, again) == (True, False)
    with pytest.raises(NotFoundError) as caught:
        run(api, fake, delete_connection(api, "conn_1", missing_ok=False))
    assert caught.value.code == "NotFound_Connection"


# --- capabilities --------------------------------------------------------------------------


def test_every_step_is_supported() -> None:
    assert FivetranBackend.capabilities == frozenset(Step)


class _ReadOnly(FivetranBackend):
    capabilities: ClassVar[frozenset[Step]] = frozenset({Step.READINESS})


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(lambda b: ensure_connection(b, _spec()), id="ensure"),
        pytest.param(lambda b: trigger_sync(b, "c"), id="sync"),
        pytest.param(
            lambda b: trigger_resync(b, "c", tables=[TableRef(schema_name="s", table="t")]),
            id="resync-tables",
        ),
        pytest.param(lambda b: delete_connection(b, "c"), id="delete"),
    ],
)
def test_an_undeclared_step_fails_before_any_request(start: Any) -> None:
    fake = FakeFivetran()
    api = _ReadOnly(backend().settings)
    with pytest.raises(UnsupportedStepError, match="supported steps: readiness"):
        start(api)
    assert fake.requests == []


def test_wait_for_sync_raises_when_the_sync_failed(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.add(succeeded_at=T0)
    handle, _ = run(api, fake, trigger_sync(api, "conn_1"))
    conn = fake.connections["conn_1"]
    conn["failed_at"], conn["status"]["sync_state"] = T1, "scheduled"
    conn["status"]["tasks"] = [{"code": "perm", "message": "Grant access to orders"}]
    with pytest.raises(SyncFailedError, match="Grant access to orders") as caught:
        run(api, fake, wait_for_sync(api, handle))
    assert caught.value.backend == "fivetran"
