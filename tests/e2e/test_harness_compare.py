"""The XCom comparison phase-2 scenarios use: what it ignores, and that it still sees changes."""

from typing import Any

import pytest

from tests.e2e.harness.compare import IGNORED, comparable, differences

DEFERRED: dict[str, Any] = {
    "connection_id": "conn_1",
    "sync_id": "s-1",
    "outcome": "succeeded",
    "requested_at": "2026-11-30T14:33:04.897149+00:00",
    "finished_at": "2026-11-30T14:34:00Z",
    "run": {"id": "01a22cdf-a88d-7208-89ff-08856298a29f", "tables": ["a", "b"]},
}
DIRECT: dict[str, Any] = {
    "connection_id": "conn_1",
    "sync_id": "s-2",
    "outcome": "succeeded",
    "requested_at": "2026-11-30 14:40:01+00:00",
    "finished_at": "2026-11-30T14:41:00Z",
    "run": {"id": "01a22cdf-0000-7208-89ff-08856298a29f", "tables": ["a", "b"]},
}


def test_ids_and_timestamps_are_ignored_and_listed() -> None:
    left, ignored = comparable(DEFERRED, ignore_keys={"sync_id"})
    right, _ = comparable(DIRECT, ignore_keys={"sync_id"})

    assert left == right
    assert ignored == ["$.sync_id", "$.requested_at", "$.finished_at", "$.run.id"]
    assert left["sync_id"] == IGNORED


def test_known_ids_are_named_wherever_they_occur() -> None:
    deferred = {"id": "brisk_owl", "url": "https://ui/connectors/brisk_owl/status", "n": 1}
    direct = {"id": "calm_fox_12", "url": "https://ui/connectors/calm_fox_12/status", "n": 1}

    left, ignored = comparable(deferred, ids={"brisk_owl": "fivetran"})
    right, _ = comparable(direct, ids={"calm_fox_12": "fivetran", "calm_fox": "other"})

    named = {"id": "<fivetran>", "url": "https://ui/connectors/<fivetran>/status", "n": 1}
    assert left == right == named
    assert ignored == ["$.id", "$.url"]
    with pytest.raises(ValueError, match="an empty id"):
        comparable(deferred, ids={"": "nothing"})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({"outcome": "failed"}, ["$.outcome: 'succeeded' != 'failed'"], id="value"),
        pytest.param(
            {"run": {**DIRECT["run"], "tables": ["a"]}},
            ["$.run.tables: 2 items != 1 items"],
            id="list",
        ),
        pytest.param({"extra": 1}, ["$.extra: only on the right"], id="new-key"),
    ],
)
def test_other_changes_still_count(change: dict[str, Any], expected: list[str]) -> None:
    left, _ = comparable(DEFERRED, ignore_keys={"sync_id"})
    right, _ = comparable({**DIRECT, **change}, ignore_keys={"sync_id"})

    assert differences(left, right) == expected
