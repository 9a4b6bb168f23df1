"""How `make chaos` judges a lifecycle: the fault mix, the ground truth, the targets.

Plain data in, verdicts out: the lifecycles here are built by hand, so each
rule (a second connection, a run no step asked for, a failed step, too many
requests) is shown to miss its target.
"""

import math

import pytest

from conn_demo.chaos import (
    CHAOS_MIX,
    MAX_REQUEST_RATIO,
    TARGETS,
    ChaosOptions,
    ChaosReport,
    Lifecycle,
    chaos_faults,
    ground_truth,
)
from conn_demo.records import Status, StepRecord

STEPS = ("ensure", "wait until ready", "sync", "wait for sync")


def _lifecycle(
    *,
    requests: int = 10,
    connections: dict[str, int] | None = None,
    runs: dict[str, int] | None = None,
    failed: str = "",
    steps: tuple[str, ...] = STEPS,
) -> Lifecycle:
    records = [
        StepRecord(
            orchestrator="dagster",
            backend="faraday",
            step=step,
            status=Status.FAILED if step == failed else Status.SUCCEEDED,
            expected=Status.SUCCEEDED,
            outcome="",
            api_calls=1,
            seconds=0.1,
        )
        for step in steps
    ]
    return Lifecycle(
        "dagster",
        "faraday",
        1,
        None,
        steps=records,
        requests=requests,
        seconds=1.0,
        connections=connections if connections is not None else {"shop": 1},
        runs=runs if runs is not None else {"sync": 1},
    )


def _report(*faulted: Lifecycle) -> ChaosReport:
    return ChaosReport(ChaosOptions(), baseline=[_lifecycle()], faulted=list(faulted))


def test_each_fault_kind_fires_on_its_share_of_all_requests() -> None:
    rules, left = chaos_faults(), 1.0
    for rule, (wanted, share) in zip(rules, CHAOS_MIX, strict=True):
        assert (rule.kind, rule.status, rule.retry_after) == (
            wanted.kind,
            wanted.status,
            wanted.retry_after,
        )
        assert (rule.method, rule.path) == ("*", "*")  # writes too
        assert math.isclose(left * rule.probability, share)
        left *= 1 - rule.probability
    shares = {r.kind: 0.0 for r, _ in CHAOS_MIX}
    for rule, share in CHAOS_MIX:
        shares[rule.kind] += share
    assert shares == pytest.approx(
        {
            "error": 0.10,
            "rate_limit": 0.05,
            "commit_then_lose": 0.02,
            "latency": 0.02,
            "drop": 0.02,
            "malformed_json": 0.02,
        }
    )


def test_ground_truth_reads_identities_and_runs_from_the_state() -> None:
    state = {
        "backends": {
            "fivetran": {
                "connections": {
                    "a": {"group_id": "g", "schema": "s", "sim": {"runs_requested": {"sync": 1}}},
                    "b": {"group_id": "g", "schema": "s", "sim": {"runs_requested": {"sync": 1}}},
                    "c": {"group_id": "g", "schema": "t", "sim": {"runs_requested": {"resync": 1}}},
                }
            },
            "faraday": {
                "connections": [{"name": "shop", "sim": {"builds_requested": 2}}],
                "datasets": [{"name": "orders", "sim": {"builds_requested": 1}}],
            },
            "hub": {"connections": [{"provider": "postgres", "name": "shop"}]},
        }
    }
    assert ground_truth(state, "fivetran") == ({"g/s": 2, "g/t": 1}, {"sync": 2, "resync": 1})
    assert ground_truth(state, "faraday") == ({"shop": 1}, {"sync": 3})
    assert ground_truth(state, "hub") == ({"postgres/shop": 1}, {})


def test_a_clean_run_meets_every_target() -> None:
    report = _report(_lifecycle(requests=12), _lifecycle(requests=14, runs={}))
    total = report.rows()[-1]
    assert (total["lifecycles"], total["correct"], total["request_ratio"]) == (2, 2, 1.3)
    assert report.missed() == []


@pytest.mark.parametrize(
    ("lifecycle", "missed", "problem"),
    [
        pytest.param(
            _lifecycle(connections={"shop": 2}),
            [TARGETS[0], TARGETS[1]],
            "duplicate connections",
            id="second-connection",
        ),
        pytest.param(
            _lifecycle(runs={"sync": 2}), [TARGETS[0], TARGETS[2]], "duplicate syncs", id="rerun"
        ),
        pytest.param(
            _lifecycle(runs={"resync": 1}),
            [TARGETS[0], TARGETS[2]],
            "duplicate syncs",
            id="run-no-step-asked-for",
        ),
        pytest.param(
            _lifecycle(failed="wait for sync"), [TARGETS[0]], "wait for sync: failed", id="failed"
        ),
        pytest.param(
            _lifecycle(steps=STEPS[:2], runs={}),
            [TARGETS[0]],
            "expected ['ensure'",
            id="steps-missing",
        ),
        pytest.param(_lifecycle(requests=16), [TARGETS[3]], None, id="too-many-requests"),
    ],
)
def test_each_fault_of_a_lifecycle_misses_its_target(
    lifecycle: Lifecycle, missed: list[str], problem: str | None
) -> None:
    report = _report(lifecycle)
    assert report.missed() == missed
    problems = report.problems(lifecycle)
    if problem is None:
        assert problems == []
        assert report.rows()[-1]["request_ratio"] > MAX_REQUEST_RATIO
    else:
        assert any(problem in p for p in problems), problems


def test_a_fault_free_measure_that_failed_is_refused() -> None:
    report = ChaosReport(
        ChaosOptions(), baseline=[_lifecycle(failed="sync")], faulted=[_lifecycle()]
    )
    with pytest.raises(LookupError, match=r"fault-free runs of .* disagree or failed"):
        report.rows()


def test_durations_are_reported_by_nearest_rank() -> None:
    lifecycles = [_lifecycle() for _ in range(20)]
    for seconds, lc in enumerate(lifecycles, start=1):
        lc.seconds = float(seconds)
    total = _report(*lifecycles).rows()[-1]
    assert (total["p50_seconds"], total["p95_seconds"]) == (10.0, 19.0)
