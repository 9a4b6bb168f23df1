"""Fivetran connections as simulated records: the sync state machine and their JSON.

Time only moves forward, so a connection is brought up to date lazily: `catch_up(now)`
replays every transition due since it was last looked at (setup tests finishing,
syncs ending, rescheduled syncs starting, scheduled syncs), in order, at the simulated
instants they were due. Nothing here does I/O.

Sync outcome switches (setup-test switches are in `fivetran_setup`; both are in
docs/simulator.md): `config.sim_sync_outcome` = "succeed" | "fail" | "reschedule"
decides; without it, a schema name containing "fail_sync" fails every sync and one
containing "quota" makes every sync wait `reschedule_seconds` in `rescheduled` first.
A connection whose setup is not `connected` fails its syncs.
"""

from dataclasses import dataclass, field
from typing import Any

from conn_shared.sim.fivetran_setup import run_setup_tests

__all__ = [
    "SYNC_FREQUENCIES",
    "Connection",
    "Timings",
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
_SYNC_OUTCOMES = ("succeed", "fail", "reschedule")
# A clock jumped by years must not spin forever replaying one-minute syncs.
_MAX_TRANSITIONS = 100_000


@dataclass(frozen=True)
class Timings:
    """Simulated durations, in seconds on the SimClock."""

    setup_test_seconds: float = 0.0
    sync_seconds: float = 30.0
    historical_sync_seconds: float = 60.0
    reschedule_seconds: float = 300.0


def supports_table_resync(service: str) -> bool:
    """Database connectors re-sync single tables; the others answer 400 to a `scope`."""
    return any(marker in service for marker in _TABLE_RESYNC_MARKERS)


def supports_state(service: str) -> bool:
    """Only Function and Connector SDK connections have a readable/writable state."""
    return service in _STATE_SERVICES


@dataclass
class Connection:
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

    # -- outcome switches -------------------------------------------------------------

    def sync_outcome(self) -> str:
        """ "succeed", "fail" or "reschedule" for the next sync (module docstring)."""
        if self.setup_state != "connected":
            return "fail"
        chosen = self.config.get("sim_sync_outcome")
        if chosen in _SYNC_OUTCOMES:
            return str(chosen)
        if "fail_sync" in self.schema:
            return "fail"
        if "quota" in self.schema:
            return "reschedule"
        return "succeed"

    @property
    def auto(self) -> bool:
        """Whether syncs start on their own (schedule_type auto and not paused)."""
        return self.schedule_type == "auto" and not self.paused

    # -- transitions ------------------------------------------------------------------

    def start_setup_tests(self, now: float, *, trust_certificates: bool) -> None:
        """Run the setup tests; their results land now or after `setup_test_seconds`.

        An approved certificate counts as `trust_certificates`.
        """
        trusted = trust_certificates or bool(self.certificates)
        results = run_setup_tests(self.config, trust_certificates=trusted)
        if self.timings.setup_test_seconds <= 0:
            self._apply_setup(results, now)
        else:
            self.pending_setup = results
            self.setup_done_at = now + self.timings.setup_test_seconds

    def _apply_setup(self, results: tuple[str, list[dict[str, Any]]], at: float) -> None:
        first_time = self.setup_state != "connected" and self.succeeded_at is None
        self.setup_state, self.setup_tests = results
        self.pending_setup = self.setup_done_at = None
        # A connection that becomes usable starts its initial (historical) sync, as Fivetran does.
        if first_time and self.setup_state == "connected" and self.auto and not self.syncing:
            self.begin_sync(at, historical=True)

    def begin_sync(self, at: float, *, historical: bool, skip_quota: bool = False) -> None:
        """Start a sync at `at`, or park it in `rescheduled` when the source quota switch is on."""
        outcome = self.sync_outcome()
        if outcome == "reschedule" and not skip_quota:
            self.syncing = False
            self.rescheduled_for = at + self.timings.reschedule_seconds
            self.rescheduled_historical = historical
            return
        self.rescheduled_for = None
        self.rescheduled_historical = False
        self.syncing = True
        self.sync_historical = historical
        self.sync_fails = outcome == "fail"
        self.sync_started_at = at
        duration = self.timings.historical_sync_seconds if historical else self.timings.sync_seconds
        self.sync_ends_at = at + duration

    def cancel_sync(self) -> None:
        """Stop the running sync without recording an outcome."""
        self.syncing = False
        self.sync_historical = False
        self.sync_ends_at = None

    def _finish_sync(self) -> float:
        assert self.sync_ends_at is not None
        assert self.sync_started_at is not None
        end = self.sync_ends_at
        if self.sync_fails:
            self.failed_at = end
        else:
            self.succeeded_at = end
        started = self.sync_started_at
        self.cancel_sync()
        self.resync_tables = None
        if not self.sync_fails:
            self.columns_to_drop.clear()
        self.next_auto_at = max(started + self.sync_frequency * 60, end)
        return end

    def resume_schedule(self, now: float) -> None:
        """Automatic syncing restarts: a pending or never-run historical sync starts now."""
        if self.syncing or self.setup_state != "connected":
            return
        if self.historical_pending or (self.succeeded_at is None and self.failed_at is None):
            self.historical_pending = False
            self.begin_sync(now, historical=True)
        else:
            due = self.next_auto_at if self.next_auto_at is not None else now
            self.next_auto_at = max(due, now)

    def catch_up(self, now: float) -> None:
        """Apply every transition due by `now`, each at the instant it was due."""
        for _ in range(_MAX_TRANSITIONS):
            if not self._step(now):
                return

    def _step(self, now: float) -> bool:
        if self.setup_done_at is not None and now >= self.setup_done_at:
            assert self.pending_setup is not None
            self._apply_setup(self.pending_setup, self.setup_done_at)
            return True
        if self.syncing and self.sync_ends_at is not None and now >= self.sync_ends_at:
            end = self._finish_sync()
            if self.historical_pending and not self.paused:
                self.historical_pending = False
                self.begin_sync(end, historical=True)
            return True
        due = self.rescheduled_for
        if due is not None and self.auto and now >= due:
            self.begin_sync(due, historical=self.rescheduled_historical, skip_quota=True)
            return True
        due = self.next_auto_at
        if (
            due is not None
            and now >= due
            and self.auto
            and not self.syncing
            and self.rescheduled_for is None
            and self.setup_state == "connected"
        ):
            self.begin_sync(due, historical=False)
            return True
        return False

    # -- rendering --------------------------------------------------------------------

    @property
    def sync_state(self) -> str:
        """scheduled | syncing | paused | rescheduled."""
        if self.paused:
            return "paused"
        if self.syncing:
            return "syncing"
        if self.rescheduled_for is not None:
            return "rescheduled"
        return "scheduled"

    def is_historical_sync(self) -> bool:
        """True from the moment a historical sync is asked for until it completes."""
        return (
            (self.syncing and self.sync_historical)
            or self.historical_pending
            or (self.rescheduled_for is not None and self.rescheduled_historical)
        )

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
