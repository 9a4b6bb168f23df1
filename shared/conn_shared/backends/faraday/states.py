"""Faraday's states mapped onto the shared lifecycle types: pure functions, no I/O.

    readiness   ready <- status "ready"; failed <- "error" (reason: `status_error`,
                else `contents_error`); pending <- "new", "starting", "running" and
                unknown statuses (an unknown one is named in the reason)
    sync        before-state: `status`, `last_updated_output_at`, `status_changed_at`.
                succeeded <- status "ready" and `last_updated_output_at` moved past the
                before-state; failed <- status "error" and `status_changed_at` moved
                past it; running otherwise
    info        `paused` is None: Faraday has no pause
    health      readiness as above; last_synced_at <- `last_updated_output_at`;
                last_failed_at <- `status_changed_at` while the status is "error"
    catalog     no tables one by one (a connection is built as a whole); `contents`
                with their row counts; datasets with the same status mapping, their
                `last_updated_output_at`, `row_count` and `detected_columns`

- `readiness_of(connection)` -> `Readiness`
- `sync_before(connection)` -> the JSON before-state a `SyncHandle` carries
- `sync_outcome_of(connection, before)` -> `SyncOutcome`
- `connection_info(connection)` -> `ConnectionInfo`
- `health_of(connection)` -> `ConnectionHealth`
- `catalog_of(connection, datasets)` -> `ConnectionCatalog`
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from conn_shared.backends.faraday.models import (
    BACKEND,
    Connection,
    ConnectionView,
    ContentsRow,
    Dataset,
    DatasetColumn,
    ResourceStatus,
)
from conn_shared.coalesce import Reading
from conn_shared.probes import probe_of_readiness, probe_of_sync
from conn_shared.redaction import redact, scrub_values
from conn_shared.states import (
    ColumnInfo,
    ConnectionCatalog,
    ConnectionHealth,
    ConnectionInfo,
    DatasetInfo,
    Readiness,
    ReadinessState,
    SyncOutcome,
    SyncState,
    TableInfo,
)
from conn_shared.waiting import Probe

__all__ = [
    "catalog_of",
    "connection_info",
    "health_of",
    "raw_of",
    "readiness_of",
    "readiness_probe",
    "sync_before",
    "sync_outcome_of",
    "sync_probe",
]

_PENDING = frozenset({ResourceStatus.NEW, ResourceStatus.STARTING, ResourceStatus.RUNNING})


def _raw(connection: Connection) -> dict[str, Any]:
    raw: dict[str, Any] = redact(connection.model_dump(mode="json", by_alias=True))
    return raw


def connection_info(connection: Connection, *, hide: Sequence[str] = ()) -> ConnectionInfo:
    """The backend-neutral view; `paused` is None because Faraday has no pause.

    `hide` lists literal secrets (a spec's) to scrub from `raw` as well.
    """
    return ConnectionInfo(
        backend=BACKEND,
        connection_id=connection.id,
        name=connection.name,
        paused=None,
        raw=scrub_values(_raw(connection), hide),
    )


def _failure_reason(connection: Connection | ConnectionView) -> str:
    return connection.status_error or connection.contents_error or "status is error, no message"


def raw_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The redacted object for `raw`: as a validated `Connection` dumps it when the object
    validates, else the object as received, redacted."""
    try:
        return _raw(Connection.model_validate(data))
    except ValidationError:
        raw: dict[str, Any] = redact(dict(data))
        return raw


def readiness_of(connection: Connection) -> Readiness:
    """ready <- "ready"; failed <- "error"; pending <- new/starting/running or an unknown status."""
    return _readiness(connection, _raw(connection))


def readiness_probe(reading: Reading[ConnectionView]) -> Probe[Readiness]:
    """The cheap readiness of a poll; `build()` adds the redacted object once."""
    light = _readiness(reading.view, {})
    return probe_of_readiness(light, lambda: raw_of(reading.data), age=reading.age)


def _readiness(connection: Connection | ConnectionView, raw: dict[str, Any]) -> Readiness:
    status = connection.status
    reason: str | None = None
    if status == ResourceStatus.READY:
        state = ReadinessState.READY
    elif status == ResourceStatus.ERROR:
        state = ReadinessState.FAILED
        reason = _failure_reason(connection)
    else:
        state = ReadinessState.PENDING
        if status not in _PENDING:
            reason = f"unknown Faraday status {str(status)!r}, treated as pending"
    return Readiness(
        backend=BACKEND,
        connection_id=connection.id,
        state=state,
        reason=reason,
        raw=raw,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def sync_before(connection: Connection) -> dict[str, Any]:
    """The markers a later outcome is compared with, as plain JSON."""
    return {
        "status": str(connection.status),
        "last_updated_output_at": _iso(connection.last_updated_output_at),
        "status_changed_at": _iso(connection.status_changed_at),
    }


def _advanced(now: datetime | None, before: Any) -> bool:
    """True when `now` is later than the recorded `before` (an ISO string or None)."""
    if now is None:
        return False
    if not isinstance(before, str):
        return True
    try:
        then = datetime.fromisoformat(before.replace("Z", "+00:00"))
    except ValueError:
        return now.isoformat() != before
    if then.tzinfo is None:
        then = then.replace(tzinfo=now.tzinfo)
    return now > then


def sync_outcome_of(connection: Connection, before: Mapping[str, Any]) -> SyncOutcome:
    """Compare `connection` with the before-state (table in `_sync_outcome`)."""
    return _sync_outcome(connection, before, _raw(connection))


def sync_probe(reading: Reading[ConnectionView], before: Mapping[str, Any]) -> Probe[SyncOutcome]:
    """The cheap outcome of a poll; `build()` adds the redacted object once."""
    light = _sync_outcome(reading.view, before, {})
    return probe_of_sync(light, lambda: raw_of(reading.data), age=reading.age)


def _sync_outcome(
    connection: Connection | ConnectionView, before: Mapping[str, Any], raw: dict[str, Any]
) -> SyncOutcome:
    """Compare `connection` with the before-state (first match wins).

    succeeded: `last_updated_output_at` moved past the before-state, whatever the
    status is now (a late poll may see a later rerun, but our output was made);
    failed: status "error" and `status_changed_at` moved past it; running: status
    new, starting or running (or unknown, named in the reason); pending: nothing
    moved yet, the rerun is still queued.
    """
    status = connection.status
    state = SyncState.PENDING
    reason: str | None = None
    finished_at: datetime | None = None
    if _advanced(connection.last_updated_output_at, before.get("last_updated_output_at")):
        state = SyncState.SUCCEEDED
        finished_at = connection.last_updated_output_at
    elif status == ResourceStatus.ERROR and _advanced(
        connection.status_changed_at, before.get("status_changed_at")
    ):
        state = SyncState.FAILED
        reason = _failure_reason(connection)
        finished_at = connection.status_changed_at
    elif status in _PENDING:
        state = SyncState.RUNNING
    elif not status.is_known:
        state = SyncState.RUNNING
        reason = f"unknown Faraday status {str(status)!r}, treated as running"
    return SyncOutcome(
        backend=BACKEND,
        connection_id=connection.id,
        state=state,
        reason=reason,
        finished_at=finished_at,
        raw=raw,
    )


def _state_of(status: ResourceStatus) -> ReadinessState:
    if status == ResourceStatus.READY:
        return ReadinessState.READY
    if status == ResourceStatus.ERROR:
        return ReadinessState.FAILED
    return ReadinessState.PENDING


def health_of(connection: Connection) -> ConnectionHealth:
    """Readiness and the last build times of one connection read (no pause on Faraday)."""
    failed_at = connection.status_changed_at if connection.status == ResourceStatus.ERROR else None
    return ConnectionHealth.of(
        readiness_of(connection),
        name=connection.name,
        last_synced_at=connection.last_updated_output_at,
        last_failed_at=failed_at,
    )


def _count(value: float | None) -> int | None:
    return None if value is None else int(value)


def _column(column: DatasetColumn) -> ColumnInfo:
    kind = column.data_type
    data_type = kind if isinstance(kind, str) else None if kind is None else str(kind)
    return ColumnInfo(name=column.name, data_type=data_type)


def _dataset(dataset: Dataset) -> DatasetInfo:
    state = ReadinessState.PENDING if dataset.status is None else _state_of(dataset.status)
    return DatasetInfo(
        dataset_id=dataset.id,
        name=dataset.name,
        readiness=state,
        reason=dataset.status_error if state is ReadinessState.FAILED else None,
        last_updated_at=dataset.last_updated_output_at,
        row_count=_count(dataset.row_count),
        columns=tuple(_column(c) for c in dataset.detected_columns or ()),
    )


def catalog_of(connection: Connection, datasets: Sequence[Dataset]) -> ConnectionCatalog:
    """The connection's contents (with row counts) and the datasets built from it.

    Archived datasets are left out: they no longer receive updates.
    """
    contents = tuple(
        TableInfo(table=row.name, row_count=_count(row.row_count))
        for row in connection.contents or ()
        if isinstance(row, ContentsRow)
    )
    return ConnectionCatalog(
        backend=BACKEND,
        connection_id=connection.id,
        reason="Faraday builds a connection as a whole: see its contents and datasets",
        contents=contents,
        datasets=tuple(_dataset(d) for d in datasets if d.archived_at is None),
    )
