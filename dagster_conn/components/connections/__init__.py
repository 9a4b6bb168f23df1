"""The connections-as-code component and its scaffolder."""

from dagster_conn.components.connections.component import (
    AccountModel,
    ConnectionModel,
    ConnectionsComponent,
    SensorModel,
)
from dagster_conn.components.connections.scaffolder import (
    ConnectionsComponentScaffolder,
    ConnectionsScaffoldParams,
)

__all__ = [
    "AccountModel",
    "ConnectionModel",
    "ConnectionsComponent",
    "ConnectionsComponentScaffolder",
    "ConnectionsScaffoldParams",
    "SensorModel",
]
