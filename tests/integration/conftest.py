"""Integration fixtures: one simulator for the session, reset before every test.

The simulator's clock runs `CLOCK_SPEED` times faster than real time, so a 60 s
historical sync or a 30 s Faraday build takes a fraction of a real second.
`drivers` builds the client side: a backend plus a sync or async executor.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conn_shared.sim.clock import SimClock
from conn_shared.sim.pytest_plugin import conn_sim, conn_sim_server
from conn_shared.sim.server import SimServer
from tests.integration.support import Driver, make_backend

__all__ = ["CLOCK_SPEED", "conn_sim", "conn_sim_server"]

#: Simulated seconds per real second.
CLOCK_SPEED = 300.0

DriverFactory = Callable[..., Driver]


@pytest.fixture(scope="session")
def conn_sim_options() -> dict[str, Any]:
    """Every vendor, on a fast clock."""
    return {"clock": SimClock(speed=CLOCK_SPEED)}


@pytest.fixture
def sim(conn_sim: SimServer) -> SimServer:
    """The session's simulator, freshly reset (no resources, counters, faults or limits)."""
    return conn_sim


@pytest.fixture
def drivers(sim: SimServer) -> Iterator[DriverFactory]:
    """`drivers(backend_name, mode, **make_backend_kwargs)` -> a `Driver`, closed afterwards.

    Afterwards the traffic of every driver must have matched the vendor's definition.
    """
    made: list[Driver] = []

    def build(name: str, mode: str, **kwargs: Any) -> Driver:
        driver = Driver(mode, make_backend(name, sim, **kwargs), sim)
        made.append(driver)
        return driver

    yield build
    for driver in made:
        driver.close()
    departures = [v for driver in made for v in driver.audit.violations]
    assert not departures, "traffic that departs from the definition:\n" + "\n".join(departures)
