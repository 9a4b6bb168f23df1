"""The admin API under /_sim: state, counters, reset, faults, rate limit and the clock."""

from typing import Any

import httpx
import pytest

from conn_shared.sim.server import SimServer
from tests.sim.conftest import FivetranApi


def test_state_shows_every_backend_and_the_clock(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True)["id"]
    state = fivetran.sim.state()
    assert set(state["backends"]) == set(fivetran.sim.backends)
    assert list(state["backends"]["fivetran"]["connections"]) == [cid]
    assert state["clock"]["speed"] == 1.0
    assert state["clock"]["now_iso"].endswith("Z")


def test_clock_advance_and_speed(conn_sim: SimServer) -> None:
    before = conn_sim.state()["clock"]["now"]
    after = conn_sim.advance(3600)["now"]
    assert after - before >= 3600
    try:
        assert conn_sim.set_speed(10.0)["speed"] == 10.0
    finally:
        conn_sim.set_speed(1.0)


def test_request_counters_by_route_template(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True)["id"]
    fivetran.get(cid)
    fivetran.get(cid)
    fivetran.request("GET", "/v1/connections/nope")
    fivetran.request("GET", "/v1/nothing-here")
    rows = fivetran.sim.request_counts()
    assert {(r["method"], r["route"], r["status"], r["count"]) for r in rows} == {
        ("POST", "/v1/connections", 201, 1),
        ("GET", "/v1/connections/{connectionId}", 200, 2),
        ("GET", "/v1/connections/{connectionId}", 404, 1),
        ("GET", "<unmatched>", 404, 1),
    }
    total = httpx.get(fivetran.sim.url + "/_sim/requests").json()["total"]
    assert total == 5


def test_reset_forgets_resources_counters_and_faults(fivetran: FivetranApi) -> None:
    fivetran.create(paused=True)
    fivetran.sim.set_faults({"rules": [{"kind": "error", "status": 500, "path": "/nowhere"}]})
    fivetran.sim.reset()
    state = fivetran.sim.state()
    assert state["backends"]["fivetran"]["connections"] == {}
    assert state["faults"]["rules"] == []
    assert fivetran.sim.request_counts() == []


def test_faults_round_trip(conn_sim: SimServer) -> None:
    plan = {"seed": 3, "rules": [{"kind": "drop", "times": 2, "path": "/hub/*"}]}
    stored = conn_sim.set_faults(plan)
    assert stored["seed"] == 3
    assert stored["rules"][0] == {
        "kind": "drop",
        "status": None,
        "probability": 1.0,
        "times": 2,
        "method": "*",
        "path": "/hub/*",
        "seconds": 1.0,
        "retry_after": True,
        "route": None,
    }
    assert httpx.get(conn_sim.url + "/_sim/faults").json()["rules"] == stored["rules"]
    conn_sim.clear_faults()
    assert conn_sim.state()["faults"]["rules"] == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("POST", "/clock/advance", {"seconds": -1}, id="advance-backwards"),
        pytest.param("POST", "/clock/advance", {"seconds": "ten"}, id="advance-not-a-number"),
        pytest.param("POST", "/clock/speed", {"speed": 0}, id="speed-zero"),
        pytest.param("PUT", "/faults", {"rules": [{"kind": "nope"}]}, id="unknown-fault"),
        pytest.param("PUT", "/faults", [1, 2], id="faults-not-an-object"),
        pytest.param("PUT", "/rate-limit", {"rate": 1}, id="rate-limit-without-burst"),
    ],
)
def test_bad_admin_input_is_a_400(conn_sim: SimServer, method: str, path: str, body: Any) -> None:
    answer = httpx.request(method, f"{conn_sim.url}/_sim{path}", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]


def test_malformed_admin_json_is_a_400(conn_sim: SimServer) -> None:
    answer = httpx.post(f"{conn_sim.url}/_sim/clock/advance", content=b"{")
    assert (answer.status_code, "malformed JSON" in answer.json()["error"]) == (400, True)


def test_reset_replays_the_same_seeded_ids(fivetran: FivetranApi) -> None:
    first = [fivetran.create({"schema_prefix": f"s{i}"}, paused=True)["id"] for i in range(3)]
    fivetran.sim.reset()
    again = [fivetran.create({"schema_prefix": f"s{i}"}, paused=True)["id"] for i in range(3)]
    assert again == first
    assert len(set(first)) == 3
