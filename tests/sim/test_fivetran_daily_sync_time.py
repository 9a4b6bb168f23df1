"""Regression: `daily_sync_time` is echoed once set, whatever the sync frequency.

The simulator used to show it only at a 1440-minute frequency; the definition's own
list example (and seed 004's) carries `"sync_frequency": 360` with
`"daily_sync_time": "14:00"`, and a client comparing what it set with what it reads
saw endless drift.
"""

import pytest

from tests.sim.conftest import FivetranApi


@pytest.mark.parametrize(
    "frequency",
    [pytest.param(360, id="every-6-hours"), pytest.param(1440, id="daily")],
)
def test_daily_sync_time_is_echoed_once_set(fivetran: FivetranApi, frequency: int) -> None:
    created = fivetran.create(sync_frequency=frequency, daily_sync_time="14:00")
    listed = fivetran.request("GET", "/v1/connections").json()["data"]["items"]

    assert created["daily_sync_time"] == "14:00"
    assert fivetran.get(created["id"])["daily_sync_time"] == "14:00"
    assert [item["daily_sync_time"] for item in listed] == ["14:00"]


def test_a_patched_daily_sync_time_is_echoed(fivetran: FivetranApi) -> None:
    cid = fivetran.create()["id"]
    assert "daily_sync_time" not in fivetran.get(cid)

    patched = fivetran.patch(cid, daily_sync_time="03:00")

    assert (patched["sync_frequency"], patched["daily_sync_time"]) == (360, "03:00")
