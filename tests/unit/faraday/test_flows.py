"""The Faraday lifecycle flows end to end against scripted responses, sync and async."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from conn_shared import (
    EnsureResult,
    ReadinessState,
    Step,
    SyncHandle,
    SyncKind,
    SyncState,
    TableRef,
)
from conn_shared.backends.base import Backend
from conn_shared.backends.faraday import FaradayBackend, FaradayConnectionSpec
from conn_shared.calls import Flow
from conn_shared.errors import (
    ConnectionFailedError,
    ConnectionInUseError,
    IdentityConflictError,
    InvalidRequestError,
    LifecycleError,
    NotFoundError,
    RequestTimeoutError,
    SpecMismatchError,
    SyncFailedError,
    UnsupportedStepError,
)
from conn_shared.executors import AsyncExecutor, SyncExecutor
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
from tests.support.openapi import SpecValidator
from tests.unit.faraday.support import (
    CONN_ID,
    DATASET_ID,
    OTHER_ID,
    TARGET_ID,
    Script,
    Sleeps,
    backend,
    connection_json,
    dataset_json,
    error_body,
    reply,
    target_json,
)

SPEC = SpecValidator.load("faraday")
MODES = [pytest.param("sync", id="sync"), pytest.param("async", id="async")]
EPOCH = 1_800_000_000.0
OPTIONS = connection_json()["options"]
SPEC_PG = FaradayConnectionSpec(name="Warehouse", options=OPTIONS)
POLICY = WaitPolicy(poll_interval=10, max_poll_interval=10, backoff=1.0, timeout=600)


async def run(mode: str, script: Script, flow: Flow[Any], sleeps: Sleeps | None = None) -> Any:
    """Drive `flow` with a sync or an async executor over the scripted transport."""
    sleeps = sleeps or Sleeps()
    profile = backend().profile()

    def clock() -> float:
        return EPOCH + sleeps.now

    if mode == "sync":
        with SyncExecutor(
            profile,
            transport=script.transport(),
            sleep=sleeps,
            monotonic=sleeps.monotonic,
            clock=clock,
        ) as executor:
            return executor.run(flow)
    async with AsyncExecutor(
        profile,
        transport=script.transport(),
        sleep=sleeps.asleep,
        monotonic=sleeps.monotonic,
        clock=clock,
    ) as aexecutor:
        return await aexecutor.run(flow)


def test_backend_satisfies_the_protocol() -> None:
    b: Backend = backend()
    assert b.name == "faraday"
    assert b.capabilities == frozenset(
        {Step.ENSURE, Step.READINESS, Step.SYNC, Step.SYNC_OUTCOME, Step.DELETE}
    )


# --- ensure -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_ensure_creates_when_absent_then_reuses(mode: str) -> None:
    other = connection_json(id=OTHER_ID, name="Something else")
    script = Script()
    script.on("GET", "/connections", reply(200, [other]), reply(200, [other, connection_json()]))
    script.on("POST", "/connections", reply(201, connection_json()))
    first: EnsureResult = await run(mode, script, ensure_connection(backend(), SPEC_PG))
    second: EnsureResult = await run(mode, script, ensure_connection(backend(), SPEC_PG))
    assert (first.created, first.updated) == (True, False)
    assert (second.created, second.updated) == (False, False)
    assert first.connection.connection_id == second.connection.connection_id == CONN_ID
    assert first.connection.backend == "faraday"
    assert script.sent() == [
        ("GET", "/connections"),
        ("POST", "/connections"),
        ("GET", "/connections"),
    ]
    [body] = script.bodies("POST", "/connections")
    assert body == {"name": "Warehouse", "options": OPTIONS}
    SPEC.validate_request_body("POST", "/connections", body)


def _applied_then(answer: httpx.Response | Exception) -> Any:
    """A create the server applies (the listing now shows it) whose answer is lost."""

    def handler(script: Script, request: httpx.Request) -> httpx.Response:
        script.routes[("GET", "/v1/connections")] = [reply(200, [connection_json()])]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(_applied_then(httpx.ReadTimeout("lost")), id="read-timeout"),
        pytest.param(_applied_then(httpx.RemoteProtocolError("dropped")), id="dropped"),
        pytest.param(
            _applied_then(reply(503, error_body("INTERNAL_SERVER_ERROR", "applied, then 503"))),
            id="503-after-applying",
        ),
        pytest.param(
            _applied_then(reply(500, error_body("INTERNAL_SERVER_ERROR", "applied, then 500"))),
            id="500-after-applying",
        ),
    ],
)
async def test_lost_create_is_found_again_not_duplicated(mode: str, failure: Any) -> None:
    script = Script().on("GET", "/connections", reply(200, []))
    script.on("POST", "/connections", lambda request: failure(script, request))
    result: EnsureResult = await run(mode, script, ensure_connection(backend(), SPEC_PG))
    assert result.created is True
    assert result.connection.connection_id == CONN_ID
    assert script.sent() == [
        ("GET", "/connections"),
        ("POST", "/connections"),
        ("GET", "/connections"),
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_lost_create_truly_absent_is_created_once_more(mode: str) -> None:
    script = Script().on("GET", "/connections", reply(200, []))
    script.on("POST", "/connections", httpx.ReadTimeout("lost"), reply(201, connection_json()))
    result: EnsureResult = await run(mode, script, ensure_connection(backend(), SPEC_PG))
    assert result.created is True
    assert script.sent() == [
        ("GET", "/connections"),
        ("POST", "/connections"),
        ("GET", "/connections"),
        ("POST", "/connections"),
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_create_failing_twice_raises_after_looking_each_time(mode: str) -> None:
    script = Script().on("GET", "/connections", reply(200, []))
    script.on("POST", "/connections", httpx.ReadTimeout("lost"))
    with pytest.raises(RequestTimeoutError):
        await run(mode, script, ensure_connection(backend(), SPEC_PG))
    assert script.sent() == [("GET", "/connections"), ("POST", "/connections")] * 2 + [
        ("GET", "/connections")
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_rejected_create_is_not_looked_up(mode: str) -> None:
    script = Script().on("GET", "/connections", reply(200, []))
    script.on("POST", "/connections", reply(400, error_body("VALIDATION_FAILED", "bad host")))
    with pytest.raises(InvalidRequestError, match="bad host"):
        await run(mode, script, ensure_connection(backend(), SPEC_PG))
    assert script.sent() == [("GET", "/connections"), ("POST", "/connections")]


@pytest.mark.parametrize("mode", MODES)
async def test_duplicate_names_are_refused_not_guessed(mode: str) -> None:
    twin = connection_json(id=OTHER_ID, archived_at="2026-01-02T00:00:00Z")
    script = Script().on("GET", "/connections", reply(200, [connection_json(), twin]))
    with pytest.raises(LifecycleError) as caught:
        await run(mode, script, ensure_connection(backend(), SPEC_PG))
    message = str(caught.value)
    assert CONN_ID in message
    assert f"{OTHER_ID} (archived)" in message
    assert "2 Faraday connections are named 'Warehouse'" in message
    assert script.sent() == [("GET", "/connections")]


@pytest.mark.parametrize("mode", MODES)
async def test_drift_patches_only_differing_non_secret_options(mode: str) -> None:
    desired = {**OPTIONS, "port": 6543, "password": "a-new-password", "load_balancer": "lb.example"}
    spec = FaradayConnectionSpec(name="Warehouse", options=desired)
    patched = connection_json(options={**OPTIONS, "port": 6543, "load_balancer": "lb.example"})
    script = Script().on("GET", "/connections", reply(200, [connection_json()]))
    script.on("PATCH", f"/connections/{CONN_ID}", reply(200, patched))
    result: EnsureResult = await run(mode, script, ensure_connection(backend(), spec))
    assert (result.created, result.updated) == (False, True)
    assert result.connection.raw["options"]["port"] == 6543
    [body] = script.bodies("PATCH", f"/connections/{CONN_ID}")
    assert body == {"options": {"type": "postgres", "port": 6543, "load_balancer": "lb.example"}}
    SPEC.validate_request_body("PATCH", "/connections/{connection_id}", body)
    [request] = [r for r in script.requests if r.method == "PATCH"]
    assert request.headers["Content-Type"] == "application/merge-patch+json"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("options", "update", "managed"),
    [
        pytest.param({**OPTIONS, "password": "rotated-elsewhere"}, True, False, id="secret-only"),
        pytest.param({**OPTIONS, "port": 1}, False, False, id="update-false"),
        pytest.param({**OPTIONS, "port": 1}, True, True, id="managed-read-only"),
        pytest.param({k: v for k, v in OPTIONS.items() if k != "schema"}, True, False, id="subset"),
    ],
)
async def test_no_patch_when_nothing_may_change(
    mode: str, options: dict[str, Any], update: bool, managed: bool
) -> None:
    script = Script().on("GET", "/connections", reply(200, [connection_json(managed=managed)]))
    spec = FaradayConnectionSpec(name="Warehouse", options=options)
    result: EnsureResult = await run(
        mode, script, ensure_connection(backend(), spec, update=update)
    )
    assert (result.created, result.updated) == (False, False)
    assert script.sent() == [("GET", "/connections")]


@pytest.mark.parametrize("mode", MODES)
async def test_a_different_type_under_the_same_name_is_refused(mode: str) -> None:
    script = Script().on("GET", "/connections", reply(200, [connection_json()]))
    spec = FaradayConnectionSpec(name="Warehouse", options={"type": "snowflake", "user": "u"})
    with pytest.raises(
        IdentityConflictError, match="has type 'postgres', the spec asks for 'snowflake'"
    ):
        await run(mode, script, ensure_connection(backend(), spec))
    assert script.sent() == [("GET", "/connections")]


def test_ensure_needs_a_faraday_spec() -> None:
    # Raised by the verb itself, before a flow (and so any request) exists.
    with pytest.raises(SpecMismatchError, match="takes a FaradayConnectionSpec, got dict"):
        ensure_connection(backend(), {"name": "x"})


# --- readiness --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_wait_until_ready_polls_through_pending(mode: str) -> None:
    script = Script().on(
        "GET",
        f"/connections/{CONN_ID}",
        reply(200, connection_json(status="new")),
        reply(200, connection_json(status="starting")),
        reply(200, connection_json(status="ready")),
    )
    sleeps = Sleeps()
    readiness = await run(mode, script, wait_until_ready(backend(), CONN_ID, policy=POLICY), sleeps)
    assert readiness.state is ReadinessState.READY
    assert len(script.requests) == 3
    assert sleeps.waits == [10, 10]


@pytest.mark.parametrize("mode", MODES)
async def test_wait_until_ready_fails_with_the_status_error(mode: str) -> None:
    script = Script().on(
        "GET",
        f"/connections/{CONN_ID}",
        reply(200, connection_json(status="error", status_error="could not connect")),
    )
    with pytest.raises(ConnectionFailedError, match="could not connect"):
        await run(mode, script, wait_until_ready(backend(), CONN_ID, policy=POLICY))


@pytest.mark.parametrize("mode", MODES)
async def test_get_readiness_once(mode: str) -> None:
    script = Script().on("GET", f"/connections/{CONN_ID}", reply(200, connection_json()))
    readiness = await run(mode, script, get_readiness(backend(), CONN_ID))
    assert readiness.state is ReadinessState.READY
    assert readiness.raw["options"]["password"] == "***"


# --- sync -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("force", [pytest.param(False, id="plain"), pytest.param(True, id="force")])
async def test_trigger_sync_records_before_state_then_forces_update(mode: str, force: bool) -> None:
    before = connection_json(
        last_updated_output_at="2026-01-01T12:00:00Z", status_changed_at="2026-01-01T11:00:00Z"
    )
    script = Script().on("GET", f"/connections/{CONN_ID}", reply(200, before))
    script.on("POST", f"/connections/{CONN_ID}/force_update", reply(202))
    handle: SyncHandle = await run(mode, script, trigger_sync(backend(), CONN_ID, force=force))
    assert script.sent() == [
        ("GET", f"/connections/{CONN_ID}"),
        ("POST", f"/connections/{CONN_ID}/force_update"),
    ]
    assert script.bodies("POST", f"/connections/{CONN_ID}/force_update") == [None]
    assert handle == SyncHandle(
        backend="faraday",
        connection_id=CONN_ID,
        kind=SyncKind.SYNC,
        requested_at=datetime.fromtimestamp(EPOCH + 1000.0, tz=timezone.utc),
        before={
            "status": "ready",
            "last_updated_output_at": "2026-01-01T12:00:00+00:00",
            "status_changed_at": "2026-01-01T11:00:00+00:00",
        },
    )
    # The handle travels as JSON (XCom, trigger payloads, cursors).
    assert SyncHandle.model_validate(json.loads(handle.model_dump_json())) == handle


def _handle() -> SyncHandle:
    return SyncHandle(
        backend="faraday",
        connection_id=CONN_ID,
        kind=SyncKind.SYNC,
        requested_at=datetime(2026, 1, 1, 12, tzinfo=timezone.utc),
        before={
            "status": "ready",
            "last_updated_output_at": "2026-01-01T12:00:00+00:00",
            "status_changed_at": "2026-01-01T11:00:00+00:00",
        },
    )


@pytest.mark.parametrize("mode", MODES)
async def test_wait_for_sync_until_the_output_advances(mode: str) -> None:
    script = Script().on(
        "GET",
        f"/connections/{CONN_ID}",
        # Still the old state: the rerun has not started yet.
        reply(200, connection_json()),
        reply(200, connection_json(status="running", status_changed_at="2026-01-01T12:01:00Z")),
        reply(
            200,
            connection_json(
                status="ready",
                status_changed_at="2026-01-01T12:05:00Z",
                last_updated_output_at="2026-01-01T12:05:00Z",
            ),
        ),
    )
    outcome = await run(mode, script, wait_for_sync(backend(), _handle(), policy=POLICY))
    assert outcome.state is SyncState.SUCCEEDED
    assert outcome.finished_at == datetime(2026, 1, 1, 12, 5, tzinfo=timezone.utc)
    assert len(script.requests) == 3


@pytest.mark.parametrize("mode", MODES)
async def test_wait_for_sync_fails_when_the_rerun_errors(mode: str) -> None:
    failed = connection_json(
        status="error",
        status_changed_at="2026-01-01T12:03:00Z",
        status_error=None,
        contents_error="Password incorrect",
    )
    script = Script().on("GET", f"/connections/{CONN_ID}", reply(200, failed))
    with pytest.raises(SyncFailedError, match="Password incorrect"):
        await run(mode, script, wait_for_sync(backend(), _handle(), policy=POLICY))


@pytest.mark.parametrize("mode", MODES)
async def test_get_sync_outcome_once(mode: str) -> None:
    script = Script().on("GET", f"/connections/{CONN_ID}", reply(200, connection_json()))
    outcome = await run(mode, script, get_sync_outcome(backend(), _handle()))
    assert outcome.state is SyncState.PENDING  # nothing moved since the handle's before-state


# --- delete -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_delete_refuses_while_datasets_or_targets_use_it(mode: str) -> None:
    script = Script()
    script.on("GET", f"/connections/{CONN_ID}/datasets", reply(200, [dataset_json()]))
    script.on("GET", f"/connections/{CONN_ID}/targets", reply(200, [target_json()]))
    with pytest.raises(ConnectionInUseError) as caught:
        await run(mode, script, delete_connection(backend(), CONN_ID))
    assert caught.value.users == (
        f"dataset 'Orders' ({DATASET_ID})",
        f"target 'Scores export' ({TARGET_ID})",
    )
    assert "Orders" in str(caught.value)
    assert ("DELETE", f"/connections/{CONN_ID}") not in script.sent()


@pytest.mark.parametrize("mode", MODES)
async def test_delete_unused_connection(mode: str) -> None:
    script = Script()
    script.on("GET", f"/connections/{CONN_ID}/datasets", reply(200, []))
    script.on("GET", f"/connections/{CONN_ID}/targets", reply(200, []))
    script.on("DELETE", f"/connections/{CONN_ID}", reply(204))
    assert await run(mode, script, delete_connection(backend(), CONN_ID)) is True
    assert script.sent() == [
        ("GET", f"/connections/{CONN_ID}/datasets"),
        ("GET", f"/connections/{CONN_ID}/targets"),
        ("DELETE", f"/connections/{CONN_ID}"),
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "where", [pytest.param("datasets", id="gone-before"), pytest.param("delete", id="gone-during")]
)
async def test_delete_of_a_missing_connection(mode: str, where: str) -> None:
    missing = reply(404, error_body("NOT_FOUND", "no such connection"))
    script = Script()
    script.on(
        "GET",
        f"/connections/{CONN_ID}/datasets",
        missing if where == "datasets" else reply(200, []),
    )
    script.on("GET", f"/connections/{CONN_ID}/targets", reply(200, []))
    script.on("DELETE", f"/connections/{CONN_ID}", missing)
    assert await run(mode, script, delete_connection(backend(), CONN_ID)) is False
    with pytest.raises(NotFoundError):
        await run(mode, script, delete_connection(backend(), CONN_ID, missing_ok=False))


@pytest.mark.parametrize("mode", MODES)
async def test_server_409_on_delete_names_the_new_users(mode: str) -> None:
    script = Script()
    script.on(
        "GET",
        f"/connections/{CONN_ID}/datasets",
        reply(200, []),
        reply(200, [dataset_json(name="Late arrival")]),
    )
    script.on("GET", f"/connections/{CONN_ID}/targets", reply(200, []))
    script.on(
        "DELETE",
        f"/connections/{CONN_ID}",
        reply(409, error_body("CONFLICT", "connection in use", error_id="req-409")),
    )
    with pytest.raises(ConnectionInUseError) as caught:
        await run(mode, script, delete_connection(backend(), CONN_ID))
    assert caught.value.users == (f"dataset 'Late arrival' ({DATASET_ID})",)
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (
        409,
        "CONFLICT",
        "req-409",
    )


# --- unsupported steps --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "step"),
    [
        pytest.param(lambda b: verify_connection(b, CONN_ID), "verify", id="verify"),
        pytest.param(lambda b: pause_connection(b, CONN_ID), "pause", id="pause"),
        pytest.param(lambda b: resume_connection(b, CONN_ID), "resume", id="resume"),
        pytest.param(lambda b: trigger_resync(b, CONN_ID), "resync", id="resync"),
        pytest.param(
            lambda b: trigger_resync(b, CONN_ID, tables=[TableRef(schema_name="p", table="t")]),
            "resync_tables",
            id="resync-tables",
        ),
        pytest.param(lambda b: b.verify_flow(CONN_ID), "verify", id="direct-verify_flow"),
        pytest.param(lambda b: b.pause_flow(CONN_ID), "pause", id="direct-pause_flow"),
        pytest.param(lambda b: b.resume_flow(CONN_ID), "resume", id="direct-resume_flow"),
        pytest.param(
            lambda b: b.prepare_sync_flow(CONN_ID, kind=SyncKind.RESYNC, tables=None),
            "resync",
            id="direct-resync",
        ),
        pytest.param(
            lambda b: b.prepare_sync_flow(
                CONN_ID, kind=SyncKind.SYNC, tables=(TableRef(schema_name="s", table="t"),)
            ),
            "resync_tables",
            id="direct-tables",
        ),
    ],
)
def test_unsupported_steps_raise_before_any_request(start: Any, step: str) -> None:
    script = Script()
    b: FaradayBackend = backend()
    with SyncExecutor(b.profile(), transport=script.transport()) as executor:
        with pytest.raises(UnsupportedStepError) as caught:
            executor.run(start(b))
        assert executor.stats.requests == 0
    assert caught.value.step == step
    assert caught.value.supported == ("ensure", "readiness", "sync", "sync_outcome", "delete")
    assert script.requests == []
