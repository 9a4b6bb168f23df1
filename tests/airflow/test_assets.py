"""The asset watcher: one event per completed sync, the vendor's scheduled ones included.

`SyncCompletedTrigger` runs against the simulator (blockbuster on, so nothing it
does may block the loop); the simulator's clock is advanced past Fivetran's
schedule so that the vendor starts syncs nobody asked for. The asset state
store Airflow 3.3 injects is stood in for by a dict with the same async methods.
"""

import asyncio
from typing import Any
from urllib.parse import urlsplit

import pytest
from airflow.triggers.base import TriggerEvent

from airflow_provider_conn.assets import (
    WATERMARK_KEY,
    SyncCompletedTrigger,
    connection_asset,
    normalize_uri,
)
from airflow_provider_conn.hooks import hook_for
from conn_shared import SyncExecutor, prepare_sync, request_sync, wait_for_sync, wait_until_ready
from conn_shared.sim.server import SimServer
from tests.airflow.conftest import POLL
from tests.airflow.test_triggers import POLICY, _ready_connection, _without_blocking

#: Simulated seconds past Fivetran's default schedule (every 360 minutes).
PAST_SCHEDULE = 360 * 60 + 60


class Store:
    """The async half of Airflow's asset state store accessor, in a dict."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.written = asyncio.Event()

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.written.set()


def _idle_connection() -> str:
    """A ready Fivetran connection whose first sync has finished."""
    connection_id = _ready_connection("fivetran")
    backend = hook_for("fivetran").get_backend()
    with SyncExecutor(backend.profile()) as executor:
        executor.run(wait_until_ready(backend, connection_id, policy=POLICY))
        handle = executor.run(prepare_sync(backend, connection_id))
        executor.run(request_sync(backend, handle))
        executor.run(wait_for_sync(backend, handle, policy=POLICY))
    return connection_id


def _watcher(connection_id: str, store: Store) -> SyncCompletedTrigger:
    trigger = SyncCompletedTrigger(
        backend="fivetran",
        conn_id="conn_fivetran_default",
        connection_id=connection_id,
        poll_interval=POLL,
    )
    trigger.asset_state_store = store  # what the triggerer injects (Airflow 3.3)
    return trigger


async def _events_after_schedules(
    sim: SimServer, trigger: SyncCompletedTrigger, store: Store, schedules: int
) -> list[TriggerEvent]:
    """Let the vendor run `schedules` scheduled syncs while the watcher runs; its events."""
    queue: asyncio.Queue[TriggerEvent] = asyncio.Queue()

    async def consume() -> None:
        async for event in trigger.run():
            queue.put_nowait(event)

    consumer = asyncio.ensure_future(consume())
    if WATERMARK_KEY not in store.data:
        await asyncio.wait_for(store.written.wait(), timeout=60)  # the watcher's starting point
    events = [queue.get_nowait() for _ in range(queue.qsize())]
    for _ in range(schedules):
        await asyncio.to_thread(sim.advance, PAST_SCHEDULE)
        events.append(await asyncio.wait_for(queue.get(), timeout=60))  # a bound, not a timing
    await asyncio.sleep(10 * POLL)  # nothing else completes: the watcher stays quiet
    events += [queue.get_nowait() for _ in range(queue.qsize())]
    consumer.cancel()
    await asyncio.gather(consumer, return_exceptions=True)
    return events


def test_one_event_per_sync_the_vendor_scheduled(airflow_env: SimServer) -> None:
    connection_id = _idle_connection()
    store = Store()

    events = _without_blocking(
        _events_after_schedules(airflow_env, _watcher(connection_id, store), store, schedules=2)
    )

    assert [(e.payload["connection_id"], e.payload["state"]) for e in events] == [
        (connection_id, "succeeded"),
        (connection_id, "succeeded"),
    ]
    assert events[0].payload["finished_at"] < events[1].payload["finished_at"]


def test_the_watermark_survives_a_restart(airflow_env: SimServer) -> None:
    connection_id = _idle_connection()
    store = Store()
    (seen,) = _without_blocking(
        _events_after_schedules(airflow_env, _watcher(connection_id, store), store, schedules=1)
    )

    airflow_env.advance(PAST_SCHEDULE)  # a sync runs while the triggerer is down
    restarted = _watcher(connection_id, store)
    (missed,) = _without_blocking(
        _events_after_schedules(airflow_env, restarted, store, schedules=0)
    )

    assert missed.payload["finished_at"] > seen.payload["finished_at"]


URIS = [
    pytest.param("conn-fivetran://decisive_wheel", "conn-fivetran://decisive_wheel", id="plain"),
    pytest.param("conn-faraday://4f1c/", "conn-faraday://4f1c", id="trailing-slash"),
]


@pytest.mark.parametrize(("uri", "normalized"), URIS)
def test_asset_uris_have_one_form(uri: str, normalized: str) -> None:
    assert normalize_uri(urlsplit(uri)).geturl() == normalized


def test_asset_uris_with_more_than_an_id_are_refused() -> None:
    with pytest.raises(ValueError, match="expected conn-fivetran://<connection id>"):
        normalize_uri(urlsplit("conn-fivetran://c1/tables/orders"))
    assert connection_asset("fivetran", "c1").uri.startswith("conn-fivetran://c1")
