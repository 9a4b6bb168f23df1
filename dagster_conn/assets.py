"""Assets for connections: synced by a materialization, or observed where there are no syncs.

    from dagster_conn import ConnectionProps, build_connection_assets

    assets = build_connection_assets(
        connections=[ConnectionProps(name="shop", backend="fivetran", connection_id="abc")]
    )

For each connection whose backend syncs (Fivetran, Faraday), one multi-asset
holds an asset per table when the record knows its tables, else one asset for
the connection. Materializing it (any of its keys: a sync moves every table)
asks for a sync, once even when Dagster retries the step, waits for it and
reports, per asset, the sync's state, start, end, duration and vendor URL,
plus the table's `TableSchema` and row count where the vendor gives them.
Faraday datasets are external assets downstream of their connection; the
sensor records their builds. A backend without syncs (the hub) gets an
observable source asset per table (or connection): observing it reads the
connection's readiness and tables, and its data version changes when they do.

Building the assets sends nothing: everything comes from the records. A record
without `connection_id` is looked up by its spec (GETs only) when a step runs.
"""

import hashlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dagster as dg

from conn_shared import (
    ConnectionCatalog,
    ConnError,
    Flow,
    PlanAction,
    Step,
    SyncReport,
    TableInfo,
    backend_entry,
    get_catalog,
    get_connection_health,
    plan_connection,
)
from dagster_conn.config import SyncConfig, build_spec
from dagster_conn.resources import ConnectionResource, connection_resource
from dagster_conn.syncs import await_sync, report_metadata, request_sync_once
from dagster_conn.translator import (
    ConnectionAssetProps,
    ConnectionProps,
    ConnectionTranslator,
    asset_props,
    column_schema,
)

__all__ = [
    "build_connection_assets",
    "lookup_flow",
    "missing",
    "resolve_connection_id",
    "sync_asset_keys",
]


def lookup_flow(
    resource: ConnectionResource, props: ConnectionProps
) -> tuple[Flow[str | None], tuple[str, ...]]:
    """A flow giving the record's connection id (None: it does not exist yet), and secrets.

    With `connection_id` set the flow sends nothing; otherwise it is
    `plan_connection` over the record's spec (GETs only). The second item lists
    the spec's secret values, to scrub from errors.
    """
    if props.connection_id is not None:
        return _known(props.connection_id), ()
    assert props.spec is not None  # ConnectionProps insists on one of the two
    spec, hide = build_spec(backend_entry(props.backend), props.spec, props.secrets)
    return _planned_id(resource, spec), hide


def _known(connection_id: str) -> Flow[str | None]:
    return connection_id
    yield  # unreachable: its presence makes this a flow that sends nothing


def _planned_id(resource: ConnectionResource, spec: Any) -> Flow[str | None]:
    plan = yield from plan_connection(resource.get_backend(), spec)
    return None if plan.action is PlanAction.CREATE else plan.connection_id


def missing(props: ConnectionProps) -> dg.Failure:
    """The failure for a record whose connection does not exist yet (no retries)."""
    return dg.Failure(
        description=f"{props.backend} connection {props.name!r} does not exist yet; "
        "create it first (the component's reconcile job, or the ensure op)",
        allow_retries=False,
    )


async def resolve_connection_id(resource: ConnectionResource, props: ConnectionProps) -> str:
    """The record's `connection_id`, or the id of the connection its spec identifies.

    The look-up is `plan_connection` (GETs only). Raises `dg.Failure` (no
    retries) when the connection does not exist yet: the reconcile job creates it.
    """
    flow, hide = lookup_flow(resource, props)
    connection_id = await resource.arun(flow, hide=hide)
    if connection_id is None:
        raise missing(props)
    return connection_id


def _key_of(table: TableInfo) -> tuple[str | None, str]:
    return (table.schema_name, table.table)


def _table_metadata(table: TableInfo | None, fresh: ConnectionCatalog | None) -> dict[str, Any]:
    # The stored record's columns, unless the fresh read (without per-table column
    # reads) has columns or row counts of its own.
    if table is None:
        return {}
    if fresh is not None and fresh.tables:
        now = {_key_of(t): t for t in fresh.tables}.get(_key_of(table))
        if now is not None:
            table = table.model_copy(
                update={
                    "columns": now.columns or table.columns,
                    "row_count": now.row_count if now.row_count is not None else table.row_count,
                }
            )
    dotted = f"{table.schema_name}.{table.table}" if table.schema_name else table.table
    metadata: dict[str, Any] = {"dagster/table_name": dotted}
    schema = column_schema(table)
    if schema is not None:
        metadata["dagster/column_schema"] = schema
    if table.row_count is not None:
        metadata["dagster/row_count"] = dg.MetadataValue.int(table.row_count)
    return metadata


def _contents_metadata(fresh: ConnectionCatalog | None) -> dict[str, Any]:
    if fresh is None or not fresh.contents:
        return {}
    counts = {t.table: t.row_count for t in fresh.contents if t.row_count is not None}
    return {"conn/row_counts": dg.MetadataValue.json(counts)} if counts else {}


def _sync_asset(
    connection: ConnectionProps,
    props: Sequence[ConnectionAssetProps],
    specs: Sequence[dg.AssetSpec],
    key: str,
) -> dg.AssetsDefinition:
    backend = connection.backend

    @dg.multi_asset(
        name=f"{connection.key_name}_sync",
        specs=specs,
        required_resource_keys={key},
        can_subset=False,  # one sync moves every table: selecting one selects all
        op_tags={"kind": backend},
    )
    # No return annotation: Dagster reads it as the outputs' types, and an async
    # generator of results is not one it knows.
    async def _sync(context: dg.AssetExecutionContext, config: SyncConfig):  # type: ignore[no-untyped-def]
        resource = connection_resource(context, key, backend)
        connection_id = await resolve_connection_id(resource, connection)
        handle = await request_sync_once(context, resource, connection_id, force=config.force)
        outcome = await await_sync(resource, handle, config)
        report = SyncReport.of(handle, outcome, url=resource.connection_url(connection_id))
        fresh = await _fresh_catalog(context, resource, connection_id)
        for prop, spec in zip(props, specs, strict=True):
            metadata = {
                **report_metadata(report),
                **_table_metadata(prop.table, fresh),
                **({} if prop.table else _contents_metadata(fresh)),
            }
            yield dg.MaterializeResult(asset_key=spec.key, metadata=metadata)

    return _sync


async def _fresh_catalog(
    context: dg.AssetExecutionContext, resource: ConnectionResource, connection_id: str
) -> ConnectionCatalog | None:
    # The sync already succeeded: metadata read afterwards must not fail the step.
    # Without per-table column reads: one or two GETs, whatever the table count.
    try:
        async with resource.async_executor() as executor:
            flow = get_catalog(resource.get_backend(), connection_id, columns=False)
            return await executor.run(flow)
    except ConnError as exc:
        context.log.warning(f"sync succeeded, but its table metadata could not be read: {exc}")
        return None


def _data_version(*parts: Any) -> dg.DataVersion:
    return dg.DataVersion(hashlib.sha256(repr(parts).encode()).hexdigest()[:16])


def _observed_asset(
    connection: ConnectionProps,
    props: Sequence[ConnectionAssetProps],
    specs: Sequence[dg.AssetSpec],
    key: str,
) -> dg.AssetsDefinition:
    backend = connection.backend
    keys = {spec.key: prop for prop, spec in zip(props, specs, strict=True)}

    # Dagster marks the decorator beta; it is the one that observes several keys at once.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        decorator: Callable[..., dg.AssetsDefinition] = dg.multi_observable_source_asset(
            name=f"{connection.key_name}_observe",
            specs=specs,
            required_resource_keys={key},
            can_subset=True,
        )

    @decorator
    async def _observe(context: dg.AssetExecutionContext):  # type: ignore[no-untyped-def]
        resource = connection_resource(context, key, backend)
        connection_id = await resolve_connection_id(resource, connection)
        health = await resource.arun(get_connection_health(resource.get_backend(), connection_id))
        fresh = await resource.arun(get_catalog(resource.get_backend(), connection_id))
        for asset_key in context.selected_asset_keys:
            table = keys[asset_key].table
            metadata = {
                "conn/connection_id": connection_id,
                "conn/readiness": health.readiness.value,
                "conn/paused": bool(health.paused),
                **_table_metadata(table, fresh),
            }
            if health.reason:
                metadata["conn/reason"] = health.reason
            columns = metadata.get("dagster/column_schema")
            yield dg.ObserveResult(
                asset_key=asset_key,
                data_version=_data_version(health.readiness.value, health.paused, repr(columns)),
                metadata=metadata,
            )

    return _observe


def _fresh_within(spec: dg.AssetSpec, policy: dg.FreshnessPolicy) -> dg.AssetSpec:
    if spec.freshness_policy is not None:
        return spec
    return spec.replace_attributes(freshness_policy=policy)


def sync_asset_keys(
    connection: ConnectionProps, translator: ConnectionTranslator | None = None
) -> list[dg.AssetKey]:
    """The keys of a connection's own assets (tables, or the connection), as built here."""
    translator = translator or ConnectionTranslator()
    return [translator.get_asset_spec(p).key for p in asset_props(connection)]


def build_connection_assets(
    *,
    connections: Sequence[ConnectionProps],
    translator: ConnectionTranslator | None = None,
    resource_keys: Mapping[str, str] | None = None,
    freshness_policy: dg.FreshnessPolicy | None = None,
) -> list[dg.AssetsDefinition | dg.AssetSpec]:
    """The assets of `connections`: sync multi-assets, observed assets and dataset specs.

    `resource_keys` maps a backend name to its resource key (default: the
    backend's name). `freshness_policy` is set on the synced assets that have
    none from the translator. Sends nothing; raises ValueError for two
    connections with the same name.
    """
    translator = translator or ConnectionTranslator()
    keys = dict(resource_keys or {})
    seen: set[str] = set()
    built: list[dg.AssetsDefinition | dg.AssetSpec] = []
    for connection in connections:
        if connection.key_name in seen:
            raise ValueError(f"connections: two are named {connection.key_name!r}")
        seen.add(connection.key_name)
        props = asset_props(connection)
        specs = [translator.get_asset_spec(p) for p in props]
        key = keys.get(connection.backend, connection.backend)
        if Step.SYNC in backend_entry(connection.backend).capabilities:
            if freshness_policy is not None:
                specs = [
                    s
                    if s.freshness_policy
                    else s.replace_attributes(freshness_policy=freshness_policy)
                    for s in specs
                ]
            built.append(_sync_asset(connection, props, specs, key))
        else:
            built.append(_observed_asset(connection, props, specs, key))
        upstream = [s.key for s in specs]
        for dataset in connection.datasets:
            spec = translator.get_asset_spec(
                ConnectionAssetProps(connection=connection, dataset=dataset)
            )
            built.append(spec.merge_attributes(deps=upstream))
    return built
