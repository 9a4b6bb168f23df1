"""The sync sensor, evaluated with `build_sensor_context` against the simulator.

A sync the vendor ran is recorded once: a second evaluation with the cursor of
the first records nothing, and neither does a cursor-less one after a Dagster run
recorded the same sync. A later scheduled sync is recorded once more; Faraday
dataset builds land on the dataset assets.
"""

import json
import time

import dagster as dg
import pytest

from conn_shared.sim.server import SimServer
from dagster_conn import (
    ConnectionProps,
    ConnectionResource,
    build_connection_assets,
    build_sync_sensor,
    fetch_connection_props,
)
from tests.dagster.support import (
    PLANTED,
    declared,
    ready_connection,
    synced_once,
)
from tests.support.faraday import create_dataset


def _tick(
    sensor: dg.SensorDefinition,
    resources: dict[str, ConnectionResource],
    instance: dg.DagsterInstance,
    cursor: str | None,
) -> tuple[list[dg.AssetMaterialization], str | None]:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        result = sensor(context)
        if isinstance(result, dg.SkipReason):
            return [], context.cursor
        assert isinstance(result, dg.SensorResult)
        return list(result.asset_events), result.cursor


def test_a_vendor_sync_is_recorded_once_and_the_next_one_once_more(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    fivetran = resources["fivetran"]
    connection_id = ready_connection(fivetran, "scheduled")
    first_end = synced_once(fivetran, connection_id)
    sensor = build_sync_sensor(name="vendor_syncs", connections=[declared("fivetran", "scheduled")])

    first, cursor = _tick(sensor, resources, instance, None)
    again, same = _tick(sensor, resources, instance, cursor)

    assert [e.asset_key for e in first] == [dg.AssetKey(["scheduled"])]
    assert first[0].metadata["conn/finished_at"].value == first_end.timestamp()
    assert first[0].metadata["conn/connection_id"].value == connection_id
    assert again == []
    assert same == cursor
    assert json.loads(cursor or "")["connections"]["scheduled"]["id"] == connection_id

    sim.advance(6 * 3600 + 120)  # past the 360-minute schedule: the vendor syncs again
    deadline = time.monotonic() + 10
    later: list[dg.AssetMaterialization] = []
    while not later and time.monotonic() < deadline:
        later, cursor = _tick(sensor, resources, instance, cursor)
        time.sleep(0.05)
    after, _ = _tick(sensor, resources, instance, cursor)

    assert len(later) == 1
    assert later[0].metadata["conn/finished_at"].value > first_end.timestamp()
    assert after == []
    assert PLANTED not in json.dumps([dg.serialize_value(e) for e in first + later])


def test_a_sync_a_dagster_run_recorded_is_not_recorded_again(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    ready_connection(resources["faraday"], "run_synced")
    record = declared("faraday", "run_synced")
    materialized = dg.materialize(
        build_connection_assets(connections=[record]), resources=resources, instance=instance
    )
    assert materialized.success
    sensor = build_sync_sensor(name="vendor_syncs", connections=[record])

    events, cursor = _tick(sensor, resources, instance, None)

    assert events == []
    assert json.loads(cursor or "")["connections"]["run_synced"]["synced"]


def test_faraday_dataset_builds_are_recorded_on_the_dataset_assets(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    connection_id = ready_connection(resources["faraday"], "crm")
    create_dataset(sim, connection_id)
    sim.advance(120)
    (props,) = fetch_connection_props(resources=resources, connections=[declared("faraday", "crm")])
    sensor = build_sync_sensor(name="vendor_syncs", connections=[props])

    events, cursor = _tick(sensor, resources, instance, None)
    again, _ = _tick(sensor, resources, instance, cursor)

    dataset_events = [e for e in events if e.asset_key.path[1:2] == ["datasets"]]
    assert [e.asset_key for e in dataset_events] == [dg.AssetKey(["crm", "datasets", "Customers"])]
    assert dataset_events[0].metadata["dagster/row_count"].value > 0
    assert again == []


@pytest.mark.parametrize(
    ("good", "message"),
    [
        pytest.param(True, None, id="one-unreadable"),
        pytest.param(False, "no connection could be read", id="all-unreadable"),
    ],
)
def test_an_unreadable_connection_is_skipped_and_only_all_of_them_fail_the_tick(
    sim: SimServer,
    resources: dict[str, ConnectionResource],
    instance: dg.DagsterInstance,
    good: bool,
    message: str | None,
) -> None:
    connections = [ConnectionProps(name="gone", backend="fivetran", connection_id="no_such_id")]
    if good:
        connection_id = ready_connection(resources["fivetran"], "alive")
        synced_once(resources["fivetran"], connection_id)
        connections.append(declared("fivetran", "alive"))
    sensor = build_sync_sensor(name="vendor_syncs", connections=connections)

    if message is None:
        events, cursor = _tick(sensor, resources, instance, None)
        assert [e.asset_key for e in events] == [dg.AssetKey(["alive"])]
        assert "gone" not in json.loads(cursor or "")["connections"]
    else:
        with pytest.raises(dg.Failure, match=message):
            _tick(sensor, resources, instance, None)
