"""Load Airflow and Dagster in the test suite's homes before a demo session runs.

`conn_demo`'s session gives each framework a home in a temporary folder when
the framework is not imported yet, and deletes it when the session ends; the
framework stays loaded, configured for the deleted folder. A CLI run is one
session per process, but a test process runs many: the next session's Airflow
then fails with "unable to open database file". Importing both first makes
every session use the homes the root conftest set up.
"""

import importlib

import pytest

__all__ = ["frameworks_in_test_homes"]


@pytest.fixture(scope="session", autouse=True)
def frameworks_in_test_homes() -> None:
    """Import Airflow's settings and Dagster, so that demo sessions keep the suite's homes."""
    for module in ("airflow.settings", "dagster"):
        importlib.import_module(module)
