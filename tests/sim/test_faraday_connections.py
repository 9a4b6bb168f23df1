"""The Faraday simulator's connections, auth and builds, over HTTP on loopback.

Every response is checked against the Faraday definition (tests/specs) by a
response hook, so each test also proves its bodies and status codes are ones the
spec declares. Time moves only when a test advances the simulator clock.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import FARADAY_API_KEY, FARADAY_EXPIRED_API_KEY
from conn_shared.sim.faraday import FaradaySim
from conn_shared.sim.server import SimServer
from tests.support.openapi import SpecValidator

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
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


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SimServer, FaradaySim, SimClock]]:
    # A clock that only moves when advanced: statuses are exact, never timed.
    clock = SimClock(speed=1e-9, start=START)
    sim = FaradaySim(
        clock,
        api_keys=[FARADAY_API_KEY],
        expired_keys=[FARADAY_EXPIRED_API_KEY],
        build_seconds=BUILD,
    )
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
def sim(served: tuple[SimServer, FaradaySim, SimClock]) -> FaradaySim:
    return served[1]


@pytest.fixture
def api(served: tuple[SimServer, FaradaySim, SimClock]) -> Iterator[httpx.Client]:
    server, sim, clock = served
    sim.reset()
    # Each test starts a fresh minute so its offsets from `t0` are exact.
    clock.advance(1000)
    with httpx.Client(
        base_url=server.base_url("faraday"),
        headers=AUTH,
        event_hooks={"response": [_spec_hook]},
    ) as client:
        yield client


def create(api: httpx.Client, **options: Any) -> dict[str, Any]:
    response = api.post(
        "/connections", json={"name": "Shop DB", "options": {**POSTGRES, **options}}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_returns_the_new_connection(api: httpx.Client, clock: SimClock) -> None:
    now = SimClock.iso(clock.now())
    body = create(api)
    assert body["status"] == "new"
    assert body["name"] == "Shop DB"
    assert body["resource_type"] == "connections"
    assert body["directionality"] == "bidirectional"
    assert body["created_at"] == body["last_updated_config_at"] == body["status_changed_at"] == now
    # The definition requires options (password included) in responses: echoed whole.
    assert body["options"] == POSTGRES
    assert "last_updated_output_at" not in body
    assert api.get(f"/connections/{body['id']}").json()["id"] == body["id"]


def test_build_walks_new_starting_running_ready(api: httpx.Client, clock: SimClock) -> None:
    t0 = clock.now()
    ident = create(api)["id"]
    seen = []
    for at in (0.0, 5.9, 6.0, 11.9, 12.0, 59.9, 60.0):
        clock.advance(max(0.0, t0 + at - clock.now()))
        body = api.get(f"/connections/{ident}").json()
        seen.append((at, body["status"], body["status_changed_at"]))
    assert seen == [
        (0.0, "new", SimClock.iso(t0)),
        (5.9, "new", SimClock.iso(t0)),
        (6.0, "starting", SimClock.iso(t0 + 6)),
        (11.9, "starting", SimClock.iso(t0 + 6)),
        (12.0, "running", SimClock.iso(t0 + 12)),
        (59.9, "running", SimClock.iso(t0 + 12)),
        (60.0, "ready", SimClock.iso(t0 + 60)),
    ]
    ready = api.get(f"/connections/{ident}").json()
    assert ready["last_updated_output_at"] == SimClock.iso(t0 + 60)
    assert ready["last_read_input_at"] == SimClock.iso(t0 + 12)
    assert ready["contents"] == [
        {"name": "customers", "row_count": 1200},
        {"name": "orders", "row_count": 5400},
        {"name": "order_items", "row_count": 16800},
    ]
    assert "status_error" not in ready


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"host": "fail.example.com"},
            "Could not connect: host 'fail.example.com' is unreachable",
            id="host",
        ),
        pytest.param(
            {"password": "please-FAIL"},
            "Authentication failed: the password was rejected",
            id="secret",
        ),
    ],
)
def test_fail_in_an_option_ends_the_build_in_error(
    api: httpx.Client, clock: SimClock, options: dict[str, Any], message: str
) -> None:
    ident = create(api, **options)["id"]
    clock.advance(BUILD)
    body = api.get(f"/connections/{ident}").json()
    assert body["status"] == "error"
    assert body["status_error"] == message
    assert body["contents_error"] == message
    assert "last_updated_output_at" not in body
    assert "contents" not in body


def test_force_update_rebuilds_and_keeps_the_last_output(
    api: httpx.Client, clock: SimClock
) -> None:
    t0 = clock.now()
    ident = create(api)["id"]
    clock.advance(BUILD + 10)
    response = api.post(f"/connections/{ident}/force_update")
    assert response.status_code == 202
    assert response.content == b""
    rebuilding = api.get(f"/connections/{ident}").json()
    assert rebuilding["status"] == "new"
    assert rebuilding["status_changed_at"] == SimClock.iso(t0 + BUILD + 10)
    assert rebuilding["last_updated_output_at"] == SimClock.iso(t0 + BUILD)
    assert rebuilding["last_updated_config_at"] == SimClock.iso(t0)
    clock.advance(BUILD)
    rebuilt = api.get(f"/connections/{ident}").json()
    assert rebuilt["status"] == "ready"
    assert rebuilt["last_updated_output_at"] == SimClock.iso(t0 + 2 * BUILD + 10)


def test_patch_merges_rebuilds_and_null_deletes(api: httpx.Client, clock: SimClock) -> None:
    ident = create(api, ssh_bastion="bastion.example.com")["id"]
    clock.advance(BUILD)
    changed_at = SimClock.iso(clock.now())
    patch = {
        "name": "Shop DB v2",
        "options": {"type": "postgres", "port": 6432, "ssh_bastion": None},
    }
    response = api.patch(f"/connections/{ident}", json=patch, headers=PATCH)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Shop DB v2"
    assert body["options"] == {**POSTGRES, "port": 6432}
    assert body["status"] == "new"
    assert body["last_updated_config_at"] == changed_at
    assert api.get(f"/connections/{ident}").json()["options"]["port"] == 6432


def test_patch_that_breaks_the_build_switch_then_fixes_it(
    api: httpx.Client, clock: SimClock
) -> None:
    ident = create(api)["id"]
    for host, status in (("fail.example.com", "error"), ("db2.example.com", "ready")):
        patch = {"options": {"type": "postgres", "host": host}}
        assert api.patch(f"/connections/{ident}", json=patch, headers=PATCH).status_code == 200
        clock.advance(BUILD)
        assert api.get(f"/connections/{ident}").json()["status"] == status


@pytest.mark.parametrize(
    ("patch", "path", "kind"),
    [
        pytest.param(
            {"options": {"type": "postgres", "host": None}},
            "/options/host",
            "required",
            id="null-required",
        ),
        pytest.param({"options": {"host": "x"}}, "/options/type", "required", id="no-type"),
        pytest.param({"options": {"type": "mysql"}}, "/options/type", "const", id="type-change"),
        pytest.param({"name": "  "}, "/name", "pattern", id="blank-name"),
        pytest.param({"color": "red"}, "/color", "additional", id="unknown-field"),
    ],
)
def test_patch_validation(api: httpx.Client, patch: dict[str, Any], path: str, kind: str) -> None:
    ident = create(api)["id"]
    response = api.patch(f"/connections/{ident}", json=patch, headers=PATCH)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "VALIDATION_FAILED"
    assert {(e["path"], e["context"]["errorType"]) for e in body["validationErrors"]} == {
        (path, kind)
    }
    assert api.get(f"/connections/{ident}").json()["options"] == POSTGRES


def test_patch_needs_the_merge_patch_media_type(api: httpx.Client) -> None:
    ident = create(api)["id"]
    response = api.patch(f"/connections/{ident}", json={"name": "x"})
    assert response.status_code == 400
    assert response.json()["error"] == "BAD_REQUEST"
    assert "merge-patch" in response.json()["note"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"options": POSTGRES}, {("/name", "required")}, id="no-name"),
        pytest.param({"name": "", "options": POSTGRES}, {("/name", "pattern")}, id="empty-name"),
        pytest.param({"name": "x"}, {("/options", "required")}, id="no-options"),
        pytest.param({"name": "x", "options": {}}, {("/options/type", "required")}, id="no-type"),
        pytest.param(
            {"name": "x", "options": {"type": "oracle"}},
            {("/options/type", "enum")},
            id="unknown-type",
        ),
        pytest.param(
            {"name": "x", "options": {**POSTGRES, "port": "5432"}},
            {("/options/port", "type")},
            id="port-as-string",
        ),
        pytest.param(
            {"name": "x", "options": {k: v for k, v in POSTGRES.items() if k != "password"}},
            {("/options/password", "required")},
            id="missing-password",
        ),
        pytest.param(
            {"name": "x", "options": {**POSTGRES, "sslmode": "require"}},
            {("/options/sslmode", "additional")},
            id="unknown-option",
        ),
        pytest.param(
            {
                "name": "x",
                "options": {
                    "type": "bigquery",
                    "dataset_name": "d",
                    "project_id": "p",
                    "region": "mars",
                },
            },
            {("/options/region", "enum")},
            id="bad-enum",
        ),
    ],
)
def test_create_validation_names_each_field(
    api: httpx.Client, body: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    response = api.post("/connections", json=body)
    assert response.status_code == 400
    errors = response.json()["validationErrors"]
    assert {(e["path"], e["context"]["errorType"]) for e in errors} == expected
    assert api.get("/connections").json() == []


@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(b"", "BAD_REQUEST", id="empty"),
        pytest.param(b"{not json", "BAD_REQUEST", id="broken"),
        pytest.param(b"[1, 2]", "VALIDATION_FAILED", id="array"),
    ],
)
def test_create_rejects_bodies_that_are_not_objects(
    api: httpx.Client, content: bytes, code: str
) -> None:
    response = api.post(
        "/connections", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == code


def test_list_filters_by_ids(api: httpx.Client) -> None:
    first, second, _third = (create(api)["id"] for _ in range(3))
    assert len(api.get("/connections").json()) == 3
    listed = api.get("/connections", params={"ids": f"{first},{second}"}).json()
    assert sorted(c["id"] for c in listed) == sorted([first, second])
    bad = api.get("/connections", params={"ids": "not-a-uuid"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("ident", "status", "code"),
    [
        pytest.param("5e0dfa56-2d52-4c06-a870-bc79c71e86a3", 404, "NOT_FOUND", id="unknown"),
        pytest.param("not-a-uuid", 400, "VALIDATION_FAILED", id="malformed"),
    ],
)
def test_get_unknown_or_malformed_id(api: httpx.Client, ident: str, status: int, code: str) -> None:
    response = api.get(f"/connections/{ident}")
    assert response.status_code == status
    assert response.json()["error"] == code
    assert response.json()["id"]


def test_delete_then_gone(api: httpx.Client) -> None:
    ident = create(api)["id"]
    response = api.delete(f"/connections/{ident}")
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"/connections/{ident}").status_code == 404
    assert api.delete(f"/connections/{ident}").status_code == 404


def test_targets_are_always_empty(api: httpx.Client) -> None:
    ident = create(api)["id"]
    assert api.get(f"/connections/{ident}/targets").json() == []


def test_rotate_credentials_replaces_the_generated_key(api: httpx.Client, clock: SimClock) -> None:
    options = {"type": "snowflake", "database": "d", "user": "u", "warehouse": "w"}
    created = api.post("/connections", json={"name": "Snow", "options": options}).json()
    old_key = created["options"]["rsa_public_key"]
    clock.advance(BUILD)
    response = api.post(
        f"/connections/{created['id']}/rotate_credentials", json={"type": "snowflake"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["options"]["rsa_public_key"] != old_key
    assert body["status"] == "new"
    wrong = api.post(
        f"/connections/{created['id']}/rotate_credentials", json={"type": "clickhouse"}
    )
    assert wrong.status_code == 400
    assert wrong.json()["validationErrors"][0]["path"] == "/type"


@pytest.mark.parametrize(
    ("authorization", "status", "code"),
    [
        pytest.param(None, 401, "MISSING_API_KEY", id="missing"),
        pytest.param("Basic c2ltOnNpbQ==", 401, "INVALID_AUTHORIZATION", id="not-bearer"),
        pytest.param("Bearer", 401, "INVALID_AUTHORIZATION", id="no-token"),
        pytest.param("Bearer bad key!", 401, "MALFORMED_API_KEY", id="malformed"),
        pytest.param("Bearer short", 401, "MALFORMED_API_KEY", id="too-short"),
        pytest.param(f"Bearer {FARADAY_EXPIRED_API_KEY}", 401, "EXPIRED_API_KEY", id="expired"),
        pytest.param("Bearer well-formed-but-unknown", 403, "INVALID_AUTHORIZATION", id="unknown"),
    ],
)
def test_auth_failures(
    served: tuple[SimServer, FaradaySim, SimClock],
    authorization: str | None,
    status: int,
    code: str,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(
        base_url=served[0].base_url("faraday"), event_hooks={"response": [_spec_hook]}
    ) as client:
        for method, path in (("GET", "/connections"), ("POST", "/datasets")):
            response = client.request(method, path, headers=headers, json={})
            assert response.status_code == status
            assert response.json()["error"] == code
            assert response.json()["note"]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        pytest.param(400, "BAD_REQUEST", id="400"),
        pytest.param(404, "NOT_FOUND", id="404"),
        pytest.param(429, "BAD_REQUEST", id="429"),
        pytest.param(503, "INTERNAL_SERVER_ERROR", id="503"),
    ],
)
def test_error_response_uses_faraday_codes(sim: FaradaySim, status: int, code: str) -> None:
    response = sim.error_response(status, "Too many requests", headers={"Retry-After": "3"})
    assert response.status_code == status
    assert response.headers["Retry-After"] == "3"
    body = httpx.Response(status, content=bytes(response.body)).json()
    assert body["error"] == code
    assert body["note"] == "Too many requests"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param([(b"authorization", b"Bearer abc123xyz")], "abc123xyz", id="bearer"),
        pytest.param([(b"authorization", b"bearer  abc123xyz ")], "abc123xyz", id="any-case"),
        pytest.param([(b"authorization", b"Basic abc")], None, id="basic"),
        pytest.param([], None, id="none"),
    ],
)
def test_api_key_of_reads_the_bearer_token(
    sim: FaradaySim, headers: list[tuple[bytes, bytes]], expected: str | None
) -> None:
    assert sim.api_key_of(Request({"type": "http", "headers": headers})) == expected


def test_dump_masks_credentials_and_reset_forgets(api: httpx.Client, sim: FaradaySim) -> None:
    create(api)
    dumped = sim.dump()
    assert dumped["connections"][0]["options"]["password"] == "***"
    assert dumped["connections"][0]["options"]["host"] == "db.example.com"
    assert POSTGRES["password"] not in str(dumped)
    sim.reset()
    assert sim.dump() == {"connections": [], "datasets": []}


def test_state_counts_the_builds_each_force_update_started(
    api: httpx.Client, sim: FaradaySim
) -> None:
    # Chaos runs count duplicate syncs with it: each force_update is one more build.
    ident = create(api)["id"]
    assert sim.dump()["connections"][0]["sim"] == {"builds_requested": 0}
    for _ in range(2):
        assert api.post(f"/connections/{ident}/force_update").status_code == 202
    assert sim.dump()["connections"][0]["sim"] == {"builds_requested": 2}
