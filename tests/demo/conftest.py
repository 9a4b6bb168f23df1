"""Fixtures for `conn-demo`'s tests: the simulator the drivers' own tests talk to."""

from typing import Any

import pytest

from conn_shared.sim.clock import SimClock
from conn_shared.sim.pytest_plugin import conn_sim, conn_sim_server

__all__ = ["conn_sim", "conn_sim_server"]


@pytest.fixture(scope="session")
def conn_sim_options() -> dict[str, Any]:
    """Every vendor, on a fast clock."""
    return {"clock": SimClock(speed=300.0)}
