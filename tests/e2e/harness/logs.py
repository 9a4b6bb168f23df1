"""Log files on disk and searching them, e.g. for a planted secret.

Airflow writes one file per task try, `dag_id=D/run_id=R/task_id=T[/map_index=M]/attempt=N.log`,
and the triggerer one per trigger beside it, `attempt=N.log.trigger.<trigger id>.log`.
The harness also writes one file per component it started (`<component>.log`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LogHit", "files_under", "search", "task_logs", "trigger_logs"]


@dataclass(frozen=True)
class LogHit:
    """One line of one file that contains the needle."""

    path: Path
    line_number: int
    line: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line_number}: {self.line[:300]}"


def files_under(*roots: Path) -> list[Path]:
    """Every regular file below `roots` (roots that do not exist are skipped), sorted."""
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def _try_logs(
    logs_root: Path, dag_id: str | None, run_id: str | None, task_id: str | None
) -> list[Path]:
    base = logs_root.glob(f"dag_id={dag_id or '*'}/run_id={run_id or '*'}/task_id={task_id or '*'}")
    return sorted(p for folder in base for p in folder.rglob("attempt=*.log*") if p.is_file())


def task_logs(
    logs_root: Path,
    dag_id: str | None = None,
    *,
    run_id: str | None = None,
    task_id: str | None = None,
) -> list[Path]:
    """Task try logs (`attempt=N.log`) below Airflow's base log folder; filters are exact."""
    return [
        p for p in _try_logs(logs_root, dag_id, run_id, task_id) if ".log.trigger." not in p.name
    ]


def trigger_logs(
    logs_root: Path,
    dag_id: str | None = None,
    *,
    run_id: str | None = None,
    task_id: str | None = None,
) -> list[Path]:
    """Triggerer logs (`attempt=N.log.trigger.<id>.log`) below the base log folder."""
    return [p for p in _try_logs(logs_root, dag_id, run_id, task_id) if ".log.trigger." in p.name]


def search(files: Iterable[Path], needle: str) -> list[LogHit]:
    """Lines of `files` containing `needle` (bytes that are not UTF-8 are replaced)."""
    if not needle:
        raise ValueError("needle must not be empty: every line would match")
    hits: list[LogHit] = []
    for path in files:
        try:
            text = path.read_text(errors="replace")
        except (FileNotFoundError, IsADirectoryError):
            continue
        if needle not in text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if needle in line:
                hits.append(LogHit(path, number, line))
    return hits
