"""The demo's runner: the simulator in-process, the frameworks' homes, one driver per orchestrator.

`run_demo` starts the simulator (faults seeded), points `AIRFLOW_HOME` and
`DAGSTER_HOME` at a temporary folder before either framework is imported, sets
the connections and variables the examples read, and then, per orchestrator:

1. the lifecycle: for each backend, every step it has, through the orchestrator
   (the example DAG under `dag.test()`, the example Dagster jobs and assets);
2. the steps each backend lacks, defined anyway: the orchestrator must refuse
   them before any request ("unsupported", zero API calls);
3. the failure handled on purpose: the first backend's connection with a
   password the source rejects; its verification (or readiness) must fail with
   the vendor's message.

The simulator is reset before 1 and before 3, so each orchestrator starts from
empty vendor accounts. The environment is restored afterwards, so the demo can
run inside another process (the test suite does).
"""

import atexit
import contextlib
import functools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from conn_demo.context import (
    ORCHESTRATORS,
    DemoContext,
    DemoOptions,
    Driver,
    Progress,
    examples_environment,
    patched_environ,
)
from conn_demo.records import SETUP_FAILS, StepRecord, Summary
from conn_shared.sim.clock import SimClock
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer

__all__ = [
    "demo_session",
    "examples_folder",
    "framework_output",
    "rideable_faults",
    "run_demo",
]

#: Fault kinds `--fault-rate` injects, each one the client's retries or the waits ride
#: out: a 429 is retried whatever the method (the vendor refused it); 5xx, dropped
#: connections and truncated bodies only on reads, which are safe to send again.
RIDEABLE = (
    FaultRule("rate_limit", seconds=1.0),
    FaultRule("rate_limit", retry_after=False),
    FaultRule("error", status=503, method="GET"),
    FaultRule("error", status=502, method="GET"),
    FaultRule("drop", method="GET"),
    FaultRule("malformed_json", method="GET"),
    FaultRule("latency", seconds=0.2),
)


def rideable_faults(rate: float) -> list[FaultRule]:
    """The `--fault-rate` rules: each kind in `RIDEABLE` fires on `rate / 7` of its requests.

    About `rate` of the reads see a fault; writes, which get only the 429s and
    the latency, about 3/7 of that. Raises ValueError unless 0 <= rate <= 1.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"fault rate must be within 0..1, got {rate!r}")
    if rate == 0:
        return []
    share = rate / len(RIDEABLE)
    return [
        FaultRule(
            r.kind,
            status=r.status,
            probability=share,
            method=r.method,
            seconds=r.seconds,
            retry_after=r.retry_after,
        )
        for r in RIDEABLE
    ]


def examples_folder() -> Path:
    """The example DAGs and Dagster definitions: the checkout's folder, else the wheel's copy.

    Raises FileNotFoundError naming both places when neither exists.
    """
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "example_dags", package / "example_dags"):
        if (candidate / "dagster_defs.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"no example DAGs in {package.parent / 'example_dags'} or {package / 'example_dags'}"
    )


@contextlib.contextmanager
def framework_output(log_path: Path) -> Iterator[IO[str]]:
    """Send what is written to file descriptors 1 and 2 to `log_path`; yield the terminal.

    Airflow's `dag.test()` and Dagster's console logger write their logs to the
    process's stdout and stderr, unmasked (`dag.test()` has no secrets masker on
    the console), and Airflow binds the stream when it first logs, so only a
    redirect of the descriptors keeps them off the terminal. The yielded stream
    writes to the original stdout.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    terminal = os.fdopen(os.dup(saved_out), "w", buffering=1, encoding="utf-8")
    # Python-level writers too: a test runner may have replaced sys.stdout and sys.stderr.
    log = os.fdopen(os.dup(log_fd), "w", buffering=1, encoding="utf-8")
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            yield terminal
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for fd in (saved_out, saved_err, log_fd):
            os.close(fd)
        terminal.close()
        log.close()


@functools.cache
def _homes_folder() -> Path:
    """One folder for the frameworks' homes, kept until the process ends.

    A framework reads its home once, when first imported, and keeps it: a home
    deleted with the session that made it would break the next session in the
    same process ("unable to open database file").
    """
    folder = Path(tempfile.mkdtemp(prefix="conn-demo-homes-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _homes() -> dict[str, str]:
    """Airflow's and Dagster's homes, for a framework not imported yet.

    Both read their home when first imported; in a process that already loaded
    one (the test suite), its configuration stays as it is.
    """
    env: dict[str, str] = {}
    if "airflow" not in sys.modules:
        home = _homes_folder() / "airflow"
        home.mkdir(exist_ok=True)
        env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            }
        )
    if "dagster" not in sys.modules:
        home = _homes_folder() / "dagster"
        home.mkdir(exist_ok=True)
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env["DAGSTER_HOME"] = str(home)
    return env


def _driver(name: str) -> Driver:
    # Imported on demand: each driver imports its framework, which may not be installed.
    if name == "client":
        from conn_demo.client_driver import ClientDriver  # noqa: PLC0415

        return ClientDriver()
    if name == "airflow":
        from conn_demo.airflow_driver import AirflowDriver  # noqa: PLC0415

        return AirflowDriver()
    if name == "dagster":
        from conn_demo.dagster_driver import DagsterDriver  # noqa: PLC0415

        return DagsterDriver()
    raise ValueError(f"unknown orchestrator {name!r}; choose from {', '.join(ORCHESTRATORS)}")


@contextlib.contextmanager
def demo_session(
    options: DemoOptions, progress: Progress
) -> Iterator[tuple[DemoContext, list[Driver]]]:
    """The frameworks' homes, the simulator and the examples' variables; yields the drivers.

    The drivers of `options.orchestrators` are built only once the variables are
    set, as their frameworks read them when imported; they are not prepared yet,
    and each is closed when the block ends. The simulator starts without faults.
    Raises ValueError for an unknown orchestrator and FileNotFoundError when the
    examples are missing.
    """
    unknown = [name for name in options.orchestrators if name not in ORCHESTRATORS]
    if unknown:
        raise ValueError(f"unknown orchestrators {unknown}; choose from {', '.join(ORCHESTRATORS)}")
    examples = examples_folder()
    with contextlib.ExitStack() as stack:
        stack.enter_context(patched_environ(_homes()))
        server = stack.enter_context(
            SimServer(names=options.backends, clock=SimClock(speed=options.clock_speed))
        )
        stack.enter_context(patched_environ(examples_environment(server, examples)))
        # Only now: the drivers import their frameworks, which read the variables above.
        built = [_driver(name) for name in options.orchestrators]
        for driver in built:
            stack.callback(driver.close)
        ctx = DemoContext(server=server, options=options, examples=examples, progress=progress)
        yield ctx, built


def run_demo(options: DemoOptions, progress: Progress) -> Summary:
    """Run the demo; every finished step goes to `progress.record` and into the summary.

    A step that crashes instead of ending (or an orchestrator that cannot load
    the examples) is reported in `Summary.errors`, and the rest still runs. Raises ValueError
    for an unknown orchestrator and FileNotFoundError when the examples are missing.
    """
    started = time.perf_counter()
    summary = Summary(
        orchestrators=list(options.orchestrators),
        backends=list(options.backends),
        seed=options.seed,
        fault_rate=options.fault_rate,
        clock_speed=options.clock_speed,
    )
    plan = FaultPlan([*options.extra_faults, *rideable_faults(options.fault_rate)])
    with demo_session(options, _Collector(progress, summary)) as (ctx, drivers):
        server = ctx.server

        def fresh_accounts() -> None:
            for kind, count in server.core.faults.fired.items():
                summary.faults_fired[kind] = summary.faults_fired.get(kind, 0) + count
            server.reset()
            server.set_faults({"seed": options.seed, "rules": plan.as_dict()["rules"]})

        def attempt(label: str, call: Callable[..., None], *args: object) -> bool:
            # A crash is reported with its place; the other steps and orchestrators still run.
            try:
                call(*args)
            except Exception as exc:  # reported below, in the summary
                summary.errors.append(f"{label}: {type(exc).__name__}: {exc}")
                return False
            return True

        for driver in drivers:
            progress.activity(f"{driver.name} · loading the examples")
            if not attempt(f"{driver.name} (loading)", driver.prepare, ctx):
                continue
            fresh_accounts()
            for backend in options.backends:
                attempt(f"{driver.name} · {backend}", driver.lifecycle, ctx, backend)
                attempt(f"{driver.name} · {backend}", driver.unsupported, ctx, backend)
            fresh_accounts()
            first = options.backends[0]
            attempt(f"{driver.name} · {first} ({SETUP_FAILS})", driver.setup_fails, ctx, first)
        fresh_accounts()
    summary.seconds = time.perf_counter() - started
    return summary


@dataclass
class _Collector:
    """The drivers' progress sink: passes everything on and keeps the records."""

    progress: Progress
    summary: Summary

    def activity(self, text: str) -> None:
        self.progress.activity(text)

    def record(self, record: StepRecord) -> None:
        self.summary.records.append(record)
        self.progress.record(record)
