"""The distribution's promises: import layering and entry points."""

import pkgutil
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

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


def _uv() -> str:
    found = shutil.which("uv") or str(REPO_ROOT / ".tools" / "bin" / "uv")
    if not Path(found).exists():
        raise AssertionError("uv is needed to build the wheel (make test installs it)")
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [_uv(), "build", "--wheel", "--out-dir", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_installs_conn_shared_and_no_top_level_shared(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert "shared" not in tops
    assert {"conn_shared", "airflow_provider_conn", "dagster_conn", "conn_demo"} <= tops


@pytest.fixture(scope="module")
def clean_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv holding the wheel and its base dependencies only (no extra); its bin/."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([_uv(), "venv", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [_uv(), "pip", "install", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


def test_the_wheel_imports_in_a_clean_virtualenv(clean_venv: Path, tmp_path: Path) -> None:
    python = clean_venv / "python"
    probe = "import conn_shared, conn_shared.sim; print(conn_shared.FivetranBackend.__name__)"
    out = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert out.stdout.strip() == "FivetranBackend"
    missing = subprocess.run(
        [str(python), "-c", "import shared"],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "No module named 'shared'" in missing.stderr


@pytest.mark.parametrize(
    ("script", "extra", "missing"),
    [
        pytest.param("conn-demo", "demo", "apache-airflow, dagster, rich", id="conn-demo"),
        pytest.param("conn-sim", "sim", "uvicorn", id="conn-sim"),
    ],
)
def test_each_console_script_names_the_extra_it_needs(
    clean_venv: Path, tmp_path: Path, script: str, extra: str, missing: str
) -> None:
    run = {"capture_output": True, "text": True, "cwd": tmp_path, "timeout": 60}
    helped = subprocess.run([str(clean_venv / script), "--help"], check=False, **run)
    ran = subprocess.run([str(clean_venv / script)], check=False, **run)

    assert (helped.returncode, ran.returncode) == (0, 2), ran.stderr
    assert f"install it with: pip install 'conn-providers[{extra}]'" in ran.stderr
    assert missing in ran.stderr
    assert "Traceback" not in ran.stderr


def test_the_wheel_carries_the_examples_conn_demo_runs(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    examples = {p.name for p in (REPO_ROOT / "example_dags").glob("*.py")}
    assert {f"conn_demo/example_dags/{name}" for name in examples} <= names
