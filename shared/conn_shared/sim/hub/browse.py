"""The hub's browsing endpoints: files (list, validate a selection) for file providers
and tables (list, columns, sample, query) for schema providers; other providers answer 400.

Every browse stamps the connection's `lastUsedAt`.
"""

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conn_shared.sim.hub.database import Table, find_table, list_tables
from conn_shared.sim.hub.files import PageTokenError, list_folder, resolve, validate_selection
from conn_shared.sim.hub.records import FILE_PROVIDERS, SCHEMA_PROVIDERS
from conn_shared.sim.hub.sql import SqlError, run_query
from conn_shared.sim.hub.store import HubStore
from conn_shared.sim.hub.wire import (
    HubError,
    Problem,
    check_string,
    parse_bool,
    path_uuid,
    read_json,
    unprocessable,
)

__all__ = [
    "QUERY_MAX_ROWS",
    "SAMPLE_MAX_ROWS",
    "list_files",
    "schema_columns",
    "schema_query",
    "schema_sample",
    "schema_tables",
    "validate_files",
]

SAMPLE_MAX_ROWS = 10
QUERY_MAX_ROWS = 20
SQL_MAX_LENGTH = 10_000


# -- files -----------------------------------------------------------------------------


async def list_files(store: HubStore, request: Request) -> Response:
    """GET /{id}/files?path=&page_token=: one page of a folder of the fake file tree."""
    with store.lock:
        store.browsable(request, FILE_PROVIDERS, "file browsing")
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


async def validate_files(store: HubStore, request: Request) -> Response:
    """POST /{id}/files/validate: check a selection (`selectedItems`) of the file tree."""
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
    with store.lock:
        store.browsable(request, FILE_PROVIDERS, "file browsing")
    return JSONResponse(validate_selection(items))


# -- schema ----------------------------------------------------------------------------


async def schema_tables(store: HubStore, request: Request) -> Response:
    """GET /{id}/schema/tables: the fake database's tables (system ones on request)."""
    path_uuid(request)
    name = "include_system"
    raw = request.query_params.get(name, request.query_params.get("include_system_schemas"))
    include, problems = parse_bool(raw, ("query", name))
    if problems:
        raise unprocessable(problems)
    with store.lock:
        store.browsable(request, SCHEMA_PROVIDERS, "schema browsing")
    tables = list_tables(include_system=include)
    return JSONResponse({"tables": [t.to_json() for t in tables]})


def _table_problems(schema: Any, table: Any, source: str) -> None:
    problems: list[Problem] = []
    for name, value in (("schema", schema), ("table", table)):
        if value is None:
            problems.append(((source, name), "Field required", "missing"))
        else:
            problems += check_string(value, (source, name), min_length=1)
    if problems:
        raise unprocessable(problems)


def _table(schema: str, table: str) -> Table:
    found = find_table(schema, table)
    if found is None:
        raise HubError(404, f"Table {schema}.{table} not found")
    return found


async def schema_columns(store: HubStore, request: Request) -> Response:
    """GET /{id}/schema/columns?schema=&table=: one table's columns."""
    path_uuid(request)
    params = request.query_params
    _table_problems(params.get("schema"), params.get("table"), "query")
    with store.lock:
        store.browsable(request, SCHEMA_PROVIDERS, "schema browsing")
    table = _table(params["schema"], params["table"])
    return JSONResponse(
        {
            "schema": table.schema,
            "table": table.name,
            "columns": [c.to_json() for c in table.columns],
        }
    )


async def schema_sample(store: HubStore, request: Request) -> Response:
    """POST /{id}/schema/sample: the first SAMPLE_MAX_ROWS rows of a table."""
    path_uuid(request)
    body = await read_json(request)
    _table_problems(body.get("schema"), body.get("table"), "body")
    with store.lock:
        store.browsable(request, SCHEMA_PROVIDERS, "schema browsing")
    table = _table(body["schema"], body["table"])
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


async def schema_query(store: HubStore, request: Request) -> Response:
    """POST /{id}/schema/query: run read-only SQL (sql.py), at most QUERY_MAX_ROWS rows."""
    path_uuid(request)
    body = await read_json(request)
    loc: tuple[str | int, ...] = ("body", "sql")
    sql = body.get("sql")
    if sql is None:
        raise unprocessable([(loc, "Field required", "missing")])
    problems = check_string(sql, loc, min_length=1, max_length=SQL_MAX_LENGTH)
    if problems:
        raise unprocessable(problems)
    with store.lock:
        store.browsable(request, SCHEMA_PROVIDERS, "schema browsing")
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
