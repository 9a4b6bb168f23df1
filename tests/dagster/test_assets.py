"""Sync assets materialized with `dg.materialize`, observed hub assets, and stored state.

Fivetran and Faraday assets trigger a sync and wait for it; the hub's are observed.
Building the assets sends nothing to the simulator; a record without an id is found
by its spec; metadata carries the sync report, table schemas and row counts.
"""

from datetime import timedelta
from typing import Any

import dagster as dg
import pytest

from conn_shared import pause_connection
from conn_shared.sim.server import SimServer
from dagster_conn import (
    ConnectionAssetProps,
    ConnectionProps,
    ConnectionResource,
    ConnectionTranslator,
    build_connection_assets,
    dump_connection_props,
    fetch_connection_props,
    load_connection_props,
)
from tests.dagster.support import (
    PLANTED,
    SYNC_ROUTE,
    declared,
    event_text,
    ready_connection,
    writes,
)
from tests.support.faraday import create_dataset


def _materialize(
    assets: list[Any],
    resources: dict[str, ConnectionResource],
    instance: dg.DagsterInstance,
    **kwargs: Any,
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets, resources=resources, instance=instance, raise_on_error=False, **kwargs
    )


def _metadata(event: dg.AssetMaterialization | dg.AssetObservation) -> dict[str, Any]:
    return {k: v.value for k, v in event.metadata.items()}


def _requests(sim: SimServer) -> int:
    return sum(int(r["count"]) for r in sim.request_counts())


def test_building_assets_and_definitions_sends_nothing(
    sim: SimServer, resources: dict[str, ConnectionResource]
) -> None:
    connections = [
        declared("fivetran", "orders_db"),
        declared("faraday", "crm"),
        declared("hub", "warehouse"),
        ConnectionProps(name="by id", backend="fivetran", connection_id="some_id"),
    ]
    defs = dg.Definitions(
        assets=build_connection_assets(connections=connections), resources=resources
    )

    dg.Definitions.validate_loadable(defs)

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {"orders_db", "crm", "warehouse", "by_id"}
    assert _requests(sim) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"backend": "fivetran"}, "give connection_id or spec", id="no-identity"),
        pytest.param(
            {"backend": "airbyte", "connection_id": "x"},
            "unknown 'airbyte'; expected one of fivetran, faraday, hub",
            id="unknown-backend",
        ),
        pytest.param(
            {"backend": "hub", "connection_id": "x", "name": "!!"}, "no letters", id="bad-name"
        ),
    ],
)
def test_a_bad_record_names_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ConnectionProps(**{"name": "shop", **fields})


@pytest.mark.parametrize(
    "backend", [pytest.param("fivetran", id="fivetran"), pytest.param("faraday", id="faraday")]
)
def test_a_declared_connection_is_one_asset_whose_materialization_syncs_it(
    sim: SimServer,
    resources: dict[str, ConnectionResource],
    instance: dg.DagsterInstance,
    backend: str,
) -> None:
    connection_id = ready_connection(resources[backend])
    before = sim.count(backend, "POST", SYNC_ROUTE[backend])
    assets = build_connection_assets(connections=[declared(backend)])

    result = _materialize(assets, resources, instance)

    assert result.success
    (materialization,) = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in materialization.materialization.metadata.items()}
    assert materialization.asset_key == dg.AssetKey(["shop"])
    assert metadata["conn/state"] == "succeeded"
    assert metadata["conn/connection_id"] == connection_id
    assert metadata["conn/finished_at"] >= metadata["conn/requested_at"] - 1
    assert connection_id in metadata["conn/url"]
    assert sim.count(backend, "POST", SYNC_ROUTE[backend]) == before + 1
    if backend == "faraday":
        assert metadata["conn/row_counts"]["customers"] == 1200
    assert PLANTED not in event_text(instance, result.run_id)


def _fetched(
    resources: dict[str, ConnectionResource], *connections: ConnectionProps
) -> list[ConnectionProps]:
    fetched = fetch_connection_props(resources=resources, connections=list(connections))
    assert load_connection_props(dump_connection_props(fetched)) == fetched
    return fetched


def test_stored_fivetran_tables_become_one_asset_each_with_their_column_schema(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    connection_id = ready_connection(resources["fivetran"])
    writes_before = writes(sim, "fivetran")
    (props,) = _fetched(resources, declared("fivetran"))
    assert writes(sim, "fivetran") == writes_before
    assert props.connection_id == connection_id
    assert props.tables

    assets = build_connection_assets(connections=[props])
    result = _materialize(assets, resources, instance)

    assert result.success
    events = result.get_asset_materialization_events()
    assert sorted(e.asset_key.path[-1] for e in events) == sorted(t.table for t in props.tables)
    for event in events:
        metadata = _metadata(event.materialization)
        assert metadata["conn/state"] == "succeeded"
        assert metadata["dagster/table_name"].startswith("shop_public.")
        assert metadata["dagster/column_schema"].columns[0].name == "id"
    assert sim.count("fivetran", "POST", SYNC_ROUTE["fivetran"]) == 1


def test_faraday_datasets_are_assets_downstream_of_their_connection(
    sim: SimServer, resources: dict[str, ConnectionResource]
) -> None:
    connection_id = ready_connection(resources["faraday"], "crm")
    create_dataset(sim, connection_id)
    (props,) = _fetched(resources, declared("faraday", "crm"))

    assets = build_connection_assets(connections=[props])
    graph = dg.Definitions(assets=assets, resources=resources).resolve_asset_graph()

    dataset = dg.AssetKey(["crm", "datasets", "Customers"])
    assert graph.get(dataset).parent_keys == {dg.AssetKey(["crm"])}
    assert graph.get(dataset).is_external


def test_hub_assets_are_observed_table_by_table_without_a_write(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    ready_connection(resources["hub"], "warehouse")
    (props,) = _fetched(resources, declared("hub", "warehouse"))
    assert props.tables
    writes_before = writes(sim, "hub")

    (observed,) = build_connection_assets(connections=[props])
    defs = dg.Definitions(
        assets=[observed],
        jobs=[
            dg.define_asset_job("observe_warehouse", selection=dg.AssetSelection.assets(observed))
        ],
        resources=resources,
    )
    job = defs.resolve_job_def("observe_warehouse")
    result = job.execute_in_process(instance=instance, raise_on_error=False)

    assert result.success
    observations = [
        e.event_specific_data.asset_observation
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    ]
    assert len(observations) == len(props.tables)
    assert all(_metadata(o)["conn/readiness"] == "ready" for o in observations)
    assert all(o.tags["dagster/data_version"] for o in observations)
    assert writes(sim, "hub") == writes_before
    assert not result.get_asset_materialization_events()


def test_a_connection_that_does_not_exist_yet_fails_and_writes_nothing(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    result = _materialize(
        build_connection_assets(connections=[declared("fivetran", "not_yet")]), resources, instance
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "fivetran connection 'not_yet' does not exist yet" in str(
        failure.step_failure_data.error
    )
    assert writes(sim, "fivetran") == 0


class _RawTranslator(ConnectionTranslator):
    def get_asset_spec(self, props: ConnectionAssetProps) -> dg.AssetSpec:
        spec = super().get_asset_spec(props)
        return spec.replace_attributes(key=spec.key.with_prefix("raw"), group_name="raw")


def test_a_translator_subclass_and_a_freshness_policy_shape_the_specs() -> None:
    props = ConnectionProps(name="shop", backend="fivetran", connection_id="c1")
    policy = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=2))
    (assets,) = build_connection_assets(
        connections=[props], translator=_RawTranslator(), freshness_policy=policy
    )
    (spec,) = assets.specs
    assert spec.key == dg.AssetKey(["raw", "shop"])
    assert spec.group_name == "raw"
    assert spec.freshness_policy == policy
    assert spec.metadata["conn/connection_id"] == "c1"


def test_a_paused_connection_fails_the_materialization_clearly_and_once(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    fivetran = resources["fivetran"]
    connection_id = ready_connection(fivetran)
    fivetran.run(pause_connection(fivetran.get_backend(), connection_id))
    assets = build_connection_assets(connections=[declared("fivetran")])

    result = _materialize(assets, resources, instance)

    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert f"connection {connection_id} is paused" in str(failure.step_failure_data.error)
    assert failure.step_failure_data.error.cls_name == "Failure"
    assert sim.count("fivetran", "POST", SYNC_ROUTE["fivetran"]) == 0
