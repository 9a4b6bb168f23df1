"""`HubSim`: the connections-hub simulator, mounted under `/hub` (base URL `http://HOST:PORT/hub`).

Every endpoint of the hub's document under `/api/v1/connections`, with FastAPI's
error shapes and bearer-token auth. See docs/simulator-faraday-hub.md for statuses,
outcome switches and choices.
"""

from collections.abc import Collection

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from conn_shared.sim.clock import SimClock
from conn_shared.sim.hub.routes import ROUTES
from conn_shared.sim.hub.store import HubStore, user_id_of
from conn_shared.sim.hub.wire import HubError, bearer_token, error_json
from conn_shared.sim.routing import bind_table, routes_from_table

__all__ = ["HubSim"]

_AUTH_HEADERS = {"WWW-Authenticate": "Bearer"}


class HubSim(HubStore):
    """The hub's connections, in memory, on a `SimClock` (a `SimBackend`).

    `tokens` are accepted (each is its own user), `expired_tokens` answer 401.
    `verify_seconds` is how long a verification takes on the clock: 0 (the
    default) gives the verdict in the verify response itself; more returns
    `verifying` first. A verification fails when a credential value, or a string
    anywhere in `config`, contains "fail".
    """

    name = "hub"
    base_path = ""

    def __init__(
        self,
        clock: SimClock,
        *,
        tokens: Collection[str],
        expired_tokens: Collection[str] = (),
        verify_seconds: float = 0.0,
    ) -> None:
        super().__init__(clock, verify_seconds=verify_seconds)
        self.tokens = frozenset(tokens)
        self.expired_tokens = frozenset(expired_tokens)

    def routes(self) -> list[BaseRoute]:
        """The hub's paths under `/api/v1/connections`, relative to the mount (routes.py)."""
        return routes_from_table(
            bind_table(ROUTES, self),
            authenticate=self._authenticate,
            error_type=HubError,
            render_error=error_json,
        )

    def api_key_of(self, request: Request) -> str | None:
        """The bearer token, or None when there is none."""
        return bearer_token(request)

    def error_response(
        self, status: int, message: str, *, headers: dict[str, str] | None = None
    ) -> Response:
        """FastAPI's `{"detail": message}`."""
        return error_json(HubError(status, message, headers))

    def _authenticate(self, request: Request) -> None:
        if not request.headers.get("authorization", "").strip():
            raise HubError(401, "Not authenticated", _AUTH_HEADERS)
        token = bearer_token(request)
        if token is None:
            raise HubError(401, "Invalid authentication credentials", _AUTH_HEADERS)
        if token in self.expired_tokens:
            raise HubError(401, "Token has expired", _AUTH_HEADERS)
        if token not in self.tokens:
            raise HubError(401, "Invalid token", _AUTH_HEADERS)
        request.state.hub_user = user_id_of(token)
