"""Simulated time for the simulator's state machines.

Every duration in the simulator (setup tests, syncs, builds) is measured on this
clock, never on the wall clock, so tests and the demo can run it faster than real
time (`speed`) or jump it forward (`advance`) through the admin API.
"""

import threading
import time
from datetime import datetime, timezone

__all__ = ["SimClock"]


class SimClock:
    """Epoch seconds that run `speed` times faster than real time, plus manual advances."""

    def __init__(self, *, speed: float = 1.0, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        self._lock = threading.Lock()
        self._speed = speed
        self._origin_real = time.monotonic()
        self._origin_sim = time.time() if start is None else start
        self._offset = 0.0

    @property
    def speed(self) -> float:
        """How many simulated seconds pass per real second."""
        return self._speed

    def now(self) -> float:
        """Current simulated time in epoch seconds."""
        with self._lock:
            elapsed = time.monotonic() - self._origin_real
            return self._origin_sim + elapsed * self._speed + self._offset

    def now_dt(self) -> datetime:
        """Current simulated time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), tz=timezone.utc)

    def advance(self, seconds: float) -> None:
        """Jump simulated time forward by `seconds` (never backward)."""
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        with self._lock:
            self._offset += seconds

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on without moving the current simulated time."""
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        current = self.now()
        with self._lock:
            self._speed = speed
            self._origin_real = time.monotonic()
            self._origin_sim = current
            self._offset = 0.0

    @staticmethod
    def iso(ts: float) -> str:
        """Render epoch seconds the way the vendors do: ISO 8601, UTC, with a `Z`."""
        return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat().replace("+00:00", "Z")
