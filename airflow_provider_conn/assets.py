"""Event-driven scheduling: one asset event per completed sync of a connection.

    from airflow.sdk import DAG, AssetWatcher
    from airflow_provider_conn import SyncCompletedTrigger, connection_asset

    orders = connection_asset("fivetran", "decisive_wheel", watchers=[
        AssetWatcher(name="orders_synced", trigger=SyncCompletedTrigger(
            backend="fivetran", conn_id="conn_fivetran_default", connection_id="decisive_wheel")),
    ])
    with DAG("use_fresh_orders", schedule=[orders]): ...

Asset URIs are `conn-<backend>://<connection id>` (the vendor's id, which never
changes for the life of a connection); the schemes are declared in provider
info with `normalize_uri` as their handler.

`SyncCompletedTrigger` fires for every sync that completes successfully after
its watermark, whoever asked for it: a TriggerSyncOperator, a person in the
vendor's UI or the vendor's own schedule. The watermark is a `SyncHandle` (the
connection's sync markers before the next sync) and the finish time of the last
sync reported, kept in the asset state store
Airflow 3.3 gives event triggers (`asset_state_store`, key `WATERMARK_KEY`), so a
sync that completed while the triggerer was down fires once it is back, and a
sync already reported never fires again. Airflow 3.2 has no asset state store:
there the watermark lives in the trigger's memory and starts at "now" after a
restart. The waiting itself is `wait_for_sync` of `conn_shared` (transient
failures polled through, pauses waited out, no deadline).

One sync, one event: a failed sync moves the watermark without an event. A
sync that ends while the last event is being fired is still reported (the old
markers are read once more after the new ones); syncs that start and end within
one `poll_interval` are seen as one, the latest.
`TriggerSyncOperator` emits no asset event of its own, so a DAG that both asks
for a sync and is scheduled on the asset sees that sync once, from the watcher.
"""

import asyncio
from collections.abc import AsyncIterator, Hashable
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult

from airflow.sdk import Asset
from airflow.triggers.base import BaseEventTrigger, TriggerEvent
from pydantic import BaseModel

from airflow_provider_conn.common import TRANSIENT, as_seconds, check_backend
from airflow_provider_conn.get_provider_info import ASSET_SCHEMES
from airflow_provider_conn.hooks import hook_for
from airflow_provider_conn.triggers import sync_report_json
from conn_shared import (
    AsyncExecutor,
    Backend,
    ConnectionPausedError,
    ConnError,
    Step,
    SyncFailedError,
    SyncHandle,
    SyncOutcome,
    SyncState,
    WaitPolicy,
    get_sync_outcome,
    prepare_sync,
    wait_for_sync,
)

__all__ = [
    "WATERMARK_KEY",
    "SyncCompletedTrigger",
    "asset_uri",
    "connection_asset",
    "normalize_uri",
]

#: Asset state store key of the watermark ({"handle": SyncHandle, "reported": ISO time}
#: as JSON). Never rename.
WATERMARK_KEY = "conn_sync_watermark"
_SCHEME_PREFIX = "conn-"
#: Why a read of the sync state may fail for a while: asked again after `poll_interval`.
_PASSING: tuple[type[ConnError], ...] = (*TRANSIENT, ConnectionPausedError)


def asset_uri(backend: str, connection_id: str) -> str:
    """`conn-<backend>://<connection id>`; ValueError for a backend without syncs or a bad id."""
    entry = check_backend(backend, [Step.SYNC_OUTCOME])
    if not connection_id or any(c in connection_id for c in "/?#@:"):
        raise ValueError(f"connection_id: expected a vendor connection id, got {connection_id!r}")
    return f"{_SCHEME_PREFIX}{entry.name}://{connection_id}"


def connection_asset(backend: str, connection_id: str, **asset_kwargs: Any) -> Asset:
    """The Airflow Asset of a connection's synced data (keyword arguments go to `Asset`)."""
    return Asset(uri=asset_uri(backend, connection_id), **asset_kwargs)


def normalize_uri(parts: SplitResult) -> SplitResult:
    """Airflow's URI handler for the `conn-*` schemes: one form per connection.

    Raises ValueError for an unknown scheme, a missing connection id, or a path,
    query or user part (a connection's asset is its id and nothing else).
    """
    if parts.scheme not in ASSET_SCHEMES:
        raise ValueError(f"asset URI: scheme {parts.scheme!r}; expected one of {ASSET_SCHEMES}")
    if not parts.netloc or "@" in parts.netloc or parts.query or parts.path not in ("", "/"):
        raise ValueError(
            f"asset URI: expected {parts.scheme}://<connection id>, got {parts.geturl()!r}"
        )
    return parts._replace(path="")


class SyncCompletedTrigger(BaseEventTrigger):
    """Fires one event per completed sync of a connection; for `AssetWatcher`.

    Args:
        backend: "fivetran" or "faraday" (a backend that reports sync outcomes).
        conn_id: the Airflow connection to build the backend from.
        connection_id: the vendor's connection id.
        poll_interval: seconds between status reads (default 60; the interval stays constant).

    Event payload (becomes the asset event's extra): the `SyncReport` JSON of the
    completed sync. Vendor endpoint: GET of the connection, once per interval.
    """

    def __init__(
        self, *, backend: str, conn_id: str, connection_id: str, poll_interval: float = 60.0
    ) -> None:
        super().__init__()
        self.backend = check_backend(backend, [Step.SYNC_OUTCOME]).name
        self.conn_id = conn_id
        self.connection_id = connection_id
        self.poll_interval = as_seconds(poll_interval, "poll_interval")
        self._memory: dict[str, Any] | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """(class path, the constructor's keyword arguments as plain JSON)."""
        return f"{type(self).__module__}.{type(self).__qualname__}", {
            "backend": self.backend,
            "conn_id": self.conn_id,
            "connection_id": self.connection_id,
            "poll_interval": self.poll_interval,
        }

    def shared_stream_key(self) -> Hashable | None:
        """None: each watched connection is read by its own wait (see the module docstring)."""
        return None

    def policy(self) -> WaitPolicy:
        """Poll at a constant interval, wait out pauses and reschedules, never time out."""
        interval = self.poll_interval or 60.0
        return WaitPolicy(
            poll_interval=interval,
            max_poll_interval=interval,
            backoff=1.0,
            timeout=None,
            on_paused="wait",
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Wait for each next completed sync; fire its SyncReport and advance the watermark."""
        backend = await hook_for(self.backend, self.conn_id).aget_backend()
        async with AsyncExecutor(backend.profile()) as executor:
            handle, reported = await self._load()
            if handle is None:
                handle = await self._advance(executor, backend, reported)
            while True:
                try:
                    outcome = await executor.run(
                        wait_for_sync(backend, handle, policy=self.policy())
                    )
                except SyncFailedError as exc:
                    self.log.warning("%s: a sync failed, no asset event: %s", self._uri(), exc)
                else:
                    if _is_new(outcome, reported):
                        reported = outcome.finished_at
                        self.log.info("%s: sync completed at %s", self._uri(), reported)
                        yield TriggerEvent(sync_report_json(backend, handle, outcome))
                previous = handle
                handle = await self._advance(executor, backend, reported)
                # A sync that ended between the report and that read is already in the
                # new before-markers, so the next wait would never see it: the old
                # handle does. (One that ends after the read shows on both: `reported`
                # keeps it to one event.)
                caught = await self._read_once(executor, backend, previous)
                if caught is not None and _is_new(caught, reported):
                    reported = caught.finished_at
                    self.log.info("%s: sync completed at %s", self._uri(), reported)
                    yield TriggerEvent(sync_report_json(backend, previous, caught))
                    await self._save(handle, reported)

    async def _read_once(
        self, executor: AsyncExecutor, backend: Backend[Any], handle: SyncHandle
    ) -> SyncOutcome | None:
        """The outcome behind `handle` read once; None when the read failed in passing."""
        try:
            outcome: SyncOutcome = await executor.run(get_sync_outcome(backend, handle))
        except _PASSING as exc:
            self.log.warning("%s: cannot read the sync state yet: %s", self._uri(), exc)
            return None
        return outcome

    async def _advance(
        self, executor: AsyncExecutor, backend: Backend[Any], reported: datetime | None
    ) -> SyncHandle:
        """A handle whose before-markers are the connection's current ones, stored as the watermark.

        `prepare_sync` only reads (GET); it fails on a paused connection or a
        passing outage, so it is asked again after `poll_interval` until it answers.
        """
        while True:
            try:
                handle: SyncHandle = await executor.run(prepare_sync(backend, self.connection_id))
                break
            except _PASSING as exc:
                self.log.warning("%s: cannot read the sync state yet: %s", self._uri(), exc)
                await asyncio.sleep(self.policy().poll_interval)
        await self._save(handle, reported)
        return handle

    async def _load(self) -> tuple[SyncHandle | None, datetime | None]:
        """The stored watermark: (handle, when the last reported sync finished)."""
        stored = self._memory
        store = getattr(self, "asset_state_store", None)  # Airflow 3.3+, set by the triggerer
        if store is not None:
            try:
                stored = await store.aget(WATERMARK_KEY)
            except ValueError:
                # Several assets share this trigger: no one store to keep the watermark in.
                self.asset_state_store = None
                self.log.warning(
                    "%s: watched by several assets; watermark kept in memory", self._uri()
                )
        if stored is None:
            return None, None
        watermark = _Watermark.model_validate(stored)
        return watermark.handle, watermark.reported

    async def _save(self, handle: SyncHandle, reported: datetime | None) -> None:
        value = _Watermark(handle=handle, reported=reported).model_dump(mode="json")
        self._memory = value
        store = getattr(self, "asset_state_store", None)
        if store is not None:
            await store.aset(WATERMARK_KEY, value)

    def _uri(self) -> str:
        return f"{_SCHEME_PREFIX}{self.backend}://{self.connection_id}"


class _Watermark(BaseModel):
    """What the asset state store keeps: the next sync's before-markers and the last report."""

    handle: SyncHandle
    #: When the last sync an event was fired for finished (None before the first).
    reported: datetime | None = None


def _is_new(outcome: SyncOutcome, reported: datetime | None) -> bool:
    """A success not reported yet: it finished after the last reported one."""
    if outcome.state is not SyncState.SUCCEEDED:
        return False
    finished = outcome.finished_at
    return reported is None or finished is None or finished > reported
