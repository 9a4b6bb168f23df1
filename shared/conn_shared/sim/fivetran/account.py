"""The Fivetran account around connections: groups, their destinations, and users.

Peer packages discover connections through `GET /v1/groups`,
`GET /v1/groups/{groupId}/connections` (or the legacy `/connectors`) and the group's
destination, find a group by its name in that list (the definition has no name
filter), and test their connection with `GET /v1/users`.

A group is created by `POST /v1/groups` with a name (its id is generated, as in
Fivetran), or appears with the first connection created in it, named after its id.
Its destination has the group's id, as in Fivetran, and is a connected Snowflake
warehouse. The account has one user, `sim_user`, who owns the API key.
"""

from typing import Any

from starlette.requests import Request

from conn_shared.sim.fivetran.connections import connections_page
from conn_shared.sim.fivetran.records import SIM_USER_ID, Group
from conn_shared.sim.fivetran.store import FivetranStore
from conn_shared.sim.fivetran.wire import ApiError, object_body, ok, paginate

__all__ = [
    "create_group",
    "destination_details",
    "group_connections",
    "group_details",
    "list_destinations",
    "list_groups",
    "list_users",
    "modify_group",
    "user_details",
]


def _page(request: Request, items: list[Any]) -> dict[str, Any]:
    """One page of `items` (already in creation order), with `next_cursor` when more follow."""
    numbered = list(enumerate(items, start=1))
    page, cursor = paginate(request, numbered, lambda pair: pair[0])
    data: dict[str, Any] = {"items": [item for _, item in page]}
    if cursor is not None:
        data["next_cursor"] = cursor
    return data


def _group_name(store: FivetranStore, body: Any, renamed: Group | None = None) -> str:
    """The `name` of a create or update body: 400 when missing, 409 when another group has it."""
    name = object_body(body).get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "Field 'name' is required and must be a non-empty string")
    for group in store.groups.values():
        if group.name == name and group is not renamed:
            raise ApiError(409, f"Group with name '{name}' already exists")
    return name


async def list_groups(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/groups: one page of groups (`GroupResponse`) in creation order."""
    items = [group.to_json(store.clock.iso) for group in store.groups.values()]
    return ok(_page(request, items), "Groups retrieved successfully")


async def create_group(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST /v1/groups `{name}`: a new group with a generated id (201; 409: name taken)."""
    group = store.add_group(_group_name(store, body))
    return ok(group.to_json(store.clock.iso), "Group has been created", 201)


async def group_details(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/groups/{groupId}."""
    group = store.group(request.path_params["groupId"])
    return ok(group.to_json(store.clock.iso), "Group details retrieved successfully")


async def modify_group(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """PATCH /v1/groups/{groupId} `{name}`: rename the group (409: name taken)."""
    group = store.group(request.path_params["groupId"])
    group.name = _group_name(store, body, renamed=group)
    return ok(group.to_json(store.clock.iso), "Group has been updated")


async def group_connections(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/groups/{groupId}/connections: the group's connections, paginated."""
    group = store.group(request.path_params["groupId"])
    data = connections_page(store, request, group.id)
    return ok(data, "Group connections retrieved successfully")


def _destination(group: Group) -> dict[str, Any]:
    """The group's destination as `DestinationResponse`."""
    return {
        "id": group.id,
        "group_id": group.id,
        "service": "snowflake",
        "region": "GCP_US_EAST4",
        "time_zone_offset": "0",
        "setup_status": "connected",
        "daylight_saving_time_enabled": False,
        "networking_method": "Directly",
    }


async def list_destinations(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/destinations: one destination per group, in the groups' creation order."""
    items = [_destination(group) for group in store.groups.values()]
    return ok(_page(request, items), "Destinations list retrieved successfully")


async def destination_details(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/destinations/{destinationId}: the group's (simulated) warehouse."""
    group = store.group(request.path_params["destinationId"])
    data = {
        **_destination(group),
        "setup_tests": [],
        "config": {"host": "sim.snowflakecomputing.com", "database": "SIM", "user": "FIVETRAN"},
    }
    return ok(data, "Destination details retrieved successfully")


async def list_users(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/users: the account's users (`UserResponse`); `active=true|false` filters."""
    raw = request.query_params.get("active")
    if raw is not None and raw not in ("true", "false"):
        raise ApiError(400, f"Invalid value for 'active': {raw!r}; expected true or false")
    user = store.user()
    items = [user] if raw is None or (raw == "true") == user["active"] else []
    return ok(_page(request, items), "Users list retrieved successfully")


async def user_details(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/users/{userId}: the account's one user; any other id is 404."""
    user_id = request.path_params["userId"]
    if user_id != SIM_USER_ID:
        raise ApiError(404, f"User with id '{user_id}' not found")
    return ok(store.user(), "User details retrieved successfully")
