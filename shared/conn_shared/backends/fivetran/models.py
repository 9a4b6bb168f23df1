"""Fivetran v1 connection objects, with the API's own field names.

Every model keeps unknown fields (`extra="allow"`), and every status or option
type is an open enum: a value a newer API version adds is kept as a string and
reported, never a parse failure. Values the definition declares a string enum
but real responses send differently (integer `sync_frequency`, null
`succeeded_at`/`failed_at`, absent `schedule_type`, setup-test `details` of
any JSON type) are accepted in both shapes.

`repr()` and `str()` redact credential-named keys at any depth (Fivetran masks
secrets in responses, but a config echoed by a simulator or an older API might
not), and the Connect Card token is a `SecretStr`.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from conn_shared.backends.open_enum import OpenEnum
from conn_shared.redaction import REDACTED, redact

__all__ = [
    "BACKEND",
    "LIST_PLACEHOLDERS",
    "PERSISTENT_PATCH_FIELDS",
    "ActionResult",
    "Certificate",
    "ColumnConfig",
    "ColumnsConfig",
    "ConnectCard",
    "ConnectCardConfig",
    "ConnectCardResult",
    "Connection",
    "ConnectionState",
    "ConnectionStatus",
    "ConnectionTask",
    "ConnectionView",
    "ConnectionWarning",
    "DataDelaySensitivity",
    "DestinationConfiguration",
    "DestinationSchemaNames",
    "EnabledPatchSettings",
    "Fingerprint",
    "FivetranSyncState",
    "NetworkingMethod",
    "ScheduleType",
    "SchemaChangeHandling",
    "SchemaConfig",
    "SchemaStatus",
    "Service",
    "SetupState",
    "SetupTest",
    "SetupTestStatus",
    "StandardConfig",
    "StatusView",
    "SyncMode",
    "TableConfig",
    "UpdateState",
]

#: This backend's name in results, errors and the registry.
BACKEND = "fivetran"
#: PATCH fields that change the connection; the others only steer its setup tests.
PERSISTENT_PATCH_FIELDS = frozenset(
    {
        "config",
        "auth",
        "paused",
        "sync_frequency",
        "data_delay_threshold",
        "data_delay_sensitivity",
        "daily_sync_time",
        "pause_after_trial",
        "schema_status",
        "is_historical_sync",
        "schedule_type",
        "networking_method",
        "hybrid_deployment_agent_id",
        "proxy_agent_id",
        "private_link_id",
        "destination_configuration",
        "external_secrets_manager_id",
        "external_secrets_keys_config",
    }
)


class SetupState(OpenEnum):
    """`status.setup_state`: incomplete (setup tests never passed), connected, broken."""

    INCOMPLETE = "incomplete"
    CONNECTED = "connected"
    BROKEN = "broken"


class FivetranSyncState(OpenEnum):
    """`status.sync_state`: scheduled, syncing, paused, rescheduled (waiting for quota)."""

    SCHEDULED = "scheduled"
    SYNCING = "syncing"
    PAUSED = "paused"
    RESCHEDULED = "rescheduled"


class UpdateState(OpenEnum):
    """`status.update_state`: on_schedule or delayed."""

    ON_SCHEDULE = "on_schedule"
    DELAYED = "delayed"


class SchemaStatus(OpenEnum):
    """`status.schema_status` (Universal Column Masking flow only)."""

    BLOCKED_ON_CAPTURE = "blocked_on_capture"
    BLOCKED_ON_CUSTOMER = "blocked_on_customer"
    READY = "ready"


class SetupTestStatus(OpenEnum):
    """A setup test's result."""

    PASSED = "PASSED"
    SKIPPED = "SKIPPED"
    WARNING = "WARNING"
    FAILED = "FAILED"
    JOB_FAILED = "JOB_FAILED"


class ScheduleType(OpenEnum):
    """`schedule_type`: syncs on a schedule (auto) or only when triggered (manual)."""

    AUTO = "auto"
    MANUAL = "manual"


class DataDelaySensitivity(OpenEnum):
    """`data_delay_sensitivity`: how soon a delay is reported."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CUSTOM = "CUSTOM"
    SYNC_FREQUENCY = "SYNC_FREQUENCY"


class NetworkingMethod(OpenEnum):
    """`networking_method`: how Fivetran reaches the source."""

    DIRECTLY = "Directly"
    SSH_TUNNEL = "SshTunnel"
    PRIVATE_LINK = "PrivateLink"
    PROXY_AGENT = "ProxyAgent"
    UNMANAGED_PROXY_AGENT = "UnmanagedProxyAgent"
    UNKNOWN = "Unknown"


class DestinationSchemaNames(OpenEnum):
    """`destination_schema_names`: Fivetran's or the source's naming."""

    FIVETRAN_NAMING = "FIVETRAN_NAMING"
    SOURCE_NAMING = "SOURCE_NAMING"


class SchemaChangeHandling(OpenEnum):
    """How new schemas, tables and columns are handled."""

    ALLOW_ALL = "ALLOW_ALL"
    ALLOW_COLUMNS = "ALLOW_COLUMNS"
    BLOCK_ALL = "BLOCK_ALL"


class SyncMode(OpenEnum):
    """A table's sync mode."""

    SOFT_DELETE = "SOFT_DELETE"
    HISTORY = "HISTORY"
    LIVE = "LIVE"


class Service(OpenEnum):
    """The connector type. The API knows about 770 services; a few common ones are named here.

    Any other value is just as valid: `is_known` only says whether it is one of these.
    """

    GOOGLE_SHEETS = "google_sheets"
    GOOGLE_ADS = "google_ads"
    POSTGRES = "postgres"
    MYSQL = "mysql"
    SALESFORCE = "salesforce"
    SNOWFLAKE = "snowflake"
    S3 = "s3"


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, value if name is None else redact({name: value})[name]


class ConnectionTask(_Model):
    """Something the user must do for the connection to work."""

    code: str | None = None
    message: str | None = None
    details: Any = None


class ConnectionWarning(ConnectionTask):
    """A condition worth knowing about, e.g. `resync_table_warning`."""


class ConnectionStatus(_Model):
    """The connection's `status` object."""

    setup_state: SetupState
    sync_state: FivetranSyncState
    update_state: UpdateState | None = None
    is_historical_sync: bool = False
    rescheduled_for: datetime | None = None
    schema_status: SchemaStatus | None = None
    tasks: list[ConnectionTask] = Field(default_factory=list)
    warnings: list[ConnectionWarning] = Field(default_factory=list)


class SetupTest(_Model):
    """One setup-test step; `details` may be any JSON value (real responses send strings)."""

    title: str
    status: SetupTestStatus
    message: str | None = None
    details: Any = None

    @property
    def failed(self) -> bool:
        """True for FAILED and JOB_FAILED."""
        return self.status in (SetupTestStatus.FAILED, SetupTestStatus.JOB_FAILED)


class ConnectCardConfig(_Model):
    """Connect Card options: where to send the user afterwards, what to show."""

    redirect_uri: str
    hide_setup_guide: bool | None = None
    all_fields: bool | None = None


class ConnectCard(_Model):
    """A Connect Card: the short-lived token and the URI embedding it (both hidden in repr)."""

    token: SecretStr | None = None
    uri: str | None = Field(default=None, repr=False)


class DestinationConfiguration(_Model):
    """Destination-specific connection settings."""

    virtual_warehouse: str | None = None


class Connection(_Model):
    """A Fivetran connection (`ConnectorResponseV1`).

    `schema_name` is the API's `schema` field: the connection's name, unique in
    its group (`schema`, `schema.table` or the schema prefix, by service).
    """

    id: str
    group_id: str
    service: Service
    schema_name: str = Field(alias="schema")
    paused: bool = False
    status: ConnectionStatus
    config: dict[str, Any] = Field(default_factory=dict)
    setup_tests: list[SetupTest] = Field(default_factory=list)
    sync_frequency: int | None = None
    schedule_type: ScheduleType | None = None
    daily_sync_time: str | None = None
    succeeded_at: datetime | None = None
    failed_at: datetime | None = None
    created_at: datetime | None = None
    connected_by: str | None = None
    service_version: int | None = None
    pause_after_trial: bool | None = None
    data_delay_sensitivity: DataDelaySensitivity | None = None
    data_delay_threshold: int | None = None
    networking_method: NetworkingMethod | None = None
    proxy_agent_id: str | None = None
    private_link_id: str | None = None
    hybrid_deployment_agent_id: str | None = None
    external_secrets_manager_id: str | None = None
    destination_schema_names: DestinationSchemaNames | None = None
    destination_configuration: DestinationConfiguration | None = None
    connect_card: ConnectCard | None = Field(default=None, repr=False)
    connect_card_config: ConnectCardConfig | None = None
    source_sync_details: Any = None

    def redacted(self) -> dict[str, Any]:
        """The connection as plain JSON with secrets hidden, for `raw` in normalized results."""
        data: dict[str, Any] = redact(self.model_dump(mode="json", by_alias=True))
        card = data.get("connect_card")
        if isinstance(card, dict) and card.get("uri"):
            card["uri"] = REDACTED  # the URI embeds the Connect Card token
        return data


class _View(BaseModel):
    # Only the declared fields are read; everything else in the object is skipped.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class StatusView(_View):
    """The parts of `status` that readiness and sync outcomes depend on."""

    setup_state: SetupState
    sync_state: FivetranSyncState
    is_historical_sync: bool = False
    rescheduled_for: datetime | None = None
    tasks: list[ConnectionTask] = Field(default_factory=list)


class ConnectionView(_View):
    """What a poll decides on: a connection's state without its configuration.

    Parsing it costs a fraction of a full `Connection`; the full object is built
    once, for the result that ends a wait.
    """

    id: str
    paused: bool = False
    schedule_type: ScheduleType | None = None
    succeeded_at: datetime | None = None
    failed_at: datetime | None = None
    status: StatusView
    setup_tests: list[SetupTest] = Field(default_factory=list)


#: What a listed connection gets for a field that did not parse (see `parse_items`):
#: its identity (id, group_id, schema) is enough for `ensure` to find it.
LIST_PLACEHOLDERS: dict[str, Any] = {
    "status": {"setup_state": "unknown", "sync_state": "unknown"},
    "service": "unknown",
}


class ConnectCardResult(_Model):
    """The answer to creating a Connect Card for an existing connection."""

    connector_id: str
    connect_card: ConnectCard | None = Field(default=None, repr=False)
    connect_card_config: ConnectCardConfig | None = None


class ConnectionState(_Model):
    """A Function / Connector SDK connection's saved state (a cursor, usually)."""

    state: dict[str, Any] = Field(default_factory=dict)


class EnabledPatchSettings(_Model):
    """Whether a table or column may be enabled or disabled, and if not, why."""

    allowed: bool
    reason: str | None = None
    reason_code: str | None = None


class ColumnConfig(_Model):
    """One column's sync settings."""

    enabled: bool
    hashed: bool | None = None
    is_primary_key: bool | None = None
    name_in_destination: str | None = None
    enabled_patch_settings: EnabledPatchSettings | None = None


class TableConfig(_Model):
    """One table's sync settings and its columns, keyed by column name."""

    enabled: bool
    name_in_destination: str | None = None
    sync_mode: SyncMode | None = None
    supports_columns_config: bool | None = None
    supports_history_mode: bool | None = None
    enabled_patch_settings: EnabledPatchSettings | None = None
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)


class SchemaConfig(_Model):
    """One source schema's sync settings and its tables, keyed by table name."""

    enabled: bool
    name_in_destination: str | None = None
    tables: dict[str, TableConfig] = Field(default_factory=dict)


class StandardConfig(_Model):
    """A connection's schema configuration: schemas keyed by name."""

    schema_change_handling: SchemaChangeHandling | None = None
    enable_new_by_default: bool | None = None
    is_type_locked: bool | None = None
    schemas: dict[str, SchemaConfig] = Field(default_factory=dict)


class ColumnsConfig(_Model):
    """One table's columns, keyed by column name."""

    columns: dict[str, ColumnConfig] = Field(default_factory=dict)


class Certificate(_Model):
    """A TLS certificate approved for the connection."""

    hash: str
    id: str | None = None
    name: str | None = None
    public_key: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    type: str | None = None
    validated_by: str | None = None
    validated_date: datetime | None = None


class Fingerprint(_Model):
    """An SSH host fingerprint approved for the connection."""

    hash: str
    id: str | None = None
    public_key: str | None = None
    validated_by: str | None = None
    validated_date: datetime | None = None


class ActionResult(_Model):
    """The `{code, message}` answer of actions that return no object (sync, resync, delete)."""

    code: str
    message: str | None = None
