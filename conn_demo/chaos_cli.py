"""`make chaos` on the command line (`python -m conn_demo.chaos_cli`): progress, the table.

The run itself is `conn_demo.chaos.run_chaos`; here are its options, the progress
lines (rich, as `conn-demo` prints them), the table of `ChaosReport.rows()` and the
exit status: 0 when every target is met, 1 when one is missed. The frameworks' own
log output goes to a file (`--log-file` keeps it), as in `conn-demo`.
"""

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from conn_demo.chaos import (
    MAX_REQUEST_RATIO,
    TARGETS,
    ChaosOptions,
    ChaosReport,
    Lifecycle,
    run_chaos,
)
from conn_demo.records import StepRecord
from conn_demo.report import PLAIN_WIDTH, clip, summary_console
from conn_demo.runner import framework_output

__all__ = ["build_parser", "main", "print_chaos"]


def build_parser() -> argparse.ArgumentParser:
    """The `python -m conn_demo.chaos` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m conn_demo.chaos_cli",
        description=(
            "Run whole lifecycles of the example DAGs and Dagster jobs under injected faults "
            "(10%% 5xx, 5%% 429 with and without Retry-After, 2%% committed-but-answer-lost, "
            "2%% latency spikes, 2%% dropped connections, 2%% truncated bodies, on every "
            "request) and check: every lifecycle correct, no duplicate connection or sync, "
            f"at most {MAX_REQUEST_RATIO}x the requests of a fault-free run."
        ),
    )
    defaults = ChaosOptions()
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="faulted rounds")
    parser.add_argument("--baseline-rounds", type=int, default=defaults.baseline_rounds)
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the faults")
    parser.add_argument("--task-retries", type=int, default=defaults.task_retries)
    parser.add_argument(
        "--orchestrators",
        type=lambda text: tuple(t for t in text.split(",") if t),
        default=defaults.orchestrators,
        help="comma-separated, from airflow, dagster, client",
    )
    parser.add_argument(
        "--backends",
        type=lambda text: tuple(t for t in text.split(",") if t),
        default=defaults.backends,
        help="comma-separated backends",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--log-file", type=Path, default=None, help="keep the frameworks' own log output there"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `make chaos`; 0 when every target is met, 1 otherwise."""
    args = build_parser().parse_args(argv)
    options = ChaosOptions(
        rounds=args.rounds,
        baseline_rounds=max(1, args.baseline_rounds),
        seed=args.seed,
        orchestrators=args.orchestrators,
        task_retries=args.task_retries,
        backends=args.backends,
    )
    with tempfile.TemporaryDirectory(prefix="conn-chaos-logs-") as folder:
        log = args.log_file if args.log_file is not None else Path(folder) / "frameworks.log"
        with framework_output(log) as terminal:
            if args.json:
                report = run_chaos(options, _Status(None))
            else:
                report = _run_with_progress(options, terminal)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print_chaos(summary_console(), report)
    return 0 if not report.missed() else 1


def _run_with_progress(options: ChaosOptions, terminal: IO[str]) -> ChaosReport:
    """`run_chaos` with a spinner and a line per lifecycle on `terminal`."""
    console = Console(file=terminal, width=None if terminal.isatty() else PLAIN_WIDTH)
    lifecycles = options.rounds * len(options.orchestrators) * len(options.backends)
    console.print(
        f"conn chaos: seed {options.seed}; {lifecycles} lifecycles ({options.rounds} rounds "
        f"of {', '.join(options.orchestrators)} x {', '.join(options.backends)}), "
        f"{options.baseline_rounds} fault-free round(s) first; task and op retries: "
        f"{options.task_retries}"
    )
    with console.status("starting", spinner="dots") as status:

        def done(lc: Lifecycle, number: int, of: int) -> None:
            mark = "✓" if lc.steps_ok else "✗"
            console.print(
                f"{mark} {number:>4}/{of} {lc.orchestrator:<8} {lc.backend:<9} "
                f"{lc.requests:>4} requests {lc.seconds:6.2f} s  faults "
                f"{sum(lc.faults.values())}" + (f"  {lc.error}" if lc.error else ""),
                highlight=False,
            )

        return run_chaos(options, _Status(status), done=done)


@dataclass
class _Status:
    """The progress sink of the command line: the spinner names what runs."""

    status: Any  # a rich Status, or None: silent

    def activity(self, text: str) -> None:
        if self.status is not None:
            self.status.update(escape(text))

    def record(self, record: StepRecord) -> None:
        """Ignored: a line per lifecycle is printed instead."""


def _cell(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def print_chaos(console: Console, report: ChaosReport) -> None:
    """The chaos table (a row per orchestrator and backend, then the total) and the verdict."""
    options = report.options
    table = Table(
        title=f"conn chaos: seed {options.seed}, task and op retries {options.task_retries}",
        title_justify="left",
    )
    columns = (
        ("orchestrator", "orchestrator"),
        ("backend", "backend"),
        ("lifecycles", "lifecycles"),
        ("correct", "correct"),
        ("dup. connections", "duplicate_connections"),
        ("dup. syncs", "duplicate_syncs"),
        ("requests", "requests"),
        ("fault-free", "fault_free_requests"),
        ("ratio", "request_ratio"),
        ("p50 s", "p50_seconds"),
        ("p95 s", "p95_seconds"),
    )
    for title, _ in columns:
        table.add_column(
            title, no_wrap=True, justify="left" if title in ("orchestrator", "backend") else "right"
        )
    rows = report.rows()
    for index, row in enumerate(rows):
        last = index == len(rows) - 1
        table.add_row(
            *(
                f"{row[key]:.2f}" if isinstance(row[key], float) else str(row[key])
                for _, key in columns
            ),
            style="bold" if last else None,
            end_section=index == len(rows) - 2,
        )
    console.print(table)
    for lc in report.faulted:
        problems = report.problems(lc)
        if problems:
            console.print(
                f"[bold red]incorrect[/] {lc.orchestrator} {lc.backend} round {lc.round} "
                f"(fault seed {lc.fault_seed}): {escape(clip('; '.join(problems), 200))}"
            )
    fired = ", ".join(f"{kind} {n}" for kind, n in report.faults_fired().items())
    console.print(f"faults injected: {fired or 'none'}; {report.seconds:.0f} s in all")
    missed = report.missed()
    if missed:
        console.print(f"[bold red]targets missed:[/] {', '.join(missed)}")
    else:
        console.print(f"[green]targets met:[/] {', '.join(TARGETS)}")


if __name__ == "__main__":
    sys.exit(main())
