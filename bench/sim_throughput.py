"""Simple-request throughput of the simulator: GET connection details, in requests/second.

The server is a `SimServer` in this process (uvicorn, uvloop and httptools when installed);
the load comes from `--clients` separate processes, each with one keep-alive
`httpx.Client`, so the clients do not compete with the server for this process's GIL.

    .venv/bin/python bench/sim_throughput.py --clients 3 --seconds 5
"""

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conn_shared.sim.server import SimServer


def _client(
    url: str,
    auth: tuple[str, str],
    seconds: float,
    start_at: float,
    out: "multiprocessing.Queue[int]",
) -> None:
    headers = {"Accept": "application/json;version=2"}
    with httpx.Client(auth=auth, headers=headers, timeout=10.0) as client:
        client.get(url).raise_for_status()  # connect and warm up before the clock starts
        while time.time() < start_at:
            time.sleep(0.001)
        done, deadline = 0, start_at + seconds
        while time.time() < deadline:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"unexpected {response.status_code}: {response.text}")
            done += 1
    out.put(done)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=3, help="client processes")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured duration")
    args = parser.parse_args(argv)

    with SimServer(names=["fivetran"]) as sim:
        creds = sim.credentials
        auth = (creds.fivetran_api_key, creds.fivetran_api_secret)
        base = sim.base_url("fivetran")
        created = httpx.post(
            f"{base}/v1/connections",
            auth=auth,
            json={"group_id": "bench", "service": "postgres", "config": {"schema_prefix": "b"}},
        ).json()["data"]
        url = f"{base}/v1/connections/{created['id']}"
        ctx = multiprocessing.get_context("spawn")
        results: multiprocessing.Queue[int] = ctx.Queue()
        start_at = time.time() + 2.0  # time for every client process to start and connect
        workers = [
            ctx.Process(target=_client, args=(url, auth, args.seconds, start_at, results))
            for _ in range(args.clients)
        ]
        for worker in workers:
            worker.start()
        counts = [results.get(timeout=args.seconds + 60) for _ in workers]
        for worker in workers:
            worker.join()
        counted = sim.count("fivetran", "GET", "/v1/connections/{connectionId}", 200)

    total = sum(counts)
    print(
        f"sim throughput: {total / args.seconds:,.0f} requests/s "
        f"(GET connection details, {args.clients} client processes, {args.seconds:g} s, "
        f"{total} requests; server counted {counted} including warm-up)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
