"""The distribution's promises: import layering and entry points."""

import pkgutil
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
import tomllib

import conn_shared
from tests.conftest import REPO_ROOT


def _modules_loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("import conn_shared", id="shared"),
        pytest.param("import conn_shared.sim", id="conn_shared.sim"),
    ],
)
def test_shared_never_imports_an_orchestrator(statement: str) -> None:
    loaded = _modules_loaded_by(statement)
    assert not {m for m in loaded if m.split(".")[0] in {"airflow", "dagster"}}


def test_airflow_finds_the_provider_through_its_entry_point() -> None:
    (ep,) = [
        e
        for e in entry_points(group="apache_airflow_provider")
        if e.value.startswith("airflow_provider_conn")
    ]
    info = ep.load()()
    assert info["package-name"] == "conn-providers"
    assert info["name"]


def test_console_scripts_are_declared() -> None:
    names = {e.name for e in entry_points(group="console_scripts")}
    assert {"conn-sim", "conn-demo"} <= names


def test_the_import_contracts_name_every_client_module() -> None:
    """A new client module must be listed in the layer contracts of pyproject.toml."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    client = {
        f"conn_shared.{m.name}"
        for m in pkgutil.iter_modules(conn_shared.__path__)
        if m.name != "sim"
    }
    no_sim = contracts["The client layer imports neither the simulator nor its server stack"]
    sim_alone = contracts["The simulator imports no client code (both are built from the specs)"]
    assert set(no_sim["source_modules"]) == client
    assert set(sim_alone["forbidden_modules"]) == client
