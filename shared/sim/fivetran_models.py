"""Fivetran connections as simulated records: setup tests, the sync state machine, JSON.

Time only moves forward, so a connection is brought up to date lazily: `catch_up(now)`
replays every transition due since it was last looked at (setup tests finishing,
syncs ending, rescheduled syncs starting, scheduled syncs), in order, at the simulated
instants they were due. Nothing here does I/O.

Outcome switches (also in docs/simulator.md):

- Setup tests: a config value that is null or "" leaves setup `incomplete`; a `host`
  containing "fail" fails "Connecting to host" and a `user`/`username`/`password`/
  `api_key` containing "fail" fails "Validate Login" (setup `broken`); a `host`
  containing "untrusted_cert" fails "Validate certificate" unless `trust_certificates`;
  a `host` containing "warn" gives a WARNING (still `connected`).
- Syncs: `config.sim_sync_outcome` = "succeed" | "fail" | "reschedule" decides; without
  it, a schema name containing "fail_sync" fails every sync and one containing "quota"
  makes every sync wait `reschedule_seconds` in `rescheduled` first. A connection whose
  setup is not `connected` fails its syncs.
"""

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SYNC_FREQUENCIES",
    "Connection",
    "Timings",
    "default_schema_config",
    "run_setup_tests",
    "supports_state",
    "supports_table_resync",
]

SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
_SECRET_KEYS = frozenset(
    {"password", "api_key", "api_secret", "secret", "client_secret", "private_key", "token"}
)
_LOGIN_KEYS = ("user", "username", "password", "api_key")
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


def run_setup_tests(
    config: dict[str, Any], *, trust_certificates: bool
) -> tuple[str, list[dict[str, Any]]]:
    """Decide (setup_state, setup_tests) from the config; see the module docstring."""
    missing = sorted(key for key, value in config.items() if value is None or value == "")
    if missing:
        message = "Missing required field(s): " + ", ".join(missing)
        return "incomplete", [_test("Validate configuration", "FAILED", message)]
    host = str(config.get("host", "")).lower()
    tests = []
    if "untrusted_cert" in host and not trust_certificates:
        tests.append(
            _test(
                "Validate certificate",
                "FAILED",
                "The server certificate is not trusted.",
                {"hint": "approve the certificate or pass trust_certificates=true"},
            )
        )
    if "fail" in host:
        tests.append(
            _test(
                "Connecting to host",
                "FAILED",
                f"Could not connect to {config.get('host')!s}.",
                {"reason": "connection refused"},
            )
        )
    elif "host" in config:
        tests.append(_test("Connecting to host", "PASSED"))
    if any("fail" in str(config.get(key, "")).lower() for key in _LOGIN_KEYS):
        tests.append(
            _test(
                "Validate Login",
                "FAILED",
                "Invalid login credentials.",
                {"status": 401, "reason": "Authentication failed"},
            )
        )
    else:
        tests.append(_test("Validate Login", "PASSED"))
    if "warn" in host:
        tests.append(_test("Checking permissions", "WARNING", "Some tables are not readable."))
    else:
        tests.append(_test("Checking permissions", "PASSED"))
    broken = any(test["status"] == "FAILED" for test in tests)
    return ("broken" if broken else "connected"), tests


def _test(
    title: str, status: str, message: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"title": title, "status": status}
    if message is not None:
        out["message"] = message
    if details is not None:
        out["details"] = details
    return out


def default_schema_config(schema: str, service: str) -> dict[str, Any]:
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
        """Run the setup tests; their results land now or after `setup_test_seconds`."""
        results = run_setup_tests(self.config, trust_certificates=trust_certificates)
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
        self.next_auto_at = max(started + self.sync_frequency * 60, end)
        return end

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
        if self.daily_sync_time is not None and self.sync_frequency == 1440:
            out["daily_sync_time"] = self.daily_sync_time
        out.update(self.extras)
        return out
