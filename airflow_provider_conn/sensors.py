"""Sensors: wait for a connection to be ready, or for a requested sync to end.

    ConnectionReadySensor   readiness of a connection (`get_readiness` per poke)
    SyncCompleteSensor      the sync a `SyncHandle` describes (`get_sync_outcome` per poke)

Three ways to wait, all sharing the flows of `conn_shared`:

- `mode="poke"` / `"reschedule"`: each poke reads the state once (one GET)
  with a sync executor; Airflow's own `poke_interval` / `timeout` loop decides
  when to poke again.
- `deferrable=True`: the wait runs in the triggerer (`wait_until_ready` /
  `wait_for_sync` in `ConnectionReadyTrigger` / `SyncCompleteTrigger`) with
  `poke_interval` as the first poll interval and `timeout` as its absolute
  deadline, holding no worker slot. Default: `[operators] default_deferrable`.
- `deferrable=True, start_from_trigger=True`: the scheduler hands the wait to
  the triggerer directly; the task never takes a worker slot before the event.

`timeout` (seconds) bounds the whole wait, across reschedules and deferral;
`execution_timeout` bounds each run on a worker. A `failed` or `paused` state
fails the task at once, without retries.
"""

import contextlib
import json
import time
from abc import abstractmethod
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, ClassVar

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.triggers.base import StartTriggerArgs

from airflow_provider_conn.common import (
    airflow_errors,
    as_bool,
    as_seconds,
    check_sensor_timing,
    default_deferrable,
    optional_seconds,
    validate_model,
)
from airflow_provider_conn.events import Kind, result_of
from airflow_provider_conn.tasks import ConnTaskMixin
from airflow_provider_conn.triggers import (
    ConnectionReadyTrigger,
    FlowTrigger,
    SyncCompleteTrigger,
    readiness_json,
    sync_report_json,
)
from conn_shared import (
    ConnectionFailedError,
    ConnectionPausedError,
    ConnError,
    ReadinessState,
    Step,
    SyncFailedError,
    SyncHandle,
    SyncState,
    WaitPolicy,
    WaitProgress,
    get_readiness,
    get_sync_outcome,
)

__all__ = ["ConnectionReadySensor", "SyncCompleteSensor"]

_FAILED_SYNC = {SyncState.FAILED: SyncFailedError, SyncState.PAUSED: ConnectionPausedError}
_FAILED_READINESS = {
    ReadinessState.FAILED: ConnectionFailedError,
    ReadinessState.PAUSED: ConnectionPausedError,
}


class _ConnSensor(ConnTaskMixin, BaseSensorOperator):
    """What both sensors share: backend, conn id, deferral (optionally from the trigger)."""

    trigger_class: ClassVar[type[FlowTrigger]]
    kind: ClassVar[Kind]
    steps: ClassVar[tuple[Step, ...]]

    def __init__(
        self,
        *,
        backend: str,
        conn_id: str | None = None,
        deferrable: bool | None = None,
        start_from_trigger: bool = False,
        **kwargs: Any,
    ) -> None:
        check_sensor_timing(kwargs)
        super().__init__(**kwargs)
        self.setup_conn_task(backend, conn_id, self.steps)
        self.deferrable = (
            default_deferrable() if deferrable is None else as_bool(deferrable, "deferrable")
        )
        self.start_from_trigger = as_bool(start_from_trigger, "start_from_trigger")
        if self.start_from_trigger and not self.deferrable:
            raise ValueError("start_from_trigger: needs deferrable=True")
        if self.start_from_trigger:
            # Rendered in the triggerer: only these keyword arguments are templated there.
            self.start_trigger_args = StartTriggerArgs(
                trigger_cls=_classpath(self.trigger_class),
                next_method="execute_complete",
                trigger_kwargs=self.trigger_kwargs(progress=None),
                next_kwargs=None,
                timeout=self._backstop(),
            )

    def policy(self) -> WaitPolicy:
        """The deferred wait's policy: `poke_interval` first, growing with exponential_backoff."""
        poke = as_seconds(self.poke_interval, "poke_interval")
        backoff = 2.0 if self.exponential_backoff else 1.0
        cap = optional_seconds(self.max_wait, "max_wait") or max(poke, 300.0)
        return WaitPolicy(
            poll_interval=poke,
            max_poll_interval=max(cap, poke),
            backoff=backoff,
            timeout=optional_seconds(self.timeout, "timeout"),
        )

    def _backstop(self) -> timedelta | None:
        timeout = optional_seconds(self.timeout, "timeout")
        return None if timeout is None else timedelta(seconds=timeout + 60)

    def trigger_kwargs(self, *, progress: WaitProgress | None) -> dict[str, Any]:
        """The trigger's constructor arguments (plain JSON)."""
        return {
            "backend": self.backend,
            "conn_id": self.conn_id,
            "policy": self.policy().model_dump(mode="json"),
            "progress": None if progress is None else progress.model_dump(mode="json"),
        }

    @abstractmethod
    def connection_id_waited_on(self) -> str:
        """The vendor connection this sensor waits on (rendered), for its extra link."""

    def execute(self, context: Any) -> Any:
        """Poke (poke or reschedule mode), or hand the whole wait to the triggerer."""
        if not self.deferrable:
            return super().execute(context)
        policy = self.policy()
        kwargs = self.trigger_kwargs(progress=WaitProgress.start(policy, time.time()))
        # The link shows while the task waits, as a poking sensor's does.
        self.push_url(context, self.get_backend(), self.connection_id_waited_on())
        self.defer(
            trigger=self.trigger_class(**kwargs),
            method_name="execute_complete",
            timeout=self._backstop(),
        )
        return None  # not reached: defer raises

    def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
        """Validate the trigger's event: the result JSON, or its error raised typed."""
        with airflow_errors():
            result = result_of(event, kind=self.kind)
        if self.start_from_trigger:
            # Started from the trigger, the task ran nothing before: its link comes now.
            self.push_url(context, self.get_backend(), result["connection_id"])
        return result

    def _fail_if(
        self, error: type[ConnError] | None, reason: str | None, connection_id: str
    ) -> None:
        if error is not None:
            message = f"connection {connection_id}: {reason or 'no reason given'}"
            self.fail(error(message, backend=self.backend, connection_id=connection_id))  # type: ignore[call-arg]


class ConnectionReadySensor(_ConnSensor):
    """Wait until a connection is ready (setup tests passed, verified, built).

    Args:
        backend: "fivetran", "faraday" or "hub" (plain).
        connection_id: the connection (templated).
        conn_id: the Airflow connection (default `conn_<backend>_default`).
        deferrable / start_from_trigger / poke_interval / timeout / mode: see the module.

    Returns (XCom): the Readiness JSON (backend, connection_id, state "ready", reason).
    Vendor endpoint: GET of the connection (Fivetran `/v1/connections/{id}`,
    Faraday `/v1/connections/{id}`, hub `/api/v1/connections/{id}`).
    """

    template_fields: Sequence[str] = ("conn_id", "connection_id")
    trigger_class = ConnectionReadyTrigger
    kind = "readiness"
    steps = (Step.READINESS,)

    def __init__(self, *, connection_id: str, **kwargs: Any) -> None:
        self.connection_id = connection_id
        super().__init__(**kwargs)

    def trigger_kwargs(self, *, progress: WaitProgress | None) -> dict[str, Any]:
        """Backend, conn id, connection id, policy and progress."""
        return {**super().trigger_kwargs(progress=progress), "connection_id": self.connection_id}

    def connection_id_waited_on(self) -> str:
        """`connection_id`."""
        return self.connection_id

    def poke(self, context: Any) -> bool | PokeReturnValue:
        """Read readiness once: ready -> done; failed or paused -> fail; pending -> poke again."""
        backend = self.get_backend()
        self.push_url(context, backend, self.connection_id)
        readiness = self.drive(backend, get_readiness(backend, self.connection_id))
        self._fail_if(_FAILED_READINESS.get(readiness.state), readiness.reason, self.connection_id)
        if readiness.state is ReadinessState.READY:
            return PokeReturnValue(is_done=True, xcom_value=readiness_json(readiness))
        self.log.info(
            "%s connection %s: %s", self.backend, self.connection_id, readiness.state.value
        )
        return False


class SyncCompleteSensor(_ConnSensor):
    """Wait for the sync a handle describes, e.g. a non-waiting TriggerSyncOperator's XCom.

    Args:
        backend: "fivetran" or "faraday" (plain); must match the handle's backend.
        handle: the `SyncHandle` as a dict or JSON text (templated; pass
            `trigger_task.output` to receive the dict itself).
        conn_id: the Airflow connection (default `conn_<backend>_default`).
        deferrable / start_from_trigger / poke_interval / timeout / mode: see the module.

    Returns (XCom): the `SyncReport` JSON, equal to a waiting TriggerSyncOperator's.
    Vendor endpoint: Fivetran `GET /v1/connections/{id}`, Faraday `GET
    /v1/connections/{id}`.
    """

    template_fields: Sequence[str] = ("conn_id", "handle")
    trigger_class = SyncCompleteTrigger
    kind = "sync_report"
    steps = (Step.SYNC_OUTCOME,)

    def __init__(self, *, handle: Any, **kwargs: Any) -> None:
        self.handle = handle
        super().__init__(**kwargs)

    def sync_handle(self) -> SyncHandle:
        """The rendered handle, validated; ValueError naming `handle` otherwise."""
        value = self.handle
        if isinstance(value, str):
            # JSON text is parsed, then checked like a dict: a valid handle of another
            # backend used to be returned from here without the backend check below.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        handle = validate_model(SyncHandle, value, "handle")
        if handle.backend != self.backend:
            raise ValueError(f"handle: a {handle.backend} sync, but backend={self.backend!r}")
        return handle

    def connection_id_waited_on(self) -> str:
        """The handle's connection."""
        with airflow_errors():
            return self.sync_handle().connection_id

    def trigger_kwargs(self, *, progress: WaitProgress | None) -> dict[str, Any]:
        """Backend, conn id, handle, policy and progress."""
        handle = self.handle if progress is None else self.sync_handle().model_dump(mode="json")
        return {**super().trigger_kwargs(progress=progress), "handle": handle}

    def poke(self, context: Any) -> bool | PokeReturnValue:
        """Read the sync's outcome once: succeeded -> done; failed or paused -> fail."""
        with airflow_errors():
            handle = self.sync_handle()
        backend = self.get_backend()
        self.push_url(context, backend, handle.connection_id)
        outcome = self.drive(backend, get_sync_outcome(backend, handle))
        self._fail_if(_FAILED_SYNC.get(outcome.state), outcome.reason, handle.connection_id)
        if outcome.state is SyncState.SUCCEEDED:
            return PokeReturnValue(
                is_done=True, xcom_value=sync_report_json(backend, handle, outcome)
            )
        self.log.info("%s sync of %s: %s", self.backend, handle.connection_id, outcome.state.value)
        return False


def _classpath(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
