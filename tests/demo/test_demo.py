"""`conn-demo` in process: its JSON summary, its table, its exit status, its `--help`.

The full demo (`make demo`) runs three backends under both orchestrators; here
each orchestrator runs one backend, so the suite stays quick. The frameworks'
own logs go to a file the demo discards, so the captured output is the demo's.
"""

import json
from typing import Any

import pytest

from conn_demo import cli
from conn_demo.context import REJECTED_PASSWORD, SOURCE_PASSWORD, DemoContext, DemoOptions
from conn_demo.records import Status, StepRecord
from conn_demo.runner import RIDEABLE, examples_folder, rideable_faults
from conn_shared import Step, backend_entry, backend_names
from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.server import SimServer
from tests.conftest import REPO_ROOT

#: What must never be printed: the source's passwords and the simulator's credentials.
SECRETS = [
    SOURCE_PASSWORD,
    REJECTED_PASSWORD,
    *(
        value
        for accepted in SimCredentials().as_dict().values()
        for value in accepted.values()
        if isinstance(value, str)
    ),
]
#: The lifecycle rows each orchestrator shows for Fivetran, which has every step.
FIVETRAN_STEPS = {
    "airflow": [
        "ensure",
        "verify",
        "wait until ready",
        "sync and wait",
        "resync",
        "wait for resync",
        "pause",
        "resume",
    ],
    "dagster": [
        "ensure",
        "verify",
        "wait until ready",
        "sync",
        "wait for sync",
        "resync",
        "wait for resync",
        "materialize assets",
        "pause",
        "resume",
    ],
}
#: Each step the probes define, and the capability it needs.
PROBED = {
    "verify": Step.VERIFY,
    "sync": Step.SYNC,
    "wait for sync": Step.SYNC_OUTCOME,
    "resync": Step.RESYNC,
    "pause": Step.PAUSE,
    "resume": Step.RESUME,
}


def _summary(out: str) -> dict[str, Any]:
    """The JSON document `--json` prints last (a framework configured earlier in this
    process may still log to the captured stdout before it)."""
    start = out.rindex('{\n  "ok"')
    summary: dict[str, Any] = json.loads(out[start:])
    return summary


def _rows(summary: dict[str, Any], orchestrator: str, scenario: str) -> list[dict[str, Any]]:
    return [
        s
        for s in summary["steps"]
        if s["orchestrator"] == orchestrator and s["scenario"] == scenario
    ]


def test_help_names_every_option_and_the_fault_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])

    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in ("--orchestrators", "--backends", "--fault-rate", "--seed", "--fault"):
        assert option in text
    for option in ("--clock-speed", "--json", "--log-file"):
        assert option in text
    for kind in ("429 with Retry-After", "without Retry-After", "503", "dropped", "truncated"):
        assert kind in text
    assert "pip install 'conn-providers[demo]'" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--backends", "stripe"], "unknown backend stripe", id="backend"),
        pytest.param(["--orchestrators", "prefect"], "unknown orchestrator prefect", id="orch"),
        pytest.param(["--fault-rate", "1.5"], "within 0..1", id="rate"),
        pytest.param(["--clock-speed", "0"], "a positive number", id="speed"),
        pytest.param(["--fault", "teapot"], "teapot", id="fault"),
    ],
)
def test_bad_options_name_the_option_and_what_is_allowed(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)

    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_airflow_and_dagster_run_every_fivetran_step(capfd: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["--backends", "fivetran", "--seed", "5", "--json"])
    out, err = capfd.readouterr()

    summary = _summary(out)
    assert status == 0, summary
    assert summary["ok"] is True
    assert summary["unexpected"] == 0
    assert summary["errors"] == []
    assert (summary["orchestrators"], summary["backends"]) == (["airflow", "dagster"], ["fivetran"])
    assert summary["seed"] == 5
    for orchestrator, steps in FIVETRAN_STEPS.items():
        rows = _rows(summary, orchestrator, "lifecycle")
        assert [r["step"] for r in rows] == steps, orchestrator
        assert all(r["status"] == "succeeded" and r["ok"] for r in rows)
        assert all(r["api_calls"] >= 1 for r in rows), rows
        # The failure on purpose: ensure works, the setup tests fail with Fivetran's words.
        failed = _rows(summary, orchestrator, "setup tests fail")
        assert [(r["step"], r["status"]) for r in failed] == [
            ("ensure", "succeeded"),
            ("verify", "failed"),
        ]
        assert "Validate Login: Invalid login credentials" in failed[1]["outcome"]
    assert summary["api_calls"] == sum(s["api_calls"] for s in summary["steps"])
    for secret in SECRETS:
        assert secret not in out + err


def test_the_table_says_which_failure_was_on_purpose(capfd: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["--orchestrators", "client", "--seed", "1"])
    out, err = capfd.readouterr()

    assert status == 0, out
    assert "conn-demo summary" in out
    for backend in backend_names():
        assert f"│ client       │ {backend}" in out
    for step in ("ensure again", "delete", "unsupported"):
        assert step in out
    words = " ".join(out.split())  # the sentence wraps at the terminal's width
    assert "On purpose, under client: the fivetran connection's source rejects its" in words
    assert "message: Validate Login: Invalid login credentials. That is expected." in words
    assert "all as expected" in out
    assert "seed 1" in out
    for secret in SECRETS:
        assert secret not in out + err


def test_a_step_that_does_not_end_as_expected_fails_the_run(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # A 500 is not retried: creating the hub connection fails, under Dagster.
    argv = ["--orchestrators", "dagster", "--backends", "hub", "--json"]
    status = cli.main([*argv, "--fault", "500@POST /hub/api/v1/connections"])
    summary = _summary(capfd.readouterr().out)

    assert status == 1
    assert summary["ok"] is False
    (ensure, *_) = _rows(summary, "dagster", "lifecycle")
    assert (ensure["step"], ensure["status"], ensure["expected"]) == (
        "ensure",
        "failed",
        "succeeded",
    )
    assert "500" in ensure["outcome"]
    assert summary["unexpected"] == sum(1 for s in summary["steps"] if not s["ok"])
    assert summary["faults_fired"]["error"] >= 1


class _Records:
    def __init__(self) -> None:
        self.records: list[StepRecord] = []

    def activity(self, text: str) -> None:
        pass

    def record(self, record: StepRecord) -> None:
        self.records.append(record)


def _driver(name: str) -> Any:
    if name == "airflow":
        from conn_demo.airflow_driver import AirflowDriver  # noqa: PLC0415

        return AirflowDriver()
    from conn_demo.dagster_driver import DagsterDriver  # noqa: PLC0415

    return DagsterDriver()


@pytest.mark.parametrize("orchestrator", ["airflow", "dagster"])
@pytest.mark.parametrize("backend", backend_names())
def test_each_missing_step_is_refused_before_any_request(
    conn_sim: SimServer, orchestrator: str, backend: str
) -> None:
    sink = _Records()
    ctx = DemoContext(
        server=conn_sim, options=DemoOptions(), examples=examples_folder(), progress=sink
    )

    _driver(orchestrator).unsupported(ctx, backend)

    lacking = [s for s, step in PROBED.items() if step not in backend_entry(backend).capabilities]
    assert [r.step for r in sink.records] == lacking
    assert all(r.status is Status.UNSUPPORTED and r.ok for r in sink.records)
    assert all(backend in r.outcome for r in sink.records)
    assert all(r.api_calls == 0 for r in sink.records)
    assert conn_sim.request_counts() == []


def test_the_fault_rate_splits_over_kinds_the_retries_ride_out() -> None:
    rules = rideable_faults(0.7)

    assert [r.probability for r in rules] == pytest.approx([0.1] * len(RIDEABLE))
    assert {r.kind for r in rules} == {"rate_limit", "error", "drop", "malformed_json", "latency"}
    # Only a 429 or latency may meet a write: a 5xx or a lost answer there would not be retried.
    assert all(r.method == "GET" for r in rules if r.kind not in ("rate_limit", "latency"))
    assert {r.retry_after for r in rules if r.kind == "rate_limit"} == {True, False}
    assert rideable_faults(0) == []
    with pytest.raises(ValueError, match=r"fault rate must be within 0\.\.1, got 2"):
        rideable_faults(2)


def test_the_examples_come_from_the_checkout() -> None:
    assert examples_folder() == REPO_ROOT / "example_dags"
