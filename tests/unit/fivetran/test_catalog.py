"""The Fivetran catalog and health mapping: schema config to tables, the 404 before capture."""

from typing import Any

import httpx
import pytest

from conn_shared import ConnectionCatalog, NotFoundError, ReadinessState, SyncExecutor, get_catalog
from conn_shared.backends.fivetran.models import Connection, StandardConfig
from conn_shared.backends.fivetran.states import enabled_tables, health_of
from tests.unit.fivetran.support import T1, T2, backend, connection, envelope, error

SCHEMAS = "/v1/connections/conn_1/schemas"


def _tree() -> dict[str, Any]:
    return {
        "schemas": {
            "public": {
                "enabled": True,
                "name_in_destination": "shop_public",
                "tables": {
                    "orders": {
                        "enabled": True,
                        "columns": {
                            "id": {"enabled": True, "is_primary_key": True},
                            "note": {"enabled": False},
                        },
                    },
                    "Users": {"enabled": True, "name_in_destination": "users"},
                    "audit": {"enabled": False},
                },
            },
            "internal": {"enabled": False, "tables": {"t": {"enabled": True}}},
        }
    }


def test_enabled_tables_use_destination_names_and_skip_disabled() -> None:
    found = enabled_tables(StandardConfig.model_validate(_tree()))
    assert [(s, t, f"{i.schema_name}.{i.table}") for s, t, i in found] == [
        ("public", "orders", "shop_public.orders"),
        ("public", "Users", "shop_public.users"),
    ]
    assert [(c.name, c.primary_key) for c in found[0][2].columns] == [("id", True)]


def _run(handler: Any, *, columns: bool = True) -> ConnectionCatalog:
    fivetran = backend()
    transport = httpx.MockTransport(handler)
    with SyncExecutor(fivetran.profile(), transport=transport) as executor:
        return executor.run(get_catalog(fivetran, "conn_1", columns=columns))


def test_catalog_reads_columns_of_tables_listed_without_them() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        if request.url.path == SCHEMAS:
            return httpx.Response(200, json=envelope(_tree()))
        columns = {"id": {"enabled": True}, "email": {"enabled": True}}
        return httpx.Response(200, json=envelope({"columns": columns}))

    catalog = _run(handler)
    assert catalog.tables is not None
    assert [[c.name for c in t.columns] for t in catalog.tables] == [["id"], ["id", "email"]]
    assert sent == [f"GET {SCHEMAS}", f"GET {SCHEMAS}/public/tables/Users/columns"]


def test_without_columns_the_catalog_is_one_get() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json=envelope(_tree()))

    catalog = _run(handler, columns=False)
    assert catalog.tables is not None
    assert [[c.name for c in t.columns] for t in catalog.tables] == [["id"], []]
    assert sent == [f"GET {SCHEMAS}"]


def test_no_schema_config_yet_gives_a_catalog_without_tables() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return error(404, "NotFound_SchemaConfig", "Connection has no schema config yet")

    catalog = _run(handler)
    assert catalog.tables is None
    assert catalog.reason is not None
    assert "setup tests" in catalog.reason


def test_another_404_is_raised() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return error(404, "NotFound_Connection", "Connection with id 'conn_1' not found")

    with pytest.raises(NotFoundError, match="conn_1"):
        _run(handler)


@pytest.mark.parametrize(
    ("fields", "ready", "paused", "synced", "failed"),
    [
        pytest.param({}, ReadinessState.READY, False, None, None, id="never-synced"),
        pytest.param(
            {"succeeded_at": T2, "failed_at": T1, "paused": True},
            ReadinessState.READY,
            True,
            T2,
            T1,
            id="paused-after-syncs",
        ),
        pytest.param(
            {"status": {"setup_state": "broken"}},
            ReadinessState.FAILED,
            False,
            None,
            None,
            id="broken",
        ),
    ],
)
def test_health_of(
    fields: dict[str, Any],
    ready: ReadinessState,
    paused: bool,
    synced: str | None,
    failed: str | None,
) -> None:
    health = health_of(Connection.model_validate(connection(**fields)))
    assert (health.readiness, health.paused) == (ready, paused)
    iso = (health.last_synced_at, health.last_failed_at)
    assert tuple(t.strftime("%Y-%m-%dT%H:%M:%S") if t else None for t in iso) == tuple(
        t[:19] if t else None for t in (synced, failed)
    )
