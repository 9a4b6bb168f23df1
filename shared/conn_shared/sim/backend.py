"""The contract between the simulator's core and each vendor module.

The core (`app.py`) owns what every vendor shares: mounting, the clock, per-key
rate limiting, fault injection, request counters and the admin API. A vendor
module owns its routes, its state machines, its auth rules and its error format.
The core calls back into the vendor for the two things only the vendor knows:
which API key a request carries, and how that vendor words an error body.
"""

from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

__all__ = ["SimBackend"]


class SimBackend(Protocol):
    """One simulated vendor API, mounted by the core under `/{name}`.

    Implementations take `clock: SimClock` and keyword-only options (durations,
    API keys, outcome switches) in their constructor, read time only from the
    clock, and keep all state in memory.
    """

    #: Short name used in URLs, CLI flags and state dumps: "fivetran", "faraday" or "hub".
    name: str

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
