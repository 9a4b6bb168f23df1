"""Test-wide set-up that must run before anything imports Airflow or Dagster.

Airflow reads its configuration at import time and Dagster looks for an
instance folder, so both are pointed at a throwaway folder here, at the top of
the root conftest, which pytest imports before any test module. Nothing is
written to the home directory, examples are not loaded and telemetry is off.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
_SANDBOX = Path(tempfile.mkdtemp(prefix="conn-providers-tests-"))
atexit.register(shutil.rmtree, _SANDBOX, ignore_errors=True)

_AIRFLOW_HOME = _SANDBOX / "airflow"
_DAGSTER_HOME = _SANDBOX / "dagster"
_AIRFLOW_HOME.mkdir()
_DAGSTER_HOME.mkdir()
(_DAGSTER_HOME / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "example_dags"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(_AIRFLOW_HOME / "logs"),
        "DAGSTER_HOME": str(_DAGSTER_HOME),
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many hypothesis examples each property ran, under which profile (when any ran)."""
    # Looked up, not imported: the min-version runs install no hypothesis.
    profiles = sys.modules.get("tests.support.profiles")
    counts = getattr(profiles, "EXAMPLES", None)
    if not counts:
        return
    terminalreporter.section(f"hypothesis examples (profile {profiles.PROFILE!r})")
    for target, count in sorted(counts.items()):
        terminalreporter.write_line(f"{count:6d}  {target}")
    terminalreporter.write_line(f"{sum(counts.values()):6d}  in all, {len(counts)} targets")
