"""The hub's lifecycle flows end to end against an in-memory hub, sync and async."""

import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from conn_shared import ReadinessState, SyncHandle, SyncKind, TableRef
from conn_shared.backends.hub import HubConnectionSpec
from conn_shared.errors import (
    AuthenticationError,
    ConnectionInUseError,
    ConnectionPausedError,
    IdentityConflictError,
    LifecycleError,
    NotFoundError,
    ServerError,
    UnsupportedStepError,
    WaitTimeoutError,
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
    wait_until_ready,
)
from conn_shared.waiting import WaitPolicy

from .support import MODES, SECRET, FakeHub, Mode, connection, make_backend, run_flow

pytestmark = pytest.mark.parametrize("mode", MODES)

BACKEND = make_backend()
LIST = "GET /api/v1/connections?search=orders&limit=100"
CREATE = "POST /api/v1/connections"


def _spec(**fields: Any) -> HubConnectionSpec:
    values: dict[str, Any] = {"name": "orders", "provider": "postgres"}
    values.update(fields)
    return HubConnectionSpec(**values)


def _ensure(mode: Mode, hub: FakeHub, spec: HubConnectionSpec, update: bool = True) -> Any:
    return run_flow(mode, BACKEND, hub, ensure_connection(BACKEND, spec, update=update))


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def test_ensure_by_name_creates_once_then_reuses(mode: Mode) -> None:
    hub = FakeHub()
    spec = _spec(config={"host": "db"}, credentials={"password": SecretStr(SECRET)})
    first = _ensure(mode, hub, spec)
    second = _ensure(mode, hub, spec)

    assert (first.created, second.created, second.updated) == (True, False, False)
    assert first.connection.connection_id == second.connection.connection_id == "c-1"
    assert hub.sent() == [
        LIST,
        CREATE,
        LIST,
        "GET /api/v1/connections/c-1/edit-settings",
    ]
    assert _body(hub.requests[1]) == {
        "name": "orders",
        "provider": "postgres",
        "credentials": {"password": SECRET},
        "config": {"host": "db"},
    }


def test_ensure_by_slug_creates_once_then_reuses(mode: Mode) -> None:
    hub = FakeHub()
    spec = _spec(slug="orders-pg", visibility="global")
    first = _ensure(mode, hub, spec)
    second = _ensure(mode, hub, spec)

    assert (first.created, second.created, second.updated) == (True, False, False)
    assert hub.sent() == [
        "GET /api/v1/connections/slug/orders-pg",
        LIST,
        CREATE,
        "GET /api/v1/connections/slug/orders-pg",
    ]
    assert _body(hub.requests[2])["slug"] == "orders-pg"
    assert _body(hub.requests[2])["visibility"] == "global"


@pytest.mark.parametrize(
    "slug", [pytest.param(None, id="by-name"), pytest.param("orders-pg", id="by-slug")]
)
def test_lost_create_is_found_not_duplicated(mode: Mode, slug: str | None) -> None:
    hub = FakeHub()
    hub.lose_creates = 1
    result = _ensure(mode, hub, _spec(slug=slug))

    assert result.created is True
    assert len(hub.connections) == 1
    assert hub.sent("POST") == [CREATE]
    assert result.connection.connection_id == "c-1"


def test_create_refused_by_a_5xx_is_sent_again_when_truly_absent(mode: Mode) -> None:
    hub = FakeHub()
    hub.fail[("POST", "/connections")] = [httpx.Response(503, json={"detail": "busy"})]
    result = _ensure(mode, hub, _spec())

    assert result.created is True
    assert hub.sent() == [LIST, CREATE, LIST, CREATE]
    assert len(hub.connections) == 1


def test_create_failing_twice_raises_after_looking_up(mode: Mode) -> None:
    hub = FakeHub()
    hub.fail[("POST", "/connections")] = [
        httpx.Response(503, json={"detail": "busy"}),
        httpx.Response(503, json={"detail": "still busy"}),
    ]
    with pytest.raises(ServerError, match="still busy"):
        _ensure(mode, hub, _spec())
    assert hub.sent() == [LIST, CREATE, LIST, CREATE, LIST]
    assert hub.connections == {}


def test_two_connections_with_the_name_are_an_error_naming_them(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(name="orders", slug="orders-a")
    hub.add(name="orders", slug="orders-b")
    with pytest.raises(LifecycleError, match=r"2 connections .*c-1 \(slug 'orders-a'\), c-2"):
        _ensure(mode, hub, _spec())
    assert hub.sent("POST") == []


def test_same_name_with_another_provider_is_not_a_match(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(name="orders", slug="orders-s3", provider="s3")
    hub.add(name="orders backup", slug="orders-backup")
    result = _ensure(mode, hub, _spec())
    assert result.created is True
    assert len(hub.connections) == 3


def test_name_search_pages_through_the_listing(mode: Mode) -> None:
    hub = FakeHub(page_size=2)
    for n in range(4):
        hub.add(name=f"orders {n}", slug=f"orders-{n}")
    target = hub.add(name="orders", slug="orders")
    result = _ensure(mode, hub, _spec())

    assert result.created is False
    assert result.connection.connection_id == target["id"]
    assert hub.sent() == [
        "GET /api/v1/connections?search=orders&limit=100",
        "GET /api/v1/connections?search=orders&limit=100&offset=2",
        "GET /api/v1/connections?search=orders&limit=100&offset=4",
    ]


def test_slug_with_another_provider_is_an_error(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(name="orders", slug="orders-pg", provider="mlflow")
    with pytest.raises(IdentityConflictError, match="provider 'mlflow', not 'postgres'") as caught:
        _ensure(mode, hub, _spec(slug="orders-pg"))
    assert (caught.value.expected, caught.value.found) == ("postgres", "mlflow")
    assert hub.sent("POST") == []


def test_missing_slug_but_same_name_under_another_slug_is_an_error(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(name="orders", slug="orders")
    with pytest.raises(LifecycleError, match=r"no connection has slug 'orders-pg'.*c-1"):
        _ensure(mode, hub, _spec(slug="orders-pg"))
    assert hub.sent("POST") == []


def test_hub_that_ignores_the_slug_never_gets_duplicates(mode: Mode) -> None:
    hub = FakeHub(honour_slug=False)
    spec = _spec(name="Orders DB", slug="orders-pg")
    with pytest.raises(LifecycleError, match="c-1 got slug 'orders-db', not 'orders-pg'"):
        _ensure(mode, hub, spec)
    with pytest.raises(LifecycleError, match="exists as c-1"):
        _ensure(mode, hub, spec)
    assert len(hub.connections) == 1


def test_drifted_config_and_visibility_are_patched(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(name="orders", config={"host": "old", "port": 5432}, visibility="private")
    spec = _spec(config={"host": "new"}, visibility="global")
    result = _ensure(mode, hub, spec)

    assert (result.created, result.updated) == (False, True)
    assert hub.sent() == [LIST, "PATCH /api/v1/connections/c-1"]
    assert _body(hub.requests[1]) == {
        "visibility": "global",
        "config": {"host": "new", "port": 5432},
    }
    assert hub.connections["c-1"]["config"] == {"host": "new", "port": 5432}


def test_drift_is_left_alone_without_update(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(name="orders", config={"host": "old"})
    result = _ensure(mode, hub, _spec(config={"host": "new"}), update=False)
    assert (result.created, result.updated) == (False, False)
    assert hub.sent() == [LIST]


def test_slug_identity_renames_a_drifted_name(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(name="orders (old)", slug="orders-pg")
    result = _ensure(mode, hub, _spec(slug="orders-pg"))
    assert result.updated is True
    assert _body(hub.requests[-1]) == {"name": "orders"}
    assert result.connection.name == "orders"


@pytest.mark.parametrize(
    ("stored", "patched"),
    [
        pytest.param({"user": "etl", "password": "x"}, False, id="all-configured"),
        pytest.param({"user": "etl"}, True, id="password-missing"),
        pytest.param({"user": "etl", "password": ""}, True, id="password-unconfigured"),
    ],
)
def test_credentials_drift_is_what_edit_settings_reports_missing(
    mode: Mode, stored: dict[str, str], patched: bool
) -> None:
    hub = FakeHub()
    hub.add(name="orders", credentials=stored)
    spec = _spec(credentials={"user": SecretStr("etl"), "password": SecretStr(SECRET)})
    result = _ensure(mode, hub, spec)

    assert result.updated is patched
    expected = [LIST, "GET /api/v1/connections/c-1/edit-settings"]
    if patched:
        expected.append("PATCH /api/v1/connections/c-1")
        assert _body(hub.requests[-1]) == {"credentials": {"user": "etl", "password": SECRET}}
    assert hub.sent() == expected


def test_verify_maps_the_returned_status(mode: Mode) -> None:
    hub = FakeHub()
    good = hub.add(credentials={"password": "right"})
    bad = hub.add(credentials={"password": "wrong"})
    ready = run_flow(mode, BACKEND, hub, verify_connection(BACKEND, good["id"]))
    failed = run_flow(mode, BACKEND, hub, verify_connection(BACKEND, bad["id"]))

    assert ready.state is ReadinessState.READY
    assert failed.state is ReadinessState.FAILED
    assert failed.reason == "password authentication failed [AUTH_FAILED]"
    assert hub.sent() == [
        "POST /api/v1/connections/c-1/verify",
        "POST /api/v1/connections/c-2/verify",
    ]


def test_readiness_reads_the_connection(mode: Mode) -> None:
    hub = FakeHub()
    hub.add()
    readiness = run_flow(mode, BACKEND, hub, get_readiness(BACKEND, "c-1"))
    assert readiness.state is ReadinessState.PENDING
    assert hub.sent() == ["GET /api/v1/connections/c-1"]


def test_waiting_on_a_disabled_connection_ends_at_once_as_paused(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(status="disabled")
    with pytest.raises(ConnectionPausedError, match="c-1 is paused: disabled") as caught:
        run_flow(mode, BACKEND, hub, wait_until_ready(BACKEND, "c-1"))
    assert caught.value.connection_id == "c-1"
    assert hub.sent() == ["GET /api/v1/connections/c-1"]


def test_a_policy_may_wait_for_a_disabled_connection_to_be_reactivated(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(status="verified")
    disabled = connection(status="disabled")
    hub.fail[("GET", "/connections/c-1")] = [httpx.Response(200, json=disabled)] * 2
    policy = WaitPolicy(poll_interval=10, backoff=1.0, timeout=600, on_paused="wait")
    sleeps: list[float] = []
    ready = run_flow(mode, BACKEND, hub, wait_until_ready(BACKEND, "c-1", policy=policy), sleeps)
    assert ready.state is ReadinessState.READY
    assert sleeps == [10.0, 10.0]


def test_wait_polls_through_verifying_until_verified(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(status="verified")
    verifying = connection(status="verifying")
    hub.fail[("GET", "/connections/c-1")] = [httpx.Response(200, json=verifying)] * 2
    sleeps: list[float] = []
    policy = WaitPolicy(poll_interval=10, backoff=2.0, max_poll_interval=15, timeout=600)
    ready = run_flow(mode, BACKEND, hub, wait_until_ready(BACKEND, "c-1", policy=policy), sleeps)

    assert ready.state is ReadinessState.READY
    assert sleeps == [10.0, 15.0]
    assert hub.sent() == ["GET /api/v1/connections/c-1"] * 3


def test_wait_on_a_never_verified_connection_times_out(mode: Mode) -> None:
    hub = FakeHub()
    hub.add()
    sleeps: list[float] = []
    policy = WaitPolicy(poll_interval=20, backoff=1.0, max_poll_interval=20, timeout=60)
    with pytest.raises(WaitTimeoutError, match=r"c-1 not ready: deadline .* passed while pending"):
        run_flow(mode, BACKEND, hub, wait_until_ready(BACKEND, "c-1", policy=policy), sleeps)
    assert sleeps == [20.0, 20.0, 20.0]
    assert len(hub.requests) == 4


def test_pause_disables_and_resume_reactivates(mode: Mode) -> None:
    hub = FakeHub()
    hub.add(status="verified")
    paused = run_flow(mode, BACKEND, hub, pause_connection(BACKEND, "c-1"))
    resumed = run_flow(mode, BACKEND, hub, resume_connection(BACKEND, "c-1"))

    assert (paused.paused, resumed.paused) == (True, False)
    assert paused.raw["status"] == "disabled"
    assert hub.sent() == [
        "POST /api/v1/connections/c-1/disable",
        "POST /api/v1/connections/c-1/reactivate",
    ]


def test_delete_then_missing(mode: Mode) -> None:
    hub = FakeHub()
    hub.add()
    assert run_flow(mode, BACKEND, hub, delete_connection(BACKEND, "c-1")) is True
    assert run_flow(mode, BACKEND, hub, delete_connection(BACKEND, "c-1")) is False
    with pytest.raises(NotFoundError):
        run_flow(mode, BACKEND, hub, delete_connection(BACKEND, "c-1", missing_ok=False))
    assert hub.sent() == ["DELETE /api/v1/connections/c-1"] * 3


def test_delete_of_a_connection_in_use_is_refused(mode: Mode) -> None:
    hub = FakeHub()
    hub.add()
    hub.fail[("DELETE", "/connections/c-1")] = [
        httpx.Response(409, json={"detail": "Connection is used by 2 pipelines"})
    ]
    with pytest.raises(ConnectionInUseError, match="used by 2 pipelines"):
        run_flow(mode, BACKEND, hub, delete_connection(BACKEND, "c-1"))
    assert "c-1" in hub.connections


def test_wrong_token_is_an_authentication_error_sent_once(mode: Mode) -> None:
    hub = FakeHub()
    backend = make_backend(token=SecretStr("not-the-token"))
    with pytest.raises(AuthenticationError, match="Not authenticated"):
        run_flow(mode, backend, hub, ensure_connection(backend, _spec()))
    assert len(hub.requests) == 1


HANDLE = SyncHandle(
    backend="hub", connection_id="c-1", kind=SyncKind.SYNC, requested_at="2026-01-01T00:00:00Z"
)


@pytest.mark.parametrize(
    ("start", "step"),
    [
        pytest.param(lambda: trigger_sync(BACKEND, "c-1"), "sync", id="sync"),
        pytest.param(lambda: trigger_resync(BACKEND, "c-1"), "resync", id="resync"),
        pytest.param(
            lambda: trigger_resync(BACKEND, "c-1", tables=[TableRef(schema_name="s", table="t")]),
            "resync_tables",
            id="resync-tables",
        ),
        pytest.param(lambda: get_sync_outcome(BACKEND, HANDLE), "sync_outcome", id="outcome"),
        pytest.param(lambda: wait_for_sync(BACKEND, HANDLE), "sync_outcome", id="wait-for-sync"),
        pytest.param(
            lambda: BACKEND.prepare_sync_flow("c-1", kind=SyncKind.SYNC, tables=None),
            "sync",
            id="backend-method-refuses-too",
        ),
        pytest.param(
            lambda: BACKEND.sync_outcome_flow(HANDLE), "sync_outcome", id="outcome-method"
        ),
    ],
)
def test_sync_steps_are_unsupported_before_any_request(mode: Mode, start: Any, step: str) -> None:
    hub = FakeHub()
    with pytest.raises(UnsupportedStepError, match=f"step '{step}'") as caught:
        run_flow(mode, BACKEND, hub, start())
    assert caught.value.supported == ("ensure", "verify", "readiness", "pause", "resume", "delete")
    assert hub.requests == []


def test_ensure_refuses_another_spec_type(mode: Mode) -> None:
    with pytest.raises(TypeError, match="HubConnectionSpec"):
        BACKEND.ensure_flow({"name": "orders"}, update=True)
