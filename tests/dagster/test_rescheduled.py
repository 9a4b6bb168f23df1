"""A sync the vendor reschedules: retried by Dagster at the vendor's time, or failed.

These tests use a simulator whose clock runs at real speed, so that Fivetran's
`rescheduled_for` and the retry Dagster schedules live on the same clock. A
schema name containing "quota" makes every sync wait `reschedule_seconds` first.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest

from conn_shared.sim.clock import SimClock
from conn_shared.sim.server import SimServer
from dagster_conn import ConnectionProps, ConnectionResource, build_connection_assets
from tests.dagster.support import (
    SYNC_ROUTE,
    credential_env,
    make_resources,
    ready_connection,
    secrets_of,
    spec_of,
)

RESCHEDULE_SECONDS = 1.5


@pytest.fixture(scope="module")
def real_time_sim() -> Iterator[SimServer]:
    options = {"sync_seconds": 0.3, "historical_sync_seconds": 0.3}
    options["reschedule_seconds"] = RESCHEDULE_SECONDS
    with SimServer(clock=SimClock(speed=1.0), fivetran_options=options) as sim:
        yield sim


@pytest.fixture
def fivetran(real_time_sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> ConnectionResource:
    real_time_sim.reset()
    for name, value in credential_env(real_time_sim).items():
        monkeypatch.setenv(name, value)
    resources = make_resources(real_time_sim, poll_interval=0.1, max_poll_interval=0.2)
    return resources["fivetran"]


def _quota_asset(label: str) -> Any:
    props = ConnectionProps(
        name=label,
        backend="fivetran",
        spec=spec_of("fivetran", label),
        secrets=secrets_of("fivetran"),
    )
    (asset,) = build_connection_assets(connections=[props])
    return asset


def _run(
    asset: Any, fivetran: ConnectionResource, instance: dg.DagsterInstance, choice: str
) -> dg.ExecuteInProcessResult:
    config = {"on_rescheduled": choice, "rescheduled_max_retries": 2}
    return dg.materialize(
        [asset],
        resources={"fivetran": fivetran},
        run_config={"ops": {asset.node_def.name: {"config": config}}},
        instance=instance,
        raise_on_error=False,
    )


def test_retry_requests_a_retry_at_the_vendors_time_and_the_retry_reattaches(
    real_time_sim: SimServer, fivetran: ConnectionResource, instance: dg.DagsterInstance
) -> None:
    ready_connection(fivetran, "quota_shop")

    result = _run(_quota_asset("quota_shop"), fivetran, instance, "retry")

    assert result.success
    retries = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert retries
    assert 0 < retries[0].seconds_to_wait <= RESCHEDULE_SECONDS + 0.5
    (materialization,) = result.get_asset_materialization_events()
    assert materialization.materialization.metadata["conn/state"].value == "succeeded"
    assert real_time_sim.count("fivetran", "POST", SYNC_ROUTE["fivetran"]) == 1


def test_fail_ends_the_step_at_once_saying_when_the_vendor_will_run_it(
    real_time_sim: SimServer, fivetran: ConnectionResource, instance: dg.DagsterInstance
) -> None:
    ready_connection(fivetran, "quota_fail")

    result = _run(_quota_asset("quota_fail"), fivetran, instance, "fail")

    assert not result.success
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    (failure,) = failures
    assert "rescheduled by the vendor until" in str(failure.step_failure_data.error)
    retried = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert not retried
