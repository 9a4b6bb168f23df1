"""End-to-end tests: real deployments of Airflow and Dagster, started by the tests.

Every test below this folder is marked `e2e` here (so none can forget it), and the
default `pytest` run deselects that marker (`-m "not e2e"` in pyproject's addopts):
`make test` stays fast, `make e2e` runs `pytest -m e2e tests/e2e`.

A SIGTERM or SIGHUP (e.g. from `timeout`) becomes a KeyboardInterrupt, so pytest
tears fixtures down and every deployment stops its processes; any process of this
run still alive at the end of the session is killed by pid, and the session fails.
"""

import secrets
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.pytest_plugin import conn_sim, conn_sim_server
from tests.e2e.harness.processes import kill_all, run_id, run_leftovers

__all__ = ["PLANTED", "PLANTED_SOURCE_PASSWORD", "conn_sim", "conn_sim_server"]

E2E_ROOT = Path(__file__).parent

_TAG = secrets.token_hex(6)
#: The session simulator accepts only these, so a test that succeeds against it really
#: sent them; being unique, they can be searched for in every log file afterwards.
PLANTED = SimCredentials(
    fivetran_api_key=f"e2e-fivetran-key-{_TAG}",
    fivetran_api_secret=f"e2e-planted-fivetran-secret-{_TAG}",
    faraday_api_key=f"e2e-planted-faraday-key-{_TAG}",
    hub_token=f"e2e-planted-hub-token-{_TAG}",
)
#: The source database's password: deployments keep it where users do (the Airflow
#: connection `source_postgres`, Dagster's `SHOP_PG_PASSWORD`) and the specs render it.
PLANTED_SOURCE_PASSWORD = f"e2e-planted-source-password-{_TAG}"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


_RAN = False


@pytest.fixture(scope="session", autouse=True)
def _signals_interrupt() -> Iterator[None]:
    """While e2e tests run, SIGTERM and SIGHUP raise KeyboardInterrupt (fixtures tear down)."""
    global _RAN  # noqa: PLW0603 (read by the session-finish hook, which has no fixtures)
    _RAN = True
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


#: Per-test bound (seconds) for pytest-timeout: a module's first test also starts its
#: deployment (db migrate, four components, health), which takes minutes on a busy
#: 2-core machine; `make e2e` bounds the whole run as well.
E2E_TEST_TIMEOUT = 900


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `e2e` (before `-m` selects) and give it a longer bound.

    A module that needs more (its first test starts a deployment and runs a scenario
    in its fixtures) sets its own `pytestmark = pytest.mark.timeout(...)`.
    """
    for item in items:
        if E2E_ROOT in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(E2E_TEST_TIMEOUT))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """After every fixture is torn down: kill any process of this run still alive; fail."""
    if not _RAN:
        return
    killed = kill_all(lambda: run_leftovers(run_id()))
    if killed:
        session.shouldfail = f"processes {killed} outlived their deployment and were killed"
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def conn_sim_options() -> dict[str, Any]:
    """Every vendor, on a real-time clock, accepting the `PLANTED` credentials."""
    return {"credentials": PLANTED}


@pytest.fixture(scope="session")
def planted_secrets() -> tuple[str, ...]:
    """The secret parts of `PLANTED`, and the source password: none may appear in any log file."""
    return (
        PLANTED.fivetran_api_secret,
        PLANTED.faraday_api_key,
        PLANTED.hub_token,
        PLANTED_SOURCE_PASSWORD,
    )
