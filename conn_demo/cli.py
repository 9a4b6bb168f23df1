"""`conn-demo`: the example DAGs and Dagster jobs, run against the embedded simulator.

For each orchestrator (Airflow and Dagster by default) and each backend it runs
every lifecycle step the backend has through the orchestrator, shows each step
the backend lacks as unsupported, and makes one connection fail its setup tests
on purpose. A live view shows progress; a summary table (or `--json`) ends the
run. Exit status: 0 when every step ended as expected, 1 when one did not, 2 for
bad options or a missing extra.

Only light modules are imported before the options are read, so `--help` and
the message naming the missing extra work on a base install.
"""

import argparse
import importlib.util
import json
import random
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from conn_shared import backend_names
from conn_shared.sim.faults import FaultRule, parse_fault

__all__ = ["build_parser", "main", "missing_requirements"]

EXTRA = "demo"
ORCHESTRATORS = ("client", "airflow", "dagster")
#: What each part needs: (distribution, importable module).
_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "sim": (("starlette", "starlette"), ("uvicorn", "uvicorn")),
    "airflow": (("apache-airflow", "airflow"),),
    "dagster": (("dagster", "dagster"),),
    "view": (("rich", "rich"),),
}

_EPILOG = f"""\
fault kinds injected by --fault-rate (each one the retries or the waits ride out):
  429 with Retry-After: 1 and 429 without Retry-After (any request; always retried),
  503 and 502, dropped connections and truncated JSON bodies (reads only: safe to
  send again), and 0.2 s of latency (any request). Each kind fires on RATE/7 of the
  requests it fits, so about RATE of the reads see one. Faults are drawn from --seed.

--fault uses conn-sim's syntax, KIND[=SECONDS][:PROBABILITY | xN][@[METHOD ]PATH],
and is checked before the --fault-rate rules; it can inject faults no retry rides
out (e.g. --fault '500x9@GET /hub/*'), and then the run reports unexpected steps.

needs the '{EXTRA}' extra: pip install 'conn-providers[{EXTRA}]'
"""


def _name_list(allowed: Sequence[str], what: str) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
        unknown = [n for n in names if n not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(unknown) or repr(text)}; "
                f"choose from {', '.join(allowed)}"
            )
        return names

    return parse


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share of requests within 0..1, got {text!r}")
    return value


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"a positive number, got {text!r}")
    return value


def _fault(text: str) -> FaultRule:
    try:
        return parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    """The `conn-demo` argument parser."""
    parser = argparse.ArgumentParser(
        prog="conn-demo",
        description=(
            "Run the example Airflow DAGs and Dagster jobs against the embedded simulator: "
            "every lifecycle step each backend has (ensure, verify, wait until ready, sync "
            "or resync, wait for the sync, pause, resume), the steps it lacks shown as "
            "unsupported, and one connection whose setup tests fail on purpose."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--orchestrators",
        type=_name_list(ORCHESTRATORS, "orchestrator"),
        default=("airflow", "dagster"),
        metavar="LIST",
        help="comma-separated, from client, airflow, dagster (default: airflow,dagster); "
        "'client' drives the lifecycle verbs directly, without a framework",
    )
    parser.add_argument(
        "--backends",
        type=_name_list(tuple(backend_names()), "backend"),
        default=tuple(backend_names()),
        metavar="LIST",
        help=f"comma-separated backends (default: {','.join(backend_names())}); the first "
        "also gets the connection that fails on purpose",
    )
    parser.add_argument(
        "--fault-rate",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of requests (0..1) that get a fault the retries ride out (default: 0); "
        "the kinds are listed below",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the fault draws (default: a random one, printed, so a run can be repeated)",
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="SPEC",
        help="an extra fault rule (repeatable), conn-sim's syntax; may be one no retry rides out",
    )
    parser.add_argument(
        "--clock-speed",
        type=_speed,
        default=200.0,
        metavar="X",
        help="simulated seconds per real second (default: 200: a 60 s sync takes 0.3 s)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a machine-readable summary instead of the live view and the table",
    )
    parser.add_argument(
        "--log-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="keep Airflow's and Dagster's own log output there (default: discarded); it "
        "is unmasked, as dag.test() writes it",
    )
    return parser


def missing_requirements(orchestrators: Sequence[str], *, view: bool) -> list[str]:
    """The distributions the run needs and this environment lacks (none: ready to run)."""
    parts = ["sim", *(o for o in orchestrators if o in _NEEDS)]
    if view:
        parts.append("view")
    return [
        dist
        for part in parts
        for dist, module in _NEEDS[part]
        if importlib.util.find_spec(module) is None
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `conn-demo`; returns the exit status."""
    args = build_parser().parse_args(argv)
    missing = missing_requirements(args.orchestrators, view=not args.json)
    if missing:
        print(
            f"conn-demo needs the '{EXTRA}' extra (missing: {', '.join(missing)}); "
            f"install it with: pip install 'conn-providers[{EXTRA}]'",
            file=sys.stderr,
        )
        return 2
    # Imported once the requirements are known to be there.
    from conn_demo.context import DemoOptions  # noqa: PLC0415
    from conn_demo.runner import framework_output, run_demo  # noqa: PLC0415

    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    options = DemoOptions(
        orchestrators=args.orchestrators,
        backends=args.backends,
        fault_rate=args.fault_rate,
        seed=seed,
        clock_speed=args.clock_speed,
        extra_faults=tuple(args.fault),
    )
    with tempfile.TemporaryDirectory(prefix="conn-demo-logs-") as folder:
        log = args.log_file if args.log_file is not None else Path(folder) / "frameworks.log"
        if args.json:
            with framework_output(log):
                summary = run_demo(options, _Silent())
            print(json.dumps(summary.to_json(), indent=2))
            return 0 if summary.ok else 1

        from rich.console import Console  # noqa: PLC0415

        from conn_demo.report import (  # noqa: PLC0415
            PLAIN_WIDTH,
            LiveReport,
            print_summary,
            summary_console,
        )

        with framework_output(log) as terminal:
            console = Console(file=terminal, width=None if terminal.isatty() else PLAIN_WIDTH)
            console.print(
                f"conn-demo: {', '.join(options.orchestrators)} on "
                f"{', '.join(options.backends)}; simulator clock x{options.clock_speed:g}; "
                f"fault rate {options.fault_rate:g}, seed {seed}"
                + (f"; frameworks' logs in {log}" if args.log_file else "")
            )
            with LiveReport(console) as live:
                summary = run_demo(options, live)
        print_summary(summary_console(), summary)
        if not summary.ok and args.log_file is None:
            print("To see the frameworks' own logs, run again with --log-file PATH.")
        return 0 if summary.ok else 1


class _Silent:
    """The progress sink of `--json`: the summary says it all."""

    def activity(self, text: str) -> None:
        """Ignored."""

    def record(self, record: object) -> None:
        """Ignored."""


if __name__ == "__main__":
    sys.exit(main())
