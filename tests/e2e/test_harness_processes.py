"""The process harness itself: stopping leaves nothing, sweeping finds orphans, sampling measures.

These start plain Python children (no Airflow), so they run in seconds.
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.e2e.harness.deployment import REPO_ROOT
from tests.e2e.harness.processes import (
    OWNER_ENV,
    RUN_ID_ENV,
    ProcessSet,
    ResourceSampler,
    marked_processes,
)

# A child that starts a grandchild in a session of its own, prints the grandchild's pid,
# then sleeps: the session no longer finds the grandchild, the environment markers do.
PARENT_OF_SESSION_LEAVER = textwrap.dedent(
    """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                             start_new_session=True)
    print(child.pid, flush=True)
    time.sleep(600)
    """
)
# What Airflow's task runner does: a process group of its own (not a session) and a
# process title, which wipes what /proc/<pid>/environ shows: only the session finds it.
PARENT_OF_RETITLED = textwrap.dedent(
    """
    import subprocess, sys, time
    code = (
        "import os, time, setproctitle; os.setpgid(0, 0); "
        "setproctitle.setproctitle('airflow worker -- retitled'); time.sleep(600)"
    )
    child = subprocess.Popen([sys.executable, "-c", code])
    print(child.pid, flush=True)
    time.sleep(600)
    """
)
IGNORES_SIGTERM = textwrap.dedent(
    """
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(600)
    """
)
# Holds ~200 MiB and burns one CPU second by its own clock, then waits to be stopped.
HEAVY = textwrap.dedent(
    """
    import time
    block = bytearray(200 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    start = time.process_time()
    while time.process_time() - start < 1.0:
        pass
    print("done", flush=True)
    time.sleep(600)
    """
)


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _wait_for_line(path: Path, alive: Callable[[], bool], timeout: float = 60.0) -> str:
    """The first line the child printed (its log file), waiting up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text.strip():
            return text.strip().splitlines()[0]
        assert alive(), f"child exited before printing: {text}"
        time.sleep(0.05)
    raise TimeoutError(f"nothing printed to {path}")


def _wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _sweep(run: str) -> "subprocess.CompletedProcess[str]":
    """`python -m tests.e2e.harness.sweep` for `run`, as `make e2e` calls it."""
    return subprocess.run(
        [sys.executable, "-m", "tests.e2e.harness.sweep"],
        cwd=REPO_ROOT,
        env={**os.environ, RUN_ID_ENV: run},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def procs(tmp_path: Path) -> ProcessSet:
    return ProcessSet(log_dir=tmp_path, env=dict(os.environ))


@pytest.mark.parametrize(
    ("script", "found_by_marker"),
    [
        pytest.param(PARENT_OF_SESSION_LEAVER, True, id="new-session"),
        pytest.param(PARENT_OF_RETITLED, False, id="new-group-and-title"),
    ],
)
def test_stop_kills_grandchildren_that_left_the_process_group(
    procs: ProcessSet, script: str, found_by_marker: bool
) -> None:
    parent = procs.start("parent", _python(script))
    grandchild_pid = int(_wait_for_line(parent.log_path, parent.alive))
    grandchild = psutil.Process(grandchild_pid)
    _wait_until(lambda: os.getpgid(grandchild_pid) == grandchild_pid)  # it left the group
    if not found_by_marker:
        _wait_until(lambda: OWNER_ENV not in grandchild.environ())

    assert {p.pid for p in procs.leftovers()} == {parent.pid, grandchild_pid}
    assert (grandchild in marked_processes(OWNER_ENV, procs.owner)) is found_by_marker

    codes = procs.stop(grace=30)

    assert codes == {"parent": -15}
    assert not grandchild.is_running() or grandchild.status() == psutil.STATUS_ZOMBIE
    assert procs.leftovers() == []


def test_stop_kills_what_ignores_sigterm_after_the_grace(procs: ProcessSet) -> None:
    stubborn = procs.start("stubborn", _python(IGNORES_SIGTERM))
    _wait_for_line(stubborn.log_path, stubborn.alive)

    codes = procs.stop(grace=1)

    assert codes == {"stubborn": -9}
    assert procs.leftovers() == []


def test_stop_of_one_set_leaves_another_alone(tmp_path: Path) -> None:
    first = ProcessSet(log_dir=tmp_path, env=dict(os.environ))
    second = ProcessSet(log_dir=tmp_path, env=dict(os.environ))
    first.start("one", _python("import time; time.sleep(600)"))
    other = second.start("two", _python("import time; time.sleep(600)"))
    try:
        first.stop(grace=30)
        assert other.alive()
        assert [p.pid for p in marked_processes(OWNER_ENV, second.owner)] == [other.pid]
    finally:
        second.stop(grace=30)
    assert second.leftovers() == []


def test_run_reports_a_failing_command_with_its_output(procs: ProcessSet) -> None:
    with pytest.raises(RuntimeError, match=r"(?s)migrate exited 3.*boom"):
        procs.run("migrate", _python("print('boom'); raise SystemExit(3)"), timeout=60)


def test_sweep_kills_an_orphaned_run_and_says_so() -> None:
    """What `make e2e` does after a pytest that was killed before its fixtures could stop."""
    run = f"e2e-sweeptest-{uuid.uuid4().hex[:8]}"
    folder = Path(tempfile.mkdtemp(prefix=f"conn-e2e-{run}-airflow-"))
    orphaned = ProcessSet(log_dir=folder, env=dict(os.environ), run_tag=run)
    plain = orphaned.start("plain", _python("import time; time.sleep(600)"))
    parent = orphaned.start("parent", _python(PARENT_OF_RETITLED))
    retitled = int(_wait_for_line(parent.log_path, parent.alive))

    result = _sweep(run)

    assert result.returncode == 1, result.stderr
    assert f"killed 3 leftover processes of run {run}" in result.stdout
    for pid in (plain.pid, parent.pid, retitled):
        assert str(pid) in result.stdout
    assert plain.popen.wait(timeout=30) == -9
    assert not folder.exists()


def test_sweep_of_a_clean_run_passes(tmp_path: Path) -> None:
    run = f"e2e-sweeptest-{uuid.uuid4().hex[:8]}"
    result = _sweep(run)
    assert result.returncode == 0, result.stderr
    assert "left no process behind" in result.stdout


def test_sampler_sees_peak_memory_and_cpu_of_a_tree(procs: ProcessSet) -> None:
    # The heavy process is a grandchild: the sampler must follow the tree down.
    parent = procs.start(
        "parent",
        _python(f"import subprocess, sys; subprocess.run([sys.executable, '-c', {HEAVY!r}])"),
    )
    with ResourceSampler(parent.pid, interval=0.1) as sampler:
        _wait_for_line(parent.log_path, parent.alive)
    usage = sampler.usage()
    procs.stop(grace=30)

    assert usage.peak_rss_mib >= 190
    assert usage.cpu_seconds >= 0.95
    assert usage.pids_seen == 2
    assert usage.samples >= 2
