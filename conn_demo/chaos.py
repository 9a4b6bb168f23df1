"""`make chaos`: whole lifecycles through Airflow and Dagster under injected faults.

Each lifecycle is one backend's example run by one orchestrator, as `conn-demo`
runs it (`conn_demo.runner.demo_session` and the same drivers): every step the
backend has, from ensure to the end of its sync or verification, with Airflow's
tasks deferrable and Dagster's jobs and assets in process. Before each one the
simulator forgets everything and gets the fault mix of issue 14 (`CHAOS_MIX`),
on every request kind, writes included, drawn from a seed of its own. Task and
op retries (`ChaosOptions.task_retries`, at once) ride out what the client
cannot; the harness sets them on every task and op, over the examples' own.

After each lifecycle the simulator's state is the ground truth
(`ground_truth`): the connections stored per identity and the sync runs that
requests started (`sim.runs_requested`, `sim.builds_requested`, see
docs/simulator.md). The same lifecycles run without faults first
(`baseline_rounds` of each). A faulted lifecycle is correct when it ran the
fault-free run's steps, each one succeeded (a lost sync fails its wait), no
identity holds a second connection, and its requests started no more runs of a
kind than it has steps asking for one (`ChaosReport.problems`). Its requests
are set against the fault-free mean of the same lifecycle. Targets (`TARGETS`):
every lifecycle correct, no duplicate, at most 1.5 times the fault-free requests.

The fault draws are seeded (each lifecycle's seed comes from `--seed` and its
number), so a run repeats the same plan; which request meets which draw still
depends on how many polls a wait took, so two runs are alike, not identical.
"""

import math
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from conn_demo.context import DemoContext, DemoOptions, Driver, Progress
from conn_demo.records import StepRecord
from conn_shared.sim.faults import FaultPlan, FaultRule

__all__ = [
    "CHAOS_MIX",
    "MAX_REQUEST_RATIO",
    "TARGETS",
    "ChaosOptions",
    "ChaosReport",
    "Lifecycle",
    "chaos_faults",
    "ground_truth",
    "run_chaos",
]

#: The faults of issue 14, on every method and path, as (rule, share of all requests).
CHAOS_MIX: tuple[tuple[FaultRule, float], ...] = (
    (FaultRule("error", status=503), 0.05),
    (FaultRule("error", status=502), 0.03),
    (FaultRule("error", status=500), 0.02),
    (FaultRule("rate_limit", seconds=1.0), 0.025),
    (FaultRule("rate_limit", retry_after=False), 0.025),
    (FaultRule("commit_then_lose"), 0.02),
    (FaultRule("latency", seconds=0.5), 0.02),
    (FaultRule("drop"), 0.02),
    (FaultRule("malformed_json"), 0.02),
)
#: The drivers' steps that ask for a run, and its kind (a Dagster asset materialization
#: of a synced connection is one sync; observing the hub's assets asks for none).
_INTENTS = {
    "sync": "sync",
    "sync and wait": "sync",
    "materialize assets": "sync",
    "resync": "resync",
}
#: Most requests a faulted lifecycle may send, as a multiple of the fault-free run's.
MAX_REQUEST_RATIO = 1.5
#: What `make chaos` must meet; `ChaosReport.missed` names what it did not.
TARGETS = (
    "100% correct outcomes",
    "0 duplicate connections",
    "0 duplicate syncs",
    f"at most {MAX_REQUEST_RATIO}x the fault-free requests",
)


def chaos_faults() -> list[FaultRule]:
    """`CHAOS_MIX` as a fault plan's rules: each kind fires on its share of all requests.

    The simulator tries rules in order and the first whose draw wins fires, so
    each rule's probability is its share of the requests the earlier rules left.
    """
    rules, left = [], 1.0
    for rule, share in CHAOS_MIX:
        rules.append(
            FaultRule(
                rule.kind,
                status=rule.status,
                probability=share / left,
                seconds=rule.seconds,
                retry_after=rule.retry_after,
            )
        )
        left -= share
    return rules


@dataclass(frozen=True)
class ChaosOptions:
    """What `make chaos` runs.

    Attributes:
        rounds: faulted rounds; each runs every backend under every orchestrator once.
        baseline_rounds: fault-free rounds first, the measure of requests and runs.
        seed: seed of the fault draws (each lifecycle's plan is seeded from it).
        orchestrators: "airflow", "dagster" (and "client", the verbs without a framework).
        backends: registered backend names.
        task_retries: retries of every task and op, at once.
        clock_speed: simulated seconds per real second.
    """

    rounds: int = 34
    baseline_rounds: int = 2
    seed: int = 14
    orchestrators: tuple[str, ...] = ("airflow", "dagster")
    backends: tuple[str, ...] = ("fivetran", "faraday", "hub")
    task_retries: int = 5
    clock_speed: float = 200.0


@dataclass
class Lifecycle:
    """One backend's lifecycle under one orchestrator, and what the simulator saw of it.

    Attributes:
        orchestrator, backend: which one.
        round: its round (faulted rounds count from 1, fault-free ones from -1 down).
        fault_seed: the seed of its fault plan (None: no faults).
        steps: the drivers' records, one per step.
        error: a crash of the driver (empty when it ended).
        requests: vendor requests the simulator counted, retries included.
        seconds: its wall time, in seconds.
        connections: connections stored per identity.
        runs: sync runs started by requests, per kind ("sync", "resync"; Faraday's
            `force_update` builds are its syncs).
        faults: faults fired, per kind.
    """

    orchestrator: str
    backend: str
    round: int
    fault_seed: int | None
    steps: list[StepRecord] = field(default_factory=list)
    error: str = ""
    requests: int = 0
    seconds: float = 0.0
    connections: dict[str, int] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """(orchestrator, backend): the lifecycles run under one key are the same lifecycle."""
        return self.orchestrator, self.backend

    @property
    def intents(self) -> Counter[str]:
        """Runs the lifecycle asked for, per kind: one per step that asks for a sync or resync."""
        return Counter(_INTENTS[r.step] for r in self.steps if r.step in _INTENTS)

    @property
    def duplicate_syncs(self) -> int:
        """Runs started beyond the lifecycle's intents (see `ChaosReport.problems`)."""
        intents = self.intents
        return sum(max(0, n - intents[kind]) for kind, n in self.runs.items())

    @property
    def duplicate_connections(self) -> int:
        """Connections beyond the first under any one identity."""
        return sum(count - 1 for count in self.connections.values() if count > 1)

    @property
    def steps_ok(self) -> bool:
        """Whether it ran to its end with every step as expected."""
        return not self.error and bool(self.steps) and all(r.ok for r in self.steps)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (steps as `StepRecord.to_json`)."""
        return {
            "orchestrator": self.orchestrator,
            "backend": self.backend,
            "round": self.round,
            "fault_seed": self.fault_seed,
            "steps": [r.to_json() for r in self.steps],
            "error": self.error,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "connections": self.connections,
            "runs": self.runs,
            "faults": self.faults,
        }


def _fivetran(dump: Mapping[str, Any]) -> tuple[list[str], Counter[str]]:
    records = dump["connections"].values()
    runs: Counter[str] = Counter()
    for c in records:
        runs.update(c["sim"]["runs_requested"])
    return [f"{c['group_id']}/{c['schema']}" for c in records], runs


def _faraday(dump: Mapping[str, Any]) -> tuple[list[str], Counter[str]]:
    built = sum(r["sim"]["builds_requested"] for r in [*dump["connections"], *dump["datasets"]])
    return [c["name"] for c in dump["connections"]], Counter({"sync": built})


def _hub(dump: Mapping[str, Any]) -> tuple[list[str], Counter[str]]:
    return [f"{c['provider']}/{c['name']}" for c in dump["connections"]], Counter()


#: How to read each vendor's state dump: identities of the stored connections, runs started.
_TRUTH: dict[str, Callable[[Mapping[str, Any]], tuple[list[str], Counter[str]]]] = {
    "fivetran": _fivetran,
    "faraday": _faraday,
    "hub": _hub,
}


def ground_truth(state: Mapping[str, Any], backend: str) -> tuple[dict[str, int], dict[str, int]]:
    """From `SimServer.state()`: connections per identity, and runs started per kind.

    The identity is what the backend's ensure looks a connection up by: Fivetran's
    group and schema, Faraday's name, the hub's provider and name. Raises KeyError
    for a backend the simulator has no reading of.
    """
    identities, runs = _TRUTH[backend](state["backends"][backend])
    return dict(Counter(identities)), {kind: n for kind, n in runs.items() if n}


@dataclass
class ChaosReport:
    """A whole chaos run: the fault-free lifecycles, the faulted ones, and the verdicts."""

    options: ChaosOptions
    baseline: list[Lifecycle] = field(default_factory=list)
    faulted: list[Lifecycle] = field(default_factory=list)
    seconds: float = 0.0

    def expected(self, key: tuple[str, str]) -> tuple[list[str], float]:
        """The fault-free run of a lifecycle: its steps and its mean requests.

        Raises LookupError when the fault-free rounds disagree (the measure is unsound).
        """
        runs = [lc for lc in self.baseline if lc.key == key]
        if not runs:
            raise LookupError(f"no fault-free run of {key}")
        steps = {tuple(r.step for r in lc.steps) for lc in runs}
        sound = all(lc.steps_ok and not lc.duplicate_syncs for lc in runs)
        if len(steps) != 1 or not sound or any(lc.duplicate_connections for lc in runs):
            raise LookupError(f"the fault-free runs of {key} disagree or failed: {runs}")
        return list(steps.pop()), statistics.fmean(lc.requests for lc in runs)

    def problems(self, lc: Lifecycle) -> list[str]:
        """Why a faulted lifecycle is not correct (none: it is).

        A step that asks for a sync may attach to a run already going (Fivetran's
        initial sync of a new connection, when the request finds it still running):
        it then starts none, and how often that happens depends on timing. So runs
        are judged against the intents, not against the fault-free count: more
        runs of a kind than steps asking for one is a duplicate. A lost sync shows
        as its wait failing.
        """
        steps, _ = self.expected(lc.key)
        found: list[str] = []
        if lc.error:
            found.append(f"crashed: {lc.error}")
        found += [f"{r.step}: {r.status.value}: {r.outcome}" for r in lc.steps if not r.ok]
        if [r.step for r in lc.steps] != steps and not found:
            found.append(f"steps {[r.step for r in lc.steps]}, expected {steps}")
        if lc.duplicate_connections:
            found.append(f"duplicate connections: {lc.connections}")
        if lc.duplicate_syncs:
            found.append(f"duplicate syncs: runs started {lc.runs}, asked for {dict(lc.intents)}")
        return found

    def rows(self) -> list[dict[str, Any]]:
        """One row per (orchestrator, backend), then the total ("all", "all")."""
        keys = list(dict.fromkeys(lc.key for lc in self.faulted))
        groups = [(key, [lc for lc in self.faulted if lc.key == key]) for key in keys]
        return [self._row(k, g) for k, g in groups] + [self._row(("all", "all"), self.faulted)]

    def _row(self, key: tuple[str, str], group: Sequence[Lifecycle]) -> dict[str, Any]:
        durations = sorted(lc.seconds for lc in group)
        fault_free = sum(self.expected(lc.key)[1] for lc in group)
        requests = sum(lc.requests for lc in group)
        return {
            "orchestrator": key[0],
            "backend": key[1],
            "lifecycles": len(group),
            "correct": sum(1 for lc in group if not self.problems(lc)),
            "duplicate_connections": sum(lc.duplicate_connections for lc in group),
            "duplicate_syncs": sum(lc.duplicate_syncs for lc in group),
            "requests": requests,
            "fault_free_requests": round(fault_free, 1),
            "request_ratio": round(requests / fault_free, 3) if fault_free else 0.0,
            "p50_seconds": round(_quantile(durations, 0.50), 2),
            "p95_seconds": round(_quantile(durations, 0.95), 2),
        }

    def missed(self) -> list[str]:
        """The targets the run missed (none: all met)."""
        total = self.rows()[-1]
        missed = []
        if not self.faulted or total["correct"] < total["lifecycles"]:
            missed.append(TARGETS[0])
        if total["duplicate_connections"]:
            missed.append(TARGETS[1])
        if total["duplicate_syncs"]:
            missed.append(TARGETS[2])
        if total["request_ratio"] > MAX_REQUEST_RATIO:
            missed.append(TARGETS[3])
        return missed

    def faults_fired(self) -> dict[str, int]:
        """Faults fired over the faulted lifecycles, per kind."""
        fired: Counter[str] = Counter()
        for lc in self.faulted:
            fired.update(lc.faults)
        return dict(sorted(fired.items()))

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON: what `--json` prints."""
        return {
            "ok": not self.missed(),
            "seed": self.options.seed,
            "rounds": self.options.rounds,
            "baseline_rounds": self.options.baseline_rounds,
            "task_retries": self.options.task_retries,
            "seconds": round(self.seconds, 1),
            "rows": self.rows(),
            "missed": self.missed(),
            "faults_fired": self.faults_fired(),
            "incorrect": [
                {**lc.to_json(), "problems": self.problems(lc)}
                for lc in self.faulted
                if self.problems(lc)
            ],
        }


def _quantile(values: Sequence[float], q: float) -> float:
    """The `q` quantile of sorted `values`, by nearest rank (0.0 for none)."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


@dataclass
class _Steps:
    """A progress sink that keeps the current lifecycle's records."""

    progress: Progress
    records: list[StepRecord] = field(default_factory=list)

    def activity(self, text: str) -> None:
        self.progress.activity(text)

    def record(self, record: StepRecord) -> None:
        self.records.append(record)


def _one(
    ctx: DemoContext, driver: Driver, sink: _Steps, backend: str, *, round_: int, seed: int | None
) -> Lifecycle:
    """Reset the simulator, set the faults, run one lifecycle, read the ground truth."""
    server = ctx.server
    server.reset()
    if seed is not None:
        server.set_faults({"seed": seed, "rules": FaultPlan(chaos_faults()).as_dict()["rules"]})
    lc = Lifecycle(driver.name, backend, round_, seed)
    sink.records = lc.steps
    started = time.perf_counter()
    try:
        driver.lifecycle(ctx, backend)
    except Exception as exc:  # a crash is a lifecycle that is not correct, reported as such
        lc.error = f"{type(exc).__name__}: {exc}"
    lc.seconds = time.perf_counter() - started
    lc.requests = ctx.calls(backend)
    lc.connections, lc.runs = ground_truth(server.state(), backend)
    lc.faults = {kind: n for kind, n in server.core.faults.fired.items() if n}
    return lc


def run_chaos(
    options: ChaosOptions,
    progress: Progress,
    *,
    done: Callable[[Lifecycle, int, int], None] | None = None,
) -> ChaosReport:
    """Run the fault-free rounds, then the faulted ones; return the report.

    `done(lifecycle, number, of)` is called after each faulted lifecycle. Raises
    ValueError for an unknown orchestrator, FileNotFoundError when the examples
    are missing, and RuntimeError when an orchestrator cannot load them.
    """
    from conn_demo.runner import demo_session  # noqa: PLC0415 (imports the simulator's server)

    demo = DemoOptions(
        orchestrators=options.orchestrators,
        backends=options.backends,
        seed=options.seed,
        clock_speed=options.clock_speed,
        task_retries=options.task_retries,
    )
    report = ChaosReport(options)
    started = time.perf_counter()
    sink = _Steps(progress)
    with demo_session(demo, sink) as (ctx, drivers):
        for driver in drivers:
            progress.activity(f"{driver.name} · loading the examples")
            driver.prepare(ctx)
        for number in range(1, options.baseline_rounds + 1):
            for driver in drivers:
                for backend in options.backends:
                    progress.activity(f"fault-free round {number} · {driver.name} · {backend}")
                    report.baseline.append(
                        _one(ctx, driver, sink, backend, round_=-number, seed=None)
                    )
        of = options.rounds * len(drivers) * len(options.backends)
        for number in range(1, options.rounds + 1):
            for driver in drivers:
                for backend in options.backends:
                    seed = options.seed * 100_000 + len(report.faulted)
                    lc = _one(ctx, driver, sink, backend, round_=number, seed=seed)
                    report.faulted.append(lc)
                    if done is not None:
                        done(lc, len(report.faulted), of)
        ctx.server.reset()
    report.seconds = time.perf_counter() - started
    return report
