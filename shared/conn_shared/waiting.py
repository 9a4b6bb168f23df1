"""The poll/deadline state machine behind every wait: pure, no I/O, no sleeping.

Callers observe a status (by polling the API), hand it to `decide`, and act on
the decision: finish, fail, or sleep `after` seconds and poll again. A poll that
failed for a passing reason (5xx, 429, a dropped connection, an unreadable body)
goes to `decide_after_failure` instead: the wait polls again later, with backoff,
until its deadline, because an outage of a few seconds says nothing about a sync
that runs for hours. Sensors, triggers, ops and the lifecycle flows all share it;
everything it keeps is plain JSON (`WaitPolicy`, `WaitProgress`) so a wait can
move between processes.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from conn_shared.calls import NOW, Flow, Sleep
from conn_shared.errors import (
    ConnError,
    NetworkError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)

__all__ = [
    "TRANSIENT_POLL_ERRORS",
    "Finished",
    "Observed",
    "Paused",
    "PollAgain",
    "Probe",
    "Rescheduled",
    "TimedOut",
    "WaitDecision",
    "WaitEnd",
    "WaitPolicy",
    "WaitProgress",
    "decide",
    "decide_after_failure",
    "poll_probes",
    "poll_until",
]

logger = logging.getLogger("conn_shared.waiting")

T = TypeVar("T")

#: Poll failures that say nothing about the awaited state: poll again later.
TRANSIENT_POLL_ERRORS: tuple[type[ConnError], ...] = (
    ServerError,
    RateLimitedError,
    NetworkError,
    UnexpectedResponseError,
)


class WaitPolicy(BaseModel):
    """How often to poll and for how long.

    Attributes:
        poll_interval: seconds between the first polls.
        max_poll_interval: cap on the interval as it grows.
        backoff: factor the interval grows by after each poll (1.0 keeps it constant).
        timeout: seconds from the start of the wait to its deadline; None waits forever.
        on_paused: "fail" ends the wait with ConnectionPausedError as soon as a poll
            sees the connection paused (Fivetran) or disabled (hub); "wait" keeps
            polling until someone resumes it or the deadline passes.
        on_rescheduled: "wait" sleeps towards the vendor's `rescheduled_for`;
            "fail" ends the wait with SyncRescheduledError (carrying that time),
            for orchestrators that would rather retry the task at that time.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    poll_interval: float = Field(default=15.0, gt=0)
    max_poll_interval: float = Field(default=300.0, gt=0)
    backoff: float = Field(default=1.5, ge=1.0)
    timeout: float | None = Field(default=3600.0, gt=0)
    on_paused: Literal["fail", "wait"] = "fail"
    on_rescheduled: Literal["wait", "fail"] = "wait"

    @model_validator(mode="after")
    def _interval_fits_cap(self) -> "WaitPolicy":
        if self.max_poll_interval < self.poll_interval:
            raise ValueError(
                f"max_poll_interval ({self.max_poll_interval}) must be >= "
                f"poll_interval ({self.poll_interval})"
            )
        return self


class WaitProgress(BaseModel):
    """Where a wait stands: when it started, its absolute deadline, polls so far.

    `failed_polls` counts polls that failed for a passing reason and
    `last_error` names the latest of them, so a deadline can say what it saw.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    started_at: float
    deadline: float | None
    polls: int = 0
    interval: float
    failed_polls: int = 0
    last_error: str | None = None

    @classmethod
    def start(cls, policy: WaitPolicy, now: float) -> "WaitProgress":
        """A fresh wait whose deadline is fixed now, so retries and deferrals cannot extend it."""
        deadline = None if policy.timeout is None else now + policy.timeout
        return cls(started_at=now, deadline=deadline, interval=policy.poll_interval)


class Observed(str, Enum):
    """The normalized status a caller observed."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RESCHEDULED = "rescheduled"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Finished:
    """The wait is over: the awaited state was reached (`succeeded`) or it failed."""

    succeeded: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PollAgain:
    """Sleep `after` seconds, then poll again with `progress`."""

    after: float
    progress: WaitProgress


@dataclass(frozen=True, slots=True)
class TimedOut:
    """The deadline passed (or will pass before anything can change)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Paused:
    """The connection is paused and the policy says not to wait for a resume."""

    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Rescheduled:
    """The vendor postponed the sync to `resume_at` and the policy says not to wait."""

    resume_at: float | None
    reason: str | None = None


WaitDecision = Finished | PollAgain | TimedOut | Paused | Rescheduled
#: The decisions that end a wait without the awaited state.
WaitEnd = Finished | TimedOut | Paused | Rescheduled


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def decide(  # noqa: PLR0911 - one return per decision, read as a table
    policy: WaitPolicy,
    progress: WaitProgress,
    observed: Observed,
    now: float,
    *,
    reason: str | None = None,
    resume_at: float | None = None,
) -> WaitDecision:
    """What to do after observing `observed` at `now` (epoch seconds).

    `resume_at` is the vendor's promised restart time for a rescheduled sync:
    the wait sleeps towards it (never past the deadline, never longer than the
    interval cap, so a manual restart is still noticed), and times out at once
    when the vendor's time is already beyond the deadline.
    """
    if observed is Observed.SUCCEEDED:
        return Finished(succeeded=True, reason=reason)
    if observed is Observed.FAILED:
        return Finished(succeeded=False, reason=reason)
    if observed is Observed.PAUSED and policy.on_paused == "fail":
        return Paused(reason)
    if observed is Observed.RESCHEDULED and policy.on_rescheduled == "fail":
        return Rescheduled(resume_at, reason)

    deadline = progress.deadline
    if deadline is not None and now >= deadline:
        return TimedOut(
            f"deadline {_iso(deadline)} passed while {observed.value}" + _seen(progress)
        )

    if observed is Observed.RESCHEDULED and resume_at is not None:
        if deadline is not None and resume_at > deadline:
            return TimedOut(
                f"rescheduled by the vendor until {_iso(resume_at)}, "
                f"after the wait deadline {_iso(deadline)}"
            )
        after = min(max(resume_at - now, policy.poll_interval), policy.max_poll_interval)
        next_interval = progress.interval
    else:
        after = progress.interval
        next_interval = min(progress.interval * policy.backoff, policy.max_poll_interval)

    if deadline is not None:
        after = min(after, max(deadline - now, 0.0))
    advanced = progress.model_copy(update={"polls": progress.polls + 1, "interval": next_interval})
    return PollAgain(after=after, progress=advanced)


def decide_after_failure(
    policy: WaitPolicy,
    progress: WaitProgress,
    now: float,
    *,
    error: str,
    retry_after: float | None = None,
) -> PollAgain | TimedOut:
    """What to do after a poll failed for a passing reason (`error` says which).

    Poll again after the current interval (growing as for a pending poll), or
    after `retry_after` seconds when the vendor asked for longer; at the
    deadline, time out naming `error`. Only transient failures belong here:
    a 401, 403 or 404 ends a wait at once, whatever its deadline.
    """
    failed = progress.model_copy(
        update={
            "polls": progress.polls + 1,
            "failed_polls": progress.failed_polls + 1,
            "last_error": error,
            "interval": min(progress.interval * policy.backoff, policy.max_poll_interval),
        }
    )
    deadline = progress.deadline
    if deadline is not None and now >= deadline:
        return TimedOut(f"deadline {_iso(deadline)} passed" + _seen(failed))
    after = max(progress.interval, retry_after or 0.0)
    if deadline is not None:
        if now + after > deadline and retry_after is not None and retry_after > progress.interval:
            return TimedOut(
                f"the vendor asked to wait {retry_after:.0f} s, past the deadline "
                f"{_iso(deadline)}" + _seen(failed)
            )
        after = min(after, max(deadline - now, 0.0))
    return PollAgain(after=after, progress=failed)


def _seen(progress: WaitProgress) -> str:
    if not progress.failed_polls:
        return ""
    return f"; {progress.failed_polls} poll(s) failed, the last with: {progress.last_error}"


@dataclass(frozen=True, slots=True)
class Probe(Generic[T]):
    """One cheap observation for a wait: what `decide` needs, and how to build the result.

    A poll parses only the few fields its decision reads; the full result (the
    vendor object validated and redacted) is built once, by `build`, for the
    observation that ends the wait.

    Attributes:
        observed: the normalized status.
        state: the backend-neutral state's name, for messages ("running", "pending", ...).
        reason: why, when the backend says.
        resume_at: the vendor's promised restart time (epoch seconds) of a rescheduled sync.
        build: the full result (e.g. a `SyncOutcome` with its redacted `raw`).
        age: seconds the answer is older than the poll, when a listing shared with
            other waits read it earlier (0: the poll read it itself, just now).
    """

    observed: Observed
    state: str
    reason: str | None
    resume_at: float | None
    build: Callable[[], T] = field(repr=False)
    age: float = 0.0


def poll_probes(
    observe: Callable[[float], Flow[Probe[T]]],
    policy: WaitPolicy,
    progress: WaitProgress | None,
    *,
    what: str,
    error_for: Callable[[WaitEnd, Probe[T] | None], Exception],
) -> Flow[T]:
    """A flow that polls `observe(max_age)` until `decide` says the awaited state was reached.

    `max_age` (seconds) is how old a shared listing may be and still answer the
    poll (half the coming interval, see `conn_shared.coalesce`); a probe read
    earlier than the poll shortens the next sleep by its age, so consecutive
    observations stay at most one interval apart, as with a poll of its own.
    Returns the last probe's `build()`. `error_for` builds the exception for
    every other ending (failed, timed out, paused, rescheduled), given the last
    probe (None if no poll ever answered). Transient poll failures
    (`TRANSIENT_POLL_ERRORS`) are logged, counted in the progress and polled
    through until the deadline; any other error ends the wait at once. Pass
    the `progress` of an earlier attempt to keep its deadline.
    """
    if progress is None:
        progress = WaitProgress.start(policy, (yield NOW))
    max_age = progress.interval / 2
    last: Probe[T] | None = None
    while True:
        try:
            probe = yield from observe(max_age)
        except TRANSIENT_POLL_ERRORS as exc:
            retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
            failure = decide_after_failure(
                policy, progress, (yield NOW), error=_describe(exc), retry_after=retry_after
            )
            if isinstance(failure, TimedOut):
                raise error_for(failure, last) from exc
            progress = failure.progress
            logger.warning(
                "waiting for %s: poll failed (%s); polling again in %.0f s (%d failed so far)",
                what,
                progress.last_error,
                failure.after,
                progress.failed_polls,
            )
            max_age = failure.after / 2
            yield Sleep(failure.after)
            continue
        last = probe
        now = yield NOW
        decision = decide(
            policy, progress, probe.observed, now, reason=probe.reason, resume_at=probe.resume_at
        )
        if isinstance(decision, PollAgain):
            progress = decision.progress
            max_age = decision.after / 2
            yield Sleep(max(decision.after - probe.age, 0.0))
            continue
        if isinstance(decision, Finished) and decision.succeeded:
            return probe.build()
        raise error_for(decision, probe)


def poll_until(
    observe: Callable[[], Flow[T]],
    classify: Callable[[T], tuple[Observed, str | None, float | None]],
    policy: WaitPolicy,
    progress: WaitProgress | None,
    *,
    what: str,
    error_for: Callable[[WaitEnd, T | None], Exception],
) -> Flow[T]:
    """A flow that polls `observe` until `decide` says the awaited state was reached.

    `classify` turns an observation into (observed, reason, vendor resume time);
    `error_for` builds the exception for every other ending (failed, timed out,
    paused, rescheduled), given the last observation (None if no poll ever
    answered). Transient poll failures (`TRANSIENT_POLL_ERRORS`) are logged,
    counted in the progress and polled through until the deadline; any other
    error ends the wait at once. Pass the `progress` of an earlier attempt to
    keep its deadline. `poll_probes` is the same loop over cheap probes.
    """

    def probed(max_age: float) -> Flow[Probe[T]]:
        observation = yield from observe()
        observed, reason, resume_at = classify(observation)
        return Probe(observed, observed.value, reason, resume_at, build=lambda: observation)

    def error_of(end: WaitEnd, last: Probe[T] | None) -> Exception:
        return error_for(end, None if last is None else last.build())

    return poll_probes(probed, policy, progress, what=what, error_for=error_of)


def _describe(exc: ConnError) -> str:
    status = f" {exc.status}" if exc.status is not None else ""
    return f"{type(exc).__name__}{status}: {exc.message}"
