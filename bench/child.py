"""One measured run in a fresh interpreter: `python -m bench.child '<job JSON>'`.

The job names the scenario kind, the implementation (see `bench.impls`), where
the simulator is and the scenario's parameters. The child imports what the
implementation needs, touches `<out>.ready`, reads its input (one JSON line on
stdin, e.g. the sync handles), runs the measured part and writes its figures
to `<out>` as JSON. Its stdout and stderr are the implementation's own (the
peers log every poll); the runner discards them.
"""

import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from bench import impls
from bench.measure import Meter, StallMonitor

_WARM = {
    "peer-dagster-fivetran": ("dagster_fivetran.resources",),
    "peer-fivetran-async": ("fivetran_provider_async.triggers", "pendulum", "requests"),
}


def _warm(impl: str) -> None:
    for module in (*_WARM.get(impl, ()), "conn_shared"):
        importlib.import_module(module)


def waits(job: dict[str, Any], target: impls.Target, handles: list[dict[str, Any]]) -> Any:
    """Concurrent sync waits in one event loop: CPU, stall, memory, detection times."""
    wait = impls.WAITS[job["impl"]]

    async def main() -> dict[str, Any]:
        monitor = StallMonitor()
        meter = Meter()
        monitor.start()
        detected = await wait(target, handles, float(job["poll_interval"]))
        stall = await monitor.stop()
        return {**meter.done(), "stall_s": stall, "detected": detected}

    return asyncio.run(main())


def calls(job: dict[str, Any], target: impls.Target, ids: list[str]) -> Any:
    """`count` connection-detail reads, one after the other."""
    call = impls.CALLS[job["impl"]]
    call(target, ids, 20)  # connections and caches warm before the clock starts
    meter = Meter()
    call(target, ids, int(job["count"]))
    return meter.done()


def listing(job: dict[str, Any], target: impls.Target, ids: list[str]) -> Any:
    """Every connection of the account (Fivetran: of the group), page by page."""
    meter = Meter()
    seen = impls.LISTINGS[job["impl"]](target, job["vendor"], job.get("group"))
    return {**meter.done(), "items": seen}


def sync_and_wait(job: dict[str, Any], target: impls.Target, ids: list[str]) -> Any:
    """Trigger and wait for each connection, one thread each."""
    meter = Meter()
    impls.SYNC_AND_WAIT[job["impl"]](target, ids, float(job["poll_interval"]))
    return meter.done()


KINDS = {"waits": waits, "calls": calls, "listing": listing, "sync_and_wait": sync_and_wait}


def main() -> int:
    """Run the job in argv[1]."""
    job = json.loads(sys.argv[1])
    _warm(job["impl"])
    out = Path(job["out"])
    Path(f"{out}.ready").touch()
    payload = json.loads(sys.stdin.readline())
    result = KINDS[job["kind"]](job, impls.Target(**job["target"]), payload)
    out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
