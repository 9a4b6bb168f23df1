"""Scenarios, run side by side: ours and the peer's in alternating pairs, in fresh processes.

Each measured run is a child process (`bench.child`) against a simulator in a
process of its own (`bench.simproc`), so neither the simulator's CPU nor the
set-up is ever counted. Pair i runs ours first when i is even and the peer
first when it is odd; a ratio is ours/peer within one pair, and the figure
quoted is the median over pairs (below 1 is better for ours).
"""

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.impls import IMPORTS
from bench.simproc import GROUP, Sim

__all__ = ["Mode", "Scenario", "load", "run_all", "save"]

Figures = dict[str, float]
_CHILD_TIMEOUT = 900.0
#: A Faraday sync is set up through the API: GET (the before-state), then force_update.
_SETUP_REQUESTS_PER_WAIT = 2


@dataclass(frozen=True)
class Mode:
    """How much to run: `quick` for `make bench`, `full` for the figures to quote."""

    name: str
    pairs: int
    sweep: tuple[int, ...]
    sweep_pairs: int
    sync_seconds: float
    poll_interval: float
    calls: int
    listing: int
    side_listing: int
    dagster_connections: int


QUICK = Mode("quick", 2, (100, 1000, 5000), 1, 10.0, 2.0, 2000, 20_000, 5_000, 50)
FULL = Mode("full", 5, (100, 1000, 5000), 3, 20.0, 2.0, 2000, 100_000, 100_000, 50)


@dataclass
class Scenario:
    """One row group of RESULTS.md: figures per implementation, run by run."""

    key: str
    title: str
    ours: str
    peer: str | None
    runs: dict[str, list[Figures]] = field(default_factory=dict)
    note: str = ""

    def add(self, impl: str, figures: Figures) -> None:
        """Record one run's figures."""
        self.runs.setdefault(impl, []).append(figures)

    def median(self, impl: str, figure: str) -> float:
        """The median of `figure` over `impl`'s runs."""
        return statistics.median(r[figure] for r in self.runs[impl])

    def ratios(self, figure: str) -> list[float]:
        """ours/peer for `figure`, pair by pair."""
        assert self.peer is not None
        pairs = zip(self.runs[self.ours], self.runs[self.peer], strict=False)
        return [o[figure] / p[figure] for o, p in pairs if p[figure]]


def save(
    scenarios: list[Scenario], mode: Mode, path: Path, run: dict[str, str] | None = None
) -> None:
    """Every run's figures as JSON, so the report can be written again (`--report-only`)."""
    data = {
        "mode": dataclasses.asdict(mode),
        "scenarios": [dataclasses.asdict(s) for s in scenarios],
        "run": run or {},
    }
    path.write_text(json.dumps(data, indent=1))


def load(path: Path) -> tuple[list[Scenario], Mode, dict[str, str]]:
    """What `save` wrote: the scenarios, the mode and the run's header."""
    data = json.loads(path.read_text())
    mode = Mode(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["mode"].items()})
    return [Scenario(**s) for s in data["scenarios"]], mode, data.get("run", {})


def _target(sim: Sim) -> dict[str, str]:
    return {name: sim.base(name) for name in ("fivetran", "faraday", "hub")}


def _spawn(job: dict[str, Any], payload: Callable[[], Any], log: Path) -> tuple[Any, Any]:
    """Run one child: start it, hand it `payload()` once it is ready, return its figures."""
    out = Path(tempfile.gettempdir()) / f"conn-bench-{uuid.uuid4().hex}.json"
    job = {**job, "out": str(out)}
    with log.open("ab") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.child", json.dumps(job)],
            stdin=subprocess.PIPE,
            stdout=sink,
            stderr=sink,
        )
        ready = Path(f"{out}.ready")
        deadline = time.monotonic() + 120
        while not ready.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                child.kill()
                raise RuntimeError(f"{job['kind']} {job['impl']} did not start (log: {log})")
            time.sleep(0.02)
        given = payload()
        assert child.stdin is not None
        child.stdin.write((json.dumps(given) + "\n").encode())
        child.stdin.close()
        if child.wait(timeout=_CHILD_TIMEOUT) != 0:
            raise RuntimeError(f"{job['kind']} {job['impl']} failed (log: {log})")
    figures = json.loads(out.read_text())
    out.unlink()
    ready.unlink()
    return figures, given


def _order(pair: int, impls: list[str]) -> list[str]:
    return impls if pair % 2 == 0 else list(reversed(impls))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def wait_run(sim: Sim, impl: str, count: int, mode: Mode, log: Path) -> Figures:
    """`count` concurrent sync waits: CPU, stall, memory, requests, detection lag."""
    ids = sim.seed("fivetran", count)
    before = sim.requests()
    job = {
        "kind": "waits",
        "impl": impl,
        "target": _target(sim),
        "poll_interval": mode.poll_interval,
    }
    figures, _ = _spawn(job, lambda: sim.trigger_fivetran(ids), log)
    requests = sim.requests() - before
    ends = sim.finished_at(ids)
    detected = figures.pop("detected")
    lags = [detected[i] - end for i, end in zip(ids, ends, strict=True) if end is not None]
    if len(lags) != count:
        raise RuntimeError(f"{impl}: {count - len(lags)} syncs never finished")
    return {
        **figures,
        "requests": float(requests),
        "requests_per_wait": requests / count,
        "lag_p95_s": _p95(lags),
        "lag_median_s": statistics.median(lags),
    }


def run_waits(mode: Mode, log: Path, impls: list[str]) -> list[Scenario]:
    """The 1,000-wait scenario (`mode.pairs` pairs) and the sweep over `mode.sweep`."""
    scenarios = []
    with Sim(sync_seconds=mode.sync_seconds) as sim:
        for count in mode.sweep:
            pairs = mode.pairs if count == 1000 else mode.sweep_pairs
            scenario = Scenario(
                f"waits_{count}",
                f"{count:,} concurrent sync waits in one event loop",
                impls[0],
                impls[1],
            )
            for pair in range(pairs):
                for impl in _order(pair, impls):
                    print(f"  waits x{count} pair {pair + 1}/{pairs}: {impl}", flush=True)
                    scenario.add(impl, wait_run(sim, impl, count, mode, log))
            scenarios.append(scenario)
    return scenarios


def run_faraday_waits(mode: Mode, log: Path) -> Scenario:
    """1,000 concurrent Faraday waits (no peer): CPU, stall, memory, requests per wait."""
    count = 1000
    scenario = Scenario(
        "waits_faraday", f"the same on Faraday, {count:,} waits", "ours-client-faraday", None
    )
    with Sim(sync_seconds=mode.sync_seconds) as sim:
        for run in range(mode.sweep_pairs):
            print(f"  faraday waits x{count} run {run + 1}/{mode.sweep_pairs}", flush=True)
            ids = sim.seed("faraday", count)
            before = sim.requests()
            job = {
                "kind": "waits",
                "impl": "ours-client-faraday",
                "target": _target(sim),
                "poll_interval": mode.poll_interval,
            }
            # The set-up's requests (prepare and force_update) are counted before the waits.
            figures, handles = _spawn(job, lambda ids=ids: sim.trigger_faraday(ids), log)  # type: ignore[misc]
            figures.pop("detected")
            requests = sim.requests() - _SETUP_REQUESTS_PER_WAIT * len(handles) - before
            scenario.add(
                "ours-client-faraday",
                {**figures, "requests": float(requests), "requests_per_wait": requests / count},
            )
    return scenario


def run_calls(mode: Mode, log: Path, impls: list[str]) -> Scenario:
    """`mode.calls` connection-detail reads, one after the other: CPU per call."""
    scenario = Scenario("calls", f"{mode.calls:,} connection-detail calls", impls[0], impls[1])
    with Sim() as sim:
        ids = sim.seed("fivetran", 50)
        for pair in range(mode.pairs):
            for impl in _order(pair, impls):
                print(f"  calls pair {pair + 1}/{mode.pairs}: {impl}", flush=True)
                job = {"kind": "calls", "impl": impl, "target": _target(sim), "count": mode.calls}
                figures, _ = _spawn(job, lambda: ids, log)
                figures["cpu_us_per_call"] = figures["cpu_s"] / mode.calls * 1e6
                scenario.add(impl, figures)
    return scenario


def run_listings(mode: Mode, log: Path, impls: list[str]) -> list[Scenario]:
    """Listing every connection: Fivetran side by side, Faraday and the hub alone."""
    fivetran = Scenario(
        "listing_fivetran", f"listing {mode.listing:,} Fivetran connections", impls[0], impls[1]
    )
    models = Scenario(
        "listing_models", "the same, as validated models (`list_connections`)", "ours-models", None
    )
    sides = {
        vendor: Scenario(
            f"listing_{vendor}",
            f"listing {mode.side_listing:,} {vendor} connections",
            "ours-client",
            None,
        )
        for vendor in ("faraday", "hub")
    }
    with Sim() as sim:
        sim.seed("fivetran", mode.listing, group=GROUP)
        for vendor in sides:
            sim.seed(vendor, mode.side_listing)

        def measure(scenario: Scenario, impl: str, vendor: str, count: int) -> None:
            job = {
                "kind": "listing",
                "impl": impl,
                "target": _target(sim),
                "vendor": vendor,
                "group": GROUP if vendor == "fivetran" else None,
            }
            before = sim.requests()
            figures, _ = _spawn(job, lambda: [], log)
            if figures["items"] != count:
                raise RuntimeError(f"{impl} listed {figures['items']} of {count} {vendor} items")
            figures["requests"] = float(sim.requests() - before)
            figures["cpu_us_per_item"] = figures["cpu_s"] / count * 1e6
            scenario.add(impl, figures)

        for pair in range(mode.pairs):
            for impl in _order(pair, impls):
                print(f"  listing pair {pair + 1}/{mode.pairs}: {impl}", flush=True)
                measure(fivetran, impl, "fivetran", mode.listing)
            measure(models, "ours-models", "fivetran", mode.listing)
            for vendor, scenario in sides.items():
                measure(scenario, "ours-client", vendor, mode.side_listing)
    return [fivetran, models, *sides.values()]


def run_sync_and_wait(mode: Mode, log: Path, impls: list[str]) -> Scenario:
    """`mode.dagster_connections` connections triggered and waited, a thread each."""
    count = mode.dagster_connections
    scenario = Scenario(
        "sync_and_wait", f"{count} connections triggered and waited", impls[0], impls[1]
    )
    with Sim(sync_seconds=mode.sync_seconds) as sim:
        for pair in range(mode.pairs):
            for impl in _order(pair, impls):
                print(f"  sync-and-wait pair {pair + 1}/{mode.pairs}: {impl}", flush=True)
                ids = sim.seed("fivetran", count)
                before = sim.requests()
                job = {
                    "kind": "sync_and_wait",
                    "impl": impl,
                    "target": _target(sim),
                    "poll_interval": mode.poll_interval,
                }
                figures, _ = _spawn(job, lambda ids=ids: ids, log)  # type: ignore[misc]
                figures["requests"] = float(sim.requests() - before)
                scenario.add(impl, figures)
    return scenario


def _import_run(module: str) -> Figures:
    before = os.times()
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {"cpu_s": cpu, "wall_s": time.monotonic() - started}


def run_imports(mode: Mode, peers: list[str]) -> list[Scenario]:
    """`import <module>` in a fresh interpreter: ours against each peer's."""
    scenarios = []
    for peer in peers:
        scenario = Scenario(
            f"import_{peer}",
            f"import cost in a fresh interpreter (vs {IMPORTS[peer]})",
            "ours-client",
            peer,
        )
        for pair in range(mode.pairs * 2):
            for impl in _order(pair, ["ours-client", peer]):
                scenario.add(impl, _import_run(IMPORTS[impl]))
        scenarios.append(scenario)
    return scenarios


def run_all(
    mode: Mode,
    only: set[str] | None,
    log: Path,
    keep: Path,
    *,
    ours_waits: str = "ours-client",
    ours_sync: str = "ours-client",
) -> list[Scenario]:
    """Every scenario (or those in `only`), in a fixed order; saved to `keep` as they end.

    `ours_waits` and `ours_sync` name our implementation (see `bench.impls`) of the
    waiting and the trigger-and-wait scenarios.
    """
    chosen = only or {"calls", "waits", "imports", "listing", "sync_and_wait"}
    scenarios = _Kept(mode, keep)
    if "calls" in chosen:
        print("== connection-detail calls", flush=True)
        scenarios.append(run_calls(mode, log, ["ours-client", "peer-dagster-fivetran"]))
    if "waits" in chosen:
        print("== concurrent sync waits", flush=True)
        scenarios += run_waits(mode, log, [ours_waits, "peer-fivetran-async"])
        scenarios.append(run_faraday_waits(mode, log))
    if "imports" in chosen:
        print("== import cost", flush=True)
        scenarios += run_imports(mode, ["peer-fivetran-async", "peer-dagster-fivetran"])
    if "listing" in chosen:
        print("== listing", flush=True)
        scenarios += run_listings(mode, log, ["ours-client", "peer-fivetran-async"])
    if "sync_and_wait" in chosen:
        print("== connections triggered and waited", flush=True)
        scenarios.append(run_sync_and_wait(mode, log, [ours_sync, "peer-dagster-fivetran"]))
    return list(scenarios)


class _Kept(list[Scenario]):
    """A list of scenarios written to disk whenever one is added."""

    def __init__(self, mode: Mode, path: Path) -> None:
        super().__init__()
        self.mode, self.path = mode, path

    def append(self, scenario: Scenario) -> None:
        super().append(scenario)
        save(self, self.mode, self.path)

    def __iadd__(self, scenarios: Any) -> "_Kept":
        for scenario in scenarios:
            self.append(scenario)
        return self
