"""Per-(backend, API key) token buckets for the simulator's rate limiting.

The buckets run on the real monotonic clock, not the SimClock: a client that
receives `Retry-After: 2` sleeps two real seconds before retrying, and advancing
simulated time to finish a sync must not refill anyone's request budget.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Decision", "RateLimit", "RateLimiter"]


@dataclass(frozen=True)
class RateLimit:
    """`rate` requests per second sustained, with bursts of up to `burst` requests."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"rate must be > 0, got {self.rate!r}")
        if self.burst < 1:
            raise ValueError(f"burst must be >= 1, got {self.burst!r}")

    def as_dict(self) -> dict[str, float]:
        """Plain JSON, for the admin API."""
        return {"rate": self.rate, "burst": self.burst}


@dataclass(frozen=True)
class Decision:
    """The outcome of taking one token: allowed or not, and the headers to send."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        """`X-RateLimit-*` headers (plus `Retry-After` when refused)."""
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class RateLimiter:
    """Token buckets keyed by (backend, key); `now` is injectable for tests."""

    def __init__(self, limit: RateLimit, *, now: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._now = now
        self._lock = threading.Lock()
        # (backend, key) -> (tokens, last refill time)
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, backend: str, key: str | None) -> Decision:
        """Take one token from the caller's bucket, refilling it for the time passed."""
        rate, burst = self.limit.rate, float(self.limit.burst)
        bucket_key = (backend, key or "")
        with self._lock:
            now = self._now()
            tokens, last = self._buckets.get(bucket_key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[bucket_key] = (tokens, now)
        missing = max(0.0, 1.0 - tokens)
        return Decision(
            allowed=allowed,
            limit=self.limit.burst,
            remaining=int(tokens),
            reset_seconds=math.ceil((burst - tokens) / rate),
            # Never 0: a client told "retry after 0" would spin.
            retry_after=max(1, math.ceil(missing / rate)),
        )

    def reset(self) -> None:
        """Refill every bucket (forget all callers)."""
        with self._lock:
            self._buckets.clear()
