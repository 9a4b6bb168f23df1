"""Simulator tests: one real SimServer per session (the `conn_sim` fixture), reset per test.

`fivetran` is an httpx client for the Fivetran simulator that checks every
`/v1/connections*` response it receives against the spec (tests/support/openapi.py),
so any test that talks to the simulator also tours the spec.
"""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conn_shared.sim.pytest_plugin import conn_sim, conn_sim_server
from conn_shared.sim.server import SimServer
from tests.support.openapi import SpecValidator

__all__ = ["FivetranApi", "conn_sim", "conn_sim_server"]

ACCEPT_V2 = "application/json;version=2"


@pytest.fixture(scope="session")
def conn_sim_options() -> dict[str, Any]:
    """The session server: every vendor, reproducible Fivetran ids."""
    return {"fivetran_options": {"seed": 7}}


class FivetranApi:
    """A spec-checking Fivetran client for tests, plus small lifecycle helpers."""

    def __init__(self, sim: SimServer) -> None:
        self.sim = sim
        self.spec = SpecValidator.load("fivetran")
        self.checked: list[tuple[str, str, int]] = []
        creds = sim.credentials
        self.client = httpx.Client(
            base_url=sim.base_url("fivetran"),
            auth=(creds.fivetran_api_key, creds.fivetran_api_secret),
            headers={"Accept": ACCEPT_V2},
            timeout=10.0,
            event_hooks={"response": [self._check]},
        )
        #: The same client without the spec check, for answers the spec forbids on purpose
        #: (a list item without `status`, a null `rescheduled_for`).
        self.unchecked = httpx.Client(
            base_url=sim.base_url("fivetran"),
            auth=(creds.fivetran_api_key, creds.fivetran_api_secret),
            headers={"Accept": ACCEPT_V2},
            timeout=10.0,
        )

    def _check(self, response: httpx.Response) -> None:
        path = response.request.url.path.removeprefix("/fivetran")
        if not path.startswith("/v1/connections"):
            return
        method = response.request.method
        response.read()
        body = response.json() if response.content else None
        try:
            declared = self.spec.operation(method, path).responses
        except LookupError:
            return  # not an operation of the spec (an unknown path, a 404 probe)
        # Errors the definition does not list for an operation are checked by the tests
        # themselves (vendor error format); everything declared is checked here.
        if str(response.status_code) in declared:
            self.spec.validate_response(method, path, response.status_code, body)
            self.checked.append(
                (method, self.spec.operation(method, path).path, response.status_code)
            )
        # What the simulator accepted must be something the spec allows clients to send.
        if response.request.content and response.status_code < 400:
            request_body = json.loads(response.request.content)
            self.spec.validate_request_body(method, path, request_body)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request relative to the Fivetran base URL."""
        return self.client.request(method, path, **kwargs)

    def create(self, config: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Create a connection (group g1, service postgres by default) and return its data."""
        body: dict[str, Any] = {"group_id": "g1", "service": "postgres"}
        body.update(fields)
        body["config"] = config if config is not None else {"schema_prefix": "pg", "host": "db"}
        response = self.client.post("/v1/connections", json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def get(self, connection_id: str) -> dict[str, Any]:
        """GET the connection's data."""
        response = self.client.get(f"/v1/connections/{connection_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def patch(self, connection_id: str, **fields: Any) -> dict[str, Any]:
        """PATCH the connection and return its data."""
        response = self.client.patch(f"/v1/connections/{connection_id}", json=fields)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def post(self, connection_id: str, action: str, body: Any = None) -> httpx.Response:
        """POST /v1/connections/{id}/{action} with an optional JSON body."""
        return self.client.post(f"/v1/connections/{connection_id}/{action}", json=body)


@pytest.fixture
def fivetran(conn_sim: SimServer) -> Iterator[FivetranApi]:
    """A spec-checking Fivetran client against the freshly reset session server."""
    api = FivetranApi(conn_sim)
    yield api
    api.client.close()
    api.unchecked.close()
