"""The simulator as every vendor of a deployment: Airflow connections and Dagster variables.

`airflow_connections(sim, source_password=...)` gives the connections the example DAGs
use (`conn_fivetran_default`, `conn_faraday_default`, `conn_hub_default`, each with the
simulator's base URL in its extra, and `source_postgres`, whose password the specs
render); pass them as `AirflowSettings(connections=...)`, which sends each as an
`AIRFLOW_CONN_<ID>` JSON variable. `dagster_env(sim, source_password=...)` gives the
variables `example_dags/dagster_defs.py` reads. `fivetran(sim)` is a client of the
simulated Fivetran account, for a test that sets up what a scenario starts from.
"""

from typing import Any

from conn_shared import FivetranBackend
from conn_shared.sim.server import SimServer

__all__ = ["SOURCE_HOST", "airflow_connections", "dagster_env", "fivetran"]

#: The source database the specs name (the simulator passes setup tests for it).
SOURCE_HOST = "db.example.com"


def airflow_connections(sim: SimServer, *, source_password: str) -> dict[str, dict[str, Any]]:
    """Conn id -> Airflow connection (JSON form) for every backend on `sim`, and the source.

    Credentials are the ones `sim` accepts; `timeout` (seconds per HTTP attempt) is
    generous because the simulator shares two cores with a whole deployment.
    """
    creds = sim.credentials

    def extra(backend: str) -> dict[str, Any]:
        return {"base_url": sim.base_url(backend), "timeout": 30}

    return {
        "conn_fivetran_default": {
            "conn_type": "conn_fivetran",
            "login": creds.fivetran_api_key,
            "password": creds.fivetran_api_secret,
            "extra": extra("fivetran"),
        },
        "conn_faraday_default": {
            "conn_type": "conn_faraday",
            "password": creds.faraday_api_key,
            "extra": extra("faraday"),
        },
        "conn_hub_default": {
            "conn_type": "conn_hub",
            "password": creds.hub_token,
            "extra": extra("hub"),
        },
        "source_postgres": {
            "conn_type": "postgres",
            "host": SOURCE_HOST,
            "login": "loader",
            "password": source_password,
        },
    }


def dagster_env(sim: SimServer, *, source_password: str) -> dict[str, str]:
    """The variables `example_dags/dagster_defs.py` reads, pointing at `sim`."""
    creds = sim.credentials
    return {
        "FIVETRAN_BASE_URL": sim.base_url("fivetran"),
        "FARADAY_BASE_URL": sim.base_url("faraday"),
        "HUB_BASE_URL": sim.base_url("hub"),
        "FIVETRAN_API_KEY": creds.fivetran_api_key,
        "FIVETRAN_API_SECRET": creds.fivetran_api_secret,
        "FARADAY_API_KEY": creds.faraday_api_key,
        "HUB_TOKEN": creds.hub_token,
        "SHOP_PG_PASSWORD": source_password,
    }


def fivetran(sim: SimServer) -> FivetranBackend:
    """A `conn_shared` Fivetran backend on `sim`'s account (run its flows with an executor)."""
    creds = sim.credentials
    return FivetranBackend(
        api_key=creds.fivetran_api_key,
        api_secret=creds.fivetran_api_secret,
        base_url=sim.base_url("fivetran"),
    )
