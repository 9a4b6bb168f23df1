"""Fixtures for the reliability suites: one simulator with planted credentials, both orchestrators.

The simulator accepts only the distinctive credentials in `PLANTED_CREDENTIALS`, so
a search of everything Airflow or Dagster recorded for them (and for the planted
passwords the specs carry) means something. Airflow's fixtures come from
`tests/airflow`, Dagster's from `tests/dagster`; `sim` is Dagster's, which also puts
the credentials in the environment, and Airflow's `airflow_env` builds on it.
"""

from typing import Any

import pytest

import tests.support.profiles  # noqa: F401 (registers and loads the hypothesis profiles)
from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.pytest_plugin import conn_sim, conn_sim_server
from tests.airflow.conftest import CLOCK_SPEED, airflow_db, airflow_env
from tests.dagster.conftest import instance, resources, sim

__all__ = [
    "PLANTED_CREDENTIALS",
    "airflow_db",
    "airflow_env",
    "conn_sim",
    "conn_sim_server",
    "instance",
    "resources",
    "sim",
]

#: The only credentials the simulator accepts here; each must stay out of every record.
PLANTED_CREDENTIALS = SimCredentials(
    fivetran_api_key="ft-key-planted-3b1e70",
    fivetran_api_secret="ft-secret-planted-9c4d21",
    faraday_api_key="fr-key-planted-5a7f13",
    hub_token="hub-token-planted-2e8b64",
)


@pytest.fixture(scope="session")
def conn_sim_options() -> dict[str, Any]:
    """Every vendor, on the fast clock the Airflow and Dagster suites use, with planted keys."""
    return {"clock": SimClock(speed=CLOCK_SPEED), "credentials": PLANTED_CREDENTIALS}
