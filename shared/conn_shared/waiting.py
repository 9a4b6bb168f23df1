"""The poll/deadline state machine behind every wait: pure, no I/O, no sleeping.

Callers observe a status (by polling the API), hand it to `decide`, and act on
the decision: finish, fail, or sleep `after` seconds and poll again. Sensors,
triggers, ops and the lifecycle flows all share it; everything it keeps is plain
JSON (`WaitPolicy`, `WaitProgress`) so a wait can move between processes.
"""

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Finished",
    "Observed",
    "PollAgain",
    "TimedOut",
    "WaitDecision",
    "WaitPolicy",
    "WaitProgress",
    "decide",
]


class WaitPolicy(BaseModel):
    """How often to poll and for how long.

    Attributes:
        poll_interval: seconds between the first polls.
        max_poll_interval: cap on the interval as it grows.
        backoff: factor the interval grows by after each poll (1.0 keeps it constant).
        timeout: seconds from the start of the wait to its deadline; None waits forever.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    poll_interval: float = Field(default=15.0, gt=0)
    max_poll_interval: float = Field(default=300.0, gt=0)
    backoff: float = Field(default=1.5, ge=1.0)
    timeout: float | None = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _interval_fits_cap(self) -> "WaitPolicy":
        if self.max_poll_interval < self.poll_interval:
            raise ValueError(
                f"max_poll_interval ({self.max_poll_interval}) must be >= "
                f"poll_interval ({self.poll_interval})"
            )
        return self


class WaitProgress(BaseModel):
    """Where a wait stands: when it started, its absolute deadline, polls so far."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    started_at: float
    deadline: float | None
    polls: int = 0
    interval: float

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


WaitDecision = Finished | PollAgain | TimedOut


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def decide(
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

    deadline = progress.deadline
    if deadline is not None and now >= deadline:
        return TimedOut(f"deadline {_iso(deadline)} passed while {observed.value}")

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
