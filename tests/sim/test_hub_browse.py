"""The hub simulator's browsing endpoints: files, selections, tables, samples and SQL."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import HUB_TOKEN
from conn_shared.sim.hub import HubSim
from conn_shared.sim.server import SimServer

AUTH = {"Authorization": f"Bearer {HUB_TOKEN}"}
BASE = "/api/v1/connections"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SimServer, HubSim, SimClock]]:
    clock = SimClock(speed=1e-9, start=1_767_225_600.0)
    sim = HubSim(clock, tokens=[HUB_TOKEN])
    with SimServer(backends=[sim], clock=clock) as server:
        yield server, sim, clock


@pytest.fixture
def api(served: tuple[SimServer, HubSim, SimClock]) -> Iterator[httpx.Client]:
    server, sim, clock = served
    sim.reset()
    clock.advance(1000)
    with httpx.Client(base_url=server.base_url("hub"), headers=AUTH) as client:
        yield client


def connection(api: httpx.Client, provider: str) -> str:
    response = api.post(BASE, json={"name": f"My {provider}", "provider": provider})
    assert response.status_code == 201, response.text
    ident: str = response.json()["id"]
    return ident


@pytest.fixture
def drive(api: httpx.Client) -> str:
    return connection(api, "google_drive")


@pytest.fixture
def db(api: httpx.Client) -> str:
    return connection(api, "postgres")


# -- files ----------------------------------------------------------------------------------


def test_root_listing_pages_with_tokens(api: httpx.Client, drive: str) -> None:
    first = api.get(f"{BASE}/{drive}/files").json()
    assert first["path"] == "/"
    assert [(i["name"], i["kind"]) for i in first["items"]] == [
        ("exports", "folder"),
        ("reports", "folder"),
        ("customers.csv", "file"),
        ("inventory.json", "file"),
        ("orders.csv", "file"),
    ]
    assert first["nextPageToken"]
    second = api.get(
        f"{BASE}/{drive}/files", params={"path": "/", "page_token": first["nextPageToken"]}
    ).json()
    assert [i["name"] for i in second["items"]] == ["products.csv", "readme.txt"]
    assert second["nextPageToken"] is None
    item = first["items"][2]
    assert item == {
        "id": item["id"],
        "kind": "file",
        "mimeType": "text/csv",
        "modifiedAt": "2026-03-01T10:00:00Z",
        "name": "customers.csv",
        "path": "/customers.csv",
        "size": 48213,
    }


def test_folder_by_path_or_id(api: httpx.Client, drive: str) -> None:
    root = api.get(f"{BASE}/{drive}/files").json()["items"]
    reports_id = next(i["id"] for i in root if i["name"] == "reports")
    for path in ("/reports", "reports/", reports_id):
        listing = api.get(f"{BASE}/{drive}/files", params={"path": path}).json()
        assert listing["path"] == "/reports"
        assert [i["path"] for i in listing["items"]] == ["/reports/2026", "/reports/summary.pdf"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        pytest.param({"path": "/nope"}, 404, id="unknown-path"),
        pytest.param({"path": "/readme.txt"}, 400, id="a-file"),
        pytest.param({"page_token": "garbage!"}, 422, id="bad-token"),
    ],
)
def test_listing_errors(api: httpx.Client, drive: str, params: dict[str, str], status: int) -> None:
    response = api.get(f"{BASE}/{drive}/files", params=params)
    assert response.status_code == status
    assert response.json()["detail"]


def test_a_token_only_works_for_its_own_folder(api: httpx.Client, drive: str) -> None:
    token = api.get(f"{BASE}/{drive}/files").json()["nextPageToken"]
    response = api.get(f"{BASE}/{drive}/files", params={"path": "/reports", "page_token": token})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "page_token"]


def test_browsing_stamps_last_used(api: httpx.Client, drive: str) -> None:
    assert api.get(f"{BASE}/{drive}").json()["lastUsedAt"] is None
    api.get(f"{BASE}/{drive}/files")
    assert api.get(f"{BASE}/{drive}").json()["lastUsedAt"] is not None


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        pytest.param(
            ["/customers.csv", "/reports"],
            {"valid": True, "codes": [], "totalItems": 4, "totalBytes": 278_709, "maxDepth": 3},
            id="valid",
        ),
        pytest.param(
            ["/customers.csv", "/missing.csv"],
            {
                "valid": False,
                "codes": ["not_found"],
                "totalItems": 1,
                "totalBytes": 48_213,
                "maxDepth": 1,
            },
            id="not-found",
        ),
        pytest.param(
            ["/reports", "/reports/2026/q1.csv"],
            {
                "valid": False,
                "codes": ["duplicate"],
                "totalItems": 3,
                "totalBytes": 230_496,
                "maxDepth": 3,
            },
            id="inside-a-selected-folder",
        ),
        pytest.param(
            ["/exports"],
            {
                "valid": False,
                "codes": ["too_large"],
                "totalItems": 2,
                "totalBytes": 12_596_400,
                "maxDepth": 2,
            },
            id="too-large",
        ),
    ],
)
def test_validate_selection(
    api: httpx.Client, drive: str, selected: list[str], expected: dict[str, Any]
) -> None:
    response = api.post(f"{BASE}/{drive}/files/validate", json={"selectedItems": selected})
    assert response.status_code == 200
    body = response.json()
    assert [v["code"] for v in body["violations"]] == expected.pop("codes")
    assert {k: body[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        pytest.param({"selectedItems": []}, "too_short", id="empty"),
        pytest.param({}, "missing", id="missing"),
        pytest.param({"selectedItems": "/a"}, "list_type", id="not-a-list"),
        pytest.param({"selectedItems": [1]}, "string_type", id="not-strings"),
    ],
)
def test_validate_selection_errors(
    api: httpx.Client, drive: str, body: dict[str, Any], kind: str
) -> None:
    response = api.post(f"{BASE}/{drive}/files/validate", json=body)
    assert response.status_code == 422
    assert [p["type"] for p in response.json()["detail"]] == [kind]


def test_capabilities_follow_the_provider(api: httpx.Client, drive: str, db: str) -> None:
    files = api.get(f"{BASE}/{db}/files")
    assert files.status_code == 400
    assert files.json() == {"detail": "Provider 'postgres' does not support file browsing"}
    tables = api.get(f"{BASE}/{drive}/schema/tables")
    assert tables.status_code == 400
    assert tables.json() == {"detail": "Provider 'google_drive' does not support schema browsing"}


def test_disabled_connections_cannot_browse(api: httpx.Client, drive: str, db: str) -> None:
    for ident in (drive, db):
        api.post(f"{BASE}/{ident}/disable")
    assert api.get(f"{BASE}/{drive}/files").status_code == 409
    query = api.post(f"{BASE}/{db}/schema/query", json={"sql": "select 1"})
    assert (query.status_code, query.json()) == (409, {"detail": "Connection is disabled"})


# -- schema ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "specs"),
    [
        pytest.param(
            {}, ["analytics.daily_revenue", "public.customers", "public.orders"], id="user"
        ),
        pytest.param(
            {"include_system": "true"},
            [
                "analytics.daily_revenue",
                "information_schema.columns",
                "information_schema.tables",
                "public.customers",
                "public.orders",
            ],
            id="with-system",
        ),
    ],
)
def test_tables(api: httpx.Client, db: str, params: dict[str, str], specs: list[str]) -> None:
    tables = api.get(f"{BASE}/{db}/schema/tables", params=params).json()["tables"]
    assert [t["spec"] for t in tables] == specs
    assert tables[0] == {
        "schema": "analytics",
        "table": "daily_revenue",
        "normalizedName": "daily_revenue",
        "spec": "analytics.daily_revenue",
    }


def test_tables_flag_must_be_boolean(api: httpx.Client, db: str) -> None:
    response = api.get(f"{BASE}/{db}/schema/tables", params={"include_system": "maybe"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "bool_parsing"


def test_columns(api: httpx.Client, db: str) -> None:
    body = api.get(
        f"{BASE}/{db}/schema/columns", params={"schema": "public", "table": "customers"}
    ).json()
    assert (body["schema"], body["table"]) == ("public", "customers")
    by_name = {c["name"]: c for c in body["columns"]}
    assert by_name["id"] == {
        "name": "id",
        "normalizedName": "id",
        "dataType": "integer",
        "nullable": False,
        "primaryKey": True,
    }
    assert by_name["Signup Source"]["normalizedName"] == "signup_source"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        pytest.param({"schema": "public"}, 422, id="no-table"),
        pytest.param({}, 422, id="nothing"),
        pytest.param({"schema": "public", "table": "nope"}, 404, id="unknown"),
    ],
)
def test_columns_errors(api: httpx.Client, db: str, params: dict[str, str], status: int) -> None:
    response = api.get(f"{BASE}/{db}/schema/columns", params=params)
    assert response.status_code == status


@pytest.mark.parametrize(
    ("table", "count", "truncated"),
    [
        pytest.param("orders", 10, True, id="orders"),
        pytest.param("daily_revenue", 7, False, id="revenue"),
    ],
)
def test_sample(api: httpx.Client, db: str, table: str, count: int, truncated: bool) -> None:
    schema = "public" if table == "orders" else "analytics"
    body = api.post(f"{BASE}/{db}/schema/sample", json={"schema": schema, "table": table}).json()
    assert (body["rowCount"], len(body["rows"]), body["maxRows"], body["truncated"]) == (
        count,
        count,
        10,
        truncated,
    )
    assert set(body["rows"][0]) == {c["name"] for c in body["columns"]}


def test_sample_errors(api: httpx.Client, db: str) -> None:
    missing = api.post(f"{BASE}/{db}/schema/sample", json={"schema": "public"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "table"]
    unknown = api.post(f"{BASE}/{db}/schema/sample", json={"schema": "public", "table": "x"})
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Table public.x not found"})


def query(api: httpx.Client, ident: str, sql: str) -> httpx.Response:
    return api.post(f"{BASE}/{ident}/schema/query", json={"sql": sql})


@pytest.mark.parametrize(
    ("sql", "columns", "rows"),
    [
        pytest.param(
            "SELECT id, name AS who FROM customers WHERE country = 'US' ORDER BY id DESC LIMIT 2",
            ["id", "who"],
            [{"id": 9, "who": "Alan Liskov"}, {"id": 5, "who": "Barbara Turing"}],
            id="columns-where-order-limit",
        ),
        pytest.param(
            "select * from analytics.daily_revenue limit 1;",
            ["day", "orders", "revenue"],
            [{"day": "2026-03-01", "orders": 4, "revenue": 250.5}],
            id="star",
        ),
        pytest.param(
            "SELECT DISTINCT status FROM public.orders ORDER BY status",
            ["status"],
            [{"status": "paid"}, {"status": "pending"}, {"status": "refunded"}],
            id="distinct",
        ),
        pytest.param(
            'SELECT id FROM customers WHERE "Signup Source" IS NULL AND id >= 8',
            ["id"],
            [{"id": 8}, {"id": 12}],
            id="quoted-is-null",
        ),
        pytest.param(
            "SELECT table_name FROM information_schema.tables WHERE table_schema <> 'public'",
            ["table_name"],
            [{"table_name": "daily_revenue"}],
            id="system-table",
        ),
    ],
)
def test_query_results(
    api: httpx.Client, db: str, sql: str, columns: list[str], rows: list[dict[str, Any]]
) -> None:
    body = query(api, db, sql).json()
    assert (body["columns"], body["rows"], body["rowCount"]) == (columns, rows, len(rows))
    assert body["truncated"] is False
    assert len(body["queryHash"]) == 64


def test_query_truncates_and_reports_table_refs(api: httpx.Client, db: str) -> None:
    body = query(api, db, "SELECT * FROM orders").json()
    assert (body["rowCount"], body["maxRows"], body["truncated"]) == (20, 20, True)
    assert body["tableRefs"] == [{"schema": "public", "table": "orders"}]
    same = query(api, db, "  SELECT *\n FROM   orders ;").json()
    assert same["queryHash"] == body["queryHash"]
    assert query(api, db, "SELECT id FROM orders").json()["queryHash"] != body["queryHash"]


@pytest.mark.parametrize(
    ("sql", "kind", "message"),
    [
        pytest.param("DELETE FROM customers", "value_error", "Only SELECT statements", id="delete"),
        pytest.param(
            "SELECT * FROM customers; DROP TABLE customers",
            "value_error",
            "single statement",
            id="two",
        ),
        pytest.param("SELECT * FROM nope", "value_error", "does not exist", id="table"),
        pytest.param("SELECT zz FROM customers", "value_error", "Column 'zz'", id="column"),
        pytest.param("SELECT * FROM customers LIMIT x", "value_error", "LIMIT", id="limit"),
        pytest.param("", "string_too_short", "at least 1 character", id="empty"),
        pytest.param("SELECT " + "x" * 10_000, "string_too_long", "at most 10000", id="long"),
    ],
)
def test_query_rejections(api: httpx.Client, db: str, sql: str, kind: str, message: str) -> None:
    response = query(api, db, sql)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert (problem["loc"], problem["type"]) == (["body", "sql"], kind)
    assert message in problem["msg"]
