"""Faraday's connection endpoints: list, create, read, update, delete, the datasets
and targets of a connection, force_update, (un)archive and credential rotation.
"""

import secrets
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conn_shared.sim.faraday.options import CONNECTION_OPTIONS, check_fields, check_options
from conn_shared.sim.faraday.records import FaradayConnection
from conn_shared.sim.faraday.states import Build
from conn_shared.sim.faraday.store import FaradayStore
from conn_shared.sim.faraday.wire import (
    NAME_PATTERN,
    FaradayApiError,
    archive_config,
    blank,
    ids_filter,
    invalid,
    merge_patch,
    read_body,
)

__all__ = [
    "archive_connection",
    "connection_datasets",
    "connection_targets",
    "create_connection",
    "delete_connection",
    "force_connection",
    "get_connection",
    "list_connections",
    "rotate_credentials",
    "unarchive_connection",
    "update_connection",
]

# Faraday generates these public keys itself; rotate_credentials replaces them.
_ROTATION_TYPES = {"snowflake": "rsa_public_key", "clickhouse": "ssh_public_key"}


async def list_connections(store: FaradayStore, request: Request) -> Response:
    """GET /connections: every connection, or those in the `ids` filter."""
    ids = ids_filter(request)
    with store.lock:
        now = store.now()
        found = [c.to_json(now) for c in store.connections.values() if ids is None or c.id in ids]
    return JSONResponse(found)


async def create_connection(store: FaradayStore, request: Request) -> Response:
    """POST /connections: validate, store and start the first build (201)."""
    body = await read_body(request)
    table = {"name": (True, "string"), "options": (True, "object")}
    problems = check_fields(body, table, "")
    if "name" in body and isinstance(body["name"], str) and blank(body["name"]):
        problems.append(NAME_PATTERN)
    if isinstance(body.get("options"), dict):
        problems += check_options(body["options"], CONNECTION_OPTIONS)
    if problems:
        raise invalid(problems)
    now = store.now()
    options = dict(body["options"])
    connection = FaradayConnection(
        id=str(uuid.uuid4()),
        name=body["name"],
        options=options,
        created_at=now,
        updated_at=now,
        last_config_at=now,
        build=Build(now, store.build_seconds, store.connection_decider(options)),
    )
    generated = _ROTATION_TYPES.get(options["type"])
    if generated:
        connection.generated[generated] = _fake_public_key()
    with store.lock:
        store.connections[connection.id] = connection
        return JSONResponse(connection.to_json(now), status_code=201)


async def get_connection(store: FaradayStore, request: Request) -> Response:
    """GET /connections/{connection_id}."""
    with store.lock:
        return JSONResponse(store.connection(request).to_json(store.now()))


async def update_connection(store: FaradayStore, request: Request) -> Response:
    """PATCH /connections/{connection_id} (a merge patch): a new build starts."""
    with store.lock:
        connection = store.connection(request)
    body = await read_body(request, patch=True)
    problems = check_fields(body, {"name": (False, "string"), "options": (False, "object")}, "")
    if "name" in body and isinstance(body["name"], str) and blank(body["name"]):
        problems.append(NAME_PATTERN)
    patch_options = body.get("options")
    if isinstance(patch_options, dict):
        if "type" not in patch_options:
            problems.append(("/options/type", "must have required property 'type'", "required"))
        elif patch_options["type"] != connection.options["type"]:
            problems.append(("/options/type", "must equal the connection's current type", "const"))
    if problems:
        raise invalid(problems)
    with store.lock:
        merged = connection.options
        if isinstance(patch_options, dict):
            merged = merge_patch(connection.options, patch_options)
            merged_problems = check_options(merged, CONNECTION_OPTIONS)
            if merged_problems:
                raise invalid(merged_problems)
        if "name" in body:
            connection.name = body["name"]
        connection.options = merged
        store.start_build(connection, store.connection_decider(merged), config_changed=True)
        return JSONResponse(connection.to_json(store.now()))


async def delete_connection(store: FaradayStore, request: Request) -> Response:
    """DELETE /connections/{connection_id}: 409 while datasets use it, else 204."""
    with store.lock:
        connection = store.connection(request)
        users = store.users_of(connection)
        if users:
            named = ", ".join(f"{d.name} ({d.id})" for d in users)
            raise FaradayApiError(
                409,
                "CONFLICT",
                f"Connection {connection.id} is used by datasets: {named}. "
                "Delete those datasets first.",
            )
        del store.connections[connection.id]
    return Response(status_code=204)


async def connection_datasets(store: FaradayStore, request: Request) -> Response:
    """GET /connections/{connection_id}/datasets: the datasets reading from it."""
    with store.lock:
        connection = store.connection(request)
        now = store.now()
        return JSONResponse([d.to_json(now) for d in store.users_of(connection)])


async def connection_targets(store: FaradayStore, request: Request) -> Response:
    """GET /connections/{connection_id}/targets: always empty (targets are not simulated)."""
    with store.lock:
        store.connection(request)
    return JSONResponse([])


async def force_connection(store: FaradayStore, request: Request) -> Response:
    """POST /connections/{connection_id}/force_update: a new build (202; 409 if archived)."""
    with store.lock:
        connection = store.connection(request)
        store.refuse_archived(connection, "connection")
        decide = store.connection_decider(connection.options)
        store.start_build(connection, decide, config_changed=False)
        connection.builds_requested += 1
    return Response(status_code=202)


async def rotate_credentials(store: FaradayStore, request: Request) -> Response:
    """POST /connections/{connection_id}/rotate_credentials: a new generated key, a new build."""
    with store.lock:
        connection = store.connection(request)
    body = await read_body(request)
    kind = body.get("type")
    if kind not in _ROTATION_TYPES:
        raise invalid([("/type", "must be equal to one of the allowed values", "enum")])
    if kind != connection.options["type"]:
        raise invalid([("/type", "must equal the connection's type", "const")])
    with store.lock:
        connection.generated[_ROTATION_TYPES[kind]] = _fake_public_key()
        decide = store.connection_decider(connection.options)
        store.start_build(connection, decide, config_changed=True)
        return JSONResponse(connection.to_json(store.now()))


async def archive_connection(store: FaradayStore, request: Request) -> Response:
    """POST /connections/{connection_id}/archive: 409 unless its live datasets may follow."""
    with store.lock:
        connection = store.connection(request)
    cascade_to, cascade_all = archive_config(await read_body(request))
    with store.lock:
        live = [d for d in store.users_of(connection) if d.archived_at is None]
        blocked = [d for d in live if not cascade_all and d.id not in cascade_to]
        if blocked:
            named = ", ".join(f"{d.name} ({d.id})" for d in blocked)
            raise FaradayApiError(
                409,
                "CONFLICT",
                f"Archiving connection {connection.id} would archive datasets: {named}. "
                "Pass cascade_to_all or list them in cascade_to.",
            )
        now = store.now()
        for resource in [connection, *live]:
            resource.archived_at = now
            resource.updated_at = now
    return Response(status_code=204)


async def unarchive_connection(store: FaradayStore, request: Request) -> Response:
    """POST /connections/{connection_id}/unarchive (204)."""
    with store.lock:
        connection = store.connection(request)
    archive_config(await read_body(request))
    with store.lock:
        connection.archived_at = None
        connection.updated_at = store.now()
    return Response(status_code=204)


def _fake_public_key() -> str:
    """A fresh, obviously fake public key for the types whose keys Faraday generates."""
    return "ssh-ed25519 SIM" + secrets.token_urlsafe(24)
