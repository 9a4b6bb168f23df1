"""Fivetran's state machines: setup tests and syncs, driven by the SimClock.

Time only moves forward, so a connection is brought up to date lazily: `catch_up(now)`
replays every transition due since it was last looked at (setup tests finishing,
syncs ending, rescheduled syncs starting, scheduled syncs), in order, at the simulated
instants they were due. Nothing here does I/O.

Setup-test outcome switches (the config decides; all in docs/simulator.md):

- a config value that is null or "" leaves setup `incomplete`;
- a `host` containing "fail" fails "Connecting to host"; a `user`, `username`,
  `password` or `api_key` containing "fail" fails "Validate Login" (setup `broken`);
- a `host` containing "untrusted_cert" fails "Validate certificate" unless certificates
  are trusted; a `host` containing "warn" gives a WARNING (still `connected`).

Sync outcome switches: `config.sim_sync_outcome` = "succeed" | "fail" | "reschedule" |
"stuck" decides; without it, a schema name containing "fail_sync" fails every sync and
one containing "quota" makes every sync wait `reschedule_seconds` in `rescheduled` first.
"stuck" keeps the connection in `rescheduled`: each time `rescheduled_for` passes it
moves `reschedule_seconds` further, until the switch changes. A connection whose setup
is not `connected` fails its syncs.

Pausing stops a running sync without an outcome; resuming runs it again from the start.
The schema config is captured when the setup tests first pass (records.py builds it).
"""

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["SyncMachine", "Timings", "run_setup_tests"]

_SYNC_OUTCOMES = ("succeed", "fail", "reschedule", "stuck")
# A clock jumped by years must not spin forever replaying one-minute syncs.
_MAX_TRANSITIONS = 100_000
_LOGIN_KEYS = ("user", "username", "password", "api_key")


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


@dataclass(frozen=True)
class Timings:
    """Simulated durations, in seconds on the SimClock."""

    setup_test_seconds: float = 0.0
    sync_seconds: float = 30.0
    historical_sync_seconds: float = 60.0
    reschedule_seconds: float = 300.0

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        if self.reschedule_seconds <= 0:
            raise ValueError(f"reschedule_seconds must be > 0, got {self.reschedule_seconds!r}")


class SyncMachine:
    """The setup and sync transitions of a connection (`records.Connection` mixes it in).

    Times are SimClock epoch seconds. The attributes below are the record's fields.
    """

    config: dict[str, Any]
    schema: str
    timings: Timings
    paused: bool
    schedule_type: str
    sync_frequency: int
    created_at: float
    setup_state: str
    setup_tests: list[dict[str, Any]]
    pending_setup: tuple[str, list[dict[str, Any]]] | None
    setup_done_at: float | None
    syncing: bool
    sync_historical: bool
    sync_fails: bool
    sync_started_at: float | None
    sync_ends_at: float | None
    succeeded_at: float | None
    failed_at: float | None
    rescheduled_for: float | None
    rescheduled_historical: bool
    historical_pending: bool
    sync_pending: bool
    resync_tables: dict[str, list[str]] | None
    next_auto_at: float | None
    columns_to_drop: list[str]
    certificates: dict[str, dict[str, Any]]

    # -- outcome switches -------------------------------------------------------------

    def sync_outcome(self) -> str:
        """ "succeed", "fail", "reschedule" or "stuck" for the next sync (module docstring)."""
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

    def capture_schema(self) -> None:
        """Capture the source's schema into the schema config (the record implements it)."""
        raise NotImplementedError

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
        if self.setup_state == "connected":
            self.capture_schema()
        # A connection that becomes usable starts its initial (historical) sync, as Fivetran does.
        if first_time and self.setup_state == "connected" and self.auto and not self.syncing:
            self.begin_sync(at, historical=True)

    def begin_sync(self, at: float, *, historical: bool, skip_quota: bool = False) -> None:
        """Start a sync at `at`, or park it in `rescheduled` when the source quota switch is on.

        `skip_quota`: the wait of a rescheduled sync is over ("stuck" parks it again anyway).
        """
        outcome = self.sync_outcome()
        if outcome == "stuck" or (outcome == "reschedule" and not skip_quota):
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
            self.capture_schema()
        started = self.sync_started_at
        self.cancel_sync()
        self.resync_tables = None
        if not self.sync_fails:
            self.columns_to_drop.clear()
        self.next_auto_at = max(started + self.sync_frequency * 60, end)
        return end

    def pause(self) -> None:
        """Paused: a running sync stops without an outcome, to run again on resume."""
        if self.syncing:
            if self.sync_historical:
                self.historical_pending = True
            else:
                self.sync_pending = True
            self.cancel_sync()
        self.paused = True

    def resume(self, now: float) -> None:
        """Unpaused at `now`: a sync stopped by the pause, or asked for during it, starts now.

        That holds for manual and automatic connections alike; automatic ones then resume
        their schedule.
        """
        self.paused = False
        if self.syncing or self.setup_state != "connected":
            return
        if self.historical_pending or self.sync_pending:
            historical = self.historical_pending
            self.historical_pending = self.sync_pending = False
            self.begin_sync(now, historical=historical)
        elif self.auto:
            self.resume_schedule(now)

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
            if self.sync_outcome() == "stuck":
                # Still out of quota: moved on by whole waits, to the first one ending after now.
                waits = math.floor((now - due) / self.timings.reschedule_seconds) + 1
                self.rescheduled_for = due + waits * self.timings.reschedule_seconds
            else:
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

    # -- derived state ------------------------------------------------------------------

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
