"""Triggers: JSON in, one enveloped event out, and nothing that blocks the event loop.

Each trigger runs to completion against the simulator inside `blockbuster`
(every blocking call made on the loop's thread raises) with asyncio's debug
mode on. The simulator serves from its own thread, outside the detector's scope.
"""

import asyncio
import importlib
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from airflow.triggers.base import BaseTrigger, TriggerEvent
from blockbuster import BlockingError, blockbuster_ctx

from airflow_provider_conn.events import result_of
from airflow_provider_conn.hooks import hook_for
from airflow_provider_conn.triggers import ConnectionReadyTrigger, SyncCompleteTrigger
from conn_shared import (
    AuthenticationError,
    SyncExecutor,
    WaitPolicy,
    WaitProgress,
    WaitTimeoutError,
    ensure_connection,
    prepare_sync,
    request_sync,
    wait_until_ready,
)
from conn_shared.sim.server import SimServer
from tests.airflow.conftest import POLL, connection_json
from tests.integration.support import make_spec

T = TypeVar("T")
POLICY = WaitPolicy(poll_interval=POLL, max_poll_interval=0.2, timeout=60)


def _without_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    # The simulator's own loop thread is not ours to judge: only the trigger's calls count.
    with blockbuster_ctx(excluded_modules=["conn_shared.sim", "uvicorn", "starlette"]):
        return asyncio.run(coroutine, debug=True)


async def _events(trigger: BaseTrigger) -> list[TriggerEvent]:
    return [event async for event in trigger.run()]


def _ready_connection(backend_name: str) -> str:
    backend = hook_for(backend_name).get_backend()
    with SyncExecutor(backend.profile()) as executor:
        ensured = executor.run(ensure_connection(backend, make_spec(backend_name)))
        return str(ensured.connection.connection_id)


def _progress() -> dict[str, Any]:
    return WaitProgress.start(POLICY, time.time()).model_dump(mode="json")


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in ("fivetran", "faraday")])
def test_sync_trigger_runs_to_its_report_without_blocking(
    airflow_env: SimServer, name: str
) -> None:
    connection_id = _ready_connection(name)
    backend = hook_for(name).get_backend()
    with SyncExecutor(backend.profile()) as executor:
        executor.run(wait_until_ready(backend, connection_id, policy=POLICY))
        handle = executor.run(prepare_sync(backend, connection_id))
        executor.run(request_sync(backend, handle))
    trigger = SyncCompleteTrigger(
        backend=name,
        conn_id=f"conn_{name}_default",
        handle=handle.model_dump(mode="json"),
        policy=POLICY.model_dump(mode="json"),
        progress=_progress(),
    )

    (event,) = _without_blocking(_events(trigger))

    report = result_of(event.payload, kind="sync_report")
    assert (report["connection_id"], report["state"]) == (connection_id, "succeeded")


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in ("fivetran", "faraday", "hub")])
def test_ready_trigger_runs_to_readiness_without_blocking(
    airflow_env: SimServer, name: str
) -> None:
    connection_id = _ready_connection(name)
    if name == "hub":  # a hub connection is ready once verified
        from conn_shared import verify_connection  # noqa: PLC0415

        backend = hook_for(name).get_backend()
        with SyncExecutor(backend.profile()) as executor:
            executor.run(verify_connection(backend, connection_id))
    trigger = ConnectionReadyTrigger(
        backend=name,
        conn_id=f"conn_{name}_default",
        connection_id=connection_id,
        policy=POLICY.model_dump(mode="json"),
        progress=_progress(),
    )

    (event,) = _without_blocking(_events(trigger))

    assert result_of(event.payload, kind="readiness")["state"] == "ready"


def test_an_error_travels_in_the_event_and_is_raised_typed(
    airflow_env: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_BAD_FIVETRAN",
        connection_json(airflow_env, "fivetran").replace(
            airflow_env.credentials.as_dict()["fivetran"]["api_secret"], "wrong-secret-value"
        ),
    )
    trigger = ConnectionReadyTrigger(
        backend="fivetran", conn_id="bad_fivetran", connection_id="anything", progress=None
    )

    (event,) = _without_blocking(_events(trigger))

    with pytest.raises(AuthenticationError, match="401"):
        result_of(event.payload, kind="readiness")


def test_a_wait_past_its_deadline_ends_with_a_timeout_event(airflow_env: SimServer) -> None:
    connection_id = _ready_connection("hub")  # never verified: stays pending
    policy = WaitPolicy(poll_interval=POLL, max_poll_interval=POLL, timeout=0.3)
    trigger = ConnectionReadyTrigger(
        backend="hub",
        conn_id="conn_hub_default",
        connection_id=connection_id,
        policy=policy.model_dump(mode="json"),
        progress=WaitProgress.start(policy, time.time()).model_dump(mode="json"),
    )

    (event,) = _without_blocking(_events(trigger))

    with pytest.raises(WaitTimeoutError, match="not ready"):
        result_of(event.payload, kind="readiness")


def test_the_detector_catches_a_blocking_call() -> None:
    async def sleeps() -> None:
        time.sleep(0.01)  # noqa: ASYNC251 (the point of the test)

    with pytest.raises(BlockingError):
        _without_blocking(sleeps())


TRIGGERS = [
    pytest.param(
        ConnectionReadyTrigger,
        {
            "backend": "hub",
            "conn_id": "conn_hub_default",
            "connection_id": "c1",
            "policy": POLICY.model_dump(mode="json"),
            "progress": None,
        },
        id="ready",
    ),
    pytest.param(
        SyncCompleteTrigger,
        {
            "backend": "fivetran",
            "conn_id": "warehouse",
            "handle": {
                "backend": "fivetran",
                "connection_id": "c1",
                "kind": "sync",
                "requested_at": "2026-01-01T00:00:00Z",
                "before": {"succeeded_at": None},
                "tables": None,
            },
            "policy": POLICY.model_dump(mode="json"),
            "progress": {"started_at": 1.0, "deadline": 61.0, "polls": 2, "interval": 0.1},
        },
        id="sync",
    ),
]


@pytest.mark.parametrize(("cls", "kwargs"), TRIGGERS)
def test_serialize_returns_exactly_the_constructor_arguments(
    cls: type[BaseTrigger], kwargs: dict[str, Any]
) -> None:
    from airflow.serialization.serialized_objects import BaseSerialization  # noqa: PLC0415

    classpath, serialized = cls(**kwargs).serialize()
    stored = BaseSerialization.deserialize(BaseSerialization.serialize(serialized))
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**stored)

    assert serialized == kwargs
    assert rebuilt.serialize() == (classpath, kwargs)
