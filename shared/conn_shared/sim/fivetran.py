"""The Fivetran REST API v1 simulator (connections), mounted at `/fivetran`.

Faithful to the official definition (shared/specs/fivetran) where it speaks, and to
real traffic where the two disagree (shared/specs/SOURCES.md): every body is the
`{code, message, data}` envelope, auth is HTTP Basic `key:secret`, errors are
`{"code": "NotFound", "message": "..."}`. The legacy `/v1/connectors/...` paths
are served too, because peer packages still call them.
"""

import base64
import binascii
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import (
    FIVETRAN_API_KEY,
    FIVETRAN_API_SECRET,
    FIVETRAN_EXPIRED_API_KEY,
)
from conn_shared.sim.fivetran_models import Connection, Timings

__all__ = ["ApiError", "FivetranSim"]

_ERROR_CODES = {
    400: "InvalidInput",
    401: "AuthFailed",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
}
_WORDS_A = (
    "amber", "brisk", "candid", "dapper", "eager", "fuzzy", "gentle", "hasty",
    "icy", "jolly", "keen", "lucky", "mellow", "nimble", "quiet", "rustic",
)  # fmt: skip
_WORDS_B = (
    "otter", "falcon", "maple", "harbor", "comet", "willow", "badger", "meadow",
    "tiger", "pebble", "lantern", "canyon", "heron", "orchid", "glacier", "sparrow",
)  # fmt: skip

Handler = Callable[["FivetranSim", Request, Any], Awaitable[tuple[int, dict[str, Any]]]]


class ApiError(Exception):
    """An error answer in Fivetran's format: raise it from a handler."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FivetranSim:
    """Simulated Fivetran connections API (a `SimBackend`).

    `api_key`/`api_secret` are the accepted Basic credentials; `expired_keys` are keys
    answered with 401 "expired". Durations are simulated seconds: setup tests
    (`setup_test_seconds`, 0 = the results come back in the same response, as the real
    API does), incremental syncs (`sync_seconds`), historical syncs
    (`historical_sync_seconds`) and the wait of a `rescheduled` sync (`reschedule_seconds`).
    `seed` makes generated connection ids reproducible.
    """

    name = "fivetran"

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
        self.clock = clock
        self.api_key = api_key
        self.api_secret = api_secret
        self.expired_keys = frozenset(expired_keys)
        self.timings = Timings(
            setup_test_seconds=setup_test_seconds,
            sync_seconds=sync_seconds,
            historical_sync_seconds=historical_sync_seconds,
            reschedule_seconds=reschedule_seconds,
        )
        self._seed = seed
        self._rng = random.Random(seed)
        self.connections: dict[str, Connection] = {}
        #: group id -> creation time; a group appears with its first connection.
        self.groups: dict[str, float] = {}
        self._seq = 0

    # -- SimBackend ------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """/v1/connections* routes, their legacy /v1/connectors* aliases, groups, destinations."""
        from conn_shared.sim.fivetran_groups import GROUP_ROUTES  # noqa: PLC0415 (they import us)
        from conn_shared.sim.fivetran_routes import ROUTES  # noqa: PLC0415 (routes import this module)

        out: list[BaseRoute] = []
        for prefix in ("/v1/connections", "/v1/connectors"):
            for suffix, method, handler, versioned in ROUTES:
                if suffix == "/{connectionId}/force" and prefix == "/v1/connections":
                    continue  # only the legacy API has /force
                out.append(
                    Route(
                        prefix + suffix,
                        self._endpoint(handler, versioned=versioned),
                        methods=[method],
                        name=f"{handler.__name__}:{prefix}",
                    )
                )
        for path, method, handler, versioned in GROUP_ROUTES:
            endpoint = self._endpoint(handler, versioned=versioned)
            out.append(Route(path, endpoint, methods=[method], name=handler.__name__))
        return out

    def api_key_of(self, request: Request) -> str | None:
        """The API key from the Basic `Authorization` header, or None."""
        credentials = _basic_credentials(request.headers.get("authorization"))
        return credentials[0] if credentials else None

    def error_response(
        self, status: int, message: str, *, headers: dict[str, str] | None = None
    ) -> Response:
        """`{"code": ..., "message": ...}` with the status's Fivetran error code."""
        code = _ERROR_CODES.get(status, "Error")
        return JSONResponse({"code": code, "message": message}, status, headers=headers)

    def dump(self) -> dict[str, Any]:
        """Every connection, brought up to date, plus its internal scheduling fields."""
        now = self.clock.now()
        out = {}
        for conn in self.connections.values():
            conn.catch_up(now)
            record = conn.to_json(self.clock.iso)
            record["sim"] = {
                "auth": conn.auth,
                "config": conn.config,
                "sync_started_at": conn.sync_started_at,
                "sync_ends_at": conn.sync_ends_at,
                "sync_fails": conn.sync_fails,
                "next_auto_at": conn.next_auto_at,
                "historical_pending": conn.historical_pending,
                "resync_tables": conn.resync_tables,
                "state": conn.state,
                "schema_config": conn.schema_config,
                "columns_to_drop": conn.columns_to_drop,
            }
            out[conn.id] = record
        groups = {gid: self.clock.iso(created) for gid, created in self.groups.items()}
        return {"connections": out, "groups": groups, "timings": self.timings.__dict__}

    def reset(self) -> None:
        """Forget every connection and group; ids start over (the same ones, given a seed)."""
        self._rng = random.Random(self._seed)
        self.connections.clear()
        self.groups.clear()
        self._seq = 0

    # -- helpers for the handlers ------------------------------------------------------

    def now(self) -> float:
        """The current simulated time."""
        return self.clock.now()

    def get(self, connection_id: str) -> Connection:
        """The connection, brought up to date, or a 404."""
        conn = self.connections.get(connection_id)
        if conn is None:
            raise ApiError(404, f"Connection with id '{connection_id}' doesn't exist")
        conn.catch_up(self.clock.now())
        return conn

    def new_id(self) -> str:
        """A fresh two-word id in Fivetran's style."""
        while True:
            candidate = f"{self._rng.choice(_WORDS_A)}_{self._rng.choice(_WORDS_B)}"
            if candidate in self.connections:
                candidate += f"_{self._rng.randrange(10_000)}"
            if candidate not in self.connections:
                return candidate

    def next_seq(self) -> int:
        """Creation order, used by the list cursor."""
        self._seq += 1
        return self._seq

    def _authenticate(self, request: Request) -> None:
        credentials = _basic_credentials(request.headers.get("authorization"))
        if credentials is None:
            raise ApiError(401, "Missing or malformed Authorization header (expected Basic)")
        key, secret = credentials
        if key in self.expired_keys:
            raise ApiError(401, f"API key '{key}' has expired; generate a new key and secret")
        if key != self.api_key or secret != self.api_secret:
            raise ApiError(401, "Invalid API key or secret")

    def _endpoint(self, handler: Handler, *, versioned: bool) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            try:
                self._authenticate(request)
                if versioned and not _acceptable(request.headers.get("accept")):
                    raise ApiError(406, "Not acceptable: use Accept: application/json;version=2")
                # GET and DELETE carry no body: skip reading it (the hot path of polling).
                body = None if request.method in ("GET", "DELETE") else await _json_body(request)
                status, payload = await handler(self, request, body)
            except ApiError as exc:
                return self.error_response(exc.status, exc.message)
            return JSONResponse(payload, status)

        return endpoint


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep and key else None


def _acceptable(accept: str | None) -> bool:
    """Whether an Accept header allows JSON in API version 1 or 2 (the spec asks for 2)."""
    if not accept:
        return True
    for media_range in accept.split(","):
        media, *params = (part.strip() for part in media_range.split(";"))
        if media.lower() not in ("*/*", "application/*", "application/json"):
            continue
        version = next((p.split("=", 1)[1] for p in params if p.startswith("version=")), None)
        if version in (None, "1", "2"):
            return True
    return False


async def _json_body(request: Request) -> Any:
    """The parsed JSON body, or None when there is none; 415/400 for the wrong kind."""
    raw = await request.body()
    if not raw:
        return None
    content_type = request.headers.get("content-type", "application/json")
    if not content_type.split(";")[0].strip().lower().endswith("json"):
        raise ApiError(415, f"Unsupported media type '{content_type}'; send application/json")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from exc
