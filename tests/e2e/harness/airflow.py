"""A real Airflow 3 deployment for end-to-end tests: separate processes, SQLite, LocalExecutor.

`AirflowDeployment(settings)` makes a temporary `AIRFLOW_HOME`, runs
`airflow db migrate`, then starts `api-server`, `scheduler`, `dag-processor` and
`triggerer` as separate processes (each in its own session, pids kept, one log file
each) and waits until `/api/v2/monitor/health` reports every one of them healthy.
`stop()` ends every process it started (see `processes.ProcessSet.stop`), copies
the logs to `settings.artefacts` if set, and removes the home folder.

Every component gets the same environment: the inherited one without any `AIRFLOW*`
variable (the unit-test conftest sets some for its in-process Airflow), the
deployment's configuration as `AIRFLOW__SECTION__KEY`, one `AIRFLOW_CONN_*` per
connection the test passes, and `PYTHONPATH` with the repository root so the DAG
files import our packages and test helpers (see `deployment.Deployment`).
Authentication is the simple auth manager's, with a pre-written passwords file;
`deployment.api` is a REST client already holding the credentials.

The settings that worked on this 2-core machine, and the timings, are in the
"real deployment" section of the framework notes (`shared/notes/frameworks.md`).
"""

import base64
import json
import os
import secrets
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.e2e.harness.airflow_api import AirflowApi
from tests.e2e.harness.deployment import Deployment
from tests.e2e.harness.logs import LogHit, files_under, search, task_logs, trigger_logs
from tests.e2e.harness.processes import ManagedProcess, ResourceSampler

__all__ = [
    "COMPONENTS",
    "AirflowDeployment",
    "AirflowSettings",
    "TaskProcesses",
    "conn_env_name",
    "free_port",
    "short_heartbeat_config",
]

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# Which health entry tells that a component is up (the api-server answering is its own proof).
_HEALTH_KEY = {"scheduler": "scheduler", "dag-processor": "dag_processor", "triggerer": "triggerer"}
_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it; a race is possible but rare)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def conn_env_name(conn_id: str) -> str:
    """The variable Airflow reads a connection from: `AIRFLOW_CONN_<CONN_ID upper-cased>`."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def short_heartbeat_config(timeout: int = 20) -> dict[str, str]:
    """Configuration that makes the scheduler notice a dead task within ~`timeout` seconds.

    By default a task whose worker died is failed (and retried) only after
    `[scheduler] task_instance_heartbeat_timeout` = 300 s, checked every 10 s. The
    supervisor heartbeats at most every `[workers] min_heartbeat_interval` s, so that
    goes down too. Only needed when the whole worker (supervisor) dies: a killed task
    runner is reported by its supervisor at once.
    """
    return {
        "scheduler.task_instance_heartbeat_timeout": str(timeout),
        "scheduler.task_instance_heartbeat_timeout_detection_interval": "2",
        "workers.min_heartbeat_interval": "2",
    }


@dataclass(frozen=True)
class AirflowSettings:
    """What a test decides about its deployment.

    - `dags_folder`: the DAGs folder (the test writes it, or `example_dags/`).
    - `connections`: conn id -> Airflow connection as a dict (sent as JSON) or URI.
    - `config`: `"section.key"` -> value, e.g. `short_heartbeat_config()`; wins over
      the harness defaults.
    - `env`: more environment variables for every component.
    - `python_path`: folders put on `PYTHONPATH` after the repository root.
    - `components`: which of `COMPONENTS` to start (the api-server always).
    - `parallelism`: `[core] parallelism`, the LocalExecutor's worker count.
    - `healthy_timeout`, `migrate_timeout`, `stop_grace`: bounds in seconds.
    - `artefacts`: where `stop()` copies the logs before removing the home (None: nowhere).
    """

    dags_folder: Path
    connections: Mapping[str, Mapping[str, Any] | str] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    python_path: Sequence[Path] = ()
    components: Sequence[str] = COMPONENTS
    parallelism: int = 4
    username: str = "admin"
    password: str = "admin"
    healthy_timeout: float = 240.0
    migrate_timeout: float = 180.0
    stop_grace: float = 30.0
    artefacts: Path | None = None


@dataclass(frozen=True)
class TaskProcesses:
    """The processes running one task instance under the LocalExecutor.

    `runner` is the task runner: it runs the operator's `execute()`, is titled
    `airflow worker -- <task instance id>` and sits in a process group of its own.
    `supervisor` is its parent, a LocalExecutor worker that talks to the API server
    for it, heartbeats, and reports its exit. Killing `runner` is a task process
    crash its supervisor reports at once; killing `supervisor` as well is a lost
    worker, noticed only through the heartbeat timeout.
    """

    runner: psutil.Process
    supervisor: psutil.Process


class AirflowDeployment(Deployment):
    """Airflow 3 as separate processes in a temporary `AIRFLOW_HOME`; a context manager."""

    def __init__(self, settings: AirflowSettings, *, name: str = "airflow") -> None:
        unknown = set(settings.components) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown components {sorted(unknown)}; expected some of {COMPONENTS}")
        if "api-server" not in settings.components:
            raise ValueError("components must include 'api-server': health is read through it")
        if not settings.dags_folder.is_dir():
            raise ValueError(f"dags_folder {settings.dags_folder} is not a folder")
        super().__init__(name, settings)
        self.settings = settings
        self.logs = self.home / "logs"
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.url = f"http://{self.host}:{self.port}"
        self._add_env()
        self._api: AirflowApi | None = None

    # -- configuration ------------------------------------------------------------------

    def _config(self) -> dict[str, str]:
        s = self.settings
        passwords = self.home / "passwords.json"
        passwords.write_text(json.dumps({s.username: s.password}))
        config = {
            "core.dags_folder": str(s.dags_folder),
            "core.load_examples": "False",
            "core.executor": "LocalExecutor",
            "core.parallelism": str(s.parallelism),
            "core.dags_are_paused_at_creation": "False",
            "core.auth_manager": _AUTH_MANAGER,
            "core.simple_auth_manager_users": f"{s.username}:admin",
            "core.simple_auth_manager_passwords_file": str(passwords),
            "core.execution_api_server_url": f"{self.url}/execution/",
            # Fixed, shared by all processes: tokens issued by one are checked by another.
            "core.fernet_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "api_auth.jwt_secret": secrets.token_urlsafe(32),
            "api.secret_key": secrets.token_urlsafe(32),
            "api.host": self.host,
            "api.port": str(self.port),
            "api.base_url": self.url,
            "database.sql_alchemy_conn": f"sqlite:///{self.home / 'airflow.db'}",
            "logging.base_log_folder": str(self.logs),
            # Free ports, so two deployments (or another program) never collide.
            "logging.worker_log_server_port": str(free_port(self.host)),
            "logging.trigger_log_server_port": str(free_port(self.host)),
            # Notice DAG files a test adds after the start within seconds.
            "dag_processor.refresh_interval": "5",
        }
        config.update(s.config)
        return config

    def _add_env(self) -> None:
        s = self.settings
        env = self.env
        env["AIRFLOW_HOME"] = str(self.home)
        for key, value in self._config().items():
            section, _, option = key.partition(".")
            if not option:
                raise ValueError(f"config key {key!r} is not 'section.option'")
            env[f"AIRFLOW__{section.upper()}__{option.upper()}"] = value
        for conn_id, conn in s.connections.items():
            env[conn_env_name(conn_id)] = conn if isinstance(conn, str) else json.dumps(conn)
        env.update(s.env)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> "AirflowDeployment":
        """Migrate the database, start the components and wait until all are healthy.

        Raises `RuntimeError` (with the failing component's log tail) when migration
        fails or a component exits, `TimeoutError` when health is not reached within
        `healthy_timeout` seconds. Everything started is stopped before raising.
        """
        try:
            self.processes.run(
                "db-migrate",
                [self.command("airflow"), "db", "migrate"],
                timeout=self.settings.migrate_timeout,
            )
            for component in self.settings.components:
                self.processes.start(component, self._argv(component), cwd=self.home)
            self.wait_healthy(self.settings.healthy_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _argv(self, component: str) -> list[str]:
        if component == "api-server":
            return [
                self.command("airflow"),
                "api-server",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--workers",
                "1",
            ]
        return [self.command("airflow"), component]

    def wait_healthy(self, timeout: float) -> dict[str, Any]:
        """Wait until the API answers and every started component reports healthy; the health."""
        deadline = time.monotonic() + timeout
        health: dict[str, Any] = {}
        while True:
            dead = self.processes.dead()
            if dead:
                proc = dead[0]
                raise RuntimeError(
                    f"{proc.name} exited with {proc.popen.returncode}; last lines of "
                    f"{proc.log_path}:\n{proc.log_tail()}"
                )
            try:
                health = self.api.health()
            except Exception:
                health = {}
            if health and self._all_healthy(health):
                return health
            if time.monotonic() > deadline:
                tails = "\n".join(
                    f"--- {p.name}:\n{p.log_tail(15)}" for p in self.processes.processes.values()
                )
                raise TimeoutError(f"not healthy within {timeout} s: {health}\n{tails}")
            time.sleep(1.0)

    def _all_healthy(self, health: Mapping[str, Any]) -> bool:
        if health.get("metadatabase", {}).get("status") != "healthy":
            return False
        return all(
            (health.get(_HEALTH_KEY[c]) or {}).get("status") == "healthy"
            for c in self.settings.components
            if c in _HEALTH_KEY
        )

    def kept_folders(self) -> list[Path]:
        """Airflow's logs (task, trigger, dag-processor) and the components' consoles."""
        return [self.logs, self.component_logs]

    def release(self) -> None:
        """Close the REST client."""
        if self._api is not None:
            self._api.close()

    # -- looking at it ------------------------------------------------------------------

    @property
    def api(self) -> AirflowApi:
        """A REST v2 client logged in as the deployment's user."""
        if self._api is None:
            self._api = AirflowApi(
                self.url, username=self.settings.username, password=self.settings.password
            )
        return self._api

    def pids(self) -> dict[str, int]:
        """Component name -> pid of every started component."""
        return {name: p.pid for name, p in self.processes.processes.items()}

    def component(self, name: str) -> ManagedProcess:
        """One started component."""
        return self.processes.processes[name]

    def sampler(self, component: str, *, interval: float = 0.25) -> ResourceSampler:
        """A `ResourceSampler` over one component's process tree (use it as a context manager)."""
        return ResourceSampler(self.component(component).pid, interval=interval)

    def task_logs(
        self, dag_id: str | None = None, *, run_id: str | None = None, task_id: str | None = None
    ) -> list[Path]:
        """Task try log files, all or those of one DAG, run or task."""
        return task_logs(self.logs, dag_id, run_id=run_id, task_id=task_id)

    def trigger_logs(
        self, dag_id: str | None = None, *, run_id: str | None = None, task_id: str | None = None
    ) -> list[Path]:
        """Triggerer log files, all or those of one DAG, run or task."""
        return trigger_logs(self.logs, dag_id, run_id=run_id, task_id=task_id)

    def airflow_log_files(self) -> list[Path]:
        """Every file Airflow wrote under its base log folder: task, trigger, dag-processor."""
        return files_under(self.logs)

    def all_log_files(self) -> list[Path]:
        """`airflow_log_files()` plus each component's console output.

        Under the LocalExecutor the scheduler's console also carries every task's output,
        unmasked (Airflow 3.3.2 calls `supervise(..., subprocess_logs_to_stdout=True)` and
        masks only the task's log file): a secret any code printed shows there.
        """
        return files_under(self.logs, self.component_logs)

    def find_in_logs(self, needle: str) -> list[LogHit]:
        """Lines of any log file (task, trigger, dag-processor, console) containing `needle`."""
        return search(self.all_log_files(), needle)

    def task_processes(self, task_instance: Mapping[str, Any]) -> TaskProcesses:
        """The runner and supervisor processes of a running task instance.

        `task_instance` is the REST representation (`AirflowApi.task_instance`); the runner
        is found by the task instance id in its process title, among this deployment's
        processes. Raises `LookupError` when no such process is alive.
        """
        ti_id = str(task_instance["id"])
        # The supervisor's title also holds the id ("... LocalExecutor: <id>"): match exactly.
        title = f"airflow worker -- {ti_id}"
        for proc in self.processes.leftovers():
            try:
                # A retitled process's command line is its title padded with empty parts.
                if " ".join(part for part in proc.cmdline() if part) != title:
                    continue
                parent = proc.parent()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if parent is not None:
                return TaskProcesses(runner=proc, supervisor=parent)
        raise LookupError(
            f"no running task process for {task_instance['task_id']} (id {ti_id}, "
            f"state {task_instance.get('state')})"
        )

    def wait_for_task_processes(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: int = -1,
        *,
        timeout: float = 120.0,
    ) -> TaskProcesses:
        """Wait until the task instance runs on a worker; its processes (seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            ti = self.api.task_instance(dag_id, run_id, task_id, map_index)
            if ti["state"] == "running":
                try:
                    return self.task_processes(ti)
                except LookupError:
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{task_id} not running within {timeout} s (state {ti['state']})"
                )
            time.sleep(0.2)
