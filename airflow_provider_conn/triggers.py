"""Deferrable waits: the flows the operators run, driven by an `AsyncExecutor` in the triggerer.

    ConnectionReadyTrigger   wait_until_ready(backend, connection_id, policy, progress)
    SyncCompleteTrigger      wait_for_sync(backend, handle, policy, progress)

Each trigger's constructor takes plain JSON only (backend name, Airflow conn id,
ids or handle, the WaitPolicy and the WaitProgress with its absolute deadline)
and `serialize()` returns exactly those keyword arguments. Polling, backoff,
transient failures, pauses, reschedules (an async sleep towards the vendor's
time) and the deadline are all decided in `conn_shared`; a trigger adds
nothing but the envelope of `airflow_provider_conn.events`.

Nothing here blocks the triggerer's event loop: the connection comes from the
async look-up (`ConnHook.aget_backend`), secrets are masked asynchronously and
HTTP goes through the event loop's shared pooled client, so a thousand waits on
one account share one connection pool.
"""

from abc import abstractmethod
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_conn.events import Kind, error_event, success_event
from airflow_provider_conn.hooks import hook_for
from conn_shared import (
    AsyncExecutor,
    Backend,
    ConnError,
    Readiness,
    SyncHandle,
    SyncOutcome,
    SyncReport,
    WaitPolicy,
    WaitProgress,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.calls import Flow

__all__ = [
    "ConnectionReadyTrigger",
    "FlowTrigger",
    "SyncCompleteTrigger",
    "readiness_json",
    "sync_report_json",
]


def readiness_json(readiness: Readiness) -> dict[str, Any]:
    """A Readiness as the XCom / event JSON: without the vendor object."""
    result: dict[str, Any] = readiness.model_dump(mode="json", exclude={"raw"})
    return result


def sync_report_json(
    backend: Backend[Any], handle: SyncHandle, outcome: SyncOutcome
) -> dict[str, Any]:
    """`SyncReport.of(handle, outcome)` as JSON: one XCom whether the wait deferred or not."""
    url = backend.connection_url(handle.connection_id)
    result: dict[str, Any] = SyncReport.of(handle, outcome, url=url).model_dump(mode="json")
    return result


class FlowTrigger(BaseTrigger):
    """Runs one waiting flow of `conn_shared` to its end and fires one enveloped event.

    Subclasses name the event `kind` and build the flow and its JSON result.

    Args:
        backend: registered backend name ("fivetran", "faraday", "hub").
        conn_id: the Airflow connection to build the backend from.
        policy: a `WaitPolicy` as JSON (None: the defaults).
        progress: a `WaitProgress` as JSON with the wait's absolute deadline
            (None: the wait starts when the trigger first runs).
    """

    kind: ClassVar[Kind]

    def __init__(
        self,
        *,
        backend: str,
        conn_id: str,
        policy: dict[str, Any] | None = None,
        progress: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.conn_id = conn_id
        self.policy = policy
        self.progress = progress

    def _kwargs(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "conn_id": self.conn_id,
            "policy": self.policy,
            "progress": self.progress,
        }

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """(class path, the constructor's keyword arguments as plain JSON)."""
        return f"{type(self).__module__}.{type(self).__qualname__}", self._kwargs()

    def wait(self) -> tuple[WaitPolicy, WaitProgress | None]:
        """The policy and progress, rebuilt from their JSON."""
        policy = WaitPolicy.model_validate(self.policy or {})
        progress = None if self.progress is None else WaitProgress.model_validate(self.progress)
        return policy, progress

    @abstractmethod
    def flow(self, backend: Backend[Any]) -> Flow[Any]:
        """The waiting flow to run."""

    @abstractmethod
    def result(self, backend: Backend[Any], value: Any) -> dict[str, Any]:
        """The event's `result` for the flow's return value."""

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Wait, then fire exactly one event: success with the result, or the typed error."""
        try:
            backend = await hook_for(self.backend, self.conn_id).aget_backend()
            async with AsyncExecutor(backend.profile()) as executor:
                value = await executor.run(self.flow(backend))
            payload = success_event(self.kind, self.result(backend, value))
        except ConnError as exc:
            self.log.warning("%s wait ended: %s", self.backend, exc)
            payload = error_event(exc)
        yield TriggerEvent(payload)


class ConnectionReadyTrigger(FlowTrigger):
    """Waits until the connection is ready (`wait_until_ready`); the result is its Readiness."""

    kind = "readiness"

    def __init__(
        self,
        *,
        backend: str,
        conn_id: str,
        connection_id: str,
        policy: dict[str, Any] | None = None,
        progress: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(backend=backend, conn_id=conn_id, policy=policy, progress=progress)
        self.connection_id = connection_id

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "connection_id": self.connection_id}

    def flow(self, backend: Backend[Any]) -> Flow[Any]:
        """`wait_until_ready` with this trigger's policy and progress."""
        policy, progress = self.wait()
        return wait_until_ready(backend, self.connection_id, policy=policy, progress=progress)

    def result(self, backend: Backend[Any], value: Any) -> dict[str, Any]:
        """The Readiness as JSON, without the vendor object."""
        return readiness_json(value)


class SyncCompleteTrigger(FlowTrigger):
    """Waits for the sync `handle` asked for (`wait_for_sync`); the result is its SyncReport."""

    kind = "sync_report"

    def __init__(
        self,
        *,
        backend: str,
        conn_id: str,
        handle: dict[str, Any] | str,
        policy: dict[str, Any] | None = None,
        progress: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(backend=backend, conn_id=conn_id, policy=policy, progress=progress)
        self.handle = handle

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "handle": self.handle}

    def flow(self, backend: Backend[Any]) -> Flow[Any]:
        """`wait_for_sync` on the handle, with this trigger's policy and progress."""
        policy, progress = self.wait()
        handle = self.sync_handle()
        return wait_for_sync(backend, handle, policy=policy, progress=progress)

    def result(self, backend: Backend[Any], value: Any) -> dict[str, Any]:
        """`SyncReport.of(handle, outcome)` as JSON: the same XCom as the non-deferred path."""
        return sync_report_json(backend, self.sync_handle(), value)

    def sync_handle(self) -> SyncHandle:
        """The handle, from its JSON (an object, or text when rendered from a template)."""
        if isinstance(self.handle, str):
            return SyncHandle.model_validate_json(self.handle)
        return SyncHandle.model_validate(self.handle)
