"""The hub's state, its per-caller lookups, and the browsing endpoints.

Browsing is files (list, validate a selection) for file providers and tables
(list, columns, sample, query) for schema providers; other providers answer 400.
Every browse stamps the connection's `lastUsedAt`. `HubSim` (hub.py) adds
authentication, routing and the connection lifecycle on top of `HubStore`.
"""

import hashlib
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conn_shared.sim.clock import SimClock
from conn_shared.sim.hub_files import PageTokenError, list_folder, resolve, validate_selection
from conn_shared.sim.hub_http import (
    HubError,
    Problem,
    check_string,
    parse_bool,
    path_uuid,
    read_json,
    unprocessable,
)
from conn_shared.sim.hub_records import FILE_PROVIDERS, SCHEMA_PROVIDERS, HubConnection
from conn_shared.sim.hub_schema import Table, find_table, list_tables
from conn_shared.sim.hub_sql import SqlError, run_query

__all__ = ["QUERY_MAX_ROWS", "SAMPLE_MAX_ROWS", "HubStore", "user_id_of"]

SAMPLE_MAX_ROWS = 10
QUERY_MAX_ROWS = 20
SQL_MAX_LENGTH = 10_000


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
        self._lock = threading.RLock()
        self.connections: dict[str, HubConnection] = {}

    def dump(self) -> dict[str, Any]:
        """Every connection as the API shows it (credentials are never included)."""
        with self._lock:
            now = self.clock.now()
            for connection in self.connections.values():
                connection.settle(now)
            return {"connections": [c.to_json() for c in self.connections.values()]}

    def reset(self) -> None:
        """Forget every connection."""
        with self._lock:
            self.connections.clear()

    # -- lookups ---------------------------------------------------------------------------

    @staticmethod
    def _user(request: Request) -> str:
        user: str = request.state.hub_user
        return user

    def _visible(self, request: Request) -> list[HubConnection]:
        """What the caller may see: global connections and their own private ones."""
        user, now = self._user(request), self.clock.now()
        found = []
        for connection in self.connections.values():
            if connection.visibility == "global" or connection.created_by == user:
                connection.settle(now)
                found.append(connection)
        return found

    def _get(self, request: Request) -> HubConnection:
        """The connection the path names, or 404 (also for another user's private one)."""
        ident = path_uuid(request)
        connection = self.connections.get(ident)
        user = self._user(request)
        if connection is None or (
            connection.visibility == "private" and connection.created_by != user
        ):
            raise HubError(404, "Connection not found")
        connection.settle(self.clock.now())
        return connection

    def _browsable(self, request: Request, providers: frozenset[str], what: str) -> HubConnection:
        connection = self._get(request)
        if connection.provider not in providers:
            raise HubError(400, f"Provider '{connection.provider}' does not support {what}")
        if connection.status == "disabled":
            raise HubError(409, "Connection is disabled")
        connection.last_used_at = self.clock.now()
        return connection

    # -- files -----------------------------------------------------------------------------

    async def _list_files(self, request: Request) -> Response:
        with self._lock:
            self._browsable(request, FILE_PROVIDERS, "file browsing")
        folder = resolve(request.query_params.get("path", "/"))
        if folder is None:
            raise HubError(404, "Path not found")
        if not folder.is_folder:
            raise HubError(400, f"{folder.path} is a file, not a folder")
        try:
            page, token = list_folder(folder, request.query_params.get("page_token"))
        except PageTokenError as err:
            raise unprocessable([(("query", "page_token"), str(err), "value_error")]) from None
        return JSONResponse(
            {"path": folder.path, "items": [n.to_json() for n in page], "nextPageToken": token}
        )

    async def _validate_files(self, request: Request) -> Response:
        # As in FastAPI, the request is validated before the handler looks anything up.
        path_uuid(request)
        body = await read_json(request)
        items = body.get("selectedItems")
        loc: tuple[str | int, ...] = ("body", "selectedItems")
        if items is None:
            raise unprocessable([(loc, "Field required", "missing")])
        if not isinstance(items, list):
            raise unprocessable([(loc, "Input should be a valid list", "list_type")])
        problems: list[Problem] = []
        for index, item in enumerate(items):
            problems += check_string(item, (*loc, index))
        if not items:
            message = "List should have at least 1 item after validation, not 0"
            problems.append((loc, message, "too_short"))
        if problems:
            raise unprocessable(problems)
        with self._lock:
            self._browsable(request, FILE_PROVIDERS, "file browsing")
        return JSONResponse(validate_selection(items))

    # -- schema ----------------------------------------------------------------------------

    async def _list_tables(self, request: Request) -> Response:
        path_uuid(request)
        name = "include_system"
        raw = request.query_params.get(name, request.query_params.get("include_system_schemas"))
        include, problems = parse_bool(raw, ("query", name))
        if problems:
            raise unprocessable(problems)
        with self._lock:
            self._browsable(request, SCHEMA_PROVIDERS, "schema browsing")
        tables = list_tables(include_system=include)
        return JSONResponse({"tables": [t.to_json() for t in tables]})

    @staticmethod
    def _table_problems(schema: Any, table: Any, source: str) -> None:
        problems: list[Problem] = []
        for name, value in (("schema", schema), ("table", table)):
            if value is None:
                problems.append(((source, name), "Field required", "missing"))
            else:
                problems += check_string(value, (source, name), min_length=1)
        if problems:
            raise unprocessable(problems)

    @staticmethod
    def _table(schema: str, table: str) -> Table:
        found = find_table(schema, table)
        if found is None:
            raise HubError(404, f"Table {schema}.{table} not found")
        return found

    async def _list_columns(self, request: Request) -> Response:
        path_uuid(request)
        params = request.query_params
        self._table_problems(params.get("schema"), params.get("table"), "query")
        with self._lock:
            self._browsable(request, SCHEMA_PROVIDERS, "schema browsing")
        table = self._table(params["schema"], params["table"])
        return JSONResponse(
            {
                "schema": table.schema,
                "table": table.name,
                "columns": [c.to_json() for c in table.columns],
            }
        )

    async def _sample(self, request: Request) -> Response:
        path_uuid(request)
        body = await read_json(request)
        self._table_problems(body.get("schema"), body.get("table"), "body")
        with self._lock:
            self._browsable(request, SCHEMA_PROVIDERS, "schema browsing")
        table = self._table(body["schema"], body["table"])
        rows = [dict(row) for row in table.rows[:SAMPLE_MAX_ROWS]]
        return JSONResponse(
            {
                "schema": table.schema,
                "table": table.name,
                "columns": [c.to_json() for c in table.columns],
                "rows": rows,
                "rowCount": len(rows),
                "maxRows": SAMPLE_MAX_ROWS,
                "truncated": len(table.rows) > SAMPLE_MAX_ROWS,
            }
        )

    async def _query(self, request: Request) -> Response:
        path_uuid(request)
        body = await read_json(request)
        loc: tuple[str | int, ...] = ("body", "sql")
        sql = body.get("sql")
        if sql is None:
            raise unprocessable([(loc, "Field required", "missing")])
        problems = check_string(sql, loc, min_length=1, max_length=SQL_MAX_LENGTH)
        if problems:
            raise unprocessable(problems)
        with self._lock:
            self._browsable(request, SCHEMA_PROVIDERS, "schema browsing")
        try:
            result = run_query(sql)
        except SqlError as err:
            raise unprocessable([(loc, f"Value error, {err}", "value_error")]) from None
        rows = result.rows[:QUERY_MAX_ROWS]
        normalized = " ".join(sql.split()).rstrip(";").strip()
        return JSONResponse(
            {
                "columns": result.columns,
                "rows": rows,
                "rowCount": len(rows),
                "maxRows": QUERY_MAX_ROWS,
                "truncated": len(result.rows) > QUERY_MAX_ROWS,
                "queryHash": hashlib.sha256(normalized.encode()).hexdigest(),
                "tableRefs": [{"schema": t.schema, "table": t.name} for t in result.tables],
            }
        )
