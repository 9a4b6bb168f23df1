"""Connection records and the pure mapping from a record to an asset spec.

`ConnectionProps` is what the definitions know about one connection without
asking the vendor: its name in Dagster, its backend, its id (or the spec that
identifies it, to be looked up when a step runs) and, when stored state has
them, its tables, contents and datasets. It is plain JSON, so state refreshes
can store it (see `fetch_connection_props`).

`ConnectionTranslator.get_asset_spec(props)` turns one `ConnectionAssetProps`
(a connection, and one of its tables or datasets, or neither) into a
`dg.AssetSpec`. It does no I/O and can be subclassed:

    class MyTranslator(ConnectionTranslator):
        def get_asset_spec(self, props: ConnectionAssetProps) -> dg.AssetSpec:
            spec = super().get_asset_spec(props)
            return spec.replace_attributes(key=spec.key.with_prefix("raw"))

Default keys: `[name]` for a connection as a whole, `[name, schema, table]` for
one of its tables (`[name, table]` without a schema) and `[name, "datasets",
dataset]` for a Faraday dataset; every part is cleaned to letters, digits and
underscores. The group is the cleaned name unless `group_name` is set.
"""

import re
from collections.abc import Sequence
from typing import Any

import dagster as dg
from pydantic import BaseModel, ConfigDict, Field, model_validator

from conn_shared import DatasetInfo, TableInfo, backend_entry

__all__ = [
    "ConnectionAssetProps",
    "ConnectionProps",
    "ConnectionTranslator",
    "clean_name",
    "column_schema",
]


def clean_name(name: str) -> str:
    """`name` as an asset key part or op name: runs of other characters become `_`.

    Raises ValueError when nothing usable is left.
    """
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    if not cleaned:
        raise ValueError(f"name: {name!r} has no letters or digits to build a Dagster name from")
    return cleaned


class ConnectionProps(BaseModel):
    """One connection as the definitions know it: declared, or read back from stored state.

    Attributes:
        name: the connection's name in Dagster (asset keys, group, op names).
        backend: "fivetran", "faraday" or "hub".
        connection_id: the vendor's id; None: found from `spec` when a step runs.
        spec: the backend's spec fields without secrets; identifies the connection
            (and, for the reconcile job, is its desired state).
        secrets: dotted spec path -> environment variable holding the value.
        resend_secrets: let the reconcile job send the secret fields again
            (after a rotation); secrets never count as drift otherwise.
        group_name: the asset group; None: the cleaned name.
        url: the connection's page in the vendor's UI, when known.
        tables: the tables the connection syncs or exposes; None: not known,
            so one asset stands for the whole connection.
        contents: what the vendor read, with row counts (Faraday).
        datasets: the datasets built from the connection (Faraday).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    backend: str
    connection_id: str | None = None
    spec: dict[str, Any] | None = None
    secrets: dict[str, str] = Field(default_factory=dict)
    resend_secrets: bool = False
    group_name: str | None = None
    url: str | None = None
    tables: tuple[TableInfo, ...] | None = None
    contents: tuple[TableInfo, ...] = ()
    datasets: tuple[DatasetInfo, ...] = ()

    @model_validator(mode="after")
    def _identified(self) -> "ConnectionProps":
        backend_entry(self.backend)  # UnknownBackendError names the registered backends
        clean_name(self.name)
        if self.connection_id is None and self.spec is None:
            raise ValueError(f"connection {self.name!r}: give connection_id or spec")
        return self

    @property
    def key_name(self) -> str:
        """The cleaned name: the first part of every asset key and the op names' stem."""
        return clean_name(self.name)


class ConnectionAssetProps(BaseModel):
    """What one asset stands for: a connection, and one of its tables or datasets, or neither."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connection: ConnectionProps
    table: TableInfo | None = None
    dataset: DatasetInfo | None = None


def column_schema(table: TableInfo | DatasetInfo) -> dg.TableSchema | None:
    """The columns as a `dg.TableSchema` (type "unknown" where the vendor gives none)."""
    if not table.columns:
        return None
    return dg.TableSchema(
        columns=[dg.TableColumn(name=c.name, type=c.data_type or "unknown") for c in table.columns]
    )


class ConnectionTranslator:
    """Maps `ConnectionAssetProps` to `dg.AssetSpec`; pure, meant to be subclassed."""

    def get_asset_spec(self, props: ConnectionAssetProps) -> dg.AssetSpec:
        """The spec of the asset `props` stands for (keys in the module docstring)."""
        connection = props.connection
        metadata: dict[str, Any] = {
            "conn/backend": connection.backend,
            "conn/connection_name": connection.name,
        }
        if connection.connection_id is not None:
            metadata["conn/connection_id"] = connection.connection_id
        if connection.url:
            metadata["conn/url"] = dg.MetadataValue.url(connection.url)
        parts = [connection.key_name]
        what = f"{connection.backend} connection {connection.name}"
        kinds = {connection.backend}
        described: TableInfo | DatasetInfo | None = None
        if props.dataset is not None:
            dataset = props.dataset
            parts += ["datasets", clean_name(dataset.name or dataset.dataset_id)]
            what = f"dataset {dataset.name or dataset.dataset_id} built from the {what}"
            metadata["conn/dataset_id"] = dataset.dataset_id
            described = dataset
        elif props.table is not None:
            table = props.table
            dotted = _dotted(table.schema_name, table.table)
            parts += [clean_name(p) for p in (table.schema_name, table.table) if p]
            what = f"table {dotted} of the {what}"
            metadata["dagster/table_name"] = dotted
            kinds.add("table")
            described = table
        if described is not None:
            schema = column_schema(described)
            if schema is not None:
                metadata["dagster/column_schema"] = schema
        return dg.AssetSpec(
            key=dg.AssetKey(parts),
            description=what,
            group_name=connection.group_name or connection.key_name,
            kinds=kinds,
            metadata=metadata,
        )


def _dotted(schema: str | None, table: str) -> str:
    return f"{schema}.{table}" if schema else table


def asset_props(connection: ConnectionProps) -> Sequence[ConnectionAssetProps]:
    """The props of a connection's own assets: one per table, or one for the whole connection."""
    if connection.tables:
        return [ConnectionAssetProps(connection=connection, table=t) for t in connection.tables]
    return [ConnectionAssetProps(connection=connection)]
