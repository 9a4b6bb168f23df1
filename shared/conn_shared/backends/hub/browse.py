# ruff: noqa: N815 - fields keep the hub's own camelCase names (mimeType, nextPageToken, ...)
"""Browsing what a hub connection reaches: files, file selections, schema tables and queries.

Models keep the hub's field names, except `schema`, which would shadow a
pydantic method: it is `schema_name` in Python and `schema` on the wire.
`HubBrowseCalls` is mixed into `HubBackend` beside `HubCalls`; its methods return `Call`s and
send nothing.

Query parameter names are not in the hub's document; these are used:
`path` and `page_token` (files), `include_system` (tables), `schema` and
`table` (columns, shown by the document's example).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx
from pydantic import Field

from conn_shared.backends.hub.calls import connection_path
from conn_shared.backends.hub.models import HubModel
from conn_shared.backends.open_enum import OpenEnum
from conn_shared.calls import Call
from conn_shared.pagination import Page

__all__ = [
    "ColumnList",
    "FileItem",
    "FileKind",
    "FileListing",
    "FileSelectionValidation",
    "HubBrowseCalls",
    "QueryResult",
    "QueryTableRef",
    "SampleResult",
    "SchemaColumn",
    "SchemaTable",
    "TableList",
]

SQL_MAX_LENGTH = 10_000
FILES_NEXT_PAGE_PARAM = "page_token"
INCLUDE_SYSTEM_PARAM = "include_system"


class FileKind(OpenEnum):
    """What a listed item is; the document shows `file`, folders are expected too."""

    FILE = "file"
    FOLDER = "folder"


class FileItem(HubModel):
    """One file or folder in a connection's storage."""

    id: str
    name: str
    kind: FileKind | None = None
    path: str | None = None
    mimeType: str | None = None
    modifiedAt: datetime | None = None
    size: int | None = None


class FileListing(HubModel):
    """One page of `GET /connections/{id}/files`."""

    items: list[FileItem] = Field(default_factory=list)
    nextPageToken: str | None = None
    path: str | None = None


class FileSelectionValidation(HubModel):
    """Whether a set of selected files/folders is acceptable, and its totals."""

    valid: bool
    violations: list[Any] = Field(default_factory=list)
    maxDepth: int | None = None
    totalBytes: int | None = None
    totalItems: int | None = None


class SchemaTable(HubModel):
    """One table a connection exposes."""

    schema_name: str = Field(alias="schema")
    table: str
    normalizedName: str | None = None
    spec: str | None = None


class TableList(HubModel):
    """`GET /connections/{id}/schema/tables`."""

    tables: list[SchemaTable] = Field(default_factory=list)


class SchemaColumn(HubModel):
    """One column of a table."""

    name: str
    dataType: str | None = None
    normalizedName: str | None = None
    nullable: bool | None = None
    primaryKey: bool | None = None


class ColumnList(HubModel):
    """`GET /connections/{id}/schema/columns`."""

    columns: list[SchemaColumn] = Field(default_factory=list)
    schema_name: str | None = Field(default=None, alias="schema")
    table: str | None = None


class QueryTableRef(HubModel):
    """A table a query read."""

    schema_name: str | None = Field(default=None, alias="schema")
    table: str


class QueryResult(HubModel):
    """`POST /connections/{id}/schema/query`: rows of a SQL query, possibly truncated."""

    columns: list[str] = Field(default_factory=list)
    rows: list[dict[str, Any]] = Field(default_factory=list)
    rowCount: int | None = None
    maxRows: int | None = None
    truncated: bool | None = None
    queryHash: str | None = None
    tableRefs: list[QueryTableRef] = Field(default_factory=list)


class SampleResult(HubModel):
    """`POST /connections/{id}/schema/sample`: the first rows of one table."""

    columns: list[SchemaColumn] = Field(default_factory=list)
    rows: list[dict[str, Any]] = Field(default_factory=list)
    rowCount: int | None = None
    maxRows: int | None = None
    truncated: bool | None = None
    schema_name: str | None = Field(default=None, alias="schema")
    table: str | None = None


def _required(field: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: must be a non-empty string")
    return value


class HubBrowseCalls:
    """Calls that browse a connection's files and schema (mixed into `HubBackend`)."""

    def list_files(
        self, connection_id: str, *, path: str | None = None, page_token: str | None = None
    ) -> Call[Page[FileItem]]:
        """One page of files under `path` (a path or folder id; the hub defaults to "/").

        The page's `next` follows `nextPageToken` at the same path.
        """
        url = connection_path(connection_id, "files")

        def parse(response: httpx.Response) -> Page[FileItem]:
            listing = FileListing.model_validate(response.json())
            token = listing.nextPageToken
            following = (
                self.list_files(connection_id, path=path, page_token=token) if token else None
            )
            return Page(items=listing.items, next=following)

        return Call(
            operation="hub.list_files",
            method="GET",
            path=url,
            parse=parse,
            params={"path": path, FILES_NEXT_PAGE_PARAM: page_token},
        )

    def validate_file_selection(
        self, connection_id: str, selected_items: Sequence[str]
    ) -> Call[FileSelectionValidation]:
        """Ask whether `selected_items` (paths or ids) form an acceptable selection."""
        if isinstance(selected_items, str) or not all(isinstance(i, str) for i in selected_items):
            raise ValueError("selected_items: must be a sequence of strings (paths or ids)")
        return Call(
            operation="hub.validate_file_selection",
            method="POST",
            path=connection_path(connection_id, "files", "validate"),
            parse=lambda r: FileSelectionValidation.model_validate(r.json()),
            json={"selectedItems": list(selected_items)},
            idempotent=True,  # a read-only check: safe to resend
        )

    def list_tables(self, connection_id: str, *, include_system: bool = False) -> Call[TableList]:
        """The tables the connection exposes; system schemas only when `include_system`."""
        return Call(
            operation="hub.list_tables",
            method="GET",
            path=connection_path(connection_id, "schema", "tables"),
            parse=lambda r: TableList.model_validate(r.json()),
            params={INCLUDE_SYSTEM_PARAM: include_system},
        )

    def list_columns(self, connection_id: str, *, schema: str, table: str) -> Call[ColumnList]:
        """The columns of `schema`.`table`."""
        return Call(
            operation="hub.list_columns",
            method="GET",
            path=connection_path(connection_id, "schema", "columns"),
            parse=lambda r: ColumnList.model_validate(r.json()),
            params={"schema": _required("schema", schema), "table": _required("table", table)},
        )

    def query(self, connection_id: str, sql: str) -> Call[QueryResult]:
        """Run `sql` (1..10000 characters) through the connection.

        Not resent after an ambiguous failure: the hub does not say queries are read-only.
        """
        if not isinstance(sql, str) or not 1 <= len(sql) <= SQL_MAX_LENGTH:
            length = len(sql) if isinstance(sql, str) else "not a string"
            raise ValueError(f"sql: length must be 1..{SQL_MAX_LENGTH} characters, got {length}")
        return Call(
            operation="hub.query",
            method="POST",
            path=connection_path(connection_id, "schema", "query"),
            parse=lambda r: QueryResult.model_validate(r.json()),
            json={"sql": sql},
        )

    def sample_table(self, connection_id: str, *, schema: str, table: str) -> Call[SampleResult]:
        """The first rows of `schema`.`table`."""
        body = {"schema": _required("schema", schema), "table": _required("table", table)}
        return Call(
            operation="hub.sample_table",
            method="POST",
            path=connection_path(connection_id, "schema", "sample"),
            parse=lambda r: SampleResult.model_validate(r.json()),
            json=body,
            idempotent=True,  # reads rows, changes nothing
        )
