"""Fivetran connections as stored records, and how the API renders them.

The setup and sync transitions are in states.py (`SyncMachine`, mixed into `Connection`).
"""

from dataclasses import dataclass, field
from typing import Any

from conn_shared.sim.fivetran.states import SyncMachine, Timings

__all__ = [
    "SYNC_FREQUENCIES",
    "Connection",
    "supports_state",
    "supports_table_resync",
]

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
    resync_tables: dict[str, list[str]] | None = None
    next_auto_at: float | None = None
    state: dict[str, Any] | None = None
    schema_config: dict[str, Any] = field(default_factory=dict)
    #: "schema.table.column" of blocked columns to drop from the destination at the next sync.
    columns_to_drop: list[str] = field(default_factory=list)
    #: Approved TLS certificates and SSH fingerprints, by hash.
    certificates: dict[str, dict[str, Any]] = field(default_factory=dict)
    fingerprints: dict[str, dict[str, Any]] = field(default_factory=dict)

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
            "connected_by": "sim_user",
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
