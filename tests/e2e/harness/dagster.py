"""`dagster-daemon` on a definitions file, in a temporary `DAGSTER_HOME`, observed from the test.

`DagsterDaemon(settings)` writes `dagster.yaml` (telemetry off, the run queue
dequeued every second), initialises the instance's SQLite storage in the test
process first (a fresh home raced on schema creation when two processes created it
at once: "alembic ... more than one head present"), then starts
`dagster-daemon run -f <file> -a <attribute>` from the project's virtualenv in a
session of its own. The daemon runs sensors, schedules and the run queue and
launches runs as subprocesses; no webserver is needed.

The test reads the same instance through `DagsterInstance.from_config(home)`:
heartbeats, sensor ticks, runs, materializations and asset check executions.
`launch(job)` asks for a run the way a user does without a webserver, with
`dagster job launch`: the run is queued in the instance and the daemon launches it.
`stop()` sends SIGTERM to the daemon and kills anything it left (see `processes`).
"""

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tests.e2e.harness.deployment import Deployment
from tests.e2e.harness.processes import ManagedProcess

if TYPE_CHECKING:
    import dagster as dg
    from dagster._core.scheduler.instigation import InstigatorTick

__all__ = ["DagsterDaemon", "DagsterSettings"]

T = TypeVar("T")

#: Daemons that must heartbeat before the deployment counts as ready.
READY_DAEMONS = ("SENSOR", "QUEUED_RUN_COORDINATOR")


@dataclass(frozen=True)
class DagsterSettings:
    """What a test decides about its daemon.

    - `defs_file` and `attribute`: the definitions the daemon loads (`-f`, `-a`).
    - `env`: more environment variables (e.g. a simulator URL the definitions read).
    - `python_path`: folders put on `PYTHONPATH` after the repository root.
    - `instance`: more `dagster.yaml` settings, merged over the harness defaults.
    - `ready_timeout`, `stop_grace`: bounds in seconds.
    - `artefacts`: where `stop()` copies the daemon's log and the instance's compute
      logs before removing the home (None: nowhere).
    """

    defs_file: Path
    attribute: str = "defs"
    env: Mapping[str, str] = field(default_factory=dict)
    python_path: Sequence[Path] = ()
    instance: Mapping[str, Any] = field(default_factory=dict)
    ready_timeout: float = 180.0
    stop_grace: float = 20.0
    artefacts: Path | None = None


def _wait(what: str, probe: Callable[[], T | None], timeout: float, poll: float = 0.5) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not seen within {timeout} s")
        time.sleep(poll)


class DagsterDaemon(Deployment):
    """`dagster-daemon run` in a temporary `DAGSTER_HOME`; a context manager."""

    def __init__(self, settings: DagsterSettings, *, name: str = "dagster") -> None:
        if not settings.defs_file.is_file():
            raise ValueError(f"defs_file {settings.defs_file} is not a file")
        super().__init__(name, settings)
        self.settings = settings
        self.env["DAGSTER_HOME"] = str(self.home)
        self.env["DAGSTER_DISABLE_TELEMETRY"] = "1"
        self.env.update(settings.env)
        self._instance: dg.DagsterInstance | None = None

    def _write_config(self) -> None:
        config: dict[str, Any] = {
            "telemetry": {"enabled": False},
            # The default 5 s between dequeues adds latency between a sensor tick and its run.
            "run_queue": {"dequeue_interval_seconds": 1},
        }
        for key, value in self.settings.instance.items():
            if isinstance(value, Mapping) and isinstance(config.get(key), dict):
                config[key] = {**config[key], **value}
            else:
                config[key] = value
        # JSON is YAML: no YAML writer needed.
        (self.home / "dagster.yaml").write_text(json.dumps(config, indent=2))

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> "DagsterDaemon":
        """Write the config, initialise storage, start the daemon and wait for heartbeats.

        Raises `RuntimeError` with the daemon's log tail if it exits, `TimeoutError` if
        the daemons in `READY_DAEMONS` do not heartbeat within `ready_timeout` seconds.
        Everything started is stopped before raising.
        """
        try:
            self._write_config()
            self.instance.get_runs(limit=1)  # creates the SQLite schemas, once
            self.processes.start(
                "dagster-daemon",
                [
                    self.command("dagster-daemon"),
                    "run",
                    "-f",
                    str(self.settings.defs_file),
                    "-a",
                    self.settings.attribute,
                ],
                cwd=self.home,
            )
            self.wait_ready(self.settings.ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float) -> None:
        """Wait until every daemon of `READY_DAEMONS` has heartbeated (seconds)."""

        def probe() -> bool | None:
            if not self.daemon.alive():
                raise RuntimeError(
                    f"dagster-daemon exited with {self.daemon.popen.returncode}; last lines of "
                    f"{self.daemon.log_path}:\n{self.daemon.log_tail()}"
                )
            beats = self.heartbeats()
            return True if all(d in beats for d in READY_DAEMONS) else None

        _wait("daemon heartbeats", probe, timeout)

    def kept_folders(self) -> list[Path]:
        """The daemon's console and the instance's storage (compute logs; not the databases)."""
        return [self.component_logs, self.home / "storage"]

    def release(self) -> None:
        """Close the test process's handle on the instance."""
        if self._instance is not None:
            self._instance.dispose()

    # -- looking at it ------------------------------------------------------------------

    @property
    def daemon(self) -> ManagedProcess:
        """The `dagster-daemon` process."""
        return self.processes.processes["dagster-daemon"]

    @property
    def instance(self) -> "dg.DagsterInstance":
        """The daemon's instance, opened from its home by the test process."""
        if self._instance is None:
            import dagster as dg  # noqa: PLC0415 (keeps collection of the suite light)

            self._instance = dg.DagsterInstance.from_config(str(self.home))
        return self._instance

    def heartbeats(self) -> dict[str, Any]:
        """Daemon type (`SENSOR`, `QUEUED_RUN_COORDINATOR`, ...) -> its latest heartbeat."""
        return dict(self.instance.get_daemon_heartbeats())

    def sensor_ticks(self, sensor_name: str, *, limit: int = 100) -> list["InstigatorTick"]:
        """The sensor's ticks, newest first (empty before its first tick)."""
        from dagster._core.scheduler.instigation import (  # noqa: PLC0415
            InstigatorType,
        )

        for state in self.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
            if state.instigator_name == sensor_name:
                return list(
                    self.instance.get_ticks(
                        state.instigator_origin_id, state.selector_id, limit=limit
                    )
                )
        return []

    def wait_for_ticks(
        self, sensor_name: str, count: int, *, timeout: float = 120.0
    ) -> list["InstigatorTick"]:
        """Wait until the sensor has ticked `count` times; its ticks, newest first."""
        return _wait(
            f"{count} ticks of sensor {sensor_name}",
            lambda: t if len(t := self.sensor_ticks(sensor_name)) >= count else None,
            timeout,
        )

    def runs(self, job_name: str | None = None) -> list["dg.DagsterRun"]:
        """Runs in the instance (of one job, or all), newest first."""
        import dagster as dg  # noqa: PLC0415

        filters = dg.RunsFilter(job_name=job_name) if job_name else None
        return list(self.instance.get_runs(filters=filters))

    def launch(
        self, job_name: str, *, op_selection: Sequence[str] = (), timeout: float = 300.0
    ) -> str:
        """Queue a run of `job_name` with `dagster job launch`; its run id.

        `op_selection` limits the run to those ops (for an asset job, e.g. only its
        asset check ops). The command loads the definitions file and submits the run
        to the instance's queue; the daemon launches it (`wait_for_run`). Raises
        `RuntimeError` with the command's log tail if it fails or outlives `timeout` s.
        """
        run_id = str(uuid.uuid4())
        argv = [
            self.command("dagster"),
            "job",
            "launch",
            "-f",
            str(self.settings.defs_file),
            "-a",
            self.settings.attribute,
            "-j",
            job_name,
            "--run-id",
            run_id,
        ]
        if op_selection:
            argv += ["-o", ",".join(op_selection)]
        self.processes.run(f"launch-{job_name}-{run_id[:8]}", argv, timeout=timeout, cwd=self.home)
        return run_id

    def wait_for_run(self, run_id: str, *, timeout: float = 300.0) -> "dg.DagsterRun":
        """Wait until the run has finished (success, failure or canceled); the run."""

        def probe() -> "dg.DagsterRun | None":
            run = self.instance.get_run_by_id(run_id)
            return run if run is not None and run.is_finished else None

        return _wait(f"run {run_id} to finish", probe, timeout)

    def wait_for_runs(
        self,
        count: int,
        *,
        job_name: str | None = None,
        timeout: float = 180.0,
    ) -> list["dg.DagsterRun"]:
        """Wait until `count` runs (of `job_name`) have finished; those runs, newest first.

        Finished means success, failure or canceled: the test asserts which.
        """

        def probe() -> list["dg.DagsterRun"] | None:
            done = [r for r in self.runs(job_name) if r.is_finished]
            return done if len(done) >= count else None

        return _wait(f"{count} finished runs of {job_name or 'any job'}", probe, timeout)

    def materializations(self, asset_key: Sequence[str] | str) -> list[Any]:
        """Materialization events of one asset, oldest first (`EventLogRecord`s)."""
        import dagster as dg  # noqa: PLC0415

        key = dg.AssetKey(asset_key) if isinstance(asset_key, str) else dg.AssetKey(list(asset_key))
        result = self.instance.fetch_materializations(key, limit=1000, ascending=True)
        return list(result.records)

    def check_executions(self, asset_key: Sequence[str] | str, check_name: str) -> list[Any]:
        """Executions of one asset check, newest first (`AssetCheckExecutionRecord`s)."""
        import dagster as dg  # noqa: PLC0415

        key = dg.AssetKey(asset_key) if isinstance(asset_key, str) else dg.AssetKey(list(asset_key))
        check_key = dg.AssetCheckKey(key, check_name)
        return list(
            self.instance.event_log_storage.get_asset_check_execution_history(check_key, limit=1000)
        )

    def run_log(self, run_id: str) -> str:
        """Every event message of one run, one per line (the run's event log as text)."""
        records = self.instance.all_logs(run_id)
        return "\n".join(f"{r.dagster_event_type or 'LOG'}: {r.message}" for r in records)
