"""The trigger event envelope, and its one fail-closed validator (shared by operators and sensors).

A trigger ends with exactly one event whose payload is plain JSON:

    {"status": "success", "kind": "sync_report", "result": {...}}   the flow's result
    {"status": "error", "error": {...}}                               ConnError.to_json()

The event crosses the metadata database, and the trigger and the worker may run
different versions of this package, so `result_of` trusts nothing: a missing
event, an unknown status, a result of another kind or a malformed error all
fail loudly, and an error is re-raised as the class it had in the trigger.
"""

from collections.abc import Mapping
from typing import Any, Literal

from conn_shared import ConnError

__all__ = ["KINDS", "STATUSES", "EventError", "error_event", "result_of", "success_event"]

#: The closed set of statuses an event may carry.
STATUSES = ("success", "error")
#: What a successful event's `result` holds: a Readiness or a SyncReport, as JSON.
Kind = Literal["readiness", "sync_report"]
KINDS: tuple[Kind, ...] = ("readiness", "sync_report")


class EventError(RuntimeError):
    """The trigger's event is missing or does not follow the envelope."""


def success_event(kind: Kind, result: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of a trigger that reached its goal; `result` is plain JSON."""
    return {"status": "success", "kind": kind, "result": dict(result)}


def error_event(error: ConnError) -> dict[str, Any]:
    """The payload of a trigger that ended with `error` (its JSON form keeps the class)."""
    return {"status": "error", "error": error.to_json()}


def result_of(event: object, *, kind: Kind) -> dict[str, Any]:
    """The `result` of a success event of `kind`; raises for anything else.

    Raises:
        ConnError (its original subclass): the event carries an error.
        EventError: no event, not an object, an unknown status, a result of
            another kind, or a malformed error.
    """
    if not isinstance(event, Mapping):
        raise EventError(
            f"trigger event: expected an object with a status, got {type(event).__name__}"
        )
    status = event.get("status")
    if status == "success":
        result = event.get("result")
        if event.get("kind") != kind or not isinstance(result, Mapping):
            raise EventError(
                f"trigger event: expected a {kind} result, got kind {event.get('kind')!r}"
            )
        return dict(result)
    if status == "error":
        try:
            error = ConnError.from_json(event.get("error"))  # type: ignore[arg-type]
        except ValueError as exc:
            raise EventError(f"trigger event: malformed error ({exc})") from None
        raise error
    raise EventError(
        f"trigger event: unknown status {status!r}; expected one of {', '.join(STATUSES)}"
    )
