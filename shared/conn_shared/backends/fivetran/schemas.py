"""Fivetran schema-configuration, certificate and fingerprint endpoints as `Call`s.

Mixed into `FivetranBackend` beside `FivetranCalls`: the schemas, tables and
columns a connection syncs (and the older table-resync endpoint under
`/schemas`), and the TLS certificates and SSH fingerprints it trusts.
"""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from conn_shared.backends.fivetran.calls import (
    ACCEPT_V1,
    action_of,
    body_of,
    data_of,
    envelope,
    table_scope,
)
from conn_shared.backends.fivetran.models import (
    ActionResult,
    Certificate,
    ColumnsConfig,
    Fingerprint,
    StandardConfig,
)
from conn_shared.backends.wire import check_limit, path_id
from conn_shared.calls import Call
from conn_shared.pagination import Page

__all__ = ["SchemaAndTrustCalls"]

M = TypeVar("M", bound=BaseModel)


def _base(connection_id: str) -> str:
    return f"/v1/connections/{path_id('connection_id', connection_id)}"


def _table(connection_id: str, schema: str, table: str) -> str:
    schema_part = path_id("schema", schema)
    return f"{_base(connection_id)}/schemas/{schema_part}/tables/{path_id('table', table)}"


class SchemaAndTrustCalls:
    """Calls on a connection's schema configuration and its trusted certificates/keys."""

    def connection_schemas(self, connection_id: str) -> Call[StandardConfig]:
        """GET /v1/connections/{id}/schemas: schemas, tables and columns and their settings."""
        return Call(
            operation="fivetran.connection_schemas",
            method="GET",
            path=f"{_base(connection_id)}/schemas",
            parse=data_of(StandardConfig),
            headers={"Accept": ACCEPT_V1},
        )

    def reload_connection_schemas(
        self, connection_id: str, *, exclude_mode: str | None = None
    ) -> Call[StandardConfig]:
        """POST /v1/connections/{id}/schemas/reload: re-read the source's schemas."""
        return Call(
            operation="fivetran.reload_connection_schemas",
            method="POST",
            path=f"{_base(connection_id)}/schemas/reload",
            parse=data_of(StandardConfig),
            json=body_of(exclude_mode=exclude_mode),
            headers={"Accept": ACCEPT_V1},
            idempotent=True,
        )

    def modify_connection_schemas(
        self,
        connection_id: str,
        *,
        schemas: Mapping[str, Any] | None = None,
        schema_change_handling: str | None = None,
        is_type_locked: bool | None = None,
    ) -> Call[StandardConfig]:
        """PATCH /v1/connections/{id}/schemas: enable or disable schemas, tables, columns."""
        body = body_of(
            schemas=schemas,
            schema_change_handling=schema_change_handling,
            is_type_locked=is_type_locked,
        )
        if not body:
            raise ValueError("modify_connection_schemas: give at least one field")
        return Call(
            operation="fivetran.modify_connection_schemas",
            method="PATCH",
            path=f"{_base(connection_id)}/schemas",
            parse=data_of(StandardConfig),
            json=body,
            headers={"Accept": ACCEPT_V1},
            idempotent=True,
        )

    def resync_tables(
        self, connection_id: str, tables: Mapping[str, Sequence[str]]
    ) -> Call[ActionResult]:
        """POST /v1/connections/{id}/schemas/tables/resync: the older table-resync endpoint.

        The lifecycle uses `resync_connection(scope=...)` instead, which documents
        its paused and in-progress behaviour; this one is kept for completeness.
        """
        path = f"{_base(connection_id)}/schemas/tables/resync"
        return Call(
            operation="fivetran.resync_tables",
            method="POST",
            path=path,
            parse=action_of,
            json=table_scope("tables", tables),
            headers={"Accept": ACCEPT_V1},
        )

    def table_columns(self, connection_id: str, schema: str, table: str) -> Call[ColumnsConfig]:
        """GET /v1/connections/{id}/schemas/{schema}/tables/{table}/columns."""
        path = f"{_table(connection_id, schema, table)}/columns"
        return Call(
            operation="fivetran.table_columns",
            method="GET",
            path=path,
            parse=data_of(ColumnsConfig),
            headers={"Accept": ACCEPT_V1},
        )

    def pre_create_connection_schemas(
        self,
        connection_id: str,
        *,
        schemas: Mapping[str, Any],
        schema_change_handling: str | None = None,
    ) -> Call[StandardConfig]:
        """POST /v1/connections/{id}/schemas: set the schema config before the first sync."""
        return Call(
            operation="fivetran.pre_create_connection_schemas",
            method="POST",
            path=f"{_base(connection_id)}/schemas",
            parse=data_of(StandardConfig),
            json=body_of(schemas=schemas, schema_change_handling=schema_change_handling),
            headers={"Accept": ACCEPT_V1},
        )

    def modify_schema(
        self,
        connection_id: str,
        schema: str,
        *,
        enabled: bool,
        tables: Mapping[str, Any] | None = None,
    ) -> Call[StandardConfig]:
        """PATCH /v1/connections/{id}/schemas/{schema}: enable or disable one schema."""
        return Call(
            operation="fivetran.modify_schema",
            method="PATCH",
            path=f"{_base(connection_id)}/schemas/{path_id('schema', schema)}",
            parse=data_of(StandardConfig),
            json=body_of(enabled=enabled, tables=tables),
            headers={"Accept": ACCEPT_V1},
            idempotent=True,
        )

    def modify_table(
        self,
        connection_id: str,
        schema: str,
        table: str,
        *,
        enabled: bool,
        sync_mode: str | None = None,
        columns: Mapping[str, Any] | None = None,
    ) -> Call[StandardConfig]:
        """PATCH /v1/connections/{id}/schemas/{schema}/tables/{table}."""
        return Call(
            operation="fivetran.modify_table",
            method="PATCH",
            path=_table(connection_id, schema, table),
            parse=data_of(StandardConfig),
            json=body_of(enabled=enabled, sync_mode=sync_mode, columns=columns),
            headers={"Accept": ACCEPT_V1},
            idempotent=True,
        )

    def modify_column(
        self,
        connection_id: str,
        schema: str,
        table: str,
        column: str,
        *,
        enabled: bool,
        hashed: bool | None = None,
        is_primary_key: bool | None = None,
    ) -> Call[StandardConfig]:
        """PATCH /v1/connections/{id}/schemas/{schema}/tables/{table}/columns/{column}."""
        return Call(
            operation="fivetran.modify_column",
            method="PATCH",
            path=f"{_table(connection_id, schema, table)}/columns/{path_id('column', column)}",
            parse=data_of(StandardConfig),
            json=body_of(enabled=enabled, hashed=hashed, is_primary_key=is_primary_key),
            headers={"Accept": ACCEPT_V1},
            idempotent=True,
        )

    def delete_column(
        self, connection_id: str, schema: str, table: str, column: str
    ) -> Call[ActionResult]:
        """DELETE .../tables/{table}/columns/{column}: drop a column from the destination."""
        return Call(
            operation="fivetran.delete_column",
            method="DELETE",
            path=f"{_table(connection_id, schema, table)}/columns/{path_id('column', column)}",
            parse=action_of,
            headers={"Accept": ACCEPT_V1},
        )

    def drop_columns(
        self, connection_id: str, columns: Mapping[str, Mapping[str, Sequence[str]]]
    ) -> Call[ActionResult]:
        """POST /v1/connections/{id}/schemas/drop-columns: `{schema: {table: [column, ...]}}`."""
        schemas: dict[str, Any] = {}
        for schema, tables in columns.items():
            listed = {table: {"columns": list(names)} for table, names in tables.items() if names}
            if not schema or not listed:
                raise ValueError(f"columns[{schema!r}]: needs at least one table with columns")
            schemas[schema] = {"tables": listed}
        if not schemas:
            raise ValueError("columns: must name at least one schema")
        return Call(
            operation="fivetran.drop_columns",
            method="POST",
            path=f"{_base(connection_id)}/schemas/drop-columns",
            parse=action_of,
            json={"schemas": schemas},
            headers={"Accept": ACCEPT_V1},
        )

    # --- certificates and fingerprints ---------------------------------------------

    def list_certificates(
        self, connection_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> Call[Page[Certificate]]:
        """GET /v1/connections/{id}/certificates: approved TLS certificates, paged."""
        return self._trust_page("certificates", Certificate, connection_id, cursor, limit)

    def list_fingerprints(
        self, connection_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> Call[Page[Fingerprint]]:
        """GET /v1/connections/{id}/fingerprints: approved SSH fingerprints, paged."""
        return self._trust_page("fingerprints", Fingerprint, connection_id, cursor, limit)

    def approve_certificate(
        self, connection_id: str, *, hash: str, encoded_cert: str
    ) -> Call[Certificate]:
        """POST /v1/connections/{id}/certificates: trust a TLS certificate."""
        path_id("hash", hash)
        return Call(
            operation="fivetran.approve_certificate",
            method="POST",
            path=f"{_base(connection_id)}/certificates",
            parse=data_of(Certificate),
            json={"hash": hash, "encoded_cert": encoded_cert},
            headers={"Accept": ACCEPT_V1},
            idempotent=True,
        )

    def approve_fingerprint(
        self, connection_id: str, *, hash: str, public_key: str
    ) -> Call[Fingerprint]:
        """POST /v1/connections/{id}/fingerprints: trust an SSH host key."""
        path_id("hash", hash)
        return Call(
            operation="fivetran.approve_fingerprint",
            method="POST",
            path=f"{_base(connection_id)}/fingerprints",
            parse=data_of(Fingerprint),
            json={"hash": hash, "public_key": public_key},
            headers={"Accept": ACCEPT_V1},
            idempotent=True,
        )

    def certificate_details(self, connection_id: str, hash: str) -> Call[Certificate]:
        """GET /v1/connections/{id}/certificates/{hash}."""
        return self._trust_details("certificates", Certificate, connection_id, hash)

    def fingerprint_details(self, connection_id: str, hash: str) -> Call[Fingerprint]:
        """GET /v1/connections/{id}/fingerprints/{hash}."""
        return self._trust_details("fingerprints", Fingerprint, connection_id, hash)

    def revoke_certificate(self, connection_id: str, hash: str) -> Call[ActionResult]:
        """DELETE /v1/connections/{id}/certificates/{hash}."""
        return self._revoke("certificates", connection_id, hash)

    def revoke_fingerprint(self, connection_id: str, hash: str) -> Call[ActionResult]:
        """DELETE /v1/connections/{id}/fingerprints/{hash}."""
        return self._revoke("fingerprints", connection_id, hash)

    def _revoke(self, kind: str, connection_id: str, hash: str) -> Call[ActionResult]:
        return Call(
            operation=f"fivetran.revoke_{kind[:-1]}",
            method="DELETE",
            path=f"{_base(connection_id)}/{kind}/{path_id('hash', hash)}",
            parse=action_of,
            headers={"Accept": ACCEPT_V1},
        )

    def _trust_details(self, kind: str, model: type[M], connection_id: str, hash: str) -> Call[M]:
        return Call(
            operation=f"fivetran.{kind[:-1]}_details",
            method="GET",
            path=f"{_base(connection_id)}/{kind}/{path_id('hash', hash)}",
            parse=data_of(model),
            headers={"Accept": ACCEPT_V1},
        )

    def _trust_page(
        self,
        kind: str,
        model: type[M],
        connection_id: str,
        cursor: str | None,
        limit: int | None,
    ) -> Call[Page[M]]:
        path = f"{_base(connection_id)}/{kind}"

        def parse(response: httpx.Response) -> Page[M]:
            data = envelope(response)["data"]
            items = [model.model_validate(item) for item in data.get("items") or []]
            nxt = data.get("next_cursor")
            follow = self._trust_page(kind, model, connection_id, nxt, limit) if nxt else None
            return Page(items=items, next=follow)

        return Call(
            operation=f"fivetran.list_{kind}",
            method="GET",
            path=path,
            parse=parse,
            params={"cursor": cursor, "limit": check_limit(limit)},
            headers={"Accept": ACCEPT_V1},
        )
