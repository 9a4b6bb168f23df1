"""`FivetranSim`: the Fivetran REST API v1 simulator (connections), mounted at `/fivetran`.

Faithful to the official definition (shared/specs/fivetran) where it speaks, and to
real traffic where the two disagree (shared/specs/SOURCES.md): every body is the
`{code, message, data}` envelope, auth is HTTP Basic `key:secret`, errors are
`{"code": "NotFound", "message": "..."}`. The legacy `/v1/connectors/...` paths
are served too, because peer packages still call them.
"""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import (
    FIVETRAN_API_KEY,
    FIVETRAN_API_SECRET,
    FIVETRAN_EXPIRED_API_KEY,
)
from conn_shared.sim.fivetran.routes import ROUTES
from conn_shared.sim.fivetran.states import Timings
from conn_shared.sim.fivetran.store import FivetranStore
from conn_shared.sim.fivetran.wire import ApiError, basic_credentials, endpoint, error_json
from conn_shared.sim.routing import routes_from_table

__all__ = ["FivetranSim"]


class FivetranSim(FivetranStore):
    """Simulated Fivetran connections API (a `SimBackend`).

    `api_key`/`api_secret` are the accepted Basic credentials; `expired_keys` are keys
    answered with 401 "expired". Durations are simulated seconds: setup tests
    (`setup_test_seconds`, 0 = the results come back in the same response, as the real
    API does), incremental syncs (`sync_seconds`), historical syncs
    (`historical_sync_seconds`) and the wait of a `rescheduled` sync (`reschedule_seconds`).
    `seed` makes generated connection ids reproducible.
    """

    name = "fivetran"
    base_path = ""

    def __init__(
        self,
        clock: SimClock,
        *,
        api_key: str = FIVETRAN_API_KEY,
        api_secret: str = FIVETRAN_API_SECRET,
        expired_keys: tuple[str, ...] | list[str] = (FIVETRAN_EXPIRED_API_KEY,),
        setup_test_seconds: float = 0.0,
        sync_seconds: float = 30.0,
        historical_sync_seconds: float = 60.0,
        reschedule_seconds: float = 300.0,
        seed: int | None = None,
    ) -> None:
        timings = Timings(
            setup_test_seconds=setup_test_seconds,
            sync_seconds=sync_seconds,
            historical_sync_seconds=historical_sync_seconds,
            reschedule_seconds=reschedule_seconds,
        )
        super().__init__(clock, timings=timings, seed=seed)
        self.api_key = api_key
        self.api_secret = api_secret
        self.expired_keys = frozenset(expired_keys)

    def routes(self) -> list[BaseRoute]:
        """Every path in routes.py: connections, their legacy /v1/connectors aliases, groups."""
        table = [
            (path, method, endpoint(handler, self, versioned=versioned))
            for path, method, handler, versioned in ROUTES
        ]
        return routes_from_table(
            table, authenticate=self._authenticate, error_type=ApiError, render_error=error_json
        )

    def api_key_of(self, request: Request) -> str | None:
        """The API key from the Basic `Authorization` header, or None."""
        credentials = basic_credentials(request.headers.get("authorization"))
        return credentials[0] if credentials else None

    def error_response(
        self, status: int, message: str, *, headers: dict[str, str] | None = None
    ) -> Response:
        """`{"code": ..., "message": ...}` with the status's Fivetran error code."""
        return error_json(ApiError(status, message), headers)

    def _authenticate(self, request: Request) -> None:
        credentials = basic_credentials(request.headers.get("authorization"))
        if credentials is None:
            raise ApiError(401, "Missing or malformed Authorization header (expected Basic)")
        key, secret = credentials
        if key in self.expired_keys:
            raise ApiError(401, f"API key '{key}' has expired; generate a new key and secret")
        if key != self.api_key or secret != self.api_secret:
            raise ApiError(401, "Invalid API key or secret")
