"""What `conn-demo` records: one row per step, and the summary of a run (plain data, JSON).

A row says how a step ended (`status`) next to how it should have ended
(`expected`); the run is a success when every row matches. Rows are built from
what the orchestrator recorded (Airflow's task instances and XCom, Dagster's
event log), never from what the demo expected.
"""

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

__all__ = ["LIFECYCLE", "SETUP_FAILS", "Status", "StepRecord", "Summary"]

#: The scenario of the ordinary rows: every step the backend has, on a good connection.
LIFECYCLE = "lifecycle"
#: The scenario of the failure handled on purpose: the source rejects the password.
SETUP_FAILS = "setup tests fail"


class Status(str, Enum):
    """How a step ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNSUPPORTED = "unsupported"  # refused when the DAG or job was defined: no request sent


@dataclass(frozen=True)
class StepRecord:
    """One step of one backend under one orchestrator.

    Attributes:
        orchestrator: "airflow", "dagster" or "client".
        backend: "fivetran", "faraday" or "hub".
        step: the lifecycle step, e.g. "ensure", "wait until ready", "sync and wait".
        status: how it ended.
        expected: how it should have ended.
        outcome: what the orchestrator reported: the task's XCom, the op's output or
            log line, or the error's message (secrets scrubbed by the adapters).
        api_calls: requests the simulator counted for the backend during the step.
        seconds: wall time of the step, in seconds.
        scenario: `LIFECYCLE`, or `SETUP_FAILS` for the failure handled on purpose.
        task: the Airflow task id, Dagster step key or client verb that ran it.
    """

    orchestrator: str
    backend: str
    step: str
    status: Status
    expected: Status
    outcome: str
    api_calls: int
    seconds: float
    scenario: str = LIFECYCLE
    task: str = ""

    @property
    def ok(self) -> bool:
        """Whether the step ended as expected."""
        return self.status is self.expected

    def to_json(self) -> dict[str, Any]:
        """The row as plain JSON (enums as their values, plus `ok`)."""
        data = asdict(self)
        data["status"] = self.status.value
        data["expected"] = self.expected.value
        data["seconds"] = round(self.seconds, 3)
        data["ok"] = self.ok
        return data


@dataclass
class Summary:
    """A whole run: its settings, every row, and what the simulator injected."""

    orchestrators: list[str]
    backends: list[str]
    seed: int
    fault_rate: float
    clock_speed: float
    records: list[StepRecord] = field(default_factory=list)
    faults_fired: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: Problems that stopped an orchestrator before its steps could be recorded.
    errors: list[str] = field(default_factory=list)

    @property
    def unexpected(self) -> list[StepRecord]:
        """The rows that did not end as expected."""
        return [r for r in self.records if not r.ok]

    @property
    def ok(self) -> bool:
        """True when every step ended as expected and nothing stopped a run."""
        return bool(self.records) and not self.unexpected and not self.errors

    def to_json(self) -> dict[str, Any]:
        """The summary as plain JSON: what `conn-demo --json` prints."""
        return {
            "ok": self.ok,
            "orchestrators": self.orchestrators,
            "backends": self.backends,
            "seed": self.seed,
            "fault_rate": self.fault_rate,
            "clock_speed": self.clock_speed,
            "seconds": round(self.seconds, 3),
            "steps": [r.to_json() for r in self.records],
            "unexpected": len(self.unexpected),
            "api_calls": sum(r.api_calls for r in self.records),
            "faults_fired": dict(sorted(self.faults_fired.items())),
            "errors": self.errors,
        }
