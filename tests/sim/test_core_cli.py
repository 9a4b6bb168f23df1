"""`conn-sim`: every option is documented, arguments parse, and it really serves."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conn_shared.sim.cli import build_parser, main, vendor_options
from conn_shared.sim.ratelimit import RateLimit

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_option_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    options = [
        opt
        for action in build_parser()._actions
        for opt in action.option_strings
        if opt.startswith("--")
    ]
    assert len(options) >= 18
    missing = [opt for opt in options if opt not in text]
    assert missing == []
    defaults = ["(default: 127.0.0.1)", "(default: 8765)", "(default: fivetran,faraday,hub)"]
    assert [d for d in defaults if d not in " ".join(text.split())] == []


def test_rate_limit_and_backends_parse() -> None:
    args = build_parser().parse_args(["--rate-limit", "5:10", "--backends", "fivetran,hub"])
    assert args.rate_limit == RateLimit(rate=5.0, burst=10)
    assert args.backends == ["fivetran", "hub"]
    assert build_parser().parse_args(["--rate-limit", "3"]).rate_limit == RateLimit(3.0, 3)


def test_vendor_durations_reach_the_backends() -> None:
    args = build_parser().parse_args(
        ["--fivetran-reschedule-seconds", "20", "--fivetran-sync-seconds", "5"]
    )
    assert vendor_options(args) == {
        "fivetran_options": {
            "setup_test_seconds": 0.0,
            "sync_seconds": 5.0,
            "historical_sync_seconds": 60.0,
            "reschedule_seconds": 20.0,
        },
        "faraday_options": {"build_seconds": 30.0},
    }


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--backends", "fivetran,zapier"], id="unknown-backend"),
        pytest.param(["--rate-limit", "fast"], id="bad-rate-limit"),
        pytest.param(["--fault", "418"], id="bad-fault"),
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_conn_sim_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conn_shared.sim.cli",
            "--port",
            "0",
            "--backends",
            "fivetran",
            "--fault",
            "503x1@GET /fivetran/v1/connections",
            "--seed",
            "1",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(3)]
        url = banner[0].split()[3]
        assert banner[1].split()[:3] == ["fivetran", "base", "URL"]
        assert "api_key=sim-fivetran-key" in banner[1]
        base = banner[1].split()[3]
        auth = ("sim-fivetran-key", "sim-fivetran-secret")
        statuses = [httpx.get(base + "/v1/connections", auth=auth).status_code for _ in range(2)]
        assert statuses == [503, 200]
        assert httpx.get(url + "/_sim/state").json()["faults"]["fired"] == {"error": 1}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert process.returncode == 0
