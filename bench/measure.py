"""What a benchmark child measures about itself: CPU, memory, event-loop stalls.

All figures are the process's own accounting (getrusage, /proc/self/status),
taken around the measured part only, so imports and set-up never count.
"""

import asyncio
import contextlib
import resource
import time
from dataclasses import dataclass, field

__all__ = ["Meter", "StallMonitor", "cpu_seconds", "rss_mb"]


def cpu_seconds() -> float:
    """User + system CPU of this process so far, in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _status_mb(field_name: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field_name} not in /proc/self/status")


def rss_mb() -> float:
    """Resident memory now, in MiB."""
    return _status_mb("VmRSS")


@dataclass
class Meter:
    """CPU and memory from construction to `done()`."""

    cpu_start: float = field(default_factory=cpu_seconds)
    rss_start: float = field(default_factory=rss_mb)
    wall_start: float = field(default_factory=time.monotonic)

    def done(self) -> dict[str, float]:
        """cpu_s, wall_s, peak_rss_mb (whole process), rss_growth_mb (peak - start)."""
        peak = _status_mb("VmHWM")
        return {
            "cpu_s": cpu_seconds() - self.cpu_start,
            "wall_s": time.monotonic() - self.wall_start,
            "peak_rss_mb": peak,
            "rss_growth_mb": max(peak - self.rss_start, 0.0),
        }


class StallMonitor:
    """The longest time the event loop was late to wake a 5 ms sleeper, in seconds."""

    def __init__(self, tick: float = 0.005) -> None:
        self.tick = tick
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.tick)
            self.longest = max(self.longest, time.monotonic() - before - self.tick)

    def start(self) -> None:
        """Begin watching the running loop."""
        self._task = asyncio.ensure_future(self._watch())

    async def stop(self) -> float:
        """Stop watching; the longest stall seen."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.longest
