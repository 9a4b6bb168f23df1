"""Cheap polls for waits: a light result per poll, the full one built once at the end.

A backend's probe flow reads the few fields its state table needs (a
`conn_shared.coalesce.Reading`), builds the normalized result without `raw`,
and hands it here; `raw` (the whole vendor object, validated and redacted) is
built by `Probe.build` only for the observation that ends the wait. Backends
without cheap polls are probed through their full results (`probe_of_sync`
with `raw=None`).
"""

from collections.abc import Callable
from typing import Any, TypeVar

from conn_shared.states import Readiness, ReadinessState, SyncOutcome, SyncState
from conn_shared.waiting import Observed, Probe

__all__ = ["probe_of_readiness", "probe_of_sync"]

RawBuilder = Callable[[], dict[str, Any]]
R = TypeVar("R", Readiness, SyncOutcome)

_READINESS = {
    ReadinessState.READY: Observed.SUCCEEDED,
    ReadinessState.FAILED: Observed.FAILED,
    ReadinessState.PENDING: Observed.PENDING,
    ReadinessState.PAUSED: Observed.PAUSED,
}
_SYNC = {
    SyncState.SUCCEEDED: Observed.SUCCEEDED,
    SyncState.FAILED: Observed.FAILED,
    SyncState.PENDING: Observed.PENDING,
    SyncState.RUNNING: Observed.PENDING,
    SyncState.RESCHEDULED: Observed.RESCHEDULED,
    SyncState.PAUSED: Observed.PAUSED,
}


def probe_of_readiness(
    light: Readiness, raw: RawBuilder | None = None, *, age: float = 0.0
) -> Probe[Readiness]:
    """The probe of `light`; its `build` adds `raw()` (None: `light` is already complete)."""
    return Probe(
        _READINESS[light.state],
        light.state.value,
        light.reason,
        None,
        build=_completed(light, raw),
        age=age,
    )


def probe_of_sync(
    light: SyncOutcome, raw: RawBuilder | None = None, *, age: float = 0.0
) -> Probe[SyncOutcome]:
    """The probe of `light`; its `build` adds `raw()` (None: `light` is already complete)."""
    until = light.rescheduled_until.timestamp() if light.rescheduled_until else None
    return Probe(
        _SYNC[light.state],
        light.state.value,
        light.reason,
        until,
        build=_completed(light, raw),
        age=age,
    )


def _completed(light: R, raw: RawBuilder | None) -> Callable[[], R]:
    if raw is None:
        return lambda: light
    return lambda: light.model_copy(update={"raw": raw()})
