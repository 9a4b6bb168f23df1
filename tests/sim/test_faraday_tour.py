"""A tour of the Faraday and hub simulators as the core serves them by default.

The server is built by name (default credentials, constructor options passed
through `SimServer`), and time is moved through the admin API, the way the demo,
the CLI and users' pipelines drive it.
"""

from collections.abc import Iterator

import httpx
import pytest

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import FARADAY_API_KEY, HUB_TOKEN
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.server import SimServer
from tests.support.openapi import SpecValidator

POSTGRES = {
    "type": "postgres",
    "host": "db.example.com",
    "port": 5432,
    "user": "loader",
    "password": "s3cret-pw",
    "database": "shop",
    "schema": "public",
}


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    with SimServer(
        names=("faraday", "hub"),
        clock=SimClock(speed=1e-9, start=1_767_225_600.0),
        faraday_options={"build_seconds": 20},
        hub_options={"verify_seconds": 10},
    ) as served:
        yield served


def test_faraday_connection_in_use_tour(server: SimServer) -> None:
    server.reset()
    spec = SpecValidator.load("faraday")
    auth = {"Authorization": f"Bearer {FARADAY_API_KEY}"}
    with httpx.Client(base_url=server.base_url("faraday"), headers=auth) as api:
        created = api.post("/connections", json={"name": "Shop", "options": POSTGRES})
        spec.validate_response("POST", "/connections", 201, created.json())
        ident = created.json()["id"]
        server.advance(20)
        ready = api.get(f"/connections/{ident}").json()
        assert ready["status"] == "ready"
        used = api.post(
            "/datasets",
            json={
                "name": "Customers",
                "connection_id": ident,
                "options": {"type": "postgres", "table_name": "customers"},
                "identity_sets": {},
            },
        ).json()
        conflict = api.delete(f"/connections/{ident}")
        assert conflict.status_code == 409
        spec.validate_response("DELETE", f"/connections/{ident}", 409, conflict.json())
        assert api.delete(f"/datasets/{used['id']}").status_code == 204
        assert api.delete(f"/connections/{ident}").status_code == 204
    state = server.state()
    assert "faraday" in str(state)
    assert server.count("faraday", "DELETE", "/v1/connections/{connection_id}") == 2


def test_hub_verify_tour(server: SimServer) -> None:
    server.reset()
    auth = {"Authorization": f"Bearer {HUB_TOKEN}"}
    with httpx.Client(base_url=server.base_url("hub"), headers=auth) as api:
        created = api.post(
            "/api/v1/connections",
            json={
                "name": "Drive",
                "provider": "google_drive",
                "credentials": {"refresh_token": "t"},
            },
        ).json()
        assert api.post(f"/api/v1/connections/{created['id']}/verify").json()["status"] == (
            "verifying"
        )
        server.advance(10)
        assert api.get(f"/api/v1/connections/{created['id']}").json()["status"] == "verified"
        assert api.get(f"/api/v1/connections/{created['id']}/files").status_code == 200


def test_injected_faults_and_rate_limits_use_each_vendor_error_format(server: SimServer) -> None:
    server.reset()
    server.set_faults(FaultPlan(rules=[FaultRule(kind="error", status=503, times=2)]))
    try:
        with httpx.Client(base_url=server.url) as client:
            faraday = client.get(
                "/faraday/v1/connections", headers={"Authorization": f"Bearer {FARADAY_API_KEY}"}
            )
            hub = client.get(
                "/hub/api/v1/connections", headers={"Authorization": f"Bearer {HUB_TOKEN}"}
            )
    finally:
        server.clear_faults()
    assert (faraday.status_code, faraday.json()["error"]) == (503, "INTERNAL_SERVER_ERROR")
    assert faraday.json()["note"]
    assert hub.status_code == 503
    assert set(hub.json()) == {"detail"}
