"""Fivetran schema config endpoints: read, pre-create, modify and reload the schema tree.

The tree is `{schema_change_handling, enable_new_by_default, schemas: {name: {enabled,
name_in_destination, tables: {name: {enabled, sync_mode, columns, ...}}}}}`; each
handler returns (data, message) for the `{code, message, data}` envelope.
"""

from typing import Any

from shared.sim.fivetran import ApiError
from shared.sim.fivetran_models import Connection, table_entry

__all__ = ["modify_schemas", "precreate_schemas", "reload_schemas", "schemas_details"]

_HANDLING = ("ALLOW_ALL", "ALLOW_COLUMNS", "BLOCK_ALL")
_SYNC_MODES = ("SOFT_DELETE", "HISTORY", "LIVE")
_EXCLUDE_MODES = ("PRESERVE", "EXCLUDE")


def schemas_details(conn: Connection) -> tuple[dict[str, Any], str]:
    """GET /schemas."""
    return conn.schema_config, "Schema configuration retrieved successfully"


def precreate_schemas(conn: Connection, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """POST /schemas: replace the tree with exactly the settings sent."""
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
    conn.schema_config = tree
    return tree, "Schema configuration pre-created successfully"


def modify_schemas(conn: Connection, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """PATCH /schemas: merge enabled flags, sync modes and columns into known schemas/tables."""
    tree = conn.schema_config
    handling = _handling(body)
    schemas = body.get("schemas", {})
    if not isinstance(schemas, dict):
        raise ApiError(400, "Field 'schemas' must be an object")
    for name in schemas:
        if name not in tree["schemas"]:
            raise ApiError(404, f"Schema '{name}' not found in connection '{conn.id}'")
    if "is_type_locked" in body and not isinstance(body["is_type_locked"], bool):
        raise ApiError(400, "Field 'is_type_locked' must be a boolean")
    for name, update in schemas.items():
        _apply_schema(tree["schemas"][name], name, update, create=False)
    if handling is not None:
        tree["schema_change_handling"] = handling
        tree["enable_new_by_default"] = handling == "ALLOW_ALL"
    return tree, "Schema configuration has been modified"


def reload_schemas(conn: Connection, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """POST /schemas/reload: the simulated source never changes, so the tree stands as is."""
    mode = body.get("exclude_mode", "PRESERVE")
    if mode not in _EXCLUDE_MODES:
        raise ApiError(400, f"Invalid exclude_mode {mode!r}; expected one of {_EXCLUDE_MODES}")
    return conn.schema_config, "Schema configuration has been reloaded"


def _handling(body: dict[str, Any]) -> str | None:
    value = body.get("schema_change_handling")
    if value is not None and value not in _HANDLING:
        raise ApiError(400, f"Invalid schema_change_handling {value!r}; expected {_HANDLING}")
    return value


def _apply_schema(entry: dict[str, Any], name: str, update: Any, *, create: bool) -> None:
    if not isinstance(update, dict) or not isinstance(update.get("enabled"), bool):
        raise ApiError(400, f"Schema '{name}' needs an object with a boolean 'enabled'")
    tables = update.get("tables", {})
    if not isinstance(tables, dict):
        raise ApiError(400, f"Schema '{name}': 'tables' must be an object")
    for table in tables:
        if not create and table not in entry["tables"]:
            raise ApiError(404, f"Table '{table}' not found in schema '{name}'")
    entry["enabled"] = update["enabled"]
    for table, table_update in tables.items():
        if not isinstance(table_update, dict) or not isinstance(table_update.get("enabled"), bool):
            raise ApiError(400, f"Table '{name}.{table}' needs an object with a boolean 'enabled'")
        target = entry["tables"].setdefault(table, table_entry(table))
        target["enabled"] = table_update["enabled"]
        mode = table_update.get("sync_mode")
        if mode is not None:
            if mode not in _SYNC_MODES:
                raise ApiError(400, f"Invalid sync_mode {mode!r}; expected one of {_SYNC_MODES}")
            target["sync_mode"] = mode
        _apply_columns(target, f"{name}.{table}", table_update.get("columns", {}))


def _apply_columns(table: dict[str, Any], where: str, columns: Any) -> None:
    if not isinstance(columns, dict):
        raise ApiError(400, f"Table '{where}': 'columns' must be an object")
    for column, update in columns.items():
        if not isinstance(update, dict) or not isinstance(update.get("enabled"), bool):
            raise ApiError(400, f"Column '{where}.{column}' needs a boolean 'enabled'")
        table["columns"][column] = {
            "name_in_destination": column,
            "enabled": update["enabled"],
            "hashed": bool(update.get("hashed", False)),
            "enabled_patch_settings": {"allowed": True},
        }
