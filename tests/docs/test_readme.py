"""Every Python block of README.md runs, against the simulator, so none can rot.

Each block runs in a fresh namespace, in order. What the blocks may rely on:

- environment variables pointing at the session's simulator (`conn_sim`, reset
  before each block): `FIVETRAN_API_KEY`, `FIVETRAN_API_SECRET`,
  `FIVETRAN_BASE_URL`, the source password `SHOP_PG_PASSWORD`, and
  `CONN_POLL_SECONDS` (fast polls: the simulator's clock runs fast);
- Airflow and Dagster configured as for the whole suite (tests/conftest.py);
- a block that defines `test_*` functions has each of them called, with the
  fixtures they name (`conn_sim`), as pytest would.

Blocks that only define things (a DAG, Dagster definitions, a backend) run too:
defining them must work, and must send no request.
"""

import inspect
import re
from typing import Any

import pytest

from conn_shared.sim.clock import SimClock
from conn_shared.sim.pytest_plugin import conn_sim, conn_sim_server
from conn_shared.sim.server import SimServer
from tests.conftest import REPO_ROOT

__all__ = ["conn_sim", "conn_sim_server"]

README = REPO_ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
#: Blocks that talk to the simulator (the rest only define things and send nothing).
TALKS = ("executor.run", "conn_sim")


@pytest.fixture(scope="session")
def conn_sim_options() -> dict[str, Any]:
    """Every vendor, on a fast clock."""
    return {"clock": SimClock(speed=300.0)}


@pytest.fixture
def readme_env(conn_sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> SimServer:
    """The variables the README's blocks read, pointing at the simulator."""
    accepted = conn_sim.credentials.as_dict()["fivetran"]
    monkeypatch.setenv("FIVETRAN_API_KEY", accepted["api_key"])
    monkeypatch.setenv("FIVETRAN_API_SECRET", accepted["api_secret"])
    monkeypatch.setenv("FIVETRAN_BASE_URL", conn_sim.base_url("fivetran"))
    monkeypatch.setenv("SHOP_PG_PASSWORD", "readme-source-password")
    monkeypatch.setenv("CONN_POLL_SECONDS", "0.05")
    return conn_sim


def _requests(sim: SimServer) -> int:
    return sum(int(row["count"]) for row in sim.request_counts())


def _title(block: str) -> str:
    first = next(line for line in block.splitlines() if line.strip() and "import" not in line)
    return re.sub(r"\W+", "-", first.strip())[:40].strip("-")


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize(
    "block", [pytest.param(b, id=f"{i}-{_title(b)}") for i, b in enumerate(BLOCKS, start=1)]
)
def test_readme_block_runs(block: str, readme_env: SimServer) -> None:
    namespace: dict[str, Any] = {"__name__": "readme_block"}

    exec(compile(block, str(README), "exec"), namespace)
    fixtures = {"conn_sim": readme_env}
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value(**{p: fixtures[p] for p in inspect.signature(value).parameters})

    if not any(marker in block for marker in TALKS):
        assert _requests(readme_env) == 0


def test_the_lifecycle_block_really_syncs(readme_env: SimServer) -> None:
    (block,) = [b for b in BLOCKS if "wait_for_sync(" in b]

    namespace: dict[str, Any] = {"__name__": "readme_block"}
    exec(compile(block, str(README), "exec"), namespace)

    assert namespace["outcome"].state.value == "succeeded"
    assert readme_env.count("fivetran", "POST", "/v1/connections/{connectionId}/sync") == 1
