"""Fivetran schema config endpoints: the tree of schemas, tables and columns, and
marking blocked columns for deletion.

The tree is `{schema_change_handling, enable_new_by_default, schemas: {name: {enabled,
name_in_destination, tables: {name: {enabled, sync_mode, columns, ...}}}}}`; a table's
`columns` holds only the columns a user has set, as Fivetran's responses do. Every table
of the simulated source has the columns in `SOURCE_COLUMNS`. Changes are applied to a
copy and committed only when the whole request is valid.

As in Fivetran, a connection has no schema config until its schema is captured (its
setup tests pass, or `POST .../schemas/reload`): until then the tree's endpoints answer
404 `NotFound_SchemaConfig`, except `POST .../schemas`, which pre-creates settings that
capture applies to the source's tree. Reading the source (reload, the columns endpoint)
needs a connected connection: 409 otherwise (the definition names no status for it).
"""

import copy
from typing import Any

from starlette.requests import Request

from conn_shared.sim.fivetran.records import SOURCE_COLUMNS, Connection, table_entry
from conn_shared.sim.fivetran.store import FivetranStore
from conn_shared.sim.fivetran.wire import ApiError, object_body, ok

__all__ = [
    "drop_column",
    "drop_columns",
    "modify_column",
    "modify_schema",
    "modify_schemas",
    "modify_table",
    "precreate_schemas",
    "reload_schemas",
    "schemas_details",
    "table_columns",
]

_HANDLING = ("ALLOW_ALL", "ALLOW_COLUMNS", "BLOCK_ALL")
_SYNC_MODES = ("SOFT_DELETE", "HISTORY", "LIVE")
_EXCLUDE_MODES = ("PRESERVE", "EXCLUDE")


def _handling(body: dict[str, Any]) -> str | None:
    value = body.get("schema_change_handling")
    if value is not None and value not in _HANDLING:
        raise ApiError(400, f"Invalid schema_change_handling {value!r}; expected {_HANDLING}")
    return value


def _enabled(update: Any, what: str) -> dict[str, Any]:
    if not isinstance(update, dict) or not isinstance(update.get("enabled"), bool):
        raise ApiError(400, f"{what} needs an object with a boolean 'enabled'")
    return update


def _schema(tree: dict[str, Any], conn: Connection, name: str) -> dict[str, Any]:
    entry = tree["schemas"].get(name)
    if entry is None:
        raise ApiError(404, f"Schema '{name}' not found in connection '{conn.id}'")
    return dict(entry)


def _table(schema: dict[str, Any], schema_name: str, name: str) -> dict[str, Any]:
    table = schema["tables"].get(name)
    if table is None:
        raise ApiError(404, f"Table '{name}' not found in schema '{schema_name}'")
    return dict(table)


def _apply_schema(entry: dict[str, Any], name: str, update: Any, *, create: bool) -> None:
    update = _enabled(update, f"Schema '{name}'")
    tables = update.get("tables", {})
    if not isinstance(tables, dict):
        raise ApiError(400, f"Schema '{name}': 'tables' must be an object")
    entry["enabled"] = update["enabled"]
    for table, table_update in tables.items():
        if not create and table not in entry["tables"]:
            raise ApiError(404, f"Table '{table}' not found in schema '{name}'")
        target = entry["tables"].setdefault(table, table_entry(table))
        _apply_table(target, f"{name}.{table}", table_update)


def _apply_table(table: dict[str, Any], where: str, update: Any) -> None:
    update = _enabled(update, f"Table '{where}'")
    table["enabled"] = update["enabled"]
    mode = update.get("sync_mode")
    if mode is not None:
        if mode not in _SYNC_MODES:
            raise ApiError(400, f"Invalid sync_mode {mode!r}; expected one of {_SYNC_MODES}")
        table["sync_mode"] = mode
    columns = update.get("columns", {})
    if not isinstance(columns, dict):
        raise ApiError(400, f"Table '{where}': 'columns' must be an object")
    for column, column_update in columns.items():
        _apply_column(table, f"{where}.{column}", column, column_update)


def _apply_column(table: dict[str, Any], where: str, column: str, update: Any) -> None:
    update = _enabled(update, f"Column '{where}'")
    for key in ("hashed", "is_primary_key"):
        if key in update and not isinstance(update[key], bool):
            raise ApiError(400, f"Column '{where}': '{key}' must be a boolean")
    entry = {
        "name_in_destination": column,
        "enabled": update["enabled"],
        "hashed": update.get("hashed", table["columns"].get(column, {}).get("hashed", False)),
        "enabled_patch_settings": {"allowed": True},
    }
    if "is_primary_key" in update:
        entry["is_primary_key"] = update["is_primary_key"]
    table["columns"][column] = entry


def _tree(conn: Connection) -> dict[str, Any]:
    """The schema config: 404 `NotFound_SchemaConfig` before capture or pre-creation."""
    if conn.schema_config is None:
        raise ApiError(
            404,
            f"Connection with id '{conn.id}' doesn't have a schema config yet: it is captured "
            "when the setup tests pass, or by POST .../schemas/reload",
            code="NotFound_SchemaConfig",
        )
    return conn.schema_config


def _read_source(conn: Connection) -> None:
    """Reading the source needs a connected connection (409 otherwise)."""
    if conn.setup_state != "connected":
        raise ApiError(
            409,
            f"Connection with id '{conn.id}' is not connected (setup_state "
            f"'{conn.setup_state}'); its source cannot be read until the setup tests pass",
        )


def _commit(conn: Connection, tree: dict[str, Any], message: str) -> tuple[int, Any]:
    conn.schema_config = tree
    return ok(tree, message)


async def schemas_details(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /schemas: the whole tree (404 `NotFound_SchemaConfig` before capture)."""
    conn = store.get(request.path_params["connectionId"])
    return ok(_tree(conn), "Schema configuration retrieved successfully")


async def precreate_schemas(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST /schemas: replace the tree with exactly the settings sent.

    Before capture, these are the settings capture applies to the source's tree.
    """
    conn = store.get(request.path_params["connectionId"])
    body = object_body(body)
    schemas = body.get("schemas")
    if not isinstance(schemas, dict):
        raise ApiError(400, "Field 'schemas' is required and must be an object")
    handling = _handling(body) or "ALLOW_ALL"
    tree: dict[str, Any] = {
        "enable_new_by_default": handling == "ALLOW_ALL",
        "schema_change_handling": handling,
        "schemas": {},
    }
    for name, update in schemas.items():
        entry = {"name_in_destination": name, "enabled": True, "tables": {}}
        tree["schemas"][name] = entry
        _apply_schema(entry, name, update, create=True)
    return _commit(conn, tree, "Schema configuration pre-created successfully")


async def modify_schemas(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """PATCH /schemas: merge enabled flags, sync modes and columns into known schemas/tables."""
    conn = store.get(request.path_params["connectionId"])
    body = object_body(body)
    tree = copy.deepcopy(_tree(conn))
    handling = _handling(body)
    schemas = body.get("schemas", {})
    if not isinstance(schemas, dict):
        raise ApiError(400, "Field 'schemas' must be an object")
    if "is_type_locked" in body and not isinstance(body["is_type_locked"], bool):
        raise ApiError(400, "Field 'is_type_locked' must be a boolean")
    for name, update in schemas.items():
        entry = _schema(tree, conn, name)
        entry["tables"] = dict(entry["tables"])
        _apply_schema(entry, name, update, create=False)
        tree["schemas"][name] = entry
    if handling is not None:
        tree["schema_change_handling"] = handling
        tree["enable_new_by_default"] = handling == "ALLOW_ALL"
    return _commit(conn, tree, "Schema configuration has been modified")


async def reload_schemas(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST /schemas/reload: capture the schema (409 unless connected).

    The simulated source never changes, so a captured tree stands as is.
    """
    conn = store.get(request.path_params["connectionId"])
    mode = object_body(body, required=False).get("exclude_mode", "PRESERVE")
    if mode not in _EXCLUDE_MODES:
        raise ApiError(400, f"Invalid exclude_mode {mode!r}; expected one of {_EXCLUDE_MODES}")
    _read_source(conn)
    conn.capture_schema()
    return ok(_tree(conn), "Schema configuration has been reloaded")


async def modify_schema(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """PATCH /schemas/{schemaName}: one schema's settings."""
    conn = store.get(request.path_params["connectionId"])
    name = request.path_params["schemaName"]
    tree = copy.deepcopy(_tree(conn))
    entry = _schema(tree, conn, name)
    _apply_schema(entry, name, object_body(body), create=False)
    tree["schemas"][name] = entry
    return _commit(conn, tree, "Database schema configuration has been modified")


async def modify_table(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """PATCH /schemas/{schemaName}/tables/{tableName}: one table's settings."""
    conn = store.get(request.path_params["connectionId"])
    schema_name, table_name = request.path_params["schemaName"], request.path_params["tableName"]
    tree = copy.deepcopy(_tree(conn))
    table = _table(_schema(tree, conn, schema_name), schema_name, table_name)
    _apply_table(table, f"{schema_name}.{table_name}", object_body(body))
    tree["schemas"][schema_name]["tables"][table_name] = table
    return _commit(conn, tree, "Table configuration has been modified")


async def modify_column(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """PATCH /schemas/{schemaName}/tables/{tableName}/columns/{columnName}."""
    conn = store.get(request.path_params["connectionId"])
    params = request.path_params
    schema_name, table_name = params["schemaName"], params["tableName"]
    column = params["columnName"]
    tree = copy.deepcopy(_tree(conn))
    table = _table(_schema(tree, conn, schema_name), schema_name, table_name)
    if column not in SOURCE_COLUMNS and column not in table["columns"]:
        raise ApiError(404, f"Column '{column}' not found in table '{schema_name}.{table_name}'")
    _apply_column(table, f"{schema_name}.{table_name}.{column}", column, object_body(body))
    tree["schemas"][schema_name]["tables"][table_name] = table
    return _commit(conn, tree, "Column configuration has been modified")


async def table_columns(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """GET /schemas/{schema}/tables/{table}/columns: every source column and its settings.

    Only for a connected connection (409 otherwise). `{schema}` is the schema's name in
    the destination, as the definition says; the schema-config key is accepted too, as
    clients send either.
    """
    conn = store.get(request.path_params["connectionId"])
    _read_source(conn)
    schema_name, table_name = request.path_params["schema"], request.path_params["table"]
    tree = _tree(conn)
    if schema_name not in tree["schemas"]:
        schema_name = next(
            (
                key
                for key, entry in tree["schemas"].items()
                if entry["name_in_destination"] == schema_name
            ),
            schema_name,
        )
    table = _table(_schema(tree, conn, schema_name), schema_name, table_name)
    columns = {
        name: {
            "name_in_destination": name,
            "enabled": True,
            "hashed": False,
            "enabled_patch_settings": {"allowed": True},
            "is_primary_key": name == "id",
        }
        for name in SOURCE_COLUMNS
    }
    columns.update(table["columns"])
    return ok({"columns": columns}, "Column configuration retrieved successfully")


def _mark_for_drop(conn: Connection, schema_name: str, table_name: str, columns: Any) -> None:
    table = _table(_schema(_tree(conn), conn, schema_name), schema_name, table_name)
    if not isinstance(columns, list) or not columns:
        raise ApiError(400, f"Table '{schema_name}.{table_name}' needs a non-empty column list")
    for column in columns:
        where = f"{schema_name}.{table_name}.{column}"
        if column not in SOURCE_COLUMNS and column not in table["columns"]:
            raise ApiError(404, f"Column '{where}' not found")
        if table["columns"].get(column, {}).get("enabled", True):
            raise ApiError(409, f"Column '{where}' is not blocked; block it before dropping it")


async def drop_column(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """DELETE .../columns/{columnName}: a blocked column is dropped at the next sync."""
    conn = store.get(request.path_params["connectionId"])
    params = request.path_params
    column = params["columnName"]
    _mark_for_drop(conn, params["schemaName"], params["tableName"], [column])
    conn.columns_to_drop.append(f"{params['schemaName']}.{params['tableName']}.{column}")
    return ok(message="Column successfully marked for deletion")


async def drop_columns(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
    """POST /schemas/drop-columns: `{schemas: {schema: {tables: {table: {columns: [...]}}}}}`."""
    conn = store.get(request.path_params["connectionId"])
    schemas = object_body(body).get("schemas")
    if not isinstance(schemas, dict) or not schemas:
        raise ApiError(400, "Field 'schemas' must be a non-empty object")
    marked = []
    for schema_name, schema in schemas.items():
        tables = schema.get("tables") if isinstance(schema, dict) else None
        if not isinstance(tables, dict) or not tables:
            raise ApiError(400, f"Schema '{schema_name}' needs a non-empty 'tables' object")
        for table_name, table in tables.items():
            columns = table.get("columns") if isinstance(table, dict) else None
            _mark_for_drop(conn, schema_name, table_name, columns)
            marked += [f"{schema_name}.{table_name}.{column}" for column in columns or []]
    conn.columns_to_drop.extend(marked)
    return ok(message="Column(s) successfully marked for deletion")
