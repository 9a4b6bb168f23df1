"""Dagster integration for driving ELT connections (Fivetran, Faraday, a connections hub).

Everything a user needs is importable from here; module paths are internal.

    import dagster as dg
    from dagster_conn import FivetranResource, build_connection_job

    defs = dg.Definitions(
        jobs=[build_connection_job(name="shop", backend="fivetran", spec={...})],
        resources={"fivetran": FivetranResource(api_key=dg.EnvVar("FIVETRAN_API_KEY"),
                                                api_secret=dg.EnvVar("FIVETRAN_API_SECRET"))},
    )
"""

from dagster_conn.assets import build_connection_assets
from dagster_conn.checks import build_connection_checks
from dagster_conn.components.connections import ConnectionsComponent
from dagster_conn.config import (
    DeleteConfig,
    EnsureConfig,
    ResyncConfig,
    SyncConfig,
    TableConfig,
    TriggerConfig,
    WaitConfig,
    WaitSyncConfig,
)
from dagster_conn.jobs import build_connection_job
from dagster_conn.ops import (
    build_delete_op,
    build_ensure_op,
    build_pause_op,
    build_resume_op,
    build_resync_op,
    build_sync_op,
    build_verify_op,
    build_wait_ready_op,
    build_wait_sync_op,
)
from dagster_conn.reconcile import ReconcileConfig, build_reconcile_job
from dagster_conn.resources import (
    ConnectionResource,
    FaradayResource,
    FivetranResource,
    HubResource,
)
from dagster_conn.sensors import build_sync_sensor
from dagster_conn.state import (
    dump_connection_props,
    fetch_connection_props,
    load_connection_props,
)
from dagster_conn.translator import ConnectionAssetProps, ConnectionProps, ConnectionTranslator

__all__ = [
    "ConnectionAssetProps",
    "ConnectionProps",
    "ConnectionResource",
    "ConnectionTranslator",
    "ConnectionsComponent",
    "DeleteConfig",
    "EnsureConfig",
    "FaradayResource",
    "FivetranResource",
    "HubResource",
    "ReconcileConfig",
    "ResyncConfig",
    "SyncConfig",
    "TableConfig",
    "TriggerConfig",
    "WaitConfig",
    "WaitSyncConfig",
    "build_connection_assets",
    "build_connection_checks",
    "build_connection_job",
    "build_delete_op",
    "build_ensure_op",
    "build_pause_op",
    "build_reconcile_job",
    "build_resume_op",
    "build_resync_op",
    "build_sync_op",
    "build_sync_sensor",
    "build_verify_op",
    "build_wait_ready_op",
    "build_wait_sync_op",
    "dump_connection_props",
    "fetch_connection_props",
    "load_connection_props",
]
