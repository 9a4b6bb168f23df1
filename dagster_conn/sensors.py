"""A sensor that records the syncs vendors ran on their own schedule as materializations.

    sensor = build_sync_sensor(name="vendor_syncs", connections=connections)

Each tick reads every synced connection once (`get_connection_health`: one GET)
and, for Faraday connections with datasets, its catalog (two GETs). A sync whose
end (`last_synced_at`) is later than the connection's last seen sync marker is
recorded as an `AssetMaterialization` of each of the connection's assets,
unless a Dagster run already recorded that very sync (its `conn/finished_at`);
a dataset build is recorded on the dataset's asset the same way. A failed sync
is logged once. Hub connections have no syncs and are left out.

The cursor is JSON: for each connection (by name) its id and the markers seen,
ISO timestamps:

    {"v": 1, "connections": {"shop": {"id": "abc", "synced": "...", "failed": "...",
                                      "datasets": {"ds1": "..."}}}}

Dagster stores the cursor together with the events of the tick that produced
it, so a daemon that restarts resumes from the last committed markers: every
sync is recorded once. A connection seen for the first time has its latest sync
recorded (if no run recorded it), as dagster-fivetran's sensor does.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import dagster as dg

from conn_shared import (
    ConnError,
    DatasetInfo,
    NotFoundError,
    Step,
    backend_entry,
    get_catalog,
    get_connection_health,
)
from dagster_conn.assets import lookup_flow, sync_asset_keys
from dagster_conn.resources import ConnectionResource, connection_resource
from dagster_conn.translator import (
    ConnectionAssetProps,
    ConnectionProps,
    ConnectionTranslator,
    column_schema,
)

__all__ = ["CURSOR_VERSION", "build_sync_sensor", "read_cursor"]

CURSOR_VERSION = 1
FINISHED_KEY = "conn/finished_at"


def read_cursor(cursor: str | None) -> dict[str, dict[str, Any]]:
    """The per-connection markers in a cursor; empty for None or a cursor of another version."""
    if not cursor:
        return {}
    data = json.loads(cursor)
    if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
        return {}
    connections = data.get("connections")
    return connections if isinstance(connections, dict) else {}


def _write_cursor(markers: Mapping[str, dict[str, Any]]) -> str:
    return json.dumps({"v": CURSOR_VERSION, "connections": markers}, sort_keys=True)


def _later(seen: str | None, now: datetime | None) -> bool:
    return now is not None and (seen is None or now > datetime.fromisoformat(seen))


def _already_recorded(instance: dg.DagsterInstance, key: dg.AssetKey, finished: datetime) -> bool:
    """True when the latest materialization of `key` is this very sync (a run recorded it)."""
    event = instance.get_latest_materialization_event(key)
    materialization = None if event is None else event.asset_materialization
    if materialization is None:
        return False
    recorded = materialization.metadata.get(FINISHED_KEY)
    value = None if recorded is None else recorded.value
    return isinstance(value, int | float) and value >= finished.timestamp()


class _Tick:
    """One evaluation: reads connections, collects events and the next markers."""

    def __init__(
        self,
        context: dg.SensorEvaluationContext,
        translator: ConnectionTranslator,
        markers: dict[str, dict[str, Any]],
    ) -> None:
        self.context = context
        self.translator = translator
        self.markers = markers
        self.events: list[dg.AssetMaterialization] = []

    def visit(self, resource: ConnectionResource, connection: ConnectionProps) -> None:
        seen = dict(self.markers.get(connection.name, {}))
        connection_id = seen.get("id")
        if connection_id is None:
            flow, hide = lookup_flow(resource, connection)
            connection_id = resource.run(flow, hide=hide)
            if connection_id is None:
                self.context.log.info(f"{connection.name}: the connection does not exist yet")
                return
            seen = {"id": connection_id}
        backend = resource.get_backend()
        try:
            health = resource.run(get_connection_health(backend, connection_id))
        except dg.Failure as failure:
            if isinstance(failure.__cause__, NotFoundError) and connection.connection_id is None:
                self.markers.pop(connection.name, None)  # gone: look it up again next tick
                return
            raise
        url = resource.connection_url(connection_id)
        if _later(seen.get("synced"), health.last_synced_at):
            assert health.last_synced_at is not None
            self._synced(connection, connection_id, health.last_synced_at, url)
            seen["synced"] = health.last_synced_at.isoformat()
        if _later(seen.get("failed"), health.last_failed_at):
            assert health.last_failed_at is not None
            self.context.log.warning(
                f"{connection.name}: a sync of {connection.backend} connection {connection_id} "
                f"failed at {health.last_failed_at.isoformat()}: {health.reason or 'no reason'}"
            )
            seen["failed"] = health.last_failed_at.isoformat()
        if connection.datasets:
            seen["datasets"] = self._datasets(resource, connection, connection_id, seen)
        self.markers[connection.name] = seen

    def _synced(
        self, connection: ConnectionProps, connection_id: str, finished: datetime, url: str | None
    ) -> None:
        keys = sync_asset_keys(connection, self.translator)
        if _already_recorded(self.context.instance, keys[0], finished):
            return
        metadata: dict[str, Any] = {
            "conn/backend": connection.backend,
            "conn/connection_id": connection_id,
            "conn/state": "succeeded",
            "conn/source": "vendor schedule (sensor)",
            FINISHED_KEY: dg.MetadataValue.timestamp(finished),
        }
        if url:
            metadata["conn/url"] = dg.MetadataValue.url(url)
        self.events += [dg.AssetMaterialization(asset_key=k, metadata=metadata) for k in keys]
        self.context.log.info(f"{connection.name}: recorded the sync that ended {finished}")

    def _datasets(
        self,
        resource: ConnectionResource,
        connection: ConnectionProps,
        connection_id: str,
        seen: Mapping[str, Any],
    ) -> dict[str, str]:
        built: dict[str, str] = dict(seen.get("datasets") or {})
        catalog = resource.run(get_catalog(resource.get_backend(), connection_id, columns=False))
        declared = {d.dataset_id: d for d in connection.datasets}
        for dataset in catalog.datasets:
            if dataset.dataset_id in declared and _later(
                built.get(dataset.dataset_id), dataset.last_updated_at
            ):
                assert dataset.last_updated_at is not None
                self._dataset_built(connection, declared[dataset.dataset_id], dataset)
                built[dataset.dataset_id] = dataset.last_updated_at.isoformat()
        return built

    def _dataset_built(
        self, connection: ConnectionProps, declared: DatasetInfo, dataset: DatasetInfo
    ) -> None:
        props = ConnectionAssetProps(connection=connection, dataset=declared)
        key = self.translator.get_asset_spec(props).key
        assert dataset.last_updated_at is not None
        if _already_recorded(self.context.instance, key, dataset.last_updated_at):
            return
        metadata: dict[str, Any] = {
            "conn/dataset_id": dataset.dataset_id,
            FINISHED_KEY: dg.MetadataValue.timestamp(dataset.last_updated_at),
        }
        if dataset.row_count is not None:
            metadata["dagster/row_count"] = dg.MetadataValue.int(dataset.row_count)
        schema = column_schema(dataset)
        if schema is not None:
            metadata["dagster/column_schema"] = schema
        self.events.append(dg.AssetMaterialization(asset_key=key, metadata=metadata))


def build_sync_sensor(
    *,
    name: str,
    connections: Sequence[ConnectionProps],
    translator: ConnectionTranslator | None = None,
    resource_keys: Mapping[str, str] | None = None,
    minimum_interval_seconds: int = 60,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
) -> dg.SensorDefinition:
    """A sensor recording syncs (and Faraday dataset builds) that ran outside Dagster.

    Use the same `connections`, `translator` and `resource_keys` as for
    `build_connection_assets`, so the events land on those assets. Connections
    of backends without syncs are skipped. A connection whose reads fail is
    logged and retried at the next tick; when every read fails the tick fails.
    Vendor calls per tick and connection: one GET (plus a `plan_connection`
    look-up until its id is known, and two GETs for Faraday datasets).
    """
    translator = translator or ConnectionTranslator()
    keys = dict(resource_keys or {})
    synced = [c for c in connections if Step.SYNC in backend_entry(c.backend).capabilities]
    required = {keys.get(c.backend, c.backend) for c in synced}

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys=required,
        description="Records syncs and dataset builds the vendors ran on their own schedule.",
    )
    def _sensor(
        context: dg.SensorEvaluationContext, **_resources: Any
    ) -> dg.SensorResult | dg.SkipReason:
        # Invoked directly, Dagster also passes the required resources as keywords;
        # they are read from the context either way.
        tick = _Tick(context, translator, read_cursor(context.cursor))
        errors = []
        for connection in synced:
            key = keys.get(connection.backend, connection.backend)
            resource = connection_resource(context, key, connection.backend)
            try:
                tick.visit(resource, connection)
            except (dg.Failure, ConnError) as exc:
                text = exc.description if isinstance(exc, dg.Failure) else str(exc)
                context.log.warning(f"{connection.name}: not read this tick: {text}")
                errors.append(f"{connection.name}: {text}")
        if synced and len(errors) == len(synced):
            raise dg.Failure(description="no connection could be read: " + "; ".join(errors))
        cursor = _write_cursor(tick.markers)
        if not tick.events:
            context.update_cursor(cursor)
            return dg.SkipReason("no sync finished since the last tick")
        return dg.SensorResult(asset_events=tick.events, cursor=cursor)

    return _sensor
