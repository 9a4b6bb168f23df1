"""The Faraday v1 simulator: connections and datasets, mounted under `/faraday`.

Clients use the base URL `http://HOST:PORT/faraday/v1`. Errors use Faraday's body
`{error, id, note, validationErrors?}`; a build (`new -> starting -> running ->
ready | error`) runs on the simulator clock after every create, configuration
change, credential rotation and `force_update`. See docs/simulator-faraday-hub.md.
"""

import secrets
import uuid
from collections.abc import Callable, Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from conn_shared.sim.clock import SimClock
from conn_shared.sim.faraday_datasets import FaradayStore
from conn_shared.sim.faraday_http import (
    NAME_PATTERN,
    FaradayApiError,
    archive_config,
    authenticate,
    bearer_token,
    blank,
    error_json,
    ids_filter,
    invalid,
    merge_patch,
    read_body,
)
from conn_shared.sim.faraday_options import CONNECTION_OPTIONS, check_fields, check_options
from conn_shared.sim.faraday_records import Build, FaradayConnection, find_failure
from conn_shared.sim.routing import Handler, routes_from_table

__all__ = ["FaradaySim"]

_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "INVALID_AUTHORIZATION",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
}
# Faraday generates these public keys itself; rotate_credentials replaces them.
_ROTATION_TYPES = {"snowflake": "rsa_public_key", "clickhouse": "ssh_public_key"}


class FaradaySim(FaradayStore):
    """Faraday's connections and datasets, in memory, on a `SimClock`.

    `api_keys` are accepted, `expired_keys` answer 401 EXPIRED_API_KEY. A build
    takes `build_seconds` of simulated time (10% `new`, 10% `starting`, the rest
    `running`); it ends in `error` when any string option other than `type`
    contains "fail", otherwise in `ready`.
    """

    name = "faraday"

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

    # -- SimBackend -----------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """Faraday's paths under `/v1`, relative to the mount."""
        c, d = "/v1/connections", "/v1/datasets"
        table: list[tuple[str, str, Handler]] = [
            (c, "GET", self._list_connections),
            (c, "POST", self._create_connection),
            (c + "/{connection_id}", "GET", self._get_connection),
            (c + "/{connection_id}", "PATCH", self._update_connection),
            (c + "/{connection_id}", "DELETE", self._delete_connection),
            (c + "/{connection_id}/datasets", "GET", self._connection_datasets),
            (c + "/{connection_id}/targets", "GET", self._connection_targets),
            (c + "/{connection_id}/force_update", "POST", self._force_connection),
            (c + "/{connection_id}/archive", "POST", self._archive_connection),
            (c + "/{connection_id}/unarchive", "POST", self._unarchive_connection),
            (c + "/{connection_id}/rotate_credentials", "POST", self._rotate_credentials),
            (d, "GET", self._list_datasets),
            (d, "POST", self._create_dataset),
            (d + "/{dataset_id}", "GET", self._get_dataset),
            (d + "/{dataset_id}", "PATCH", self._update_dataset),
            (d + "/{dataset_id}", "DELETE", self._delete_dataset),
            (d + "/{dataset_id}/force_update", "POST", self._force_dataset),
            (d + "/{dataset_id}/archive", "POST", self._archive_dataset),
            (d + "/{dataset_id}/unarchive", "POST", self._unarchive_dataset),
        ]
        return routes_from_table(
            table,
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

    # -- connections ----------------------------------------------------------------------

    @staticmethod
    def _connection_decider(options: dict[str, Any]) -> Callable[[float], str | None]:
        failure = find_failure(options)
        return lambda _at: failure

    async def _list_connections(self, request: Request) -> Response:
        ids = ids_filter(request)
        with self._lock:
            now = self._now()
            found = [
                c.to_json(now) for c in self.connections.values() if ids is None or c.id in ids
            ]
        return JSONResponse(found)

    async def _create_connection(self, request: Request) -> Response:
        body = await read_body(request)
        table = {"name": (True, "string"), "options": (True, "object")}
        problems = check_fields(body, table, "")
        if "name" in body and isinstance(body["name"], str) and blank(body["name"]):
            problems.append(NAME_PATTERN)
        if isinstance(body.get("options"), dict):
            problems += check_options(body["options"], CONNECTION_OPTIONS)
        if problems:
            raise invalid(problems)
        now = self._now()
        options = dict(body["options"])
        connection = FaradayConnection(
            id=str(uuid.uuid4()),
            name=body["name"],
            options=options,
            created_at=now,
            updated_at=now,
            last_config_at=now,
            build=Build(now, self.build_seconds, self._connection_decider(options)),
        )
        generated = _ROTATION_TYPES.get(options["type"])
        if generated:
            connection.generated[generated] = _fake_public_key()
        with self._lock:
            self.connections[connection.id] = connection
            return JSONResponse(connection.to_json(now), status_code=201)

    async def _get_connection(self, request: Request) -> Response:
        with self._lock:
            return JSONResponse(self._connection(request).to_json(self._now()))

    async def _update_connection(self, request: Request) -> Response:
        with self._lock:
            connection = self._connection(request)
        body = await read_body(request, patch=True)
        problems = check_fields(body, {"name": (False, "string"), "options": (False, "object")}, "")
        if "name" in body and isinstance(body["name"], str) and blank(body["name"]):
            problems.append(NAME_PATTERN)
        patch_options = body.get("options")
        if isinstance(patch_options, dict):
            if "type" not in patch_options:
                problems.append(("/options/type", "must have required property 'type'", "required"))
            elif patch_options["type"] != connection.options["type"]:
                problems.append(
                    ("/options/type", "must equal the connection's current type", "const")
                )
        if problems:
            raise invalid(problems)
        with self._lock:
            merged = connection.options
            if isinstance(patch_options, dict):
                merged = merge_patch(connection.options, patch_options)
                merged_problems = check_options(merged, CONNECTION_OPTIONS)
                if merged_problems:
                    raise invalid(merged_problems)
            if "name" in body:
                connection.name = body["name"]
            connection.options = merged
            self._start_build(connection, self._connection_decider(merged), config_changed=True)
            return JSONResponse(connection.to_json(self._now()))

    async def _delete_connection(self, request: Request) -> Response:
        with self._lock:
            connection = self._connection(request)
            users = self._users_of(connection)
            if users:
                named = ", ".join(f"{d.name} ({d.id})" for d in users)
                raise FaradayApiError(
                    409,
                    "CONFLICT",
                    f"Connection {connection.id} is used by datasets: {named}. "
                    "Delete those datasets first.",
                )
            del self.connections[connection.id]
        return Response(status_code=204)

    async def _connection_datasets(self, request: Request) -> Response:
        with self._lock:
            connection = self._connection(request)
            now = self._now()
            return JSONResponse([d.to_json(now) for d in self._users_of(connection)])

    async def _connection_targets(self, request: Request) -> Response:
        # Targets are not simulated: a connection never has any.
        with self._lock:
            self._connection(request)
        return JSONResponse([])

    async def _force_connection(self, request: Request) -> Response:
        with self._lock:
            connection = self._connection(request)
            self._refuse_archived(connection, "connection")
            decide = self._connection_decider(connection.options)
            self._start_build(connection, decide, config_changed=False)
        return Response(status_code=202)

    async def _rotate_credentials(self, request: Request) -> Response:
        with self._lock:
            connection = self._connection(request)
        body = await read_body(request)
        kind = body.get("type")
        if kind not in _ROTATION_TYPES:
            raise invalid([("/type", "must be equal to one of the allowed values", "enum")])
        if kind != connection.options["type"]:
            raise invalid([("/type", "must equal the connection's type", "const")])
        with self._lock:
            connection.generated[_ROTATION_TYPES[kind]] = _fake_public_key()
            decide = self._connection_decider(connection.options)
            self._start_build(connection, decide, config_changed=True)
            return JSONResponse(connection.to_json(self._now()))

    async def _archive_connection(self, request: Request) -> Response:
        with self._lock:
            connection = self._connection(request)
        cascade_to, cascade_all = archive_config(await read_body(request))
        with self._lock:
            live = [d for d in self._users_of(connection) if d.archived_at is None]
            blocked = [d for d in live if not cascade_all and d.id not in cascade_to]
            if blocked:
                named = ", ".join(f"{d.name} ({d.id})" for d in blocked)
                raise FaradayApiError(
                    409,
                    "CONFLICT",
                    f"Archiving connection {connection.id} would archive datasets: {named}. "
                    "Pass cascade_to_all or list them in cascade_to.",
                )
            now = self._now()
            for resource in [connection, *live]:
                resource.archived_at = now
                resource.updated_at = now
        return Response(status_code=204)

    async def _unarchive_connection(self, request: Request) -> Response:
        with self._lock:
            connection = self._connection(request)
        archive_config(await read_body(request))
        with self._lock:
            connection.archived_at = None
            connection.updated_at = self._now()
        return Response(status_code=204)


def _fake_public_key() -> str:
    """A fresh, obviously fake public key for the types whose keys Faraday generates."""
    return "ssh-ed25519 SIM" + secrets.token_urlsafe(24)
