"""When to retry a request, and how long to wait first: pure decisions, no I/O.

The attempt loop in `http.py` asks `RetryPolicy.delay_before_retry` after every
failed attempt and the executors do the sleeping, so one policy serves the sync
and the async client, and tests drive it with plain values.

What is safe to retry:
- a request that never left this machine (connect error, connect or pool timeout): always;
- 429: always, the vendor refused it; we wait as long as it asks (Retry-After or
  the rate-limit reset header);
- 502/503/504 (and 500 when `retry_500`), read timeouts, dropped connections and
  truncated bodies: only for idempotent calls. A POST that may have been applied
  is never sent twice by the transport; the lifecycle's `ensure` recovers a lost
  create by looking the connection up instead.

No retry library is used: the policy needs the vendor's Retry-After, the
idempotency of each call, an overall deadline and a sans-I/O shape so that one
decision function serves both executors. stamina and tenacity wrap a callable
(one sync and one async wrapper, I/O inside), and httpx-retries is a transport
that cannot see per-call idempotency or our deadline. The base dependencies stay
httpx and pydantic only.
"""

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from enum import Enum

__all__ = [
    "FailureKind",
    "RetryPolicy",
    "exhausted_quota_wait",
    "parse_retry_after",
    "rate_limit_wait",
]


class FailureKind(str, Enum):
    """How an attempt failed when there was no HTTP status to judge by."""

    NOT_SENT = "not_sent"  # connect error, connect/pool timeout: the vendor saw nothing
    MAYBE_APPLIED = "maybe_applied"  # read timeout, dropped connection, truncated body


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry settings for one call, including its retries.

    Attributes:
        max_attempts: attempts in all, the first included (1 disables retries).
        backoff_initial: seconds before the first retry, before jitter.
        backoff_multiplier: growth of the wait from one retry to the next.
        backoff_max: cap on one exponential wait, in seconds.
        jitter: each exponential wait is drawn from [wait * (1 - jitter), wait].
        retry_statuses: 5xx statuses retried on idempotent calls.
        retry_500: also retry 500 on idempotent calls (off: a 500 is often a bug, not a blip).
        deadline: seconds a call may take in all, waits included; None for no limit.
        max_retry_after: a Retry-After longer than this is not waited for; the
            RateLimitedError is raised so the orchestrator can reschedule instead.
    """

    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_multiplier: float = 2.0
    backoff_max: float = 30.0
    jitter: float = 0.5
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({502, 503, 504}))
    retry_500: bool = False
    deadline: float | None = 300.0
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be within [0, 1], got {self.jitter}")
        if self.backoff_initial < 0 or self.backoff_max < 0:
            raise ValueError("backoff_initial and backoff_max must be >= 0")

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Exponential wait before retry `retry_number` (1-based), capped, with jitter."""
        base = min(
            self.backoff_max, self.backoff_initial * self.backoff_multiplier ** (retry_number - 1)
        )
        low = base * (1.0 - self.jitter)
        return (rng or random).uniform(low, base)

    def delay_before_retry(
        self,
        *,
        attempt: int,
        idempotent: bool,
        elapsed: float,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        failure: FailureKind | None = None,
        now: datetime | None = None,
        rng: random.Random | None = None,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now.

        `attempt` is the number of the attempt that just failed (1-based);
        `elapsed` is the time spent on this call so far.
        """
        if attempt >= self.max_attempts:
            return None
        if status == 429:
            wait = rate_limit_wait(headers or {}, now=now)
            if wait is None:
                wait = self.backoff(attempt, rng)
            elif wait > self.max_retry_after:
                return None
        elif status is not None:
            retryable = status in self.retry_statuses or (status == 500 and self.retry_500)
            if not (retryable and idempotent):
                return None
            wait = self.backoff(attempt, rng)
        elif failure is FailureKind.NOT_SENT or (
            failure is FailureKind.MAYBE_APPLIED and idempotent
        ):
            wait = self.backoff(attempt, rng)
        else:
            return None
        if self.deadline is not None and elapsed + wait > self.deadline:
            return None
        return wait


def parse_retry_after(value: str, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After value: delta-seconds or an HTTP-date. None if unreadable."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


_RESET_HEADERS = ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset")
# A reset value this large is an epoch timestamp, not a number of seconds.
_EPOCH_THRESHOLD = 1_000_000_000


def rate_limit_wait(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """How long the vendor asks us to wait: Retry-After first, then a rate-limit reset header."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "retry-after" in lowered:
        parsed = parse_retry_after(lowered["retry-after"], now=now)
        if parsed is not None:
            return parsed
    for name in _RESET_HEADERS:
        if name in lowered:
            try:
                reset = float(lowered[name])
            except ValueError:
                continue
            if reset >= _EPOCH_THRESHOLD:
                current = (now or datetime.now(timezone.utc)).timestamp()
                return max(0.0, reset - current)
            return max(0.0, reset)
    return None


def exhausted_quota_wait(
    headers: Mapping[str, str], *, now: datetime | None = None
) -> float | None:
    """After a success: the wait until the quota resets when the vendor says none is left."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("x-ratelimit-remaining", "ratelimit-remaining", "x-rate-limit-remaining"):
        if name in lowered:
            try:
                remaining = float(lowered[name])
            except ValueError:
                return None
            if remaining > 0:
                return None
            without_retry_after = {k: v for k, v in lowered.items() if k != "retry-after"}
            return rate_limit_wait(without_retry_after, now=now)
    return None
