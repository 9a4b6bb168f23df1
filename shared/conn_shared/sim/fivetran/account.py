"""Fivetran groups and destinations, as far as connection tooling reads them.

Peer packages (dagster-fivetran) discover connections through `GET /v1/groups`,
`GET /v1/groups/{groupId}/connections` (or the legacy `/connectors`) and the group's
destination. A group exists once a connection was created in it; its destination has
the group's id, as in Fivetran, and is a connected Snowflake warehouse.
"""

from typing import Any

from starlette.requests import Request

from conn_shared.sim.fivetran.connections import connections_page
from conn_shared.sim.fivetran.store import FivetranStore
from conn_shared.sim.fivetran.wire import ApiError, paginate

__all__ = ["destination_details", "group_connections", "group_details", "list_groups"]


def _group(store: FivetranStore, group_id: str) -> dict[str, Any]:
    if group_id not in store.groups:
        raise ApiError(404, f"Group with id '{group_id}' not found")
    created = store.clock.iso(store.groups[group_id])
    return {"id": group_id, "name": group_id, "created_at": created}


async def list_groups(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/groups: one page of groups in creation order."""
    order = {gid: index for index, gid in enumerate(store.groups, start=1)}
    page, cursor = paginate(request, list(order), lambda gid: order[gid])
    data: dict[str, Any] = {"items": [_group(store, gid) for gid in page]}
    if cursor is not None:
        data["next_cursor"] = cursor
    return 200, {"code": "Success", "message": "Groups retrieved successfully", "data": data}


async def group_details(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/groups/{groupId}."""
    data = _group(store, request.path_params["groupId"])
    return 200, {"code": "Success", "message": "Group details retrieved successfully", "data": data}


async def group_connections(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/groups/{groupId}/connections: the group's connections, paginated."""
    group_id = request.path_params["groupId"]
    _group(store, group_id)
    data = connections_page(store, request, group_id)
    message = "Group connections retrieved successfully"
    return 200, {"code": "Success", "message": message, "data": data}


async def destination_details(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /v1/destinations/{destinationId}: the group's (simulated) warehouse."""
    group = _group(store, request.path_params["destinationId"])
    data = {
        "id": group["id"],
        "group_id": group["id"],
        "service": "snowflake",
        "region": "GCP_US_EAST4",
        "time_zone_offset": "0",
        "setup_status": "connected",
        "daylight_saving_time_enabled": False,
        "networking_method": "Directly",
        "setup_tests": [],
        "config": {"host": "store.snowflakecomputing.com", "database": "SIM", "user": "FIVETRAN"},
    }
    message = "Destination details retrieved successfully"
    return 200, {"code": "Success", "message": message, "data": data}
