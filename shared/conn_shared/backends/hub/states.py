"""Hub connection statuses mapped onto the shared `Readiness` and `ConnectionInfo`: pure.

    readiness   "verified" -> ready; "error" -> failed (reason: verificationError
                and verificationErrorCode); "needs_verification" and "verifying" -> pending;
                "disabled" -> paused (it never becomes ready on its own, so a
                wait ends at once with ConnectionPausedError, unless its policy
                says to wait for a reactivation);
                any other status -> pending, its name in the reason.
    info        `paused` is true while the hub has the connection disabled.
    health      readiness and `paused` as above; no sync times (the hub has no syncs).
    catalog     the schema tables the connection exposes, with their columns.

The hub has no syncs, so there is no sync-outcome mapping.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from conn_shared.backends.hub.browse import SchemaColumn, SchemaTable
from conn_shared.backends.hub.models import BACKEND, ConnectionStatus, HubConnection
from conn_shared.redaction import redact, scrub_values
from conn_shared.states import (
    ColumnInfo,
    ConnectionHealth,
    ConnectionInfo,
    Readiness,
    ReadinessState,
    TableInfo,
)

__all__ = ["connection_info", "health_of", "readiness_of", "table_info"]
from pydantic import ValidationError

from conn_shared.backends.hub.models import (
    HubConnectionView,
)
from conn_shared.coalesce import Reading
from conn_shared.probes import probe_of_readiness
from conn_shared.waiting import Probe

__all__ = ["connection_info", "raw_of", "readiness_of", "readiness_probe"]


def _raw(connection: HubConnection) -> dict[str, Any]:
    dumped: dict[str, Any] = redact(connection.model_dump(mode="json", by_alias=True))
    return dumped


def readiness_of(connection: HubConnection) -> Readiness:
    """Map a hub connection's status onto `Readiness` (table in the module docstring)."""
    return _readiness(connection, _raw(connection))


def readiness_probe(reading: Reading[HubConnectionView]) -> Probe[Readiness]:
    """The cheap readiness of a poll; `build()` adds the redacted object once."""
    light = _readiness(reading.view, {})
    return probe_of_readiness(light, lambda: raw_of(reading.data), age=reading.age)


def raw_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The redacted object for `raw`: as a validated `HubConnection` dumps it when the
    object validates, else the object as received, redacted."""
    try:
        return _raw(HubConnection.model_validate(data))
    except ValidationError:
        raw: dict[str, Any] = redact(dict(data))
        return raw


def _readiness(connection: HubConnection | HubConnectionView, raw: dict[str, Any]) -> Readiness:
    status = connection.status
    reason: str | None
    if status == ConnectionStatus.VERIFIED:
        state, reason = ReadinessState.READY, None
    elif status == ConnectionStatus.ERROR:
        state, reason = ReadinessState.FAILED, _verification_failure(connection)
    elif status == ConnectionStatus.DISABLED:
        state, reason = ReadinessState.PAUSED, "disabled (reactivate it to use it)"
    elif status in (ConnectionStatus.NEEDS_VERIFICATION, ConnectionStatus.VERIFYING):
        state, reason = ReadinessState.PENDING, str(status)
    else:
        state, reason = ReadinessState.PENDING, f"unknown status {str(status)!r}"
    return Readiness(
        backend=BACKEND,
        connection_id=connection.id,
        state=state,
        reason=reason,
        raw=raw,
    )


def _verification_failure(connection: HubConnection | HubConnectionView) -> str:
    message = connection.verificationError or "verification failed"
    if connection.verificationErrorCode:
        return f"{message} [{connection.verificationErrorCode}]"
    return message


def connection_info(connection: HubConnection, *, hide: Sequence[str] = ()) -> ConnectionInfo:
    """The backend-neutral view; `paused` is true while the hub has it disabled.

    `hide` lists literal secrets (a spec's) to scrub from `raw` as well.
    """
    return ConnectionInfo(
        backend=BACKEND,
        connection_id=connection.id,
        name=connection.name,
        paused=connection.status == ConnectionStatus.DISABLED,
        raw=scrub_values(_raw(connection), hide),
    )


def health_of(connection: HubConnection) -> ConnectionHealth:
    """Readiness and `paused` (disabled) of one connection read; the hub has no syncs."""
    return ConnectionHealth.of(
        readiness_of(connection),
        name=connection.name,
        paused=connection.status == ConnectionStatus.DISABLED,
    )


def table_info(table: SchemaTable, columns: Sequence[SchemaColumn]) -> TableInfo:
    """One schema table and its columns in the shared words."""
    return TableInfo(
        schema_name=table.schema_name,
        table=table.table,
        columns=tuple(
            ColumnInfo(name=c.name, data_type=c.dataType, primary_key=c.primaryKey) for c in columns
        ),
    )
