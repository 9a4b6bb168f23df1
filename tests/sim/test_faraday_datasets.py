"""The Faraday simulator's datasets, connections in use, archiving, and its option tables.

Responses are checked against the Faraday definition by a response hook, as in
test_faraday_connections.py; the option tables are compared with the definition.
"""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import FARADAY_API_KEY
from conn_shared.sim.faraday import FaradaySim
from conn_shared.sim.faraday.options import CONNECTION_OPTIONS, DATASET_OPTIONS
from conn_shared.sim.server import SimServer
from tests.support.openapi import SPECS_DIR, SpecValidator

BUILD = 60.0
AUTH = {"Authorization": f"Bearer {FARADAY_API_KEY}"}
PATCH = {"Content-Type": "application/merge-patch+json"}
POSTGRES: dict[str, Any] = {
    "type": "postgres",
    "host": "db.example.com",
    "port": 5432,
    "user": "loader",
    "password": "s3cret-pw",
    "database": "shop",
    "schema": "public",
}
IDENTITY = {"customer": {"email": "email"}}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SimServer, FaradaySim, SimClock]]:
    clock = SimClock(speed=1e-9, start=1_767_225_600.0)
    sim = FaradaySim(clock, api_keys=[FARADAY_API_KEY], build_seconds=BUILD)
    with SimServer(backends=[sim], clock=clock) as server:
        yield server, sim, clock


def _spec_hook(response: httpx.Response) -> None:
    response.read()
    path = response.request.url.path.removeprefix("/faraday/v1")
    body = response.json() if response.content else None
    SpecValidator.load("faraday").validate_response(
        response.request.method, path, response.status_code, body
    )


@pytest.fixture
def clock(served: tuple[SimServer, FaradaySim, SimClock]) -> SimClock:
    return served[2]


@pytest.fixture
def api(served: tuple[SimServer, FaradaySim, SimClock]) -> Iterator[httpx.Client]:
    server, sim, clock = served
    sim.reset()
    clock.advance(1000)
    with httpx.Client(
        base_url=server.base_url("faraday"),
        headers=AUTH,
        event_hooks={"response": [_spec_hook]},
    ) as client:
        yield client


def connection(api: httpx.Client, **options: Any) -> str:
    body = {"name": "Shop DB", "options": {**POSTGRES, **options}}
    response = api.post("/connections", json=body)
    assert response.status_code == 201, response.text
    ident: str = response.json()["id"]
    return ident


def dataset(api: httpx.Client, connection_id: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Customers",
        "options": {"type": "postgres", "table_name": "customers"},
        "identity_sets": IDENTITY,
        **extra,
    }
    if connection_id is not None:
        body["connection_id"] = connection_id
    response = api.post("/datasets", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_dataset_create_get_list(api: httpx.Client) -> None:
    conn = connection(api)
    created = dataset(api, conn, upsert_columns=["id"], privacy="suppress")
    assert created["status"] == "new"
    assert created["connection_id"] == conn
    assert created["resource_type"] == "datasets"
    assert created["upsert_columns"] == ["id"]
    assert created["identity_sets"] == IDENTITY
    assert api.get(f"/datasets/{created['id']}").json()["name"] == "Customers"
    assert [d["id"] for d in api.get("/datasets").json()] == [created["id"]]
    assert [d["id"] for d in api.get(f"/connections/{conn}/datasets").json()] == [created["id"]]


def test_dataset_build_results_appear_when_ready(api: httpx.Client, clock: SimClock) -> None:
    created = dataset(api, connection(api))
    assert "row_count" not in created
    clock.advance(BUILD)
    ready = api.get(f"/datasets/{created['id']}").json()
    assert ready["status"] == "ready"
    assert 1000 <= ready["row_count"] < 10000
    assert [c["name"] for c in ready["detected_columns"]] == ["id", "email", "amount", "updated_at"]


def test_dataset_on_a_failing_connection_fails(api: httpx.Client, clock: SimClock) -> None:
    conn = connection(api, host="fail.example.com")
    created = dataset(api, conn)
    clock.advance(BUILD)
    body = api.get(f"/datasets/{created['id']}").json()
    assert body["status"] == "error"
    assert body["status_error"].startswith(f"Connection {conn} is in error: Could not connect")


def test_delete_connection_in_use_is_a_conflict_naming_the_datasets(api: httpx.Client) -> None:
    conn = connection(api)
    first = dataset(api, conn, name="Customers")
    second = dataset(api, conn, name="Orders")
    response = api.delete(f"/connections/{conn}")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "CONFLICT"
    for used in (first, second):
        assert f"{used['name']} ({used['id']})" in body["note"]
    for used in (first, second):
        assert api.delete(f"/datasets/{used['id']}").status_code == 204
    assert api.get(f"/datasets/{first['id']}").status_code == 404
    assert api.delete(f"/connections/{conn}").status_code == 204


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({"identity_sets": None}, {("/identity_sets", "required")}, id="no-identity"),
        pytest.param(
            {"connection_id": "5e0dfa56-2d52-4c06-a870-bc79c71e86a3"},
            {("/connection_id", "reference")},
            id="unknown-connection",
        ),
        pytest.param(
            {"options": {"type": "mysql", "table_name": "t"}},
            {("/options/type", "const")},
            id="type-mismatch",
        ),
        pytest.param(
            {"options": {"type": "postgres"}}, {("/options/table_name", "required")}, id="no-table"
        ),
        pytest.param({"privacy": "share"}, {("/privacy", "enum")}, id="bad-privacy"),
        pytest.param({"preview": "yes"}, {("/preview", "type")}, id="bad-preview"),
    ],
)
def test_dataset_validation(
    api: httpx.Client, change: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    body: dict[str, Any] = {
        "name": "Customers",
        "connection_id": connection(api),
        "options": {"type": "postgres", "table_name": "customers"},
        "identity_sets": IDENTITY,
    }
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post("/datasets", json=body)
    assert response.status_code == 400
    errors = response.json()["validationErrors"]
    assert {(e["path"], e["context"]["errorType"]) for e in errors} == expected


def test_connection_needed_unless_the_type_reads_uploads(api: httpx.Client) -> None:
    response = api.post(
        "/datasets",
        json={
            "name": "x",
            "options": {"type": "postgres", "table_name": "t"},
            "identity_sets": {},
        },
    )
    assert response.status_code == 400
    assert response.json()["validationErrors"][0]["path"] == "/connection_id"
    uploaded = api.post(
        "/datasets",
        json={
            "name": "Uploads",
            "options": {"type": "hosted_csv", "upload_directory": "orders"},
            "identity_sets": {},
        },
    )
    assert uploaded.status_code == 201
    assert "connection_id" not in uploaded.json()


def test_dataset_patch_merges_and_null_deletes(api: httpx.Client, clock: SimClock) -> None:
    created = dataset(api, connection(api), upsert_columns=["id"], incremental_column="updated_at")
    clock.advance(BUILD)
    patch = {
        "name": "Customers v2",
        "incremental_column": None,
        "options": {"type": "postgres", "table_name": "people"},
    }
    response = api.patch(f"/datasets/{created['id']}", json=patch, headers=PATCH)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Customers v2"
    assert "incremental_column" not in body
    assert body["upsert_columns"] == ["id"]
    assert body["options"]["table_name"] == "people"
    assert body["status"] == "new"


def test_archive_cascades_only_when_asked(api: httpx.Client) -> None:
    conn = connection(api)
    used = dataset(api, conn)
    refused = api.post(f"/connections/{conn}/archive", json={})
    assert refused.status_code == 409
    assert used["id"] in refused.json()["note"]
    assert "archived_at" not in api.get(f"/connections/{conn}").json()
    assert (
        api.post(f"/connections/{conn}/archive", json={"cascade_to": [used["id"]]}).status_code
        == 204
    )
    assert "archived_at" in api.get(f"/connections/{conn}").json()
    assert "archived_at" in api.get(f"/datasets/{used['id']}").json()
    forced = api.post(f"/datasets/{used['id']}/force_update")
    assert forced.status_code == 409
    # Unarchiving the dataset needs its archived connection back too.
    assert api.post(f"/datasets/{used['id']}/unarchive", json={}).status_code == 409
    assert (
        api.post(f"/datasets/{used['id']}/unarchive", json={"cascade_to_all": True}).status_code
        == 204
    )
    assert "archived_at" not in api.get(f"/connections/{conn}").json()
    assert "archived_at" not in api.get(f"/datasets/{used['id']}").json()


def test_archive_unarchive_a_connection_without_users(api: httpx.Client) -> None:
    conn = connection(api)
    assert api.post(f"/connections/{conn}/archive", json={}).status_code == 204
    assert api.post(f"/connections/{conn}/force_update").status_code == 409
    assert api.post(f"/connections/{conn}/unarchive", json={}).status_code == 204
    assert api.post(f"/connections/{conn}/force_update").status_code == 202
    bad = api.post(f"/connections/{conn}/archive", json={"cascade_to": "all"})
    assert bad.status_code == 400
    missing = api.post(f"/connections/{conn}/archive")
    assert missing.status_code == 400


def test_dataset_force_update_and_ids_filter(api: httpx.Client, clock: SimClock) -> None:
    conn = connection(api)
    first, second = dataset(api, conn), dataset(api, conn)
    clock.advance(BUILD)
    assert api.post(f"/datasets/{first['id']}/force_update").status_code == 202
    statuses = {d["id"]: d["status"] for d in api.get("/datasets").json()}
    assert statuses == {first["id"]: "new", second["id"]: "ready"}
    only = api.get("/datasets", params={"ids": second["id"]}).json()
    assert [d["id"] for d in only] == [second["id"]]


def _spec_tables(prefix: str) -> dict[str, tuple[set[str], set[str]]]:
    """(required, properties) of each `{prefix}*Post` option schema in the definition."""
    spec = json.loads((SPECS_DIR / "faraday-connections.json").read_text("utf-8"))
    schemas = spec["components"]["schemas"]
    mapping = schemas[f"{prefix}Post"]["discriminator"]["mapping"]
    found = {}
    for kind, ref in mapping.items():
        schema = schemas[ref.rsplit("/", 1)[-1]]
        found[kind] = (set(schema.get("required", [])), set(schema["properties"]))
    return found


@pytest.mark.parametrize(
    ("prefix", "table"),
    [
        pytest.param("ConnectionOptions", CONNECTION_OPTIONS, id="connections"),
        pytest.param("DatasetOptions", DATASET_OPTIONS, id="datasets"),
    ],
)
def test_option_tables_match_the_definition(
    prefix: str, table: dict[str, dict[str, tuple[bool, str]]]
) -> None:
    expected = _spec_tables(prefix)
    assert set(table) == set(expected)
    for kind, fields in table.items():
        required = {name for name, (needed, _) in fields.items() if needed} | {"type"}
        assert (required, set(fields) | {"type"}) == expected[kind], kind
