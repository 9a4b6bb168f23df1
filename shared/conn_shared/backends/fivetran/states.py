"""Fivetran connection states mapped onto the shared `Readiness` and `SyncOutcome`: pure.

Readiness (first match wins):
    ready    status.setup_state == "connected"
    failed   setup_state == "broken", or any setup test FAILED / JOB_FAILED;
             reason: the failing tests' titles and messages (else the tasks' messages)
    pending  anything else (e.g. "incomplete" without failed tests, or a new state)

Sync outcome, against the before-state recorded when the sync was asked for
(`succeeded_at`, `failed_at` as ISO strings or null, `sync_state`,
`is_historical_sync`). A timestamp is *new* when it is later than both
before-values, so a sync that finished before we asked never counts. First
match wins:
    succeeded    succeeded_at is new (for a resync, status.is_historical_sync is
                 false again), whatever happened after it
    running      sync_state is "syncing"
    failed       failed_at is new (and no new success)
    rescheduled  sync_state is "rescheduled"; rescheduled_until = status.rescheduled_for
    paused       sync_state is "paused", or the connection is paused
    pending      sync_state is "scheduled": nothing has started since the request
    running      any other (unknown) sync_state, named in the reason

A new success wins over a later failure: a poll that comes late (a triggerer
that picked the wait up hours after the request) may see later scheduled syncs
fail, but the success after our request already gave the freshness the request
asked for. The same holds for a sync that was already running when we asked
(`force=False` attaches to it): its data is as fresh as its start, and
`force=True` is the choice when that is not enough.

Health (one GET of the connection): readiness as above, `paused`, and the
last sync times `succeeded_at` / `failed_at`. Catalog (GET .../schemas, then
GET .../columns for each table the tree lists without columns): the enabled
schemas' enabled tables and their enabled columns, under their names in the
destination; Fivetran reports no column types and no row counts.

A failed resync is reported at once even while `is_historical_sync` is still
true: Fivetran keeps the flag set until a historical sync succeeds, so waiting
for it to clear would turn every failure into a timeout.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from pydantic import TypeAdapter, ValidationError

from conn_shared.backends.fivetran.models import (
    BACKEND,
    ColumnConfig,
    ColumnsConfig,
    Connection,
    ConnectionView,
    FivetranSyncState,
    SetupState,
    StandardConfig,
)
from conn_shared.coalesce import Reading
from conn_shared.probes import probe_of_readiness, probe_of_sync
from conn_shared.redaction import redact, scrub_values
from conn_shared.states import (
    ColumnInfo,
    ConnectionHealth,
    ConnectionInfo,
    Readiness,
    ReadinessState,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    SyncState,
    TableInfo,
)
from conn_shared.waiting import Probe

__all__ = [
    "connection_info",
    "enabled_tables",
    "health_of",
    "raw_of",
    "readiness_of",
    "readiness_probe",
    "sync_marker",
    "sync_outcome_of",
    "sync_probe",
    "with_columns",
]

_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(datetime)


def connection_info(connection: Connection, *, hide: Sequence[str] = ()) -> ConnectionInfo:
    """The backend-neutral view of a connection; `raw` is redacted.

    `hide` lists literal secrets (from the spec) to scrub as well, in case the
    answer echoed one under a key that does not look like a credential.
    """
    return ConnectionInfo(
        backend=BACKEND,
        connection_id=connection.id,
        name=connection.schema_name,
        paused=connection.paused,
        raw=scrub_values(connection.redacted(), hide),
    )


def readiness_of(connection: Connection) -> Readiness:
    """Map setup state and setup-test results onto `Readiness` (table in the module doc)."""
    return _readiness(connection, connection.redacted())


def readiness_probe(reading: Reading[ConnectionView]) -> Probe[Readiness]:
    """The cheap readiness of a poll; `build()` adds the redacted object once."""
    light = _readiness(reading.view, {})
    return probe_of_readiness(light, lambda: raw_of(reading.data), age=reading.age)


def raw_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The redacted object for `raw`, as `Connection.redacted()` gives it when the object
    validates, else the object as received, redacted."""
    try:
        return Connection.model_validate(data).redacted()
    except ValidationError:
        raw: dict[str, Any] = redact(dict(data))
        return raw


def _readiness(connection: Connection | ConnectionView, raw: dict[str, Any]) -> Readiness:
    status = connection.status
    failed_tests = [test for test in connection.setup_tests if test.failed]
    state = ReadinessState.PENDING
    reason: str | None = None
    if status.setup_state == SetupState.CONNECTED:
        state = ReadinessState.READY
    elif status.setup_state == SetupState.BROKEN or failed_tests:
        state = ReadinessState.FAILED
        reasons = [f"{t.title}: {t.message}" if t.message else t.title for t in failed_tests]
        if not reasons:
            reasons = [t.message or t.code or "task" for t in status.tasks]
        reason = "; ".join(reasons) or f"setup_state is {status.setup_state}"
    elif not status.setup_state.is_known:
        reason = f"unknown setup_state {str(status.setup_state)!r}"
    return Readiness(
        backend=BACKEND,
        connection_id=connection.id,
        state=state,
        reason=reason,
        raw=raw,
    )


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def sync_marker(connection: Connection) -> dict[str, Any]:
    """The before-state a `SyncHandle` keeps: plain JSON, so the handle can travel.

    `group_id` lets waits on the group share one listing of it (older handles
    without it share the account's).
    """
    return {
        "succeeded_at": _iso(connection.succeeded_at),
        "failed_at": _iso(connection.failed_at),
        "sync_state": str(connection.status.sync_state),
        "is_historical_sync": connection.status.is_historical_sync,
        "group_id": connection.group_id,
    }


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = _TIMESTAMP.validate_python(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def sync_outcome_of(handle: SyncHandle, connection: Connection) -> SyncOutcome:
    """Compare `connection` with `handle.before` (table in the module doc)."""
    return _sync_outcome(handle, connection, connection.redacted())


def sync_probe(handle: SyncHandle, reading: Reading[ConnectionView]) -> Probe[SyncOutcome]:
    """The cheap outcome of a poll; `build()` adds the redacted object once."""
    light = _sync_outcome(handle, reading.view, {})
    return probe_of_sync(light, lambda: raw_of(reading.data), age=reading.age)


def _sync_outcome(
    handle: SyncHandle, connection: Connection | ConnectionView, raw: dict[str, Any]
) -> SyncOutcome:
    before = [_instant(handle.before.get(k)) for k in ("succeeded_at", "failed_at")]
    mark = max((t for t in before if t is not None), default=None)
    succeeded_at = _aware(connection.succeeded_at)
    failed_at = _aware(connection.failed_at)
    new_success = succeeded_at if succeeded_at and (mark is None or succeeded_at > mark) else None
    new_failure = failed_at if failed_at and (mark is None or failed_at > mark) else None
    status = connection.status

    state = SyncState.RUNNING
    reason: str | None = None
    finished_at: datetime | None = None
    rescheduled_until: datetime | None = None
    if new_success and not (handle.kind is SyncKind.RESYNC and status.is_historical_sync):
        state, finished_at = SyncState.SUCCEEDED, new_success
    elif status.sync_state == FivetranSyncState.SYNCING:
        pass
    elif new_failure:
        state, finished_at = SyncState.FAILED, new_failure
        tasks = "; ".join(t.message or t.code or "" for t in status.tasks if t.message or t.code)
        reason = f"sync failed at {new_failure.isoformat()}" + (f": {tasks}" if tasks else "")
    elif status.sync_state == FivetranSyncState.RESCHEDULED:
        state = SyncState.RESCHEDULED
        rescheduled_until = _aware(status.rescheduled_for)
        reason = "rescheduled by Fivetran until more source API quota is available"
    elif status.sync_state == FivetranSyncState.PAUSED or connection.paused:
        state = SyncState.PAUSED
        reason = "the connection is paused; nothing runs until it is resumed"
    elif status.sync_state == FivetranSyncState.SCHEDULED:
        state = SyncState.PENDING
    else:
        reason = f"unknown sync_state {str(status.sync_state)!r}, treated as running"
    return SyncOutcome(
        backend=BACKEND,
        connection_id=handle.connection_id,
        state=state,
        reason=reason,
        rescheduled_until=rescheduled_until,
        finished_at=finished_at,
        raw=raw,
    )


def health_of(connection: Connection) -> ConnectionHealth:
    """Readiness, pause and the last sync times of one connection read."""
    return ConnectionHealth.of(
        readiness_of(connection),
        name=connection.schema_name,
        paused=connection.paused,
        last_synced_at=_aware(connection.succeeded_at),
        last_failed_at=_aware(connection.failed_at),
    )


def _columns(columns: Mapping[str, ColumnConfig]) -> tuple[ColumnInfo, ...]:
    return tuple(
        ColumnInfo(name=col.name_in_destination or key, primary_key=col.is_primary_key)
        for key, col in columns.items()
        if col.enabled
    )


def enabled_tables(config: StandardConfig) -> list[tuple[str, str, TableInfo]]:
    """(source schema, source table, the table in the destination) of each enabled table.

    The columns come from the tree; a tree that lists none leaves them empty
    (Fivetran lists a table's columns only once they were configured).
    """
    found = []
    for schema_key, schema in config.schemas.items():
        if not schema.enabled:
            continue
        for table_key, table in schema.tables.items():
            if table.enabled:
                info = TableInfo(
                    schema_name=schema.name_in_destination or schema_key,
                    table=table.name_in_destination or table_key,
                    columns=_columns(table.columns),
                )
                found.append((schema_key, table_key, info))
    return found


def with_columns(table: TableInfo, columns: ColumnsConfig) -> TableInfo:
    """`table` with the enabled columns of a GET .../columns answer."""
    return table.model_copy(update={"columns": _columns(columns.columns)})
