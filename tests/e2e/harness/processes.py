"""Processes the end-to-end harness starts, and how it makes sure none outlive it.

Every component is started in a session of its own (its session and process group
ids are its pid), with two marker variables in its environment:

- `CONN_E2E_RUN`: one value per harness run (`make e2e` passes it in as
  `CONN_E2E_RUN_ID`, so `python -m tests.e2e.harness.sweep` can clean up after a
  pytest that was itself killed);
- `CONN_E2E_OWNER`: one value per deployment, so stopping one deployment never
  touches another's processes.

Two ways find every descendant, by pid, even after it was re-parented to init:
- the session: Airflow's task runners leave their parent's process group
  (`setpgid`) but not its session, so a process in the session of a component
  belongs to it; the session ids are also written to `<log_dir>/sessions`, for the
  sweep;
- the markers: a process that starts a session of its own still inherits them.
  They are not enough alone: `setproctitle`, which Airflow calls in every worker and
  task runner, overwrites the memory `/proc/<pid>/environ` is read from.
(A process that did both, a new session and a new title, would escape; Airflow's don't.)

`ProcessSet.stop` sends SIGTERM to each component, waits, sends SIGKILL to what is
left (components, their process groups and every process found the two ways above)
and reaps. `ResourceSampler` records the peak RSS and CPU seconds of a process tree.
"""

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

__all__ = [
    "OWNER_ENV",
    "RUN_ENV",
    "RUN_ID_ENV",
    "ManagedProcess",
    "ProcessSet",
    "ResourceSampler",
    "Usage",
    "kill_all",
    "marked_processes",
    "run_folders",
    "run_id",
    "run_leftovers",
    "session_members",
]

#: The marker every started process carries: one value per harness run.
RUN_ENV = "CONN_E2E_RUN"
#: The marker that tells which deployment started a process.
OWNER_ENV = "CONN_E2E_OWNER"
#: Where `make e2e` passes its run id to pytest (a different name than `RUN_ENV`, so
#: the sweep never finds pytest, make or itself).
RUN_ID_ENV = "CONN_E2E_RUN_ID"
#: The file in a process set's log folder that lists its sessions ("<sid> <start time>").
SESSIONS_FILE = "sessions"

_RUN_ID = os.environ.get(RUN_ID_ENV) or f"e2e-{uuid.uuid4().hex[:12]}"


def run_id() -> str:
    """This harness run's marker value (from `CONN_E2E_RUN_ID`, else a fresh one)."""
    return _RUN_ID


def _live(match: Callable[[psutil.Process], bool]) -> list[psutil.Process]:
    found: list[psutil.Process] = []
    me = os.getpid()
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and match(proc):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def marked_processes(name: str, value: str) -> list[psutil.Process]:
    """Live processes whose environment has `name=value` (zombies and this process excluded).

    Reads `/proc/<pid>/environ`, which needs the same user (or root); processes that
    vanish or deny access while being read are left out.
    """
    return _live(lambda proc: proc.environ().get(name) == value)


def session_members(sessions: Mapping[int, float]) -> list[psutil.Process]:
    """Live processes in one of `sessions` (session id -> its leader's start time, epoch s).

    A process that started before the leader is not a member: its session id is a
    reused pid.
    """
    if not sessions:
        return []
    return _live(
        lambda proc: (
            (sid := os.getsid(proc.pid)) in sessions and proc.create_time() >= sessions[sid] - 1.0
        )
    )


def kill_all(find: Callable[[], list[psutil.Process]], *, bound: float = 15.0) -> list[int]:
    """SIGKILL every process `find()` returns, until it returns none; the pids killed.

    Raises `RuntimeError` if processes are still alive after `bound` seconds (e.g.
    stuck in uninterruptible sleep).
    """
    killed: list[int] = []
    deadline = time.monotonic() + bound
    while True:
        procs = find()
        if not procs:
            return killed
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes {[p.pid for p in procs]} survived SIGKILL")
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
                killed.append(proc.pid)
        psutil.wait_procs(procs, timeout=2.0)


def run_folders(run: str) -> list[Path]:
    """The temporary folders deployments of `run` made (and have not removed yet)."""
    return sorted(Path(tempfile.gettempdir()).glob(f"conn-e2e-{run}-*"))


def _read_sessions(folders: Iterable[Path]) -> dict[int, float]:
    sessions: dict[int, float] = {}
    for folder in folders:
        for path in folder.rglob(SESSIONS_FILE):
            for line in path.read_text().splitlines():
                sid, _, started = line.partition(" ")
                sessions[int(sid)] = float(started)
    return sessions


def run_leftovers(run: str) -> list[psutil.Process]:
    """Live processes of a harness run: marked with it, or in a session its folders list."""
    found = {p.pid: p for p in marked_processes(RUN_ENV, run)}
    found.update({p.pid: p for p in session_members(_read_sessions(run_folders(run)))})
    return list(found.values())


@dataclass
class ManagedProcess:
    """One started component: its name, `Popen` and log file."""

    name: str
    popen: "subprocess.Popen[bytes]"
    log_path: Path

    @property
    def pid(self) -> int:
        """The component's process id (also its process group id)."""
        return self.popen.pid

    def alive(self) -> bool:
        """True while the process has not exited."""
        return self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` lines of the component's log file."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class ProcessSet:
    """Processes started for one deployment, stopped together.

    `env` is the full environment given to every process (the markers are added);
    `log_dir` receives one `<name>.log` per process (stdout and stderr together) and
    the `sessions` file; `owner` and `run_tag` are the marker values (defaults: a
    fresh owner, this run).
    """

    log_dir: Path
    env: Mapping[str, str]
    owner: str = field(default_factory=lambda: f"owner-{uuid.uuid4().hex[:12]}")
    run_tag: str = field(default_factory=run_id)
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    sessions: dict[int, float] = field(default_factory=dict)

    def marked_env(self) -> dict[str, str]:
        """`env` plus the run and owner markers."""
        return {**self.env, RUN_ENV: self.run_tag, OWNER_ENV: self.owner}

    def _spawn(self, name: str, argv: Sequence[str], cwd: Path | None) -> ManagedProcess:
        log_path = self.log_dir / f"{name}.log"
        started = time.time()
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=self.marked_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Recorded as soon as the session exists; its members start after `started`.
        self.sessions[popen.pid] = started
        with (self.log_dir / SESSIONS_FILE).open("a") as sessions:
            sessions.write(f"{popen.pid} {started}\n")
        return ManagedProcess(name, popen, log_path)

    def run(
        self,
        name: str,
        argv: Sequence[str],
        *,
        timeout: float,
        cwd: Path | None = None,
    ) -> None:
        """Run `argv` to completion (e.g. `airflow db migrate`), logging to `<name>.log`.

        Raises `RuntimeError` with the log's tail if it fails or outlives `timeout`
        seconds (then its session is killed).
        """
        proc = self._spawn(name, argv, cwd)
        try:
            rc: int | None = proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
        kill_all(lambda: session_members({proc.pid: self.sessions[proc.pid]}))
        proc.popen.wait()
        if rc != 0:
            outcome = f"exited {rc}" if rc is not None else f"ran over {timeout} s"
            raise RuntimeError(
                f"{name} {outcome}; last lines of {proc.log_path}:\n{proc.log_tail()}"
            )

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
    ) -> ManagedProcess:
        """Start `argv` in a new session with output to `<name>.log`; keep its pid."""
        if name in self.processes:
            raise ValueError(f"a process named {name!r} was already started")
        proc = self._spawn(name, argv, cwd)
        self.processes[name] = proc
        return proc

    def dead(self) -> list[ManagedProcess]:
        """Started components that have exited."""
        return [p for p in self.processes.values() if not p.alive()]

    def leftovers(self) -> list[psutil.Process]:
        """Live processes of this set: in one of its sessions, or carrying its owner marker."""
        found = {p.pid: p for p in session_members(self.sessions)}
        found.update({p.pid: p for p in marked_processes(OWNER_ENV, self.owner)})
        return list(found.values())

    def stop(self, *, grace: float = 30.0) -> dict[str, int]:
        """SIGTERM each component, wait up to `grace` s, then SIGKILL every leftover.

        Returns each component's exit code (negative: the signal that ended it).
        """
        for proc in self.processes.values():
            if proc.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        codes: dict[str, int] = {}
        for name, proc in self.processes.items():
            # Popen reaps its own children, so it keeps their exit codes.
            if proc.alive():
                with contextlib.suppress(ProcessLookupError):
                    proc.popen.kill()
            codes[name] = proc.popen.wait()
        kill_all(self.leftovers)
        return codes


@dataclass(frozen=True)
class Usage:
    """What `ResourceSampler` saw of a process tree.

    `peak_rss_bytes` is the largest sum of resident memory over the tree at one sample;
    `cpu_seconds` is user plus system time of every process seen, as last sampled
    (time a process spent after its last sample before it exited is not counted).
    """

    peak_rss_bytes: int
    cpu_seconds: float
    samples: int
    pids_seen: int

    @property
    def peak_rss_mib(self) -> float:
        """`peak_rss_bytes` in MiB."""
        return self.peak_rss_bytes / (1024 * 1024)


class ResourceSampler:
    """Samples a process and its descendants every `interval` seconds in a thread.

    Use as a context manager around the work to measure; read `usage()` afterwards
    (or during). Samples never fail the test: processes that vanish are skipped.
    """

    def __init__(self, pid: int, *, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self._peak_rss = 0
        self._cpu: dict[tuple[int, float], float] = {}
        self._samples = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"sampler-{pid}", daemon=True)

    def _tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> None:
        """Take one sample now."""
        rss = 0
        cpu: dict[tuple[int, float], float] = {}
        for proc in self._tree():
            try:
                with proc.oneshot():
                    rss += proc.memory_info().rss
                    times = proc.cpu_times()
                    # (pid, create time) names a process even if its pid is reused.
                    cpu[(proc.pid, proc.create_time())] = times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        with self._lock:
            self._peak_rss = max(self._peak_rss, rss)
            self._cpu.update(cpu)
            self._samples += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def usage(self) -> Usage:
        """The figures so far."""
        with self._lock:
            return Usage(
                peak_rss_bytes=self._peak_rss,
                cpu_seconds=sum(self._cpu.values()),
                samples=self._samples,
                pids_seen=len(self._cpu),
            )

    def __enter__(self) -> "ResourceSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
