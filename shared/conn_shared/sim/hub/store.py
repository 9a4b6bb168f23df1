"""The hub's state: every connection in memory, and lookups as the calling user sees them.

`HubStore` is what every hub endpoint reads and changes (one re-entrant lock guards
it); `HubSim` (backend.py) adds authentication and routing on top of it.
"""

import hashlib
import threading
from typing import Any

from starlette.requests import Request

from conn_shared.sim.clock import SimClock
from conn_shared.sim.hub.records import HubConnection
from conn_shared.sim.hub.wire import HubError, path_uuid

__all__ = ["HubStore", "user_id_of"]


def user_id_of(token: str) -> str:
    """The user a token belongs to: one user per token, with a stable id."""
    return "usr_" + hashlib.sha256(token.encode()).hexdigest()[:12]


class HubStore:
    """Connections in memory, looked up as the calling user may see them."""

    def __init__(self, clock: SimClock, *, verify_seconds: float) -> None:
        if verify_seconds < 0:
            raise ValueError(f"verify_seconds must be >= 0, got {verify_seconds!r}")
        self.clock = clock
        self.verify_seconds = verify_seconds
        self.lock = threading.RLock()
        self.connections: dict[str, HubConnection] = {}

    def dump(self) -> dict[str, Any]:
        """Every connection as the API shows it (credentials are never included)."""
        with self.lock:
            now = self.clock.now()
            for connection in self.connections.values():
                connection.settle(now)
            return {"connections": [c.to_json() for c in self.connections.values()]}

    def reset(self) -> None:
        """Forget every connection."""
        with self.lock:
            self.connections.clear()

    # -- lookups ---------------------------------------------------------------------------

    @staticmethod
    def user(request: Request) -> str:
        """The calling user (set by authentication)."""
        user: str = request.state.hub_user
        return user

    def visible(self, request: Request) -> list[HubConnection]:
        """What the caller may see: global connections and their own private ones."""
        user, now = self.user(request), self.clock.now()
        found = []
        for connection in self.connections.values():
            if connection.visibility == "global" or connection.created_by == user:
                connection.settle(now)
                found.append(connection)
        return found

    def get(self, request: Request) -> HubConnection:
        """The connection the path names, or 404 (also for another user's private one)."""
        ident = path_uuid(request)
        connection = self.connections.get(ident)
        user = self.user(request)
        if connection is None or (
            connection.visibility == "private" and connection.created_by != user
        ):
            raise HubError(404, "Connection not found")
        connection.settle(self.clock.now())
        return connection

    def browsable(self, request: Request, providers: frozenset[str], what: str) -> HubConnection:
        """A connection whose provider offers `what` (else 400), not disabled (else 409)."""
        connection = self.get(request)
        if connection.provider not in providers:
            raise HubError(400, f"Provider '{connection.provider}' does not support {what}")
        if connection.status == "disabled":
            raise HubError(409, "Connection is disabled")
        connection.last_used_at = self.clock.now()
        return connection

    def own(self, request: Request) -> HubConnection:
        """A connection the caller may change: any of theirs, not someone else's global one."""
        connection = self.get(request)
        if connection.created_by != self.user(request):
            raise HubError(403, "Only the creator of this connection can change it")
        return connection

    def touch(self, request: Request, connection: HubConnection) -> None:
        """Stamp `connection` as changed now by the caller."""
        connection.updated_at = self.clock.now()
        connection.updated_by = self.user(request)
