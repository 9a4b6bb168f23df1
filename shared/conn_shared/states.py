"""What the lifecycle verbs return, in backend-neutral words: plain-JSON pydantic models.

    Step            a lifecycle step a backend may or may not support
    ConnectionInfo  a connection as every backend can describe it
    EnsureResult    what `ensure_connection` did (found or created; updated or not)
    ConnectionPlan  what `ensure_connection` would do (`plan_connection`): create, update, none
      FieldChange     one setting an update would change (secrets only as the redacted marker)
      PlanAction      create / update / none
    Readiness       pending / ready / failed, with the reason (ReadinessState)
    SyncHandle      a requested sync and the state seen before asking (SyncKind)
    SyncOutcome     running / succeeded / failed / rescheduled (SyncState)
    TableRef        one table to resync
    ConnectionHealth   one read of a connection for observers: readiness, pause, last syncs
    ConnectionCatalog  what a connection holds: its tables (TableInfo, ColumnInfo), what the
                       vendor read (contents) and, on Faraday, the datasets (DatasetInfo)

Every model is frozen and serializes to plain JSON (`model_dump(mode="json")`),
so it can cross an Airflow XCom, a trigger event or a Dagster cursor. `raw`
fields keep the vendor's own object with secrets redacted; a plan never holds a
secret value at all.
"""

from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ColumnInfo",
    "ConnectionCatalog",
    "ConnectionHealth",
    "ConnectionInfo",
    "ConnectionPlan",
    "DatasetInfo",
    "EnsureResult",
    "FieldChange",
    "PlanAction",
    "Readiness",
    "ReadinessState",
    "Step",
    "SyncHandle",
    "SyncKind",
    "SyncOutcome",
    "SyncReport",
    "SyncState",
    "TableInfo",
    "TableRef",
]


class Step(str, Enum):
    """A lifecycle step a backend may or may not support."""

    ENSURE = "ensure"
    VERIFY = "verify"
    READINESS = "readiness"
    SYNC = "sync"
    RESYNC = "resync"
    RESYNC_TABLES = "resync_tables"
    SYNC_OUTCOME = "sync_outcome"
    PAUSE = "pause"
    RESUME = "resume"
    DELETE = "delete"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConnectionInfo(_Model):
    """A connection as every backend can describe it; `raw` is the vendor object, redacted."""

    backend: str
    connection_id: str
    name: str | None = None
    paused: bool | None = None
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


class EnsureResult(_Model):
    """What `ensure_connection` did: found or created, and whether it updated drifted config."""

    connection: ConnectionInfo
    created: bool
    updated: bool = False


class PlanAction(str, Enum):
    """What `ensure_connection` would do to the connection a spec identifies."""

    CREATE = "create"
    UPDATE = "update"
    NONE = "none"


class FieldChange(_Model):
    """One setting an update would change, under the vendor's own (dotted) field name.

    `current` is None when the connection lacks the field. For a secret field
    (`secret` true) both values are the redacted marker `***`, or None when
    the vendor reports the secret unset: a plan never holds a secret.
    """

    field: str
    current: Any = None
    desired: Any = None
    secret: bool = False


class ConnectionPlan(_Model):
    """What `ensure_connection` would do, found out with reads only (`plan_connection`).

    Attributes:
        backend: the backend's name.
        action: create, update or none.
        name: the connection's name (its identity, as the vendor shows it).
        connection_id: the existing connection (update, none); None for a create.
        settings: for a create, the settings it would send, under the vendor's field
            names; secret values show as the redacted marker `***`.
        changes: for an update, the field-level diff of what it would change.
        notes: what ensure will deliberately leave alone, and why (e.g. a read-only
            connection whose drift cannot be fixed).
    """

    backend: str
    action: PlanAction
    name: str | None = None
    connection_id: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    changes: tuple[FieldChange, ...] = ()
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """The plan as text for logs and task output: a head line, then one line per change."""
        target = self.connection_id or "(new)"
        head = f"{self.action.value} {self.backend} connection {target}"
        if self.name:
            head += f" ({self.name})"
        lines = [head]
        if self.action is PlanAction.CREATE:
            lines += [f"  {key} = {value!r}" for key, value in self.settings.items()]
        lines += [f"  {c.field}: {c.current!r} -> {c.desired!r}" for c in self.changes]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


class ReadinessState(str, Enum):
    """Normalized readiness of a connection.

    `paused`: the vendor has the connection switched off (the hub's "disabled")
    so it cannot become ready until someone resumes it.
    """

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    PAUSED = "paused"


class Readiness(_Model):
    """Whether a connection can be used, and if it failed, why."""

    backend: str
    connection_id: str
    state: ReadinessState
    reason: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


class SyncKind(str, Enum):
    """A normal incremental sync, or a resync (historical / rebuild)."""

    SYNC = "sync"
    RESYNC = "resync"


class TableRef(_Model):
    """One table to resync: its schema (source namespace) and table name, neither empty."""

    schema_name: str = Field(alias="schema", min_length=1)
    table: str = Field(min_length=1)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SyncHandle(_Model):
    """A sync that was asked for, with the state observed before asking.

    `before` holds the backend's markers (e.g. Fivetran's succeeded_at/failed_at)
    that tell a finished sync from an earlier one; it is plain JSON so the handle
    can travel through XCom, trigger payloads and Dagster cursors.
    """

    backend: str
    connection_id: str
    kind: SyncKind
    requested_at: datetime
    before: dict[str, Any] = Field(default_factory=dict)
    tables: tuple[TableRef, ...] | None = None


class SyncState(str, Enum):
    """Normalized state of a requested sync.

    pending      asked for, but the vendor shows no sync started since (queued, scheduled)
    running      a sync is in progress (or the vendor reports a state we do not know)
    succeeded    a sync completed successfully after the request
    failed       a sync failed after the request, and none succeeded since
    rescheduled  the vendor postponed it (`rescheduled_until`)
    paused       the connection is paused: nothing runs until it is resumed
    """

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RESCHEDULED = "rescheduled"
    PAUSED = "paused"


class SyncOutcome(_Model):
    """Where a requested sync stands; `rescheduled_until` is set when the vendor postponed it."""

    backend: str
    connection_id: str
    state: SyncState
    reason: str | None = None
    rescheduled_until: datetime | None = None
    finished_at: datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


class SyncReport(_Model):
    """What an orchestrator records about one requested sync: small, flat, plain JSON.

    The same payload whichever way the wait ran (an Airflow task or trigger, a
    Dagster op or asset), so XCom values and metadata compare equal. No vendor
    object: `raw` stays on `SyncOutcome`.

    Attributes:
        requested_at / finished_at: when the sync was asked for and when the
            vendor says it ended (None while it runs).
        duration_seconds: finished_at - requested_at, in seconds (None while it runs).
        url: the connection's page in the vendor's UI, when there is one.
    """

    backend: str
    connection_id: str
    kind: SyncKind
    state: SyncState
    reason: str | None = None
    requested_at: datetime
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    rescheduled_until: datetime | None = None
    url: str | None = None

    @classmethod
    def of(cls, handle: SyncHandle, outcome: SyncOutcome, *, url: str | None) -> "SyncReport":
        """The report of `outcome` for the sync `handle` asked for."""
        duration = None
        if outcome.finished_at is not None:
            duration = max(0.0, (outcome.finished_at - handle.requested_at).total_seconds())
        return cls(
            backend=handle.backend,
            connection_id=handle.connection_id,
            kind=handle.kind,
            state=outcome.state,
            reason=outcome.reason,
            requested_at=handle.requested_at,
            finished_at=outcome.finished_at,
            duration_seconds=duration,
            rescheduled_until=outcome.rescheduled_until,
            url=url,
        )


class ConnectionHealth(_Model):
    """One read of a connection, for observers (asset checks, sensors); sends one GET.

    Attributes:
        readiness / reason: as `Readiness` would report them.
        paused: True while the vendor has the connection paused (Fivetran) or
            disabled (hub); None where the vendor has no pause (Faraday).
        last_synced_at: when the latest successful sync ended (Fivetran's
            `succeeded_at`, Faraday's `last_updated_output_at`); None before the
            first one, and always on a backend without syncs (the hub).
        last_failed_at: when the latest failed sync ended; None if none did.
    """

    backend: str
    connection_id: str
    name: str | None = None
    readiness: ReadinessState
    reason: str | None = None
    paused: bool | None = None
    last_synced_at: datetime | None = None
    last_failed_at: datetime | None = None

    @classmethod
    def of(
        cls,
        readiness: Readiness,
        *,
        name: str | None,
        paused: bool | None = None,
        last_synced_at: datetime | None = None,
        last_failed_at: datetime | None = None,
    ) -> "ConnectionHealth":
        """The health of the connection `readiness` describes, with what else was read."""
        return cls(
            backend=readiness.backend,
            connection_id=readiness.connection_id,
            name=name,
            readiness=readiness.state,
            reason=readiness.reason,
            paused=paused,
            last_synced_at=last_synced_at,
            last_failed_at=last_failed_at,
        )


class ColumnInfo(_Model):
    """One column of a table; `data_type` is the vendor's word for it, when it gives one."""

    name: str
    data_type: str | None = None
    primary_key: bool | None = None


class TableInfo(_Model):
    """One table: its schema (None where the vendor names tables without one) and columns.

    `row_count` is set only where the vendor reports it (Faraday's contents).
    """

    schema_name: str | None = None
    table: str
    columns: tuple[ColumnInfo, ...] = ()
    row_count: int | None = None


class DatasetInfo(_Model):
    """A dataset built from the connection (Faraday), with its build state.

    `last_updated_at` is when its latest successful build ended; `columns` and
    `row_count` are what the vendor detected in it, once built.
    """

    dataset_id: str
    name: str | None = None
    readiness: ReadinessState
    reason: str | None = None
    last_updated_at: datetime | None = None
    row_count: int | None = None
    columns: tuple[ColumnInfo, ...] = ()


class ConnectionCatalog(_Model):
    """What a connection holds, read with GETs only (`get_catalog`).

    Attributes:
        tables: the tables the connection syncs or exposes one by one (Fivetran's
            enabled destination tables, the hub's schema tables); None when they
            are not known (yet), with `reason` saying why.
        contents: what the vendor reports having read, with row counts, for a
            connection that is built as a whole (Faraday).
        datasets: the datasets built from the connection (Faraday).
    """

    backend: str
    connection_id: str
    tables: tuple[TableInfo, ...] | None = None
    reason: str | None = None
    contents: tuple[TableInfo, ...] = ()
    datasets: tuple[DatasetInfo, ...] = ()
