"""get_connection_health and get_catalog against the simulator, on every backend.

Both are reads: the simulator sees GETs only. Health follows the connection through
a sync and a pause; the catalog lists Fivetran's enabled tables with their columns,
the hub's schema tables with column types, and Faraday's contents (row counts) and
the datasets built from the connection.
"""

from typing import Any

import pytest

from conn_shared import (
    ConnectionCatalog,
    ReadinessState,
    Step,
    get_catalog,
    get_connection_health,
    pause_connection,
    trigger_sync,
    verify_connection,
    wait_for_sync,
    wait_until_ready,
)
from conn_shared.lifecycle import ensure_connection
from conn_shared.sim.server import SimServer
from tests.integration.conftest import DriverFactory
from tests.integration.support import BACKENDS, WAIT, Driver, make_spec
from tests.support.faraday import create_dataset

BACKEND_PARAMS = [pytest.param(name, id=name) for name in BACKENDS]


def _ready(driver: Driver, name: str, **spec: Any) -> str:
    backend = driver.backend
    connection_id = driver.run(ensure_connection(backend, make_spec(name, **spec)))
    connection_id = connection_id.connection.connection_id
    if Step.VERIFY in backend.capabilities:
        driver.run(verify_connection(backend, connection_id))
    driver.run(wait_until_ready(backend, connection_id, policy=WAIT))
    return connection_id


def _writes(sim: SimServer) -> int:
    return sum(int(r["count"]) for r in sim.request_counts() if r["method"] != "GET")


@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_health_through_a_sync_and_a_pause(
    sim: SimServer, drivers: DriverFactory, name: str
) -> None:
    driver = drivers(name, "sync")
    backend = driver.backend
    connection_id = _ready(driver, name, label="health_pg")
    writes = _writes(sim)
    health = driver.run(get_connection_health(backend, connection_id))
    assert _writes(sim) == writes
    assert (health.connection_id, health.readiness, health.name) == (
        connection_id,
        ReadinessState.READY,
        "health_pg",
    )
    assert health.paused is (None if Step.PAUSE not in backend.capabilities else False)

    if Step.SYNC in backend.capabilities:
        handle = driver.run(trigger_sync(backend, connection_id))
        outcome = driver.run(wait_for_sync(backend, handle, policy=WAIT))
        synced = driver.run(get_connection_health(backend, connection_id))
        assert synced.last_synced_at == outcome.finished_at
        assert synced.last_synced_at is not None
    else:
        assert health.last_synced_at is None
    if Step.PAUSE in backend.capabilities:
        driver.run(pause_connection(backend, connection_id))
        assert driver.run(get_connection_health(backend, connection_id)).paused is True


def _catalog(sim: SimServer, driver: Driver, connection_id: str) -> ConnectionCatalog:
    writes = _writes(sim)
    catalog = driver.run(get_catalog(driver.backend, connection_id))
    assert _writes(sim) == writes
    assert catalog.connection_id == connection_id
    return catalog


@pytest.mark.parametrize(
    "mode", [pytest.param("sync", id="sync"), pytest.param("async", id="async")]
)
def test_fivetran_catalog_lists_enabled_tables_with_columns(
    sim: SimServer, drivers: DriverFactory, mode: str
) -> None:
    driver = drivers("fivetran", mode)
    catalog = _catalog(sim, driver, _ready(driver, "fivetran", label="shop"))
    assert catalog.tables
    assert {t.schema_name for t in catalog.tables} == {"shop_public"}
    assert all(t.columns for t in catalog.tables)
    assert any(c.primary_key for c in catalog.tables[0].columns)


def test_hub_catalog_lists_schema_tables_with_column_types(
    sim: SimServer, drivers: DriverFactory
) -> None:
    driver = drivers("hub", "sync")
    connection_id = _ready(driver, "hub")
    catalog = _catalog(sim, driver, connection_id)
    before = driver.stats.requests
    bare = driver.run(get_catalog(driver.backend, connection_id, columns=False))

    assert catalog.tables
    typed = [c for t in catalog.tables for c in t.columns]
    assert typed
    assert all(c.data_type for c in typed)
    assert bare.tables is not None
    assert [t.table for t in bare.tables] == [t.table for t in catalog.tables]
    assert all(not t.columns for t in bare.tables)
    assert driver.stats.requests == before + 1


def test_hub_catalog_of_a_disabled_connection_says_why_it_has_no_tables(
    sim: SimServer, drivers: DriverFactory
) -> None:
    driver = drivers("hub", "sync")
    connection_id = _ready(driver, "hub")
    driver.run(pause_connection(driver.backend, connection_id))
    catalog = _catalog(sim, driver, connection_id)
    assert catalog.tables is None
    assert catalog.reason


def test_faraday_catalog_has_contents_row_counts_and_built_datasets(
    sim: SimServer, drivers: DriverFactory
) -> None:
    driver = drivers("faraday", "sync")
    connection_id = _ready(driver, "faraday")
    created = create_dataset(sim, connection_id)
    sim.advance(120)

    catalog = _catalog(sim, driver, connection_id)
    assert catalog.tables is None
    assert {(t.table, t.row_count) for t in catalog.contents} >= {("customers", 1200)}
    (dataset,) = catalog.datasets
    assert (dataset.dataset_id, dataset.name) == (created["id"], "Customers")
    assert dataset.readiness is ReadinessState.READY
    assert dataset.last_updated_at is not None
    assert dataset.row_count
    assert [c.name for c in dataset.columns][:2] == ["id", "email"]
