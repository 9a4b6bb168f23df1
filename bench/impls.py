"""The implementations a scenario can run, ours and the peers', behind one signature each.

A scenario never names a package: it asks this registry for an implementation
by name, so the same runner times the bare client, the peers and, once they
exist, our Airflow trigger and Dagster op. Every implementation is pointed at
the simulator by a `Target` (base URLs and the simulator's credentials).

Signatures, one per scenario kind:

- WAITS: `async def (target, handles, poll_interval) -> dict[connection_id, detected_at]`;
  `handles` are `SyncHandle`s as JSON (the peer uses their before-state as its
  `previous_completed_at`), `detected_at` is the wall-clock epoch second at
  which the wait reported the sync done. All waits run in the one running
  event loop, as in an Airflow triggerer.
- CALLS: `def (target, ids, count) -> None`: `count` connection-detail reads.
- LISTINGS: `def (target, vendor, group) -> int`: page through every connection
  (of `group` for Fivetran), returning how many were seen.
- SYNC_AND_WAIT: `def (target, ids, poll_interval) -> None`: trigger a sync of
  each connection and wait for all, as a Dagster job of that many connections does.
- IMPORTS: the module a fresh interpreter imports.

To add "through our Airflow trigger" and "through our Dagster op", register
functions of these signatures under "ours-airflow-trigger" (WAITS) and
"ours-dagster-op" (SYNC_AND_WAIT), name what they import in `bench.child._WARM`,
and run `python -m bench --ours-waits ours-airflow-trigger --ours-sync ours-dagster-op`.
"""

import asyncio
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from conn_shared.sim.credentials import (
    FARADAY_API_KEY,
    FIVETRAN_API_KEY,
    FIVETRAN_API_SECRET,
    HUB_TOKEN,
)

__all__ = ["CALLS", "IMPORTS", "LISTINGS", "SYNC_AND_WAIT", "WAITS", "Target"]


@dataclass(frozen=True)
class Target:
    """Where the simulator is: the base URL of each vendor, as clients configure it."""

    fivetran: str
    faraday: str
    hub: str


Detections = dict[str, float]
WaitImpl = Callable[[Target, list[dict[str, Any]], float], Awaitable[Detections]]


# --- ours: the bare client ---------------------------------------------------------------


def _fivetran(target: Target) -> Any:
    from conn_shared import FivetranBackend  # noqa: PLC0415 (imports are measured per impl)

    return FivetranBackend(
        api_key=FIVETRAN_API_KEY, api_secret=FIVETRAN_API_SECRET, base_url=target.fivetran
    )


async def _ours_waits(
    backend: Any, handles: list[dict[str, Any]], poll_interval: float
) -> Detections:
    from conn_shared import AsyncExecutor, SyncHandle, WaitPolicy, wait_for_sync  # noqa: PLC0415

    policy = WaitPolicy(
        poll_interval=poll_interval, max_poll_interval=poll_interval, backoff=1.0, timeout=3600
    )
    detected: Detections = {}

    async def one(raw: dict[str, Any]) -> None:
        handle = SyncHandle.model_validate(raw)
        async with AsyncExecutor(backend.profile()) as executor:
            await executor.run(wait_for_sync(backend, handle, policy=policy))
        detected[handle.connection_id] = time.time()

    await asyncio.gather(*(one(h) for h in handles))
    return detected


async def ours_client_waits(
    target: Target, handles: list[dict[str, Any]], poll_interval: float
) -> Detections:
    """One `AsyncExecutor` per wait (the way a trigger is written), all in this loop."""
    return await _ours_waits(_fivetran(target), handles, poll_interval)


async def ours_client_faraday_waits(
    target: Target, handles: list[dict[str, Any]], poll_interval: float
) -> Detections:
    """The same as `ours_client_waits`, on Faraday (whose listing filters by id)."""
    from conn_shared import FaradayBackend  # noqa: PLC0415

    backend = FaradayBackend(api_key=FARADAY_API_KEY, base_url=target.faraday)
    return await _ours_waits(backend, handles, poll_interval)


def ours_client_calls(target: Target, ids: list[str], count: int) -> None:
    """`SyncExecutor.call(backend.connection_details(id))`: the full, validated object."""
    from conn_shared import SyncExecutor  # noqa: PLC0415

    backend = _fivetran(target)
    with SyncExecutor(backend.profile()) as executor:
        for i in range(count):
            executor.call(backend.connection_details(ids[i % len(ids)]))


def _rows_call(target: Target, vendor: str, group: str | None) -> tuple[Any, Any]:
    from conn_shared import FaradayBackend, HubBackend  # noqa: PLC0415

    if vendor == "fivetran":
        backend = _fivetran(target)
        return backend, backend.connection_rows(group_id=group)
    if vendor == "faraday":
        faraday = FaradayBackend(api_key=FARADAY_API_KEY, base_url=target.faraday)
        return faraday, faraday.connection_rows()
    hub = HubBackend(base_url=target.hub, token=HUB_TOKEN)
    return hub, hub.connection_rows()


def ours_client_listing(target: Target, vendor: str, group: str | None) -> int:
    """`connection_rows` page by page: the parsed JSON of each item, one page held at a time."""
    from conn_shared import SyncExecutor  # noqa: PLC0415
    from conn_shared.pagination import iter_items  # noqa: PLC0415

    backend, first = _rows_call(target, vendor, group)
    with SyncExecutor(backend.profile()) as executor:
        return sum(1 for _ in iter_items(executor, first))


def ours_models_listing(target: Target, vendor: str, group: str | None) -> int:
    """`list_connections` page by page: a validated `Connection` model per item."""
    from conn_shared import SyncExecutor  # noqa: PLC0415
    from conn_shared.pagination import iter_items  # noqa: PLC0415

    backend = _fivetran(target)
    with SyncExecutor(backend.profile()) as executor:
        return sum(
            1 for _ in iter_items(executor, backend.list_connections(group_id=group, limit=1000))
        )


def ours_client_sync_and_wait(target: Target, ids: list[str], poll_interval: float) -> None:
    """One thread per connection, each a `SyncExecutor` running trigger_sync then wait_for_sync."""
    from conn_shared import SyncExecutor, WaitPolicy, trigger_sync, wait_for_sync  # noqa: PLC0415

    backend = _fivetran(target)
    policy = WaitPolicy(
        poll_interval=poll_interval, max_poll_interval=poll_interval, backoff=1.0, timeout=3600
    )

    def one(connection_id: str) -> None:
        with SyncExecutor(backend.profile()) as executor:
            handle = executor.run(trigger_sync(backend, connection_id))
            executor.run(wait_for_sync(backend, handle, policy=policy))

    _threads(one, ids)


# --- the peers ------------------------------------------------------------------------------

_AIRFLOW_CONN_ID = "fivetran_bench"


def _point_fivetran_async_at(target: Target) -> None:
    # The peer's hooks hard-code https://api.fivetran.com; its class attributes say so.
    from fivetran_provider_async.hooks import FivetranHook  # noqa: PLC0415

    os.environ[f"AIRFLOW_CONN_{_AIRFLOW_CONN_ID.upper()}"] = json.dumps(
        {"conn_type": "fivetran", "login": FIVETRAN_API_KEY, "password": FIVETRAN_API_SECRET}
    )
    FivetranHook.api_protocol = "http"
    FivetranHook.api_host = target.fivetran.removeprefix("http://")


async def peer_fivetran_async_waits(
    target: Target, handles: list[dict[str, Any]], poll_interval: float
) -> Detections:
    """airflow-provider-fivetran-async's `FivetranTrigger.run()`, one per wait, in this loop."""
    import pendulum  # noqa: PLC0415
    from fivetran_provider_async.triggers import FivetranTrigger  # noqa: PLC0415

    _point_fivetran_async_at(target)
    detected: Detections = {}

    async def one(raw: dict[str, Any]) -> None:
        before = raw["before"]["succeeded_at"]
        trigger = FivetranTrigger(
            task_id="wait",
            connector_id=raw["connection_id"],
            fivetran_conn_id=_AIRFLOW_CONN_ID,
            previous_completed_at=pendulum.parse(before) if before else None,
            poke_interval=poll_interval,
        )
        async for event in trigger.run():
            if event.payload.get("status") != "success":
                raise RuntimeError(f"the peer's trigger failed: {event.payload}")
            detected[raw["connection_id"]] = time.time()

    await asyncio.gather(*(one(h) for h in handles))
    return detected


def _dagster_client(target: Target) -> Any:
    from dagster_fivetran.resources import FivetranClient  # noqa: PLC0415

    class SimFivetranClient(FivetranClient):  # type: ignore[misc]
        # The peer's client hard-codes https://api.fivetran.com/v1 in this property.
        @property
        def api_base_url(self) -> str:
            return f"{target.fivetran}/v1"

    return SimFivetranClient(
        api_key=FIVETRAN_API_KEY,
        api_secret=FIVETRAN_API_SECRET,
        request_max_retries=3,
        request_retry_delay=0.25,
        request_backoff_factor=2.0,
        disable_schedule_on_trigger=False,
    )


def peer_dagster_fivetran_calls(target: Target, ids: list[str], count: int) -> None:
    """dagster-fivetran's `FivetranClient.get_connector_details` (requests), `count` times."""
    client = _dagster_client(target)
    for i in range(count):
        client.get_connector_details(ids[i % len(ids)])


def peer_fivetran_async_listing(target: Target, vendor: str, group: str | None) -> int:
    """airflow-provider-fivetran-async's `FivetranHook.get_connectors`: raw dicts, streamed.

    (dagster-fivetran's `list_connectors_for_group` reads `nextCursor`, which the
    API does not send, so it stops after the first page: not comparable.)
    """
    from fivetran_provider_async.hooks import FivetranHook  # noqa: PLC0415

    assert vendor == "fivetran"
    assert group is not None
    _point_fivetran_async_at(target)
    return sum(1 for _ in FivetranHook(_AIRFLOW_CONN_ID).get_connectors(group))


def peer_dagster_fivetran_sync_and_wait(
    target: Target, ids: list[str], poll_interval: float
) -> None:
    """dagster-fivetran's `FivetranClient.sync_and_poll`, one thread per connection."""
    client = _dagster_client(target)
    _threads(lambda i: client.sync_and_poll(i, poll_interval=poll_interval), ids)


def _threads(work: Callable[[str], Any], ids: list[str]) -> None:
    failures: list[BaseException] = []

    def guarded(item: str) -> None:
        try:
            work(item)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


WAITS: dict[str, WaitImpl] = {
    "ours-client": ours_client_waits,
    "ours-client-faraday": ours_client_faraday_waits,
    "peer-fivetran-async": peer_fivetran_async_waits,
}
CALLS: dict[str, Callable[[Target, list[str], int], None]] = {
    "ours-client": ours_client_calls,
    "peer-dagster-fivetran": peer_dagster_fivetran_calls,
}
LISTINGS: dict[str, Callable[[Target, str, str | None], int]] = {
    "ours-client": ours_client_listing,
    "ours-models": ours_models_listing,
    "peer-fivetran-async": peer_fivetran_async_listing,
}
SYNC_AND_WAIT: dict[str, Callable[[Target, list[str], float], None]] = {
    "ours-client": ours_client_sync_and_wait,
    "peer-dagster-fivetran": peer_dagster_fivetran_sync_and_wait,
}
IMPORTS: dict[str, str] = {
    "ours-client": "conn_shared",
    "peer-fivetran-async": "fivetran_provider_async.triggers",
    "peer-dagster-fivetran": "dagster_fivetran",
}
