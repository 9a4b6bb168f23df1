"""Fixtures for the Airflow provider's tests: Airflow's metadata DB, the simulator, connections.

The simulator's clock runs fast (`CLOCK_SPEED`), so a 30 s sync takes a tenth of
a real second; the example DAGs poll every `POLL` seconds. Every vendor is an
Airflow connection pointing at the simulator (`AIRFLOW_CONN_*`, JSON form), and
`source_postgres` holds the planted `SOURCE_PASSWORD` the specs render.
"""

import json
from functools import cache
from typing import Any

import pytest

from conn_shared import RetryPolicy, backend_entry, backend_names
from conn_shared.sim.clock import SimClock
from conn_shared.sim.pytest_plugin import conn_sim, conn_sim_server
from conn_shared.sim.server import SimServer

__all__ = ["CLOCK_SPEED", "POLL", "SOURCE_PASSWORD", "conn_sim", "conn_sim_server"]

CLOCK_SPEED = 300.0
#: Seconds between polls in the example DAGs and the tests' waits.
POLL = 0.05
#: Planted in the `source_postgres` connection; must never surface.
SOURCE_PASSWORD = "src-pw-6c1f9e0d-planted"
FAST_RETRY = RetryPolicy(backoff_initial=0.01, backoff_max=0.05, deadline=30)


@pytest.fixture(scope="session")
def conn_sim_options() -> dict[str, Any]:
    """Every vendor, on a fast clock."""
    return {"clock": SimClock(speed=CLOCK_SPEED)}


@cache
def _fresh_airflow_db() -> None:
    from airflow.utils import db  # noqa: PLC0415 (after the root conftest set AIRFLOW_HOME)

    db.resetdb()


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's metadata database, created once per process (SQLite in the sandbox).

    Once per process, not per fixture: `tests/reliability` imports this fixture too,
    and a second reset would cost seconds for nothing.
    """
    _fresh_airflow_db()


def connection_json(sim: SimServer, name: str, **extra: Any) -> str:
    """An `AIRFLOW_CONN_*` value (JSON form) for backend `name` on the simulator."""
    accepted = sim.credentials.as_dict()[name]
    fields = [f for f in accepted if f in backend_entry(name).settings_class.model_fields]
    conn: dict[str, Any] = {"conn_type": f"conn_{name}"}
    if len(fields) == 2:
        conn["login"], conn["password"] = (accepted[f] for f in fields)
    else:
        conn["password"] = accepted[fields[0]]
    conn["extra"] = {"base_url": sim.base_url(name), "timeout": 10, **extra}
    return json.dumps(conn)


@pytest.fixture
def sim(conn_sim: SimServer) -> SimServer:
    """The session's simulator, freshly reset."""
    return conn_sim


@pytest.fixture
def airflow_env(sim: SimServer, airflow_db: None, monkeypatch: pytest.MonkeyPatch) -> SimServer:
    """Airflow connections for every backend on the simulator, and fast example DAGs."""
    for name in backend_names():
        monkeypatch.setenv(f"AIRFLOW_CONN_CONN_{name.upper()}_DEFAULT", connection_json(sim, name))
    source = {"conn_type": "postgres", "host": "db.example.com", "login": "loader"}
    monkeypatch.setenv(
        "AIRFLOW_CONN_SOURCE_POSTGRES", json.dumps({**source, "password": SOURCE_PASSWORD})
    )
    monkeypatch.setenv("CONN_EXAMPLES_POLL_SECONDS", str(POLL))
    monkeypatch.setenv("CONN_EXAMPLES_TIMEOUT", "120")
    return sim
