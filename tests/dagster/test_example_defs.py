"""example_dags/dagster_defs.py: loadable without a request, and runnable on the simulator.

Every run, and the sensor's tick, is searched for the planted spec password and
every credential the simulator accepts: each event the instance recorded (its
message, metadata and error, serialized), the run record (config and tags),
the tick's result and the resources' reprs.
"""

import importlib.util
from types import ModuleType

import dagster as dg
import pytest

from conn_shared.sim.server import SimServer
from tests.conftest import REPO_ROOT
from tests.dagster.support import PLANTED, PLANTED_VAR, credential_env
from tests.support.secrets import credential_values, secrets_in

EXAMPLE = REPO_ROOT / "example_dags" / "dagster_defs.py"


def _load(sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    accepted = credential_env(sim)
    env = {
        "FIVETRAN_BASE_URL": sim.base_url("fivetran"),
        "FARADAY_BASE_URL": sim.base_url("faraday"),
        "HUB_BASE_URL": sim.base_url("hub"),
        "FIVETRAN_API_KEY": accepted["CONN_TEST_FIVETRAN_KEY"],
        "FIVETRAN_API_SECRET": accepted["CONN_TEST_FIVETRAN_SECRET"],
        "FARADAY_API_KEY": accepted["CONN_TEST_FARADAY_KEY"],
        "HUB_TOKEN": accepted["CONN_TEST_HUB_TOKEN"],
        "SHOP_PG_PASSWORD": accepted[PLANTED_VAR],
        "CONN_POLL_INTERVAL": "0.02",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("dagster_defs_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _requests(sim: SimServer) -> int:
    return sum(int(r["count"]) for r in sim.request_counts())


def test_the_example_definitions_load_without_a_request(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    defs = _load(sim, monkeypatch).defs

    dg.Definitions.validate_loadable(defs)

    assert {j.name for j in defs.resolve_all_job_defs()} >= {
        "fivetran_shop",
        "faraday_shop",
        "hub_shop",
        "connections_reconcile",
        "connections_observe",
    }
    assert _requests(sim) == 0


def test_the_example_jobs_assets_and_sensor_run_on_the_simulator_and_leave_no_secret(
    sim: SimServer,
    monkeypatch: pytest.MonkeyPatch,
    instance: dg.DagsterInstance,
    record_property: object,
) -> None:
    defs = _load(sim, monkeypatch).defs
    runs = [
        defs.resolve_job_def(name).execute_in_process(instance=instance)
        for name in ("fivetran_shop", "faraday_shop", "hub_shop", "connections_observe")
    ]
    synced = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey(["fivetran_shop"]), dg.AssetKey(["faraday_shop"])],
    )
    sensor = defs.resolve_sensor_def("vendor_syncs")
    with dg.build_sensor_context(
        instance=instance, resources=defs.resources, definitions=defs
    ) as context:
        tick = sensor(context)

    assert all(run.success for run in [*runs, synced])
    assert {e.asset_key.path[0] for e in synced.get_asset_materialization_events()} == {
        "fivetran_shop",
        "faraday_shop",
    }
    assert isinstance(tick, dg.SkipReason)  # the runs recorded the latest syncs already
    places = {"sensor tick": repr(tick)}
    places.update({f"resource {key}": repr(r) for key, r in defs.resources.items()})
    for run in [*runs, synced]:
        places[f"run {run.run_id}"] = dg.serialize_value(instance.get_run_by_id(run.run_id))
        for number, entry in enumerate(instance.all_logs(run.run_id)):
            places[f"event {run.run_id}/{number}"] = dg.serialize_value(entry)
    secrets = {**credential_values(sim.credentials), "spec password": PLANTED}
    assert secrets_in(places, secrets) == []
    record_property("places_searched", len(places))  # type: ignore[operator]
