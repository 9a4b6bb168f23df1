"""The distribution's promises: import layering and entry points."""

import subprocess
import sys
from importlib.metadata import entry_points

import pytest


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
