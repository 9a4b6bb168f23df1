"""The hub's connection endpoints: list, create, read (by id or slug), update, delete,
disable, reactivate, set-default, verify and edit-settings.

Credentials are write-only: responses carry `hasCredentials`, and `edit-settings`
reports `{configured}` per secret field.
"""

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conn_shared.sim.hub.records import (
    PROVIDERS,
    SECRET_FIELDS,
    SORT_FIELDS,
    HubConnection,
    slugify,
    sort_key,
)
from conn_shared.sim.hub.store import HubStore
from conn_shared.sim.hub.wire import (
    HubError,
    Problem,
    check_string,
    enum_problem,
    parse_int,
    read_json,
    unprocessable,
)

__all__ = [
    "create_connection",
    "delete_connection",
    "disable_connection",
    "edit_settings",
    "get_connection",
    "get_connection_by_slug",
    "list_connections",
    "reactivate_connection",
    "set_default_connection",
    "update_connection",
    "verify_connection",
]

_VISIBILITY = ("private", "global")
_DIRECTIONS = ("asc", "desc")
_SORT_PARAMS = ("sort_by", "sort")
_DIRECTION_PARAMS = ("sort_order", "direction", "order")


def _json(connection: HubConnection, status: int = 200) -> Response:
    return JSONResponse(connection.to_json(), status_code=status)


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


async def list_connections(store: HubStore, request: Request) -> Response:
    """GET /api/v1/connections: visible connections, searched, sorted, paged (offset or cursor)."""
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
    with store.lock:
        visible = [
            c
            for c in store.visible(request)
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


async def create_connection(store: HubStore, request: Request) -> Response:
    """POST /api/v1/connections: a new connection needing verification (201; 409: slug taken)."""
    body = await read_json(request)
    problems = _problems(body, create=True)
    if problems:
        raise unprocessable(problems)
    user = store.user(request)
    with store.lock:
        ident = str(uuid.uuid4())
        slug = slugify(body["name"]) or f"connection-{ident[:8]}"
        if any(c.slug == slug for c in store.connections.values()):
            raise HubError(409, f"A connection with slug '{slug}' already exists")
        now = store.clock.now()
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
        store.connections[ident] = connection
        return _json(connection, 201)


async def get_connection(store: HubStore, request: Request) -> Response:
    """GET /api/v1/connections/{connection_uuid}."""
    with store.lock:
        return _json(store.get(request))


async def get_connection_by_slug(store: HubStore, request: Request) -> Response:
    """GET /api/v1/connections/slug/{slug}."""
    slug = request.path_params["slug"]
    with store.lock:
        for connection in store.visible(request):
            if connection.slug == slug:
                return _json(connection)
    raise HubError(404, "Connection not found")


async def update_connection(store: HubStore, request: Request) -> Response:
    """PATCH /api/v1/connections/{connection_uuid}: the creator's changes.

    New config or credentials void the verification verdict.
    """
    body = await read_json(request)
    problems = _problems(body, create=False)
    if problems:
        raise unprocessable(problems)
    with store.lock:
        connection = store.own(request)
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
        store.touch(request, connection)
        return _json(connection)


async def delete_connection(store: HubStore, request: Request) -> Response:
    """DELETE /api/v1/connections/{connection_uuid} (creator only, 204)."""
    with store.lock:
        connection = store.own(request)
        del store.connections[connection.id]
    return Response(status_code=204)


async def disable_connection(store: HubStore, request: Request) -> Response:
    """POST .../disable: `disabled`, no longer the default."""
    with store.lock:
        connection = store.get(request)
        if connection.status != "disabled":
            connection.status = "disabled"
            connection.verify_started_at = None
            connection.is_default = False
            store.touch(request, connection)
        return _json(connection)


async def reactivate_connection(store: HubStore, request: Request) -> Response:
    """POST .../reactivate: a disabled connection needs verification again."""
    with store.lock:
        connection = store.get(request)
        if connection.status == "disabled":
            connection.status = "needs_verification"
            store.touch(request, connection)
        return _json(connection)


async def set_default_connection(store: HubStore, request: Request) -> Response:
    """POST .../set-default: the default of its provider (409 when disabled)."""
    with store.lock:
        connection = store.get(request)
        if connection.status == "disabled":
            raise HubError(409, "Connection is disabled")
        for other in store.connections.values():
            if other.provider == connection.provider and other.is_default:
                other.is_default = False
        connection.is_default = True
        store.touch(request, connection)
        return _json(connection)


async def verify_connection(store: HubStore, request: Request) -> Response:
    """POST .../verify: start a verification (409 when disabled)."""
    with store.lock:
        connection = store.get(request)
        if connection.status == "disabled":
            raise HubError(409, "Connection is disabled")
        if connection.status != "verifying":
            store.touch(request, connection)
            connection.start_verification(store.clock.now(), store.verify_seconds)
        return _json(connection)


async def edit_settings(store: HubStore, request: Request) -> Response:
    """GET .../edit-settings: the config and, per secret field, whether it is configured."""
    with store.lock:
        connection = store.get(request)
        names = sorted(
            set(SECRET_FIELDS.get(connection.provider, ())) | set(connection.credentials)
        )
        secret_fields = {n: {"configured": bool(connection.credentials.get(n))} for n in names}
        return JSONResponse({"config": connection.config, "secretFields": secret_fields})
