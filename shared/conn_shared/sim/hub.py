"""The connections-hub simulator, mounted under `/hub` (client base URL `http://HOST:PORT/hub`).

Every endpoint of the hub's document under `/api/v1/connections`, with FastAPI's
error shapes and bearer-token auth. Credentials are write-only: responses carry
`hasCredentials` and `edit-settings` reports `{configured}` per secret field.
See docs/simulator-faraday-hub.md for statuses, outcome switches and choices.
"""

import uuid
from collections.abc import Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from conn_shared.sim.clock import SimClock
from conn_shared.sim.hub_browse import HubStore, user_id_of
from conn_shared.sim.hub_http import (
    HubError,
    Problem,
    bearer_token,
    check_string,
    enum_problem,
    error_json,
    parse_int,
    read_json,
    unprocessable,
)
from conn_shared.sim.hub_records import (
    PROVIDERS,
    SECRET_FIELDS,
    SORT_FIELDS,
    HubConnection,
    slugify,
    sort_key,
)
from conn_shared.sim.routing import Handler, routes_from_table

__all__ = ["HubSim"]

_VISIBILITY = ("private", "global")
_DIRECTIONS = ("asc", "desc")
_SORT_PARAMS = ("sort_by", "sort")
_DIRECTION_PARAMS = ("sort_order", "direction", "order")
_AUTH_HEADERS = {"WWW-Authenticate": "Bearer"}


class HubSim(HubStore):
    """The hub's connections, in memory, on a `SimClock`.

    `tokens` are accepted (each is its own user), `expired_tokens` answer 401.
    `verify_seconds` is how long a verification takes on the clock: 0 (the
    default) gives the verdict in the verify response itself; more returns
    `verifying` first. A verification fails when a credential value, or a string
    anywhere in `config`, contains "fail".
    """

    name = "hub"

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

    # -- SimBackend -------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """The hub's paths under `/api/v1/connections`, relative to the mount."""
        base = "/api/v1/connections"
        one = base + "/{connection_uuid}"
        table: list[tuple[str, str, Handler]] = [
            (base, "GET", self._list),
            (base, "POST", self._create),
            # Before "/{connection_uuid}/..." so a slug like "disable" is still a slug.
            (base + "/slug/{slug}", "GET", self._get_by_slug),
            (one, "GET", self._get_one),
            (one, "PATCH", self._update),
            (one, "DELETE", self._delete),
            (one + "/disable", "POST", self._disable),
            (one + "/reactivate", "POST", self._reactivate),
            (one + "/set-default", "POST", self._set_default),
            (one + "/verify", "POST", self._verify),
            (one + "/edit-settings", "GET", self._edit_settings),
            (one + "/files", "GET", self._list_files),
            (one + "/files/validate", "POST", self._validate_files),
            (one + "/schema/tables", "GET", self._list_tables),
            (one + "/schema/columns", "GET", self._list_columns),
            (one + "/schema/sample", "POST", self._sample),
            (one + "/schema/query", "POST", self._query),
        ]
        return routes_from_table(
            table,
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

    # -- plumbing ---------------------------------------------------------------------------

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

    def _json(self, connection: HubConnection, status: int = 200) -> Response:
        return JSONResponse(connection.to_json(), status_code=status)

    def _own(self, request: Request) -> HubConnection:
        """A connection the caller may change: any of theirs, not someone else's global one."""
        connection = self._get(request)
        if connection.created_by != self._user(request):
            raise HubError(403, "Only the creator of this connection can change it")
        return connection

    @staticmethod
    def _problems(body: dict[str, Any], *, create: bool) -> list[Problem]:
        problems: list[Problem] = []
        for name in ("name", "provider") if create else ():
            if body.get(name) is None:
                problems.append((("body", name), "Field required", "missing"))
        if body.get("name") is not None:
            problems += check_string(body["name"], ("body", "name"), min_length=1, max_length=255)
        provider = body.get("provider")
        if create and provider is not None and provider not in PROVIDERS:
            problems.append(enum_problem(("body", "provider"), PROVIDERS))
        if body.get("visibility") is not None and body["visibility"] not in _VISIBILITY:
            problems.append(enum_problem(("body", "visibility"), _VISIBILITY))
        config = body.get("config")
        if config is not None and not isinstance(config, dict):
            problems.append((("body", "config"), "Input should be a valid dictionary", "dict_type"))
        credentials = body.get("credentials")
        if credentials is not None:
            if not isinstance(credentials, dict):
                loc: tuple[str | int, ...] = ("body", "credentials")
                problems.append((loc, "Input should be a valid dictionary", "dict_type"))
            else:
                for key, value in credentials.items():
                    problems += check_string(value, ("body", "credentials", key))
        return problems

    # -- connections ------------------------------------------------------------------------

    async def _list(self, request: Request) -> Response:
        params = request.query_params
        problems: list[Problem] = []
        # The document does not name these two parameters; each common spelling works.
        sort_name = next((n for n in _SORT_PARAMS if n in params), "sort_by")
        sort_by = params.get(sort_name, "name")
        if sort_by not in SORT_FIELDS:
            problems.append(enum_problem(("query", sort_name), SORT_FIELDS))
        direction_name = next((n for n in _DIRECTION_PARAMS if n in params), "sort_order")
        direction = params.get(direction_name, "asc")
        if direction not in _DIRECTIONS:
            problems.append(enum_problem(("query", direction_name), _DIRECTIONS))
        limit, found = parse_int(params.get("limit"), ("query", "limit"), 50, low=1, high=1000)
        problems += found
        offset, found = parse_int(params.get("offset"), ("query", "offset"), 0, low=0)
        problems += found
        if problems:
            raise unprocessable(problems)
        search = params.get("search", "").strip().casefold()
        cursor = params.get("cursor")
        with self._lock:
            visible = [
                c
                for c in self._visible(request)
                if not search or search in c.name.casefold() or search in c.slug
            ]
            visible.sort(key=sort_key(sort_by), reverse=direction == "desc")
            if cursor is not None:
                # Cursor mode: the cursor is the id of the last connection already seen.
                offset = 0
                if cursor:
                    ids = [c.id for c in visible]
                    if cursor not in ids:
                        loc = ("query", "cursor")
                        raise unprocessable([(loc, "Unknown or expired cursor", "value_error")])
                    offset = ids.index(cursor) + 1
            page = visible[offset : offset + limit]
            users = sorted({u for c in page for u in (c.created_by, c.updated_by)})
            return JSONResponse(
                {
                    "connections": [c.to_json() for c in page],
                    "hasNext": offset + len(page) < len(visible),
                    "limit": limit,
                    "offset": offset,
                    "total": len(visible),
                    "users": {u: {"id": u, "name": f"Simulated user {u[4:10]}"} for u in users},
                }
            )

    async def _create(self, request: Request) -> Response:
        body = await read_json(request)
        problems = self._problems(body, create=True)
        if problems:
            raise unprocessable(problems)
        user = self._user(request)
        with self._lock:
            ident = str(uuid.uuid4())
            slug = slugify(body["name"]) or f"connection-{ident[:8]}"
            if any(c.slug == slug for c in self.connections.values()):
                raise HubError(409, f"A connection with slug '{slug}' already exists")
            now = self.clock.now()
            connection = HubConnection(
                id=ident,
                name=body["name"],
                slug=slug,
                provider=body["provider"],
                visibility=body.get("visibility") or "private",
                config=body.get("config") or {},
                credentials=body.get("credentials") or {},
                created_at=now,
                created_by=user,
                updated_at=now,
                updated_by=user,
            )
            self.connections[ident] = connection
            return self._json(connection, 201)

    async def _get_one(self, request: Request) -> Response:
        with self._lock:
            return self._json(self._get(request))

    async def _get_by_slug(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        with self._lock:
            for connection in self._visible(request):
                if connection.slug == slug:
                    return self._json(connection)
        raise HubError(404, "Connection not found")

    async def _update(self, request: Request) -> Response:
        body = await read_json(request)
        problems = self._problems(body, create=False)
        if problems:
            raise unprocessable(problems)
        with self._lock:
            connection = self._own(request)
            if body.get("name") is not None:
                connection.name = body["name"]
            if body.get("visibility") is not None:
                connection.visibility = body["visibility"]
            # config and credentials are replaced whole; either change voids the verdict.
            changed = False
            for name in ("config", "credentials"):
                if body.get(name) is not None:
                    setattr(connection, name, dict(body[name]))
                    changed = True
            if changed:
                connection.reset_verification()
            self._touch(request, connection)
            return self._json(connection)

    def _touch(self, request: Request, connection: HubConnection) -> None:
        connection.updated_at = self.clock.now()
        connection.updated_by = self._user(request)

    async def _delete(self, request: Request) -> Response:
        with self._lock:
            connection = self._own(request)
            del self.connections[connection.id]
        return Response(status_code=204)

    async def _disable(self, request: Request) -> Response:
        with self._lock:
            connection = self._get(request)
            if connection.status != "disabled":
                connection.status = "disabled"
                connection.verify_started_at = None
                connection.is_default = False
                self._touch(request, connection)
            return self._json(connection)

    async def _reactivate(self, request: Request) -> Response:
        with self._lock:
            connection = self._get(request)
            if connection.status == "disabled":
                connection.status = "needs_verification"
                self._touch(request, connection)
            return self._json(connection)

    async def _set_default(self, request: Request) -> Response:
        with self._lock:
            connection = self._get(request)
            if connection.status == "disabled":
                raise HubError(409, "Connection is disabled")
            for other in self.connections.values():
                if other.provider == connection.provider and other.is_default:
                    other.is_default = False
            connection.is_default = True
            self._touch(request, connection)
            return self._json(connection)

    async def _verify(self, request: Request) -> Response:
        with self._lock:
            connection = self._get(request)
            if connection.status == "disabled":
                raise HubError(409, "Connection is disabled")
            if connection.status != "verifying":
                self._touch(request, connection)
                connection.start_verification(self.clock.now(), self.verify_seconds)
            return self._json(connection)

    async def _edit_settings(self, request: Request) -> Response:
        with self._lock:
            connection = self._get(request)
            names = sorted(
                set(SECRET_FIELDS.get(connection.provider, ())) | set(connection.credentials)
            )
            secret_fields = {n: {"configured": bool(connection.credentials.get(n))} for n in names}
            return JSONResponse({"config": connection.config, "secretFields": secret_fields})
