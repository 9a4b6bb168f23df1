"""The simulator's core: the contract with each vendor, and the state every vendor shares.

The core owns what every vendor shares: mounting (`app.py`), the clock, per-key
rate limiting, fault injection, request counters and the admin API (`admin.py`),
all reachable from one `SimCore`. A vendor package (`fivetran/`, `faraday/`, `hub/`)
owns its routes, its state machines, its auth rules and its error format. The core
calls back into the vendor for the two things only the vendor knows: which API key
a request carries, and how that vendor words an error body.
"""

from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from conn_shared.sim.clock import SimClock
from conn_shared.sim.faults import FaultPlan
from conn_shared.sim.ratelimit import RateLimit, RateLimiter

__all__ = ["ADMIN_PREFIX", "UNMATCHED", "SimBackend", "SimCore"]

#: The reserved mount of the admin API.
ADMIN_PREFIX = "/_sim"
#: The route template counted for a request that matches no route.
UNMATCHED = "<unmatched>"


class SimBackend(Protocol):
    """One simulated vendor API, mounted by the core under `/{name}`.

    Implementations take `clock: SimClock` and keyword-only options (durations,
    API keys, outcome switches) in their constructor, read time only from the
    clock, and keep all state in memory.
    """

    #: Short name used in URLs, CLI flags and state dumps: "fivetran", "faraday" or "hub".
    name: str
    #: What a client's base URL adds after the mount `/{name}`: "/v1" for Faraday, else "".
    base_path: str

    def routes(self) -> list[BaseRoute]:
        """The vendor's routes, with paths relative to the mount prefix (e.g. "/v1/connections")."""
        ...

    def api_key_of(self, request: Request) -> str | None:
        """The key identity a request carries (for per-key rate limits), or None when absent.

        Only extracts; does not judge validity (routes authenticate and answer 401/403 themselves).
        """
        ...

    def error_response(
        self, status: int, message: str, *, headers: dict[str, str] | None = None
    ) -> Response:
        """An error in the vendor's own body format (used for injected faults and 429s)."""
        ...

    def dump(self) -> dict[str, Any]:
        """The whole state as plain JSON, for the admin API."""
        ...

    def reset(self) -> None:
        """Forget every resource (keys and settings stay)."""
        ...


class SimCore:
    """Everything the middleware and the admin API share: backends, clock, faults, counters."""

    def __init__(
        self,
        *,
        backends: Sequence[SimBackend],
        clock: SimClock,
        faults: FaultPlan | None,
        rate_limit: RateLimit | None,
        latency: float,
    ) -> None:
        names = [backend.name for backend in backends]
        if len(set(names)) != len(names):
            raise ValueError(f"backend names must be unique, got {names}")
        if ADMIN_PREFIX.strip("/") in names:
            raise ValueError(f"{ADMIN_PREFIX!r} is reserved for the admin API")
        if latency < 0:
            raise ValueError(f"latency must be >= 0, got {latency!r}")
        self.backends: dict[str, SimBackend] = {backend.name: backend for backend in backends}
        self.routes: dict[str, list[BaseRoute]] = {}
        self.clock = clock
        self.faults = faults if faults is not None else FaultPlan()
        self.initial_rate_limit = rate_limit
        self.limiter = RateLimiter(rate_limit) if rate_limit is not None else None
        self.latency = latency
        #: (backend, method, route template, status) -> count
        self.counts: Counter[tuple[str, str, str, int]] = Counter()

    def reset(self) -> None:
        """Forget resources, counters and faults; restore the starting rate limit, full.

        The clock keeps running: simulated time never goes back.
        """
        for backend in self.backends.values():
            backend.reset()
        self.counts.clear()
        self.faults = FaultPlan()
        self.set_rate_limit(self.initial_rate_limit)

    def set_rate_limit(self, rate_limit: RateLimit | None) -> None:
        """Replace (or switch off, with None) the rate limit."""
        self.limiter = RateLimiter(rate_limit) if rate_limit is not None else None

    def request_counts(self) -> list[dict[str, Any]]:
        """The counters as JSON rows, sorted for stable output."""
        return [
            {"backend": b, "method": m, "route": r, "status": s, "count": n}
            for (b, m, r, s), n in sorted(self.counts.items())
        ]

    def template_of(self, backend: str, scope: Scope) -> str:
        """The route template a request would reach, found without running it."""
        probe = {
            "type": "http",
            "path": scope["path"],
            "root_path": scope.get("root_path", "") + "/" + backend,
            "method": scope["method"],
        }
        for route in self.routes.get(backend, []):
            match, _ = route.matches(probe)
            if match is not Match.NONE:
                return str(getattr(route, "path", UNMATCHED))
        return UNMATCHED
