"""The benchmarks' simulator process reaches into the simulator's records: keep it working.

`make bench` runs in its own project, outside `make test`; a move inside
`conn_shared.sim` once broke it unnoticed. This drives the same commands the
bench runner sends, on every vendor, in process.
"""

import pytest

from bench.simserve import finished, seed, trigger
from conn_shared.sim.server import SimServer


@pytest.mark.parametrize("vendor", ["fivetran", "faraday", "hub"])
def test_seeded_copies_are_listed_with_their_own_ids(vendor: str) -> None:
    with SimServer() as server:
        ids = seed(server, vendor, 5, "bench_group", "t")
        assert len(set(ids)) == 5
        assert len(server.state()["backends"][vendor]["connections"]) == 5


def test_a_triggered_fivetran_sync_finishes_on_the_simulator_clock() -> None:
    timings = {"sync_seconds": 10.0, "historical_sync_seconds": 10.0}
    with SimServer(fivetran_options=timings) as server:
        ids = seed(server, "fivetran", 3, "bench_group", "t")
        server.advance(11.0)
        before = finished(server, ids)

        objects = trigger(server, ids)
        server.advance(11.0)

        assert [o["id"] for o in objects] == ids
        after = finished(server, ids)
        assert all(a is not None for a in after)
        assert all(b is None or a > b for a, b in zip(after, before, strict=True))  # type: ignore[operator]
