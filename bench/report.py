"""RESULTS.md and the scaling plot, from the scenarios `bench.runner` ran.

Per scenario: each figure's median for ours and for the peer, the median of
the pair-by-pair ratios (ours/peer, below 1 is better for ours) with their
spread, and the issue's target for it. Scenarios without a peer give absolute
figures only. `bench/notes.md` (written by hand: profiles, causes, missed
targets) is appended as it is.
"""

import os
import platform
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bench.runner import Mode, Scenario

__all__ = ["header", "machine", "plot", "write"]


@dataclass(frozen=True)
class Figure:
    """One row: a figure of a scenario, how to show it, and the target it is held to."""

    key: str
    label: str
    scale: float = 1.0
    digits: int = 2
    target: str = ""


_WAIT_FIGURES = (
    Figure("cpu_s", "client CPU while waiting (s)", target="ratio <= 0.2"),
    Figure("stall_s", "longest event-loop stall (ms)", 1000, 0, "ours < 50 ms"),
    Figure("peak_rss_mb", "peak RSS, whole process (MiB)", 1, 0, "ratio <= 0.5"),
    Figure("rss_growth_mb", "RSS growth while waiting (MiB)", 1, 1),
    Figure("requests", "API requests while waiting", 1, 0, "ratio <= 0.05"),
    Figure("requests_per_wait", "API requests per wait", 1, 3),
    Figure("lag_p95_s", "sync end to detection, p95 (s)", target="ratio <= 1.0"),
    Figure("lag_median_s", "sync end to detection, median (s)"),
)
FIGURES: dict[str, tuple[Figure, ...]] = {
    "calls": (Figure("cpu_us_per_call", "client CPU per call (us)", 1, 0, "ratio <= 0.5"),),
    "import": (
        Figure("cpu_s", "CPU of `python -c 'import ...'` (s)", 1, 3, "ratio <= 1.0"),
        Figure("wall_s", "wall time (s)", 1, 3),
    ),
    "listing": (
        Figure("cpu_us_per_item", "client CPU per item (us)", 1, 1, "ratio <= 1.0"),
        Figure("rss_growth_mb", "memory growth (MiB)", 1, 1, "ours < 50 MiB"),
        Figure("requests", "API requests", 1, 0),
    ),
    "sync_and_wait": (
        Figure("cpu_s", "client CPU (s)", target="ratio <= 0.5"),
        Figure("requests", "API requests", 1, 0),
        Figure("wall_s", "wall time (s)", 1, 1),
    ),
}


_FARADAY_WAIT_FIGURES = tuple(f for f in _WAIT_FIGURES if not f.key.startswith("lag"))


def _figures(scenario: Scenario) -> tuple[Figure, ...]:
    if scenario.key == "waits_faraday":
        return _FARADAY_WAIT_FIGURES
    if scenario.key.startswith("waits_"):
        return _WAIT_FIGURES
    for group, figures in FIGURES.items():
        if scenario.key.startswith(group):
            return figures
    raise KeyError(f"no figures for scenario {scenario.key!r}")


def machine() -> str:
    """One line about this machine: CPU, cores, OS, Python, load."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average {load}"
    )


def _fmt(value: float, figure: Figure) -> str:
    return f"{value * figure.scale:,.{figure.digits}f}"


def _table(scenario: Scenario) -> list[str]:
    ours = scenario.ours
    figures = _figures(scenario)
    if scenario.peer is None:
        runs = len(scenario.runs.get(ours, []))
        lines = [f"| figure | {ours} (median of {runs}) |", "|---|---|"]
        lines += [f"| {f.label} | {_fmt(scenario.median(ours, f.key), f)} |" for f in figures]
        return lines
    peer = scenario.peer
    pairs = min(len(scenario.runs.get(ours, [])), len(scenario.runs.get(peer, [])))
    lines = [
        f"| figure | {ours} | {peer} | ours/peer (median of {pairs} pairs) "
        "| pair ratios | target |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        ratios = scenario.ratios(f.key)
        ratio = f"**{statistics.median(ratios):.2f}**" if ratios else "n/a"
        spread = f"{min(ratios):.2f} to {max(ratios):.2f}" if ratios else ""
        lines.append(
            f"| {f.label} | {_fmt(scenario.median(ours, f.key), f)} "
            f"| {_fmt(scenario.median(peer, f.key), f)} | {ratio} | {spread} | {f.target} |"
        )
    return lines


def plot(scenarios: list[Scenario], path: Path) -> bool:
    """Cost against concurrent waits for ours and the peer; False when there is no sweep."""
    sweep = sorted(
        (s for s in scenarios if s.key.split("_")[-1].isdigit() and s.peer is not None),
        key=lambda s: int(s.key.split("_")[1]),
    )
    if len(sweep) < 2:
        return False
    import matplotlib  # noqa: PLC0415 (only the report needs it)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    counts = [int(s.key.split("_")[1]) for s in sweep]
    panels = (
        ("cpu_s", "client CPU while waiting (s)", 1.0),
        ("peak_rss_mb", "peak RSS (MiB)", 1.0),
        ("stall_s", "longest loop stall (ms)", 1000.0),
        ("requests", "API requests while waiting", 1.0),
    )
    figure, axes = plt.subplots(1, len(panels), figsize=(18, 4.2))
    for axis, (key, label, scale) in zip(axes, panels, strict=True):
        for impl, style in ((sweep[0].ours, "o-"), (sweep[0].peer, "s--")):
            assert impl is not None
            values = [s.median(impl, key) * scale for s in sweep]
            axis.plot(counts, values, style, label=impl)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(counts, [f"{c:,}" for c in counts])
        axis.set_xlabel("concurrent sync waits in one event loop")
        axis.set_title(label)
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def header(mode: Mode, started: str, seconds: float) -> dict[str, str]:
    """What the results file says about the run: machine, command, duration (kept in JSON)."""
    return {
        "machine": f"{machine()} (at the end; at the start: {started})",
        "command": f"`{_command(mode)}` ({mode.name} mode, {seconds / 60:.1f} min, "
        f"finished {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
    }


def write(scenarios: list[Scenario], mode: Mode, run: dict[str, str], out: Path) -> None:
    """Write the results file (and the plot beside it); `run` is `header(...)`."""
    image = out.with_name("waits_scaling.png")
    lines = [
        "# Benchmarks: conn-providers side by side with the peer packages",
        "",
        f"- **Machine**: {run.get('machine', 'not recorded')}",
        f"- **Command**: {run.get('command', 'not recorded')}",
        f"- **Method**: every run is a fresh process against the simulator in a process of "
        f"its own; ours and the peer alternate (pair i starts with ours when i is even); "
        f"ratios are ours/peer within a pair, and the figure is their median (below 1 is "
        f"better for ours; the spread shows the noise). Syncs take {mode.sync_seconds:g} s; "
        f"both poll every {mode.poll_interval:g} s.",
        "- **Peers**: airflow-provider-fivetran-async (its `FivetranTrigger`, for waits), "
        "dagster-fivetran (its `FivetranClient`, for calls, listing and sync-and-poll).",
        "",
    ]
    if plot(scenarios, image):
        lines += [f"![cost against concurrent waits]({image.name})", ""]
    for scenario in scenarios:
        lines += [f"## {scenario.title}", "", *_table(scenario), ""]
        if scenario.note:
            lines += [scenario.note, ""]
    notes = Path(__file__).with_name("notes.md")
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    out.write_text("\n".join(lines))


def _command(mode: Mode) -> str:
    if mode.name == "quick" and sys.argv[1:] == []:
        return "make bench"
    return "python -m bench " + " ".join(sys.argv[1:])
