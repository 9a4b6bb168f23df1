"""Setting up simulator state the clients have no call for: a Faraday dataset.

Kept apart from tests/integration/support.py so that tests/dagster can use it in
an environment without the integration tests' spec-checking dependencies.
"""

from typing import Any

import httpx

from conn_shared.sim.server import SimServer

__all__ = ["create_dataset"]


def create_dataset(
    server: SimServer, connection_id: str, name: str = "Customers"
) -> dict[str, Any]:
    """A Faraday dataset reading `customers` from the connection, created as a user would.

    The client has no dataset calls (datasets are not connections), so the test
    posts to the simulator's `/datasets` directly.
    """
    with httpx.Client(
        base_url=server.base_url("faraday"),
        headers={"Authorization": f"Bearer {server.credentials.faraday_api_key}"},
    ) as raw:
        response = raw.post(
            "/datasets",
            json={
                "name": name,
                "connection_id": connection_id,
                "options": {"type": "postgres", "table_name": "customers"},
                "identity_sets": {"customer": {"email": "email"}},
            },
        )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
