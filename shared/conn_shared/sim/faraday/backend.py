"""`FaradaySim`: the Faraday v1 simulator (connections and datasets), mounted under `/faraday`.

Clients use the base URL `http://HOST:PORT/faraday/v1`. Errors use Faraday's body
`{error, id, note, validationErrors?}`; a build (`new -> starting -> running ->
ready | error`) runs on the simulator clock after every create, configuration
change, credential rotation and `force_update`. See docs/simulator-faraday-hub.md.
"""

from collections.abc import Collection

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from conn_shared.sim.clock import SimClock
from conn_shared.sim.faraday.routes import ROUTES
from conn_shared.sim.faraday.store import FaradayStore
from conn_shared.sim.faraday.wire import FaradayApiError, authenticate, bearer_token, error_json
from conn_shared.sim.routing import bind_table, routes_from_table

__all__ = ["FaradaySim"]

_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "INVALID_AUTHORIZATION",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
}


class FaradaySim(FaradayStore):
    """Faraday's connections and datasets, in memory, on a `SimClock` (a `SimBackend`).

    `api_keys` are accepted, `expired_keys` answer 401 EXPIRED_API_KEY. A build
    takes `build_seconds` of simulated time (10% `new`, 10% `starting`, the rest
    `running`); it ends in `error` when any string option other than `type`
    contains "fail", otherwise in `ready`.
    """

    name = "faraday"
    base_path = "/v1"

    def __init__(
        self,
        clock: SimClock,
        *,
        api_keys: Collection[str],
        expired_keys: Collection[str] = (),
        build_seconds: float = 30.0,
    ) -> None:
        super().__init__(clock, build_seconds=build_seconds)
        self.api_keys = frozenset(api_keys)
        self.expired_keys = frozenset(expired_keys)

    def routes(self) -> list[BaseRoute]:
        """Faraday's paths under `/v1`, relative to the mount (the table in routes.py)."""
        return routes_from_table(
            bind_table(ROUTES, self),
            authenticate=lambda request: authenticate(request, self.api_keys, self.expired_keys),
            error_type=FaradayApiError,
            render_error=error_json,
        )

    def api_key_of(self, request: Request) -> str | None:
        """The bearer token, or None when there is none."""
        return bearer_token(request)

    def error_response(
        self, status: int, message: str, *, headers: dict[str, str] | None = None
    ) -> Response:
        """Faraday's error body; 5xx are INTERNAL_SERVER_ERROR, unlisted 4xx BAD_REQUEST."""
        code = "INTERNAL_SERVER_ERROR" if status >= 500 else _STATUS_CODES.get(status)
        return error_json(FaradayApiError(status, code or "BAD_REQUEST", message), headers)
