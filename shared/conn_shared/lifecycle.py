"""The connection lifecycle every orchestrator drives, in backend-neutral words.

    ensure -> verify -> wait until ready -> trigger sync / resync -> wait for the sync
           -> pause, resume, delete

Each verb checks the backend's declared capabilities *before* it returns, so an
unsupported step raises `UnsupportedStepError` without sending a request, then
hands back a flow (see `conn_shared.calls`) for a sync or async executor to run:

    with SyncExecutor(backend.profile()) as executor:
        ensured = executor.run(ensure_connection(backend, spec))
        executor.run(wait_until_ready(backend, ensured.connection.connection_id))
        handle = executor.run(trigger_sync(backend, ensured.connection.connection_id))
        outcome = executor.run(wait_for_sync(backend, handle))

`plan_connection` is the dry run of ensure: reads only, and a `ConnectionPlan`
saying what ensure would create or change. The results (`Readiness`,
`SyncHandle`, `SyncOutcome`, `ConnectionInfo`, ...) live in `conn_shared.states`:
plain-JSON pydantic models, each keeping the vendor's own object, with secrets
redacted, in `raw`.
"""

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from conn_shared.backends.base import Backend, sync_step, unsupported_step
from conn_shared.calls import Flow
from conn_shared.errors import (
    ConnectionFailedError,
    ConnectionPausedError,
    LifecycleError,
    SpecMismatchError,
    SyncFailedError,
    SyncRescheduledError,
    WaitTimeoutError,
)
from conn_shared.probes import probe_of_readiness, probe_of_sync
from conn_shared.states import (
    ConnectionInfo,
    ConnectionPlan,
    EnsureResult,
    Readiness,
    ReadinessState,  # noqa: F401 (still importable from here, as before probes)
    Step,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    SyncState,
    TableRef,
)
from conn_shared.waiting import (  # noqa: F401 (Observed, poll_until: as before probes)
    Finished,
    Observed,
    Paused,
    Probe,
    Rescheduled,
    WaitEnd,
    WaitPolicy,
    WaitProgress,
    poll_probes,
    poll_until,
)

__all__ = [
    "check_spec",
    "delete_connection",
    "ensure_connection",
    "get_readiness",
    "get_sync_outcome",
    "pause_connection",
    "plan_connection",
    "prepare_sync",
    "reattach_sync",
    "request_sync",
    "require",
    "resume_connection",
    "trigger_resync",
    "trigger_sync",
    "verify_connection",
    "wait_for_sync",
    "wait_until_ready",
]

T = TypeVar("T")
R = TypeVar("R", Readiness, SyncOutcome)
SpecT = TypeVar("SpecT")


def require(backend: Backend[Any], step: Step) -> None:
    """Raise UnsupportedStepError unless `backend` declares `step`."""
    if step not in backend.capabilities:
        raise unsupported_step(backend.name, backend.capabilities, step)


def check_spec(backend: Backend[SpecT], spec: SpecT) -> SpecT:
    """`spec` when it is of `backend.spec_class`; SpecMismatchError naming that class otherwise."""
    if not isinstance(spec, backend.spec_class):
        raise SpecMismatchError(
            backend=backend.name, expected=backend.spec_class.__name__, got=type(spec).__name__
        )
    return spec


def ensure_connection(
    backend: Backend[SpecT], spec: SpecT, *, update: bool = True, resend_secrets: bool = False
) -> Flow[EnsureResult]:
    """Get the connection `spec` identifies, creating it if absent; never a duplicate.

    With `update`, a connection whose non-secret settings drifted from `spec` is
    updated in place. Secrets never count as drift: `resend_secrets` sends the
    spec's secret fields again (a rotated password, a new key). A create whose
    response was lost is found again, not repeated. Ensure is `plan_connection`'s
    decision, carried out.

    Raises (before any request) UnsupportedStepError, SpecMismatchError for a spec
    of another backend's class; while running, IdentityConflictError when the
    identity names a connection of another kind, and the API's errors.
    """
    require(backend, Step.ENSURE)
    check_spec(backend, spec)
    return backend.ensure_flow(spec, update=update, resend_secrets=resend_secrets)


def plan_connection(
    backend: Backend[SpecT], spec: SpecT, *, resend_secrets: bool = False
) -> Flow[ConnectionPlan]:
    """What `ensure_connection(backend, spec, resend_secrets=...)` would do; a dry run.

    Sends reads only (GET), never a write. The plan says `create` (with the
    settings the create would send), `update` (a field-level diff of the
    non-secret settings, plus the secret fields `resend_secrets` would send, their
    values redacted) or `none`. No secret value ever appears in a plan.

    Raises the same errors as `ensure_connection`, before any write.
    """
    require(backend, Step.ENSURE)
    check_spec(backend, spec)
    return backend.plan_flow(spec, resend_secrets=resend_secrets)


def verify_connection(backend: Backend[Any], connection_id: str) -> Flow[Readiness]:
    """Run the vendor's setup tests / verification and report the resulting readiness."""
    require(backend, Step.VERIFY)
    return backend.verify_flow(connection_id)


def get_readiness(backend: Backend[Any], connection_id: str) -> Flow[Readiness]:
    """Read the connection's readiness once."""
    require(backend, Step.READINESS)
    return backend.readiness_flow(connection_id)


def trigger_sync(
    backend: Backend[Any], connection_id: str, *, force: bool = False
) -> Flow[SyncHandle]:
    """Ask for an incremental sync: `prepare_sync`, then `request_sync`.

    `force` restarts a sync already running, where the vendor supports it;
    without it a running sync is attached to, never restarted.
    """
    require(backend, Step.SYNC)
    return _prepared_then_requested(backend, connection_id, SyncKind.SYNC, None, force=force)


def trigger_resync(
    backend: Backend[Any], connection_id: str, *, tables: Sequence[TableRef] | None = None
) -> Flow[SyncHandle]:
    """Ask for a historical resync of the whole connection, or of `tables` only."""
    scope = tuple(tables) if tables else None
    require(backend, sync_step(SyncKind.RESYNC, scope))
    return _prepared_then_requested(backend, connection_id, SyncKind.RESYNC, scope, force=False)


def _prepared_then_requested(
    backend: Backend[Any],
    connection_id: str,
    kind: SyncKind,
    tables: tuple[TableRef, ...] | None,
    *,
    force: bool,
) -> Flow[SyncHandle]:
    handle = yield from backend.prepare_sync_flow(connection_id, kind=kind, tables=tables)
    yield from backend.request_sync_flow(handle, force=force)
    return handle


def prepare_sync(
    backend: Backend[Any],
    connection_id: str,
    *,
    kind: SyncKind = SyncKind.SYNC,
    tables: Sequence[TableRef] | None = None,
) -> Flow[SyncHandle]:
    """Read the before-state of a sync or resync and return its handle; sends no write.

    The first half of `trigger_sync`, for callers that must record their intent
    (the handle, plain JSON) before the request goes out, so that a task killed
    after sending it can `reattach_sync` instead of asking again. Raises
    ConnectionPausedError for a sync of a paused connection (Fivetran).
    """
    scope = tuple(tables) if tables else None
    require(backend, sync_step(kind, scope))
    return backend.prepare_sync_flow(connection_id, kind=kind, tables=scope)


def request_sync(backend: Backend[Any], handle: SyncHandle, *, force: bool = False) -> Flow[None]:
    """Send the sync or resync request `handle` (from `prepare_sync`) describes."""
    require(backend, sync_step(handle.kind, handle.tables))
    _check_handle(backend, handle)
    return backend.request_sync_flow(handle, force=force)


def reattach_sync(backend: Backend[Any], handle: SyncHandle) -> Flow[SyncOutcome]:
    """After a lost try: find the sync `handle` asked for, asking again only if it never began.

    Reads the outcome once. When the vendor shows nothing started since the
    handle's before-state (`SyncState.PENDING`), the first request may never
    have arrived, so it is sent again, without `force`: a sync that did start
    meanwhile is attached to, never restarted. Any other state means the
    request (or a sync at least as fresh) is under way or done, and nothing is
    sent. Returns the outcome read.
    """
    require(backend, sync_step(handle.kind, handle.tables))
    require(backend, Step.SYNC_OUTCOME)
    _check_handle(backend, handle)
    return _reattached(backend, handle)


def _reattached(backend: Backend[Any], handle: SyncHandle) -> Flow[SyncOutcome]:
    outcome = yield from backend.sync_outcome_flow(handle)
    if outcome.state is SyncState.PENDING:
        yield from backend.request_sync_flow(handle, force=False)
    return outcome


def get_sync_outcome(backend: Backend[Any], handle: SyncHandle) -> Flow[SyncOutcome]:
    """Read where the sync behind `handle` stands, once."""
    require(backend, Step.SYNC_OUTCOME)
    _check_handle(backend, handle)
    return backend.sync_outcome_flow(handle)


def pause_connection(backend: Backend[Any], connection_id: str) -> Flow[ConnectionInfo]:
    """Stop scheduled syncs (Fivetran pause, hub disable, ...)."""
    require(backend, Step.PAUSE)
    return backend.pause_flow(connection_id)


def resume_connection(backend: Backend[Any], connection_id: str) -> Flow[ConnectionInfo]:
    """Undo `pause_connection`."""
    require(backend, Step.RESUME)
    return backend.resume_flow(connection_id)


def delete_connection(
    backend: Backend[Any], connection_id: str, *, missing_ok: bool = True
) -> Flow[bool]:
    """Delete the connection, refusing (ConnectionInUseError) while others still use it.

    Returns True when this call deleted it, False when it was already gone and
    `missing_ok` (so a retried task succeeds). A DELETE whose answer was lost is
    re-sent; its 404 then also reads as False, though this call did the deleting:
    either way the connection is gone.
    """
    require(backend, Step.DELETE)
    return backend.delete_flow(connection_id, missing_ok=missing_ok)


def wait_until_ready(
    backend: Backend[Any],
    connection_id: str,
    *,
    policy: WaitPolicy | None = None,
    progress: WaitProgress | None = None,
) -> Flow[Readiness]:
    """Poll readiness until `ready`.

    Raises ConnectionFailedError when it failed, ConnectionPausedError when the
    connection is paused or disabled (unless `policy.on_paused` is "wait") and
    WaitTimeoutError at the deadline. Transient poll failures are polled through.
    Pass the `progress` of an earlier attempt to keep its deadline.

    Each poll parses only the fields readiness depends on, and concurrent waits
    on one account may be answered by one shared listing (`conn_shared.coalesce`);
    `raw` is then the object as the listing gave it.
    """
    require(backend, Step.READINESS)
    return poll_probes(
        _observer(
            getattr(backend, "readiness_probe_flow", None),
            connection_id,
            lambda: backend.readiness_flow(connection_id),
            probe_of_readiness,
        ),
        policy or WaitPolicy(),
        progress,
        what=f"connection {connection_id}",
        error_for=_errors(
            backend.name,
            connection_id,
            f"connection {connection_id}",
            ConnectionFailedError,
            "not ready",
        ),
    )


def wait_for_sync(
    backend: Backend[Any],
    handle: SyncHandle,
    *,
    policy: WaitPolicy | None = None,
    progress: WaitProgress | None = None,
) -> Flow[SyncOutcome]:
    """Poll the sync behind `handle` until it succeeded.

    Raises SyncFailedError when it failed, ConnectionPausedError when the
    connection is paused (unless `policy.on_paused` is "wait"),
    SyncRescheduledError when the vendor postponed it and `policy.on_rescheduled`
    is "fail", and WaitTimeoutError at the deadline. Transient poll failures are
    polled through.

    Each poll parses only the fields the outcome depends on, and concurrent
    waits on one account may be answered by one shared listing per interval
    (`conn_shared.coalesce`), with the detection lag still within one interval;
    `raw` is then the object as the listing gave it (Fivetran's leaves out `config`).
    """
    require(backend, Step.SYNC_OUTCOME)
    _check_handle(backend, handle)
    what = f"{handle.kind.value} of connection {handle.connection_id}"
    return poll_probes(
        _observer(
            getattr(backend, "sync_probe_flow", None),
            handle,
            lambda: backend.sync_outcome_flow(handle),
            probe_of_sync,
        ),
        policy or WaitPolicy(),
        progress,
        what=what,
        error_for=_errors(
            backend.name, handle.connection_id, what, SyncFailedError, "not finished"
        ),
    )


def _observer(
    probe_flow: Callable[..., Flow[Probe[R]]] | None,
    subject: Any,
    full_flow: Callable[[], Flow[R]],
    probe_of: Callable[[R], Probe[R]],
) -> Callable[[float], Flow[Probe[R]]]:
    """A wait's poll: the backend's cheap probe when it has one (minimal backends may not),
    else its full result wrapped as a probe."""

    def observe(max_age: float) -> Flow[Probe[R]]:
        if probe_flow is not None:
            probe: Probe[R] = yield from probe_flow(subject, max_age=max_age)
            return probe
        value = yield from full_flow()
        return probe_of(value)

    return observe


def _errors(
    backend: str, connection_id: str, what: str, failure: type[LifecycleError], not_done: str
) -> Callable[[WaitEnd, Probe[Any] | None], Exception]:
    def error_for(end: WaitEnd, last: Probe[Any] | None) -> Exception:
        return _end_error(
            end,
            backend=backend,
            connection_id=connection_id,
            what=what,
            failure=failure,
            not_done=not_done,
            seen=_seen(last),
        )

    return error_for


def _seen(last: Probe[Any] | None) -> tuple[str, str | None] | None:
    return None if last is None else (last.state, last.reason)


def _end_error(
    end: WaitEnd,
    *,
    backend: str,
    connection_id: str,
    what: str,
    failure: type[LifecycleError],
    not_done: str,
    seen: tuple[str, str | None] | None,
) -> LifecycleError:
    """The error that ends a wait on `what` without the awaited state."""
    context: dict[str, Any] = {"backend": backend, "connection_id": connection_id}
    if isinstance(end, Finished):
        return failure(f"{what} failed: {end.reason or 'no reason given'}", **context)
    if isinstance(end, Paused):
        why = end.reason or "nothing runs until it is resumed"
        return ConnectionPausedError(
            f"connection {connection_id} is paused: {why}; resume it, or wait for a resume "
            "with WaitPolicy(on_paused='wait')",
            **context,
        )
    if isinstance(end, Rescheduled):
        because = f" ({end.reason})" if end.reason else ""
        return SyncRescheduledError(
            f"{what} {not_done}: rescheduled by the vendor until {_when(end.resume_at)}{because}",
            rescheduled_until=end.resume_at,
            **context,
        )
    observed = "no poll answered" if seen is None else _last(*seen)
    return WaitTimeoutError(f"{what} {not_done}: {end.reason} ({observed})", **context)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "a time the vendor did not give"
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="seconds")


def _last(state: str, reason: str | None) -> str:
    return f"last state {state}: {reason}" if reason else f"last state {state}"


def _check_handle(backend: Backend[Any], handle: SyncHandle) -> None:
    if handle.backend != backend.name:
        raise ValueError(f"handle: belongs to backend {handle.backend!r}, not {backend.name!r}")
