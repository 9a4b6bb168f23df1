"""`conn-demo` runs in-process: exit 0, and every backend and step shows in its output."""

import pytest

from conn_demo import cli as demo

STEPS = (
    "ensure",
    "ensure again",
    "verify",
    "wait until ready",
    "sync",
    "wait for sync",
    "resync",
    "wait for resync",
    "pause",
    "resume",
    "delete",
)
#: Each wait and the trigger it waits for.
WAITS = {"wait for sync": "sync", "wait for resync": "resync"}


def test_demo_runs_every_step_on_every_backend(capsys: pytest.CaptureFixture[str]) -> None:
    status = demo.main([])
    out = capsys.readouterr().out

    assert status == 0, out
    rows = [line.split(None, 2) for line in out.splitlines() if line.startswith(("ok ", "!! "))]
    assert rows
    assert all(mark == "ok" for mark, _, _ in rows), out
    for backend in demo.CASES:
        shown = {_label(rest): rest for _, name, rest in rows if name == backend}
        expected = [
            step
            for step in STEPS
            # A wait is skipped when its trigger was unsupported: nothing to wait for.
            if not (step in WAITS and " unsupported " in f" {shown.get(WAITS[step], '')} ")
        ]
        assert list(shown) == expected, (backend, list(shown))
    seen = {_label(rest) for _, _, rest in rows}
    assert seen == set(STEPS)
    assert "UNEXPECTED" not in out
    assert f"{len(rows)} steps, 0 unexpected" in out


def _label(rest: str) -> str:
    """The step label at the start of a progress line's remainder."""
    return max((step for step in STEPS if rest.startswith(f"{step} ")), key=len)
