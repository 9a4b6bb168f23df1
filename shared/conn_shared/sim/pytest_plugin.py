"""pytest fixtures that serve the simulator to your tests.

Enable in a conftest.py with ``pytest_plugins = ["conn_shared.sim.pytest_plugin"]``, then::

    def test_sync(conn_sim):
        base = conn_sim.base_url("fivetran")
        ...
        conn_sim.advance(60)

`conn_sim_server` is one `SimServer` per test session; `conn_sim` is the same server,
reset (no resources, counters or faults) before each test. Override the
`conn_sim_options` fixture to pass `SimServer` keyword arguments. Starlette and
uvicorn (the `[sim]` extra) are imported only when a fixture is used.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conn_shared.sim.server import SimServer

__all__ = ["conn_sim", "conn_sim_options", "conn_sim_server"]


@pytest.fixture(scope="session")
def conn_sim_options() -> dict[str, Any]:
    """Keyword arguments for the session's `SimServer` (override to change them)."""
    return {}


@pytest.fixture(scope="session")
def conn_sim_server(conn_sim_options: dict[str, Any]) -> Iterator["SimServer"]:
    """One simulator for the whole session, on a free loopback port."""
    from conn_shared.sim.server import SimServer  # noqa: PLC0415 (needs the [sim] extra)

    with SimServer(**conn_sim_options) as server:
        yield server


@pytest.fixture
def conn_sim(conn_sim_server: "SimServer") -> "SimServer":
    """The session's simulator, reset before this test."""
    conn_sim_server.reset()
    return conn_sim_server
