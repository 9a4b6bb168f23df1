"""Connection health checks on every backend: ready, not paused, age of the last sync."""

from typing import Any

import dagster as dg
import pytest

from conn_shared import pause_connection
from conn_shared.sim.server import SimServer
from dagster_conn import (
    ConnectionProps,
    ConnectionResource,
    build_connection_assets,
    build_connection_checks,
)
from tests.dagster.support import (
    BACKENDS,
    declared,
    ready_connection,
    synced_once,
    writes,
)

#: The checks each backend gets (with a sync-age threshold).
EXPECTED = {
    "fivetran": {"connection_ready", "connection_not_paused", "last_sync_age"},
    "faraday": {"connection_ready", "last_sync_age"},
    "hub": {"connection_ready", "connection_not_paused"},
}


def _check(
    connection: ConnectionProps,
    resources: dict[str, ConnectionResource],
    instance: dg.DagsterInstance,
    max_age: float | None = 3600.0,
) -> dict[str, tuple[bool, dict[str, Any]]]:
    defs = dg.Definitions(
        assets=build_connection_assets(connections=[connection]),
        asset_checks=build_connection_checks(
            connections=[connection], max_sync_age_seconds=max_age
        ),
        jobs=[dg.define_asset_job("health", selection=dg.AssetSelection.all_asset_checks())],
        resources=resources,
    )
    result = defs.resolve_job_def("health").execute_in_process(instance=instance)
    evaluations = result.get_asset_check_evaluations()
    return {
        e.check_name: (e.passed, {k: v.value for k, v in e.metadata.items()}) for e in evaluations
    }


@pytest.mark.parametrize("backend", [pytest.param(b, id=b) for b in BACKENDS])
def test_a_healthy_connection_passes_every_check_with_one_read(
    sim: SimServer,
    resources: dict[str, ConnectionResource],
    instance: dg.DagsterInstance,
    backend: str,
) -> None:
    connection_id = ready_connection(resources[backend])
    if backend == "fivetran":
        synced_once(resources[backend], connection_id)
    writes_before = writes(sim, backend)

    verdicts = _check(declared(backend), resources, instance)

    assert set(verdicts) == EXPECTED[backend]
    assert all(passed for passed, _ in verdicts.values()), verdicts
    assert verdicts["connection_ready"][1]["conn/connection_id"] == connection_id
    assert writes(sim, backend) == writes_before


def test_a_disabled_hub_connection_fails_ready_and_not_paused(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    hub = resources["hub"]
    hub.run(pause_connection(hub.get_backend(), ready_connection(hub)))

    verdicts = _check(declared("hub"), resources, instance)

    assert verdicts["connection_ready"][0] is False
    assert verdicts["connection_ready"][1]["readiness"] == "paused"
    assert verdicts["connection_not_paused"] == (False, verdicts["connection_not_paused"][1])


def test_a_connection_never_synced_fails_the_age_check(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    ready_connection(resources["fivetran"], "manual_shop", schedule_type="manual")

    verdicts = _check(declared("fivetran", "manual_shop"), resources, instance)

    assert verdicts["connection_ready"][0] is True
    assert verdicts["last_sync_age"] == (
        False,
        {**verdicts["last_sync_age"][1], "reason": "no successful sync yet"},
    )


def test_a_connection_that_does_not_exist_fails_its_checks_and_no_threshold_no_age_check(
    sim: SimServer, resources: dict[str, ConnectionResource], instance: dg.DagsterInstance
) -> None:
    verdicts = _check(declared("faraday", "absent"), resources, instance, max_age=None)

    assert verdicts == {
        "connection_ready": (False, {"reason": "the connection does not exist yet"})
    }
