"""Fivetran connections as stored records, how the API renders them, and the schema
tree the simulated source has.

The setup and sync transitions are in states.py (`SyncMachine`, mixed into `Connection`).

Rendering switches, set in a connection's `config` (merged on PATCH, echoed back):
`sim_rescheduled_for` = "omit" | "null" leaves `status.rescheduled_for` out of a
rescheduled connection, or sends it as null; `sim_list_omit` = a list of top-level keys
(e.g. ["status"]) left out of the connection's items in list pages.
"""

from dataclasses import dataclass, field
from typing import Any

from conn_shared.sim.fivetran.states import SyncMachine, Timings

__all__ = [
    "SIM_USER_ID",
    "SOURCE_COLUMNS",
    "SYNC_FREQUENCIES",
    "Connection",
    "Group",
    "source_schema_config",
    "supports_state",
    "supports_table_resync",
    "table_entry",
]

#: The one user of the simulated account: it owns the API key and connects everything.
SIM_USER_ID = "sim_user"
#: The columns of every table of the simulated source.
SOURCE_COLUMNS = ("id", "name", "email", "updated_at")

SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
_SECRET_KEYS = frozenset(
    {"password", "api_key", "api_secret", "secret", "client_secret", "private_key", "token"}
)
_TABLE_RESYNC_MARKERS = ("postgres", "mysql", "maria", "oracle", "sql_server", "aurora", "db2")
_STATE_SERVICES = frozenset(
    {"connector_sdk", "aws_lambda", "azure_function", "google_cloud_function"}
)


def supports_table_resync(service: str) -> bool:
    """Database connectors re-sync single tables; the others answer 400 to a `scope`."""
    return any(marker in service for marker in _TABLE_RESYNC_MARKERS)


def supports_state(service: str) -> bool:
    """Only Function and Connector SDK connections have a readable/writable state."""
    return service in _STATE_SERVICES


def source_schema_config(schema: str, service: str) -> dict[str, Any]:
    """The schema tree a new connection "discovers": one schema, three enabled tables."""
    if supports_table_resync(service):
        schemas = {"public": _schema_entry(f"{schema}_public")}
    else:
        schemas = {
            schema.split(".", maxsplit=1)[0]: _schema_entry(schema.split(".", maxsplit=1)[0])
        }
    return {
        "enable_new_by_default": True,
        "schema_change_handling": "ALLOW_ALL",
        "schemas": schemas,
    }


def _schema_entry(name_in_destination: str) -> dict[str, Any]:
    return {
        "name_in_destination": name_in_destination,
        "enabled": True,
        "tables": {name: table_entry(name) for name in ("accounts", "orders", "users")},
    }


def table_entry(
    name: str, *, enabled: bool = True, sync_mode: str = "SOFT_DELETE"
) -> dict[str, Any]:
    """A table in the schema tree, with every field the spec requires."""
    return {
        "name_in_destination": name,
        "enabled": enabled,
        "sync_mode": sync_mode,
        "supports_columns_config": True,
        "supports_history_mode": True,
        "enabled_patch_settings": {"allowed": True},
        "columns": {},
    }


def _apply_wanted(source: dict[str, Any], wanted: dict[str, Any]) -> None:
    """Apply pre-created settings to a captured tree; what the source lacks is ignored."""
    source["schema_change_handling"] = wanted["schema_change_handling"]
    source["enable_new_by_default"] = wanted["enable_new_by_default"]
    for name, schema in wanted["schemas"].items():
        target = source["schemas"].get(name)
        if target is None:
            continue
        target["enabled"] = schema["enabled"]
        for table_name, table in schema["tables"].items():
            found = target["tables"].get(table_name)
            if found is not None:
                found.update(
                    enabled=table["enabled"],
                    sync_mode=table["sync_mode"],
                    columns=dict(table["columns"]),
                )


@dataclass
class Group:
    """A group, and through it its destination (Fivetran maps the two 1:1 by id)."""

    id: str
    name: str
    created_at: float

    def to_json(self, iso: Any) -> dict[str, Any]:
        """`GroupResponse`."""
        return {"id": self.id, "name": self.name, "created_at": iso(self.created_at)}


@dataclass
class Connection(SyncMachine):
    """One simulated connection; times are SimClock epoch seconds."""

    id: str
    seq: int
    group_id: str
    service: str
    schema: str
    created_at: float
    config: dict[str, Any]
    timings: Timings
    paused: bool = False
    auth: dict[str, Any] | None = None
    sync_frequency: int = 360
    schedule_type: str = "auto"
    daily_sync_time: str | None = None
    data_delay_sensitivity: str = "NORMAL"
    data_delay_threshold: int = 0
    pause_after_trial: bool = False
    networking_method: str = "Directly"
    schema_status: str = "ready"
    #: Optional fields stored as sent and echoed back (private_link_id, connect_card_config...).
    extras: dict[str, Any] = field(default_factory=dict)
    setup_state: str = "incomplete"
    setup_tests: list[dict[str, Any]] = field(default_factory=list)
    #: Results of a setup-test run that finishes at `setup_done_at`.
    pending_setup: tuple[str, list[dict[str, Any]]] | None = None
    setup_done_at: float | None = None
    syncing: bool = False
    sync_historical: bool = False
    sync_fails: bool = False
    sync_started_at: float | None = None
    sync_ends_at: float | None = None
    succeeded_at: float | None = None
    failed_at: float | None = None
    rescheduled_for: float | None = None
    rescheduled_historical: bool = False
    #: A historical sync waiting for the running sync to end or for the connection to resume.
    historical_pending: bool = False
    #: An incremental sync stopped by a pause, to run again on resume.
    sync_pending: bool = False
    resync_tables: dict[str, list[str]] | None = None
    next_auto_at: float | None = None
    state: dict[str, Any] | None = None
    #: None until the schema is captured (setup tests passed) or pre-created (POST .../schemas).
    schema_config: dict[str, Any] | None = None
    schema_captured: bool = False
    #: "schema.table.column" of blocked columns to drop from the destination at the next sync.
    columns_to_drop: list[str] = field(default_factory=list)
    #: Approved TLS certificates and SSH fingerprints, by hash.
    certificates: dict[str, dict[str, Any]] = field(default_factory=dict)
    fingerprints: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Test instrumentation, not vendor state: runs a request started or queued, by the
    #: request ("sync", "resync"); a request that attached to a run counts nothing.
    runs_requested: dict[str, int] = field(default_factory=lambda: {"sync": 0, "resync": 0})

    def capture_schema(self) -> None:
        """Capture the source's tree once; settings pre-created before then are applied to it."""
        if self.schema_captured:
            return
        tree = source_schema_config(self.schema, self.service)
        if self.schema_config is not None:
            _apply_wanted(tree, self.schema_config)
        self.schema_config = tree
        self.schema_captured = True

    def status_json(self, iso: Any) -> dict[str, Any]:
        """The `status` object (ConnectorStatusResponse)."""
        delayed = self.failed_at is not None and (
            self.succeeded_at is None or self.failed_at > self.succeeded_at
        )
        status: dict[str, Any] = {
            "setup_state": self.setup_state,
            "schema_status": self.schema_status,
            "sync_state": self.sync_state,
            "update_state": "delayed" if delayed else "on_schedule",
            "is_historical_sync": self.is_historical_sync(),
            "tasks": [],
            "warnings": [],
        }
        if self.setup_state == "broken":
            status["tasks"].append(
                {"code": "reconnect", "message": "Reconnect", "details": "Setup tests failed."}
            )
        if any(test["status"] == "WARNING" for test in self.setup_tests):
            status["warnings"].append(
                {"code": "permission_warning", "message": "Permission Warning"}
            )
        if self.rescheduled_for is not None:
            shown = self.config.get("sim_rescheduled_for")
            if shown == "null":
                status["rescheduled_for"] = None
            elif shown != "omit":
                status["rescheduled_for"] = iso(self.rescheduled_for)
        return status

    def to_json(self, iso: Any) -> dict[str, Any]:
        """The connection as the API renders it (ConnectorResponseV1, plus `config`)."""
        out: dict[str, Any] = {
            "id": self.id,
            "group_id": self.group_id,
            "service": self.service,
            "service_version": 1,
            "schema": self.schema,
            "connected_by": SIM_USER_ID,
            "created_at": iso(self.created_at),
            "succeeded_at": iso(self.succeeded_at) if self.succeeded_at is not None else None,
            "failed_at": iso(self.failed_at) if self.failed_at is not None else None,
            "paused": self.paused,
            "pause_after_trial": self.pause_after_trial,
            "sync_frequency": self.sync_frequency,
            "data_delay_sensitivity": self.data_delay_sensitivity,
            "data_delay_threshold": self.data_delay_threshold,
            "schedule_type": self.schedule_type,
            "networking_method": self.networking_method,
            "status": self.status_json(iso),
            "setup_tests": self.setup_tests,
            "config": {
                key: "******" if key in _SECRET_KEYS and value else value
                for key, value in self.config.items()
            },
            "source_sync_details": {},
        }
        # Echoed whatever the frequency, as the definition's list example does (360 + "14:00").
        if self.daily_sync_time is not None:
            out["daily_sync_time"] = self.daily_sync_time
        out.update(self.extras)
        return out

    def list_item_json(self, iso: Any) -> dict[str, Any]:
        """The connection as a list page shows it: `to_json` less the `sim_list_omit` keys."""
        out = self.to_json(iso)
        omitted = self.config.get("sim_list_omit")
        if isinstance(omitted, list):
            for key in omitted:
                out.pop(key, None)
        return out
