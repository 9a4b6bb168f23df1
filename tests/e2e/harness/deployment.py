"""What every deployment the harness starts has in common: a temporary home and its processes.

`Deployment` makes `conn-e2e-<run id>-<name>-*` in the temporary folder (the sweep
finds it by that name), an environment for its processes (the inherited one without
any `AIRFLOW*` or `DAGSTER*` variable, the project's virtualenv first on `PATH`, the
repository root on `PYTHONPATH`), and a `ProcessSet` logging to `<home>/components`.
`stop()` stops the processes, copies the folders worth keeping to `artefacts`, and
removes the home. Subclasses add their configuration and `start()`.
"""

import abc
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Protocol, TypeVar

from tests.e2e.harness.processes import RUN_ID_ENV, ProcessSet, run_id

__all__ = ["REPO_ROOT", "Deployment", "DeploymentSettings"]

REPO_ROOT = Path(__file__).resolve().parents[3]
D = TypeVar("D", bound="Deployment")
# The unit-test conftest sets some of these for its in-process Airflow and Dagster.
_NOT_INHERITED = ("AIRFLOW", "DAGSTER", RUN_ID_ENV, "PYTHONPATH")


class DeploymentSettings(Protocol):
    """The settings every deployment has (`AirflowSettings`, `DagsterSettings`).

    `python_path` goes on `PYTHONPATH` after the repository root; `stop_grace` is how
    long (seconds) the processes get between SIGTERM and SIGKILL; `artefacts` is where
    `stop()` copies `kept_folders()` (None: nowhere).
    """

    @property
    def python_path(self) -> Sequence[Path]: ...
    @property
    def stop_grace(self) -> float: ...
    @property
    def artefacts(self) -> Path | None: ...


class Deployment(abc.ABC):
    """Processes started in a temporary home and stopped together; a context manager."""

    def __init__(self, name: str, settings: DeploymentSettings) -> None:
        self.name = name
        self.home = Path(tempfile.mkdtemp(prefix=f"conn-e2e-{run_id()}-{name}-"))
        self.component_logs = self.home / "components"
        self.component_logs.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
        bin_dir = str(Path(sys.executable).parent)
        self.env["PATH"] = f"{bin_dir}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (REPO_ROOT, *settings.python_path))
        # The set reads `env` when it starts a process: subclasses may still add to it.
        self.processes = ProcessSet(log_dir=self.component_logs, env=self.env)
        self._stop_grace = settings.stop_grace
        self._artefacts = settings.artefacts
        self._stopped = False

    @staticmethod
    def command(name: str) -> str:
        """A console script of the project's virtualenv (`airflow`, `dagster-daemon`)."""
        return str(Path(sys.executable).parent / name)

    @abc.abstractmethod
    def start(self: D) -> D:
        """Start the processes and wait until they are ready; stop them all on failure."""

    def kept_folders(self) -> list[Path]:
        """Folders of the home that `stop()` copies to `artefacts` (the component logs)."""
        return [self.component_logs]

    @abc.abstractmethod
    def release(self) -> None:
        """Close what the test process holds open on the deployment (before it stops)."""

    def stop(self) -> dict[str, int]:
        """Stop every process (SIGTERM, grace, SIGKILL), keep artefacts, remove the home.

        Returns each component's exit code (negative: the signal that ended it). Safe to
        call twice.
        """
        if self._stopped:
            return {}
        self._stopped = True
        self.release()
        try:
            codes = self.processes.stop(grace=self._stop_grace)
        finally:
            if self._artefacts is not None:
                shutil.rmtree(self._artefacts, ignore_errors=True)
                self._artefacts.mkdir(parents=True, exist_ok=True)
                for folder in self.kept_folders():
                    if folder.exists():
                        shutil.copytree(
                            folder,
                            self._artefacts / folder.name,
                            dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.db", "*.db-*"),
                        )
            shutil.rmtree(self.home, ignore_errors=True)
        return codes

    def __enter__(self: D) -> D:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
