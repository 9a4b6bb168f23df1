"""What the runner hands each orchestrator's driver: options, the simulator, a progress sink.

A driver (`client_driver`, `airflow_driver`, `dagster_driver`) runs one
orchestrator's part of the demo and reports a `StepRecord` per step through
`DemoContext.progress`; the runner (`conn_demo.runner`) decides what runs when.
"""

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from conn_demo.records import Status, StepRecord
from conn_shared import Step, backend_entry
from conn_shared.sim.faults import FaultRule
from conn_shared.sim.server import SimServer

__all__ = [
    "DEFAULT_ORCHESTRATORS",
    "ORCHESTRATORS",
    "POLL_SECONDS",
    "REJECTED_PASSWORD",
    "SOURCE_PASSWORD",
    "WAIT_TIMEOUT",
    "DemoContext",
    "DemoOptions",
    "Driver",
    "Progress",
    "examples_environment",
    "failing_step",
    "patched_environ",
    "record_refusals",
]

#: Every orchestrator the demo knows, in the order it runs them.
ORCHESTRATORS = ("client", "airflow", "dagster")
#: Those `conn-demo` runs unless told otherwise.
DEFAULT_ORCHESTRATORS = ("airflow", "dagster")
#: Seconds between polls in the examples: the simulator's clock runs fast.
POLL_SECONDS = 0.05
#: Seconds any one wait of the examples may take (a deadline, not a sleep).
WAIT_TIMEOUT = 120.0
#: The password the source database accepts: fake, but treated as a secret throughout.
SOURCE_PASSWORD = "demo-source-pw-7d3e"  # noqa: S105
#: A password the simulated source rejects (it fails any credential containing "fail").
REJECTED_PASSWORD = "demo-source-pw-fail-5b1c"  # noqa: S105


class Progress(Protocol):
    """Where the drivers report: the live view, or nothing (`--json`)."""

    def activity(self, text: str) -> None:
        """What is running now, e.g. "airflow · fivetran · task sync (try 1)"."""

    def record(self, record: StepRecord) -> None:
        """A step that finished."""


@dataclass(frozen=True)
class DemoOptions:
    """What to run; `conn-demo`'s options.

    Attributes:
        orchestrators: some of `ORCHESTRATORS`.
        backends: registered backend names; the first also gets the failure on purpose.
        fault_rate: share of requests given a fault the retries and waits ride out (0..1).
        seed: seed of the fault draws.
        clock_speed: simulated seconds per real second.
        extra_faults: further rules, checked before the `fault_rate` ones (they may be fatal).
    """

    orchestrators: tuple[str, ...] = DEFAULT_ORCHESTRATORS
    backends: tuple[str, ...] = ("fivetran", "faraday", "hub")
    fault_rate: float = 0.0
    seed: int = 0
    clock_speed: float = 200.0
    extra_faults: tuple[FaultRule, ...] = ()


@dataclass
class DemoContext:
    """What a driver needs: the simulator, the examples folder, the progress sink."""

    server: SimServer
    options: DemoOptions
    examples: Path
    progress: Progress

    def calls(self, backend: str) -> int:
        """Requests the simulator counted for `backend` since its last reset.

        Read over the admin API, which the server answers on its event loop after
        it has counted every earlier request.
        """
        rows = self.server.request_counts()
        return sum(int(r["count"]) for r in rows if r["backend"] == backend)


class Driver(Protocol):
    """One orchestrator's part of the demo."""

    name: str

    def prepare(self, ctx: DemoContext) -> None:
        """Import the framework and load the examples (no request to the simulator)."""

    def lifecycle(self, ctx: DemoContext, backend: str) -> None:
        """Run every step `backend` has; report a record per step."""

    def unsupported(self, ctx: DemoContext, backend: str) -> None:
        """Define each step `backend` lacks; report a record per refusal."""

    def setup_fails(self, ctx: DemoContext, backend: str) -> None:
        """Run the lifecycle on a connection whose source rejects the password."""

    def close(self) -> None:
        """Release what `prepare` built."""


def examples_environment(server: SimServer, examples: Path) -> dict[str, str]:
    """The variables the examples read, set before either framework is imported.

    Airflow: the DAGs folder, deferrable operators (read while the DAG files are
    parsed) and fast polls. Dagster: what `example_dags/dagster_defs.py`'s
    resources read, `<BACKEND>_BASE_URL` and `<BACKEND>_<SETTING>` for each
    credential setting of the backend (`API_KEY`, `API_SECRET`, `TOKEN`).
    """
    env = {
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(examples),
        "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True",
        "CONN_EXAMPLES_POLL_SECONDS": str(POLL_SECONDS),
        "CONN_EXAMPLES_TIMEOUT": str(WAIT_TIMEOUT),
        "CONN_POLL_INTERVAL": str(POLL_SECONDS),
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    accepted = server.credentials.as_dict()
    for backend in server.backends:
        prefix = backend.upper()
        env[f"{prefix}_BASE_URL"] = server.base_url(backend)
        fields = backend_entry(backend).settings_class.model_fields
        for setting, value in accepted[backend].items():
            if setting in fields:
                env[f"{prefix}_{setting.upper()}"] = str(value)
    return env


def failing_step(backend: str) -> str:
    """The step that reports a rejected password: verification, else the readiness wait."""
    return "verify" if Step.VERIFY in backend_entry(backend).capabilities else "wait until ready"


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block, then restore the earlier values."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in before.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def record_refusals(
    ctx: DemoContext,
    orchestrator: str,
    backend: str,
    probes: Sequence[tuple[str, Step, Callable[[], object]]],
    *,
    refusal: type[Exception],
    when: str,
) -> None:
    """Define each step `backend` lacks; record how the orchestrator answered.

    `probes` are (step, capability, definer); a definer whose capability the
    backend has is skipped. Raising `refusal` is the expected answer
    ("unsupported"); defining the step, or any other error, is unexpected.
    `when` says when the refusal comes ("parsed", "defined").
    """
    has = backend_entry(backend).capabilities
    for step, capability, define in probes:
        if capability in has:
            continue
        before, started = ctx.calls(backend), time.perf_counter()
        try:
            define()
        except refusal as exc:
            status, outcome = Status.UNSUPPORTED, f"refused when {when}: {exc}"
        except Exception as exc:  # any other answer is the unexpected one
            status, outcome = Status.FAILED, f"{type(exc).__name__}: {exc}"
        else:
            status, outcome = Status.SUCCEEDED, "accepted, though the backend lacks the step"
        ctx.progress.record(
            StepRecord(
                orchestrator=orchestrator,
                backend=backend,
                step=step,
                status=status,
                expected=Status.UNSUPPORTED,
                outcome=outcome,
                api_calls=ctx.calls(backend) - before,
                seconds=time.perf_counter() - started,
            )
        )
