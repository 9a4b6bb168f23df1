"""What `conn-demo` shows: a live progress view while it runs, then the summary (rich).

`LiveReport` keeps a spinner line naming what runs now (a task, an op, an asset
run) and prints a line for each step as it finishes; `print_summary` prints
the table (orchestrator, backend, step, outcome, API calls, seconds), says in
plain words which failure was on purpose, and totals the run. `--json` prints
`Summary.to_json()` instead (see `conn_demo.cli`).
"""

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.status import Status as Spinner
from rich.table import Table
from rich.text import Text

from conn_demo.records import LIFECYCLE, SETUP_FAILS, Status, StepRecord, Summary

__all__ = ["LiveReport", "clip", "print_summary", "summary_console"]

#: Longest outcome a table cell or progress line shows; `--json` has the whole text.
OUTCOME_WIDTH = 64
#: Columns of the summary when the output is not a terminal (a file, a pipe, CI logs).
PLAIN_WIDTH = 150
_MARKS = {True: ("✓", "green"), False: ("✗", "bold red")}


def clip(text: str, width: int = OUTCOME_WIDTH) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _style(record: StepRecord) -> str:
    if not record.ok:
        return "bold red"
    if record.status is Status.UNSUPPORTED:
        return "dim"
    if record.scenario == SETUP_FAILS and record.status is Status.FAILED:
        return "yellow"
    return ""


def _outcome(record: StepRecord) -> str:
    text = clip(record.outcome)
    if not record.ok:
        return f"UNEXPECTED ({record.status.value}, expected {record.expected.value}): {text}"
    if record.status is Status.UNSUPPORTED:
        return f"unsupported: {text}"
    if record.status is Status.FAILED:
        return f"failed, on purpose: {text}"
    return text


def _step(record: StepRecord) -> str:
    return record.step if record.scenario == LIFECYCLE else f"{record.step} ({record.scenario})"


class LiveReport:
    """The live progress view: a spinner with the current activity, a line per finished step."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._spinner: Spinner | None = None

    def __enter__(self) -> "LiveReport":
        self._spinner = self.console.status("starting the simulator", spinner="dots")
        self._spinner.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._spinner is not None:
            self._spinner.stop()

    def activity(self, text: str) -> None:
        """Show what runs now."""
        if self._spinner is not None:
            self._spinner.update(escape(text))

    def record(self, record: StepRecord) -> None:
        """Print one finished step."""
        mark, colour = _MARKS[record.ok]
        line = Text.assemble(
            (f"{mark} ", colour),
            f"{record.orchestrator:<8} {record.backend:<9} ",
            (f"{_step(record):<36} ", "bold"),
            (_outcome(record), _style(record)),
            f"  {record.api_calls} calls, {record.seconds:.2f} s",
        )
        self.console.print(line, overflow="ellipsis", no_wrap=True)


def summary_console() -> Console:
    """A console on stdout, wide enough for the table when stdout is not a terminal."""
    console = Console()
    return console if console.is_terminal else Console(width=PLAIN_WIDTH)


def print_summary(console: Console, summary: Summary) -> None:
    """The summary table, the failures on purpose in plain words, and the totals."""
    table = Table(title="conn-demo summary", title_justify="left", show_lines=False)
    table.add_column("orchestrator", no_wrap=True)
    table.add_column("backend", no_wrap=True)
    table.add_column("step", no_wrap=True)
    table.add_column("outcome", no_wrap=True, overflow="ellipsis", max_width=OUTCOME_WIDTH)
    table.add_column("API calls", justify="right", no_wrap=True)
    table.add_column("seconds", justify="right", no_wrap=True)
    groups = [(r.orchestrator, r.backend, r.scenario) for r in summary.records]
    for index, record in enumerate(summary.records):
        table.add_row(
            record.orchestrator,
            record.backend,
            _step(record),
            Text(_outcome(record), style=_style(record)),
            str(record.api_calls),
            f"{record.seconds:.2f}",
            # A rule under each backend's rows.
            end_section=groups[index] != groups[min(index + 1, len(groups) - 1)],
        )
    console.print(table)
    for record in summary.records:
        if record.scenario == SETUP_FAILS and record.status is Status.FAILED and record.ok:
            console.print(
                f"On purpose, under {record.orchestrator}: the {record.backend} connection's "
                f"source rejects its password, so its {record.step} step failed with the "
                f"vendor's message: {escape(record.outcome.rstrip('.'))}. That is expected."
            )
    for error in summary.errors:
        console.print(f"[bold red]Could not run[/] {escape(error)}")
    fired = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.faults_fired.items()))
    unexpected = len(summary.unexpected)
    verdict = "[green]all as expected[/]" if summary.ok else f"[bold red]{unexpected} unexpected[/]"
    console.print(
        f"{len(summary.records)} steps, {verdict}, "
        f"{sum(r.api_calls for r in summary.records)} API calls, {summary.seconds:.1f} s in all; "
        f"faults injected (seed {summary.seed}, rate {summary.fault_rate:g}): {fired or 'none'}"
    )
