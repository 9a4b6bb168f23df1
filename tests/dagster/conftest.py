"""Dagster fixtures: the simulator on a fast clock, resources reading `dg.EnvVar`s, one instance.

The resources' credentials and the specs' password come from environment
variables set for each test, so every test can search what Dagster recorded
for them.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest

from conn_shared.sim.clock import SimClock
from conn_shared.sim.pytest_plugin import conn_sim, conn_sim_server
from conn_shared.sim.server import SimServer
from dagster_conn import ConnectionResource
from tests.dagster.support import credential_env, make_resources

__all__ = ["conn_sim", "conn_sim_server"]

#: Simulated seconds per real second: a 60 s historical sync takes 0.2 s.
CLOCK_SPEED = 300.0


@pytest.fixture(scope="session")
def conn_sim_options() -> dict[str, Any]:
    """Every vendor, on a fast clock."""
    return {"clock": SimClock(speed=CLOCK_SPEED)}


@pytest.fixture
def sim(conn_sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> SimServer:
    """The session's simulator, reset, with the credentials and the password in the environment."""
    for name, value in credential_env(conn_sim).items():
        monkeypatch.setenv(name, value)
    return conn_sim


@pytest.fixture
def resources(sim: SimServer) -> dict[str, ConnectionResource]:
    """One resource per backend (keys "fivetran", "faraday", "hub") on the simulator."""
    return make_resources(sim)


@pytest.fixture(scope="session")
def instance() -> Iterator[dg.DagsterInstance]:
    """One in-memory instance for the session (an on-disk one costs seconds per run)."""
    with dg.DagsterInstance.ephemeral() as made:
        yield made
