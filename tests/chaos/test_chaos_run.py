"""The reduced chaos run of `make test`: each backend once under Airflow and under Dagster.

The same harness and fault mix as `make chaos` (issue 14: 5xx, 429 with and
without Retry-After, committed-but-answer-lost, latency, dropped connections,
truncated bodies, on every request kind), with a fixed seed. The targets are
asserted: every lifecycle correct, no duplicate connection or sync. The request
ratio is asserted loosely (the full run holds it to 1.5); durations only appear
in the report, never in an assertion.
"""

from pathlib import Path

import pytest

from conn_demo.chaos import ChaosOptions, ChaosReport, run_chaos
from conn_demo.runner import framework_output

SEED = 14
#: Twelve lifecycles (six fault-free, six faulted) take about a minute alone, several
#: on a loaded machine; the module fixture runs them inside the first test's timeout.
pytestmark = pytest.mark.timeout(900)


class _Quiet:
    def activity(self, text: str) -> None:
        """Ignored."""

    def record(self, record: object) -> None:
        """Ignored."""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ChaosReport:
    log: Path = tmp_path_factory.mktemp("chaos") / "frameworks.log"
    options = ChaosOptions(rounds=1, baseline_rounds=1, seed=SEED)
    with framework_output(log):
        return run_chaos(options, _Quiet())


def test_every_lifecycle_is_correct_without_duplicates(report: ChaosReport) -> None:
    total = report.rows()[-1]
    problems = {
        f"{lc.orchestrator} {lc.backend}": report.problems(lc)
        for lc in report.faulted
        if report.problems(lc)
    }
    assert problems == {}
    assert (total["lifecycles"], total["correct"]) == (6, 6)
    assert (total["duplicate_connections"], total["duplicate_syncs"]) == (0, 0)
    assert report.missed() in ([], ["at most 1.5x the fault-free requests"])
    assert total["request_ratio"] < 2.5, total


def test_the_faults_reached_every_orchestrator_and_backend(report: ChaosReport) -> None:
    keys = {lc.key for lc in report.faulted}
    assert keys == {(o, b) for o in ("airflow", "dagster") for b in ("fivetran", "faraday", "hub")}
    fired = report.faults_fired()
    assert sum(fired.values()) >= 10, fired
    assert len(fired) >= 3, fired
    # Each lifecycle's requests are its own: the simulator is reset between them.
    assert all(lc.connections for lc in report.faulted)
