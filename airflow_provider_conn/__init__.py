"""Apache Airflow provider for driving ELT connections (Fivetran, Faraday, a connections hub).

    from airflow_provider_conn import EnsureConnectionOperator, TriggerSyncOperator

The public names below are imported on first use, so that Airflow's provider
discovery (which only needs `get_provider_info`) imports nothing else.
"""

import importlib
from typing import TYPE_CHECKING, Any

from airflow_provider_conn.get_provider_info import get_provider_info

if TYPE_CHECKING:
    from airflow_provider_conn.assets import SyncCompletedTrigger, connection_asset
    from airflow_provider_conn.hooks import (
        ConnectionTypeError,
        ConnHook,
        FaradayHook,
        FivetranHook,
        HubHook,
    )
    from airflow_provider_conn.links import ConnectionLink
    from airflow_provider_conn.operators import (
        DeleteConnectionOperator,
        EnsureConnectionOperator,
        PauseConnectionOperator,
        ResumeConnectionOperator,
        TriggerSyncOperator,
        VerifyConnectionOperator,
    )
    from airflow_provider_conn.sensors import ConnectionReadySensor, SyncCompleteSensor
    from airflow_provider_conn.triggers import ConnectionReadyTrigger, SyncCompleteTrigger

__all__ = [
    "ConnHook",
    "ConnectionLink",
    "ConnectionReadySensor",
    "ConnectionReadyTrigger",
    "ConnectionTypeError",
    "DeleteConnectionOperator",
    "EnsureConnectionOperator",
    "FaradayHook",
    "FivetranHook",
    "HubHook",
    "PauseConnectionOperator",
    "ResumeConnectionOperator",
    "SyncCompleteSensor",
    "SyncCompleteTrigger",
    "SyncCompletedTrigger",
    "TriggerSyncOperator",
    "VerifyConnectionOperator",
    "connection_asset",
    "get_provider_info",
]

__version__ = "0.1.0"

_HOMES = {
    "ConnHook": "hooks",
    "ConnectionTypeError": "hooks",
    "FaradayHook": "hooks",
    "FivetranHook": "hooks",
    "HubHook": "hooks",
    "ConnectionLink": "links",
    "DeleteConnectionOperator": "operators",
    "EnsureConnectionOperator": "operators",
    "PauseConnectionOperator": "operators",
    "ResumeConnectionOperator": "operators",
    "TriggerSyncOperator": "operators",
    "VerifyConnectionOperator": "operators",
    "ConnectionReadySensor": "sensors",
    "SyncCompleteSensor": "sensors",
    "ConnectionReadyTrigger": "triggers",
    "SyncCompleteTrigger": "triggers",
    "SyncCompletedTrigger": "assets",
    "connection_asset": "assets",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'airflow_provider_conn' has no attribute {name!r}")
    return getattr(importlib.import_module(f"airflow_provider_conn.{home}"), name)
