"""The build state machine every Faraday resource shares, and the outcome switch.

Every Faraday resource is rebuilt whenever its configuration changes or a
`force_update` arrives. A build walks `new -> starting -> running -> ready | error`
on the simulator clock; nothing is scheduled: the status is computed from the
clock whenever a resource is read, so advancing the clock is enough to move it.
Nothing here does I/O.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conn_shared.sim.faraday.options import SECRET_OPTION_NAMES

__all__ = ["RUNNING_AT", "STARTING_AT", "Build", "find_failure"]

#: Fractions of a build's duration at which it enters `starting` and `running`.
STARTING_AT = 0.1
RUNNING_AT = 0.2


def find_failure(options: dict[str, Any]) -> str | None:
    """The build error the outcome switch asks for, if any.

    A build fails when any string option other than `type` contains "fail"
    (any case). Credential options fail as a rejected credential, the others as
    an unreachable endpoint, so either kind of client message can be exercised.
    """
    for key in sorted(options):
        value = options[key]
        if key == "type" or not isinstance(value, str) or "fail" not in value.lower():
            continue
        if key in SECRET_OPTION_NAMES:
            return f"Authentication failed: the {key} was rejected"
        return f"Could not connect: {key} {value!r} is unreachable"
    return None


@dataclass
class Build:
    """One build: its start, duration and (lazily decided, then fixed) outcome."""

    started_at: float
    duration: float
    decide: Callable[[float], str | None]
    _decided: bool = False
    _error: str | None = None

    @property
    def finishes_at(self) -> float:
        """When the build leaves `running`."""
        return self.started_at + self.duration

    def error(self) -> str | None:
        """The build's error message (None for success); decided once, at first ask."""
        if not self._decided:
            self._error = self.decide(self.finishes_at)
            self._decided = True
        return self._error

    def status_at(self, now: float) -> tuple[str, float]:
        """The status at `now` and when that status began."""
        if now >= self.finishes_at:
            return ("error" if self.error() else "ready"), self.finishes_at
        running = self.started_at + self.duration * RUNNING_AT
        if now >= running:
            return "running", running
        starting = self.started_at + self.duration * STARTING_AT
        if now >= starting:
            return "starting", starting
        return "new", self.started_at
