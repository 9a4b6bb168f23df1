"""`python -m tests.e2e.harness.sweep`: end what a harness run left behind.

`make e2e` runs it after pytest, with the same `CONN_E2E_RUN_ID`. Normally there is
nothing to do: every deployment stops its own processes. When pytest itself was
killed (a `timeout` that ran out, SIGKILL), its deployments' processes are still
running, re-parented to init. They carry `CONN_E2E_RUN=<run id>` in their
environment or sit in a session listed in the run's temporary folders (see
`processes`), so this finds and kills them by pid, then removes those folders.
Exits 1 when it had to kill anything (a leak is a failure), else 0.
"""

import os
import shutil
import sys

from tests.e2e.harness.processes import RUN_ID_ENV, kill_all, run_folders, run_id, run_leftovers


def main() -> int:
    """Kill the marked processes of this run and remove its temporary folders."""
    if not os.environ.get(RUN_ID_ENV):
        print(f"sweep: {RUN_ID_ENV} is not set, so there is no run to sweep", file=sys.stderr)
        return 2
    run = run_id()
    killed = kill_all(lambda: run_leftovers(run))
    folders = run_folders(run)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    if killed:
        print(f"sweep: killed {len(killed)} leftover processes of run {run}: {killed}")
        return 1
    print(f"sweep: run {run} left no process behind ({len(folders)} folders removed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
