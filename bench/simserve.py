"""The simulator as the benchmarks run it: a process of its own, seeded in bulk.

    python -m bench.simserve '{"sync_seconds": 10}'

prints `{"url": ...}` and then answers one JSON command per stdin line:

    {"seed": "fivetran", "count": 100000, "group": "g"}  -> {"ids": [...]}
    {"seed": "faraday", "count": 1000}                    -> {"ids": [...]}
    {"seed": "hub", "count": 1000}                        -> {"ids": [...]}
    {"trigger": [id, ...]}   -> {"before": [object, ...], "offset": s}  (Fivetran syncs)
    {"finished": [id, ...]}  -> {"succeeded_at": [epoch, ...], "offset": s}

Seeded connections have finished their initial sync (the clock is moved past
it), so a trigger starts a fresh incremental sync. `offset` is simulated time
minus wall-clock time, to turn the simulator's timestamps into wall-clock ones.

Creating 100,000 connections through the API takes hours (each create scans
every connection for a duplicate name), so one connection is created through
the API and the rest are copies of it with their own id, name and order: the
listing then pages through 100,000 objects of the real shape. This reaches
into the simulator's records (`backends[name].connections`), which only the
benchmarks do.
"""

import copy
import json
import sys
import time
import uuid
from typing import Any

import httpx

from conn_shared.sim.credentials import (
    FARADAY_API_KEY,
    FIVETRAN_API_KEY,
    FIVETRAN_API_SECRET,
    HUB_TOKEN,
)
from conn_shared.sim.server import SimServer

_V2 = {"Accept": "application/json;version=2"}


def _create(server: SimServer, name: str, label: str, group: str) -> dict[str, Any]:
    base = server.base_url(name)
    if name == "fivetran":
        body = {
            "group_id": group,
            "service": "postgres",
            "config": {"schema": label, "host": "db.example.com", "password": "not-a-secret"},
        }
        response = httpx.post(
            f"{base}/v1/connections",
            json=body,
            auth=(FIVETRAN_API_KEY, FIVETRAN_API_SECRET),
            headers=_V2,
            timeout=60,
        )
        response.raise_for_status()
        data: dict[str, Any] = response.json()["data"]
        return data
    if name == "faraday":
        options = {
            "type": "postgres",
            "host": "db.example.com",
            "port": 5432,
            "database": "shop",
            "schema": "public",
            "user": "loader",
            "password": "not-a-secret",
        }
        response = httpx.post(
            f"{base}/connections",
            json={"name": label, "options": options},
            headers={"Authorization": f"Bearer {FARADAY_API_KEY}"},
            timeout=60,
        )
    else:
        response = httpx.post(
            f"{base}/api/v1/connections",
            json={"name": label, "provider": "postgres", "config": {"host": "db.example.com"}},
            headers={"Authorization": f"Bearer {HUB_TOKEN}"},
            timeout=60,
        )
    response.raise_for_status()
    created: dict[str, Any] = response.json()
    return created


def seed(server: SimServer, name: str, count: int, group: str, prefix: str) -> list[str]:
    """`count` connections of `name`: one created through the API, the rest its copies."""
    template_id = str(_create(server, name, f"{prefix}_0", group)["id"])
    records = server.backends[name].connections  # type: ignore[attr-defined]
    template = records[template_id]
    ids = [template_id]
    for i in range(1, count):
        clone = copy.deepcopy(template)
        # Faraday and the hub address connections by UUID; Fivetran by any string.
        clone.id = f"{prefix}-{i:06d}" if name == "fivetran" else str(uuid.uuid4())
        if name == "fivetran":
            clone.seq = server.backends[name].next_seq()  # type: ignore[attr-defined]
            clone.schema = f"{prefix}_{i}"
        else:
            clone.name = f"{prefix}_{i}"
            if name == "hub":
                clone.slug = f"{prefix}-{i}"
        records[clone.id] = clone
        ids.append(clone.id)
    return ids


def trigger(server: SimServer, ids: list[str]) -> list[dict[str, Any]]:
    """Start a sync of each Fivetran connection, as POST /sync does; their objects before."""
    from conn_shared.sim.fivetran_sync import _trigger  # noqa: PLC0415 (bench-only reach-in)

    sim: Any = server.backends["fivetran"]
    befores = []
    for connection_id in ids:
        conn = sim.get(connection_id)
        befores.append(conn.to_json(sim.clock.iso))
        _trigger(sim, conn, force=False)
    return befores


def finished(server: SimServer, ids: list[str]) -> list[float | None]:
    """Each Fivetran connection's `succeeded_at` now (simulated epoch seconds)."""
    sim: Any = server.backends["fivetran"]
    out = []
    for connection_id in ids:
        conn = sim.get(connection_id)
        out.append(conn.succeeded_at)
    return out


def main() -> int:
    """Serve until stdin closes; one JSON reply per command line."""
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    sync_seconds = float(options.get("sync_seconds", 10.0))
    server = SimServer(
        fivetran_options={"sync_seconds": sync_seconds, "historical_sync_seconds": sync_seconds},
        faraday_options={"build_seconds": float(options.get("build_seconds", sync_seconds))},
    )
    with server:
        print(json.dumps({"url": server.url}), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            reply: dict[str, Any]
            if "trigger" in command:
                reply = {"before": trigger(server, command["trigger"])}
            elif "finished" in command:
                reply = {"succeeded_at": finished(server, command["finished"])}
            else:
                reply = {
                    "ids": seed(
                        server,
                        command["seed"],
                        int(command["count"]),
                        str(command.get("group", "bench_group")),
                        str(command.get("prefix", "bench")),
                    )
                }
                server.advance(sync_seconds + 1.0)  # past the initial sync
            reply["offset"] = server.clock.now() - time.time()
            print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
