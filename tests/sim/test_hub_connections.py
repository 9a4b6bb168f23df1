"""The hub simulator's connection lifecycle, listing and auth, over HTTP on loopback.

The hub has no OpenAPI file; its document (seed 003) is the contract, so every
connection body is checked here against the document's field list.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import HUB_EXPIRED_TOKEN, HUB_TOKEN
from conn_shared.sim.hub import HubSim
from conn_shared.sim.server import SimServer

OTHER_TOKEN = "sim-hub-other-user-token"
AUTH = {"Authorization": f"Bearer {HUB_TOKEN}"}
OTHER = {"Authorization": f"Bearer {OTHER_TOKEN}"}
BASE = "/api/v1/connections"
# The connection object's fields, as the hub's document lists them.
CONNECTION_FIELDS = {
    "config",
    "createdAt",
    "createdBy",
    "hasCredentials",
    "id",
    "isDefault",
    "isFromTemplate",
    "lastUsedAt",
    "lastVerifiedAt",
    "name",
    "provider",
    "slug",
    "status",
    "updatedAt",
    "updatedBy",
    "verificationDetails",
    "verificationError",
    "verificationErrorCode",
    "visibility",
}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SimServer, HubSim, SimClock]]:
    clock = SimClock(speed=1e-9, start=1_767_225_600.0)
    sim = HubSim(clock, tokens=[HUB_TOKEN, OTHER_TOKEN], expired_tokens=[HUB_EXPIRED_TOKEN])
    with SimServer(backends=[sim], clock=clock) as server:
        yield server, sim, clock


def _shape_hook(response: httpx.Response) -> None:
    """Every connection body carries exactly the document's fields and never a secret."""
    response.read()
    if not response.content:
        return
    body = response.json()
    connections = body.get("connections", []) if isinstance(body, dict) else []
    if isinstance(body, dict) and "slug" in body:
        connections = [body]
    for connection in connections:
        assert set(connection) == CONNECTION_FIELDS
        assert "credentials" not in connection
    assert "pw-secret" not in response.text


@pytest.fixture
def sim(served: tuple[SimServer, HubSim, SimClock]) -> HubSim:
    return served[1]


@pytest.fixture
def clock(served: tuple[SimServer, HubSim, SimClock]) -> SimClock:
    return served[2]


@pytest.fixture
def api(served: tuple[SimServer, HubSim, SimClock]) -> Iterator[httpx.Client]:
    server, sim, clock = served
    sim.reset()
    clock.advance(1000)
    with httpx.Client(
        base_url=server.base_url("hub"), headers=AUTH, event_hooks={"response": [_shape_hook]}
    ) as client:
        yield client


def create(api: httpx.Client, name: str = "Shop DB", **fields: Any) -> dict[str, Any]:
    body = {"name": name, "provider": "postgres", "credentials": {"password": "pw-secret"}}
    response = api.post(BASE, json={**body, **fields})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_hides_credentials_and_derives_a_slug(api: httpx.Client, clock: SimClock) -> None:
    body = create(api, name="Shop DB (EU)", config={"host": "db.example.com"})
    assert body["slug"] == "shop-db-eu"
    assert body["status"] == "needs_verification"
    assert body["visibility"] == "private"
    assert body["hasCredentials"] is True
    assert body["isDefault"] is False
    assert body["config"] == {"host": "db.example.com"}
    assert body["createdAt"] == body["updatedAt"] == SimClock.iso(clock.now())
    assert body["createdBy"] == body["updatedBy"]
    assert body["lastVerifiedAt"] is None
    no_secrets = create(api, name="Plain", credentials=None)
    assert no_secrets["hasCredentials"] is False


def test_get_by_id_and_by_slug(api: httpx.Client) -> None:
    created = create(api)
    assert api.get(f"{BASE}/{created['id']}").json() == created
    assert api.get(f"{BASE}/slug/shop-db").json() == created
    assert api.get(f"{BASE}/slug/nope").json() == {"detail": "Connection not found"}


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        pytest.param(
            "/5e0dfa56-2d52-4c06-a870-bc79c71e86a3", 404, "Connection not found", id="unknown"
        ),
        pytest.param(
            "/not-a-uuid",
            422,
            [
                {
                    "loc": ["path", "connection_uuid"],
                    "msg": "Input should be a valid UUID",
                    "type": "uuid_parsing",
                }
            ],
            id="malformed",
        ),
    ],
)
def test_unknown_and_malformed_ids(api: httpx.Client, path: str, status: int, detail: Any) -> None:
    response = api.get(BASE + path)
    assert response.status_code == status
    assert response.json() == {"detail": detail}


def test_slug_conflict_is_409(api: httpx.Client) -> None:
    create(api, name="Shop DB")
    response = api.post(BASE, json={"name": "shop  db!", "provider": "s3"})
    assert response.status_code == 409
    assert response.json() == {"detail": "A connection with slug 'shop-db' already exists"}


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        pytest.param({"provider": "postgres"}, ["body", "name"], "missing", id="no-name"),
        pytest.param({"name": "x"}, ["body", "provider"], "missing", id="no-provider"),
        pytest.param(
            {"name": "", "provider": "postgres"}, ["body", "name"], "string_too_short", id="empty"
        ),
        pytest.param(
            {"name": "x" * 256, "provider": "postgres"},
            ["body", "name"],
            "string_too_long",
            id="too-long",
        ),
        pytest.param(
            {"name": "x", "provider": "oracle"}, ["body", "provider"], "enum", id="provider"
        ),
        pytest.param(
            {"name": "x", "provider": "s3", "visibility": "public"},
            ["body", "visibility"],
            "enum",
            id="visibility",
        ),
        pytest.param(
            {"name": "x", "provider": "s3", "config": []},
            ["body", "config"],
            "dict_type",
            id="config",
        ),
        pytest.param(
            {"name": "x", "provider": "s3", "credentials": {"key": 5}},
            ["body", "credentials", "key"],
            "string_type",
            id="credential",
        ),
    ],
)
def test_create_validation(
    api: httpx.Client, body: dict[str, Any], loc: list[str], kind: str
) -> None:
    response = api.post(BASE, json=body)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert (problem["loc"], problem["type"]) == (loc, kind)
    assert problem["msg"]
    assert api.get(BASE).json()["total"] == 0


def test_provider_error_lists_the_allowed_values(api: httpx.Client) -> None:
    detail = api.post(BASE, json={"name": "x", "provider": "oracle"}).json()["detail"]
    assert detail[0]["msg"].startswith("Input should be 'shopify', 'http_api'")
    assert detail[0]["msg"].endswith("'redo' or 'bullhorn'")


@pytest.mark.parametrize(
    ("content", "loc", "kind"),
    [
        pytest.param(b"", ["body"], "missing", id="empty"),
        pytest.param(b'{"name": ', ["body", 9], "json_invalid", id="broken"),
        pytest.param(b"[]", ["body"], "model_attributes_type", id="array"),
    ],
)
def test_create_body_errors(api: httpx.Client, content: bytes, loc: list[Any], kind: str) -> None:
    response = api.post(BASE, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert [(p["loc"], p["type"]) for p in response.json()["detail"]] == [(loc, kind)]


def test_update_keeps_the_slug_and_voids_the_verdict(api: httpx.Client) -> None:
    created = create(api)
    assert api.post(f"{BASE}/{created['id']}/verify").json()["status"] == "verified"
    renamed = api.patch(f"{BASE}/{created['id']}", json={"name": "Renamed"}).json()
    assert (renamed["name"], renamed["slug"], renamed["status"]) == (
        "Renamed",
        "shop-db",
        "verified",
    )
    changed = api.patch(f"{BASE}/{created['id']}", json={"config": {"host": "db2"}}).json()
    assert changed["status"] == "needs_verification"
    assert changed["config"] == {"host": "db2"}
    assert changed["verificationDetails"] == {}
    cleared = api.patch(f"{BASE}/{created['id']}", json={"credentials": {}}).json()
    assert cleared["hasCredentials"] is False
    bad = api.patch(f"{BASE}/{created['id']}", json={"visibility": "team"})
    assert bad.status_code == 422


def test_delete(api: httpx.Client) -> None:
    created = create(api)
    response = api.delete(f"{BASE}/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"{BASE}/{created['id']}").status_code == 404


def test_private_is_hidden_and_global_is_read_only_for_others(api: httpx.Client) -> None:
    private = create(api, name="Mine")
    shared = create(api, name="Ours", visibility="global")
    others = api.get(BASE, headers=OTHER).json()
    assert [c["id"] for c in others["connections"]] == [shared["id"]]
    assert api.get(f"{BASE}/{private['id']}", headers=OTHER).status_code == 404
    assert api.get(f"{BASE}/slug/mine", headers=OTHER).status_code == 404
    refused = api.patch(f"{BASE}/{shared['id']}", json={"name": "Theirs"}, headers=OTHER)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only the creator of this connection can change it"}
    assert api.delete(f"{BASE}/{shared['id']}", headers=OTHER).status_code == 403
    assert api.post(f"{BASE}/{shared['id']}/verify", headers=OTHER).status_code == 200


@pytest.mark.parametrize(
    ("credentials", "config", "status", "code", "error"),
    [
        pytest.param({"password": "pw"}, {"host": "db"}, "verified", None, None, id="ok"),
        pytest.param(
            {"password": "will-FAIL"},
            {},
            "error",
            "invalid_credentials",
            "postgres rejected the credential 'password'",
            id="credential",
        ),
        pytest.param(
            {"password": "pw"},
            {"hosts": ["db", "fail.example.com"]},
            "error",
            "connection_failed",
            "Could not reach postgres using config.hosts[1]",
            id="config",
        ),
    ],
)
def test_verify_is_synchronous_by_default(
    api: httpx.Client,
    clock: SimClock,
    credentials: dict[str, str],
    config: dict[str, Any],
    status: str,
    code: str | None,
    error: str | None,
) -> None:
    created = create(api, credentials=credentials, config=config)
    clock.advance(5)
    body = api.post(f"{BASE}/{created['id']}/verify").json()
    assert (body["status"], body["verificationErrorCode"], body["verificationError"]) == (
        status,
        code,
        error,
    )
    assert body["updatedAt"] == SimClock.iso(clock.now())
    expected_verified = SimClock.iso(clock.now()) if status == "verified" else None
    assert body["lastVerifiedAt"] == expected_verified
    assert [c["ok"] for c in body["verificationDetails"]["checks"]] == [
        code != "connection_failed",
        code is None,
    ]


def test_verify_takes_verify_seconds_on_the_clock(
    api: httpx.Client, sim: HubSim, clock: SimClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim, "verify_seconds", 30.0)
    created = create(api)
    started = clock.now()
    assert api.post(f"{BASE}/{created['id']}/verify").json()["status"] == "verifying"
    clock.advance(29)
    assert api.get(f"{BASE}/{created['id']}").json()["status"] == "verifying"
    # A second verify while one runs does not restart it.
    assert api.post(f"{BASE}/{created['id']}/verify").json()["status"] == "verifying"
    clock.advance(1)
    body = api.get(f"{BASE}/{created['id']}").json()
    assert body["status"] == "verified"
    assert body["lastVerifiedAt"] == SimClock.iso(started + 30)


def test_disable_and_reactivate(api: httpx.Client) -> None:
    created = create(api)
    ident = created["id"]
    api.post(f"{BASE}/{ident}/set-default")
    disabled = api.post(f"{BASE}/{ident}/disable").json()
    assert (disabled["status"], disabled["isDefault"]) == ("disabled", False)
    assert api.post(f"{BASE}/{ident}/disable").json()["status"] == "disabled"
    for action in ("verify", "set-default"):
        refused = api.post(f"{BASE}/{ident}/{action}")
        assert refused.status_code == 409
        assert refused.json() == {"detail": "Connection is disabled"}
    # Changing settings of a disabled connection keeps it disabled.
    assert api.patch(f"{BASE}/{ident}", json={"config": {"a": "b"}}).json()["status"] == "disabled"
    assert api.post(f"{BASE}/{ident}/reactivate").json()["status"] == "needs_verification"
    assert api.post(f"{BASE}/{ident}/reactivate").json()["status"] == "needs_verification"
    assert api.post(f"{BASE}/{ident}/verify").json()["status"] == "verified"


def test_set_default_keeps_one_default_per_provider(api: httpx.Client) -> None:
    first, second = create(api, name="One"), create(api, name="Two")
    bucket = create(api, name="Bucket", provider="s3")
    for connection in (first, bucket, second):
        assert api.post(f"{BASE}/{connection['id']}/set-default").json()["isDefault"] is True
    defaults = {c["name"]: c["isDefault"] for c in api.get(BASE).json()["connections"]}
    assert defaults == {"Bucket": True, "One": False, "Two": True}


def test_edit_settings_reports_secrets_only_as_configured(api: httpx.Client) -> None:
    created = create(api, provider="bullhorn", credentials={"password": "pw-secret", "extra": ""})
    body = api.get(f"{BASE}/{created['id']}/edit-settings").json()
    assert body == {
        "config": {},
        "secretFields": {
            "client_secret": {"configured": False},
            "extra": {"configured": False},
            "password": {"configured": True},
        },
    }


def _names(api: httpx.Client, **params: Any) -> list[str]:
    return [c["name"] for c in api.get(BASE, params=params).json()["connections"]]


def test_list_search_sort_and_direction(api: httpx.Client, clock: SimClock) -> None:
    for name, provider in (("beta", "s3"), ("Alpha", "postgres"), ("gamma", "klaviyo")):
        create(api, name=name, provider=provider)
        clock.advance(1)
    api.post(f"{BASE}/{api.get(f'{BASE}/slug/gamma').json()['id']}/verify")
    assert _names(api) == ["Alpha", "beta", "gamma"]
    assert _names(api, sort="name", direction="desc") == ["gamma", "beta", "Alpha"]
    assert _names(api, sort_by="provider", sort_order="asc") == ["gamma", "Alpha", "beta"]
    assert _names(api, sort="created_at", direction="desc") == ["gamma", "Alpha", "beta"]
    # Never-verified connections sort after verified ones ascending, before them descending.
    assert _names(api, sort="last_verified_at")[0] == "gamma"
    assert _names(api, sort="last_verified_at", direction="desc")[-1] == "gamma"
    assert _names(api, search="ALP") == ["Alpha"]
    assert _names(api, search="amm") == ["gamma"]


def test_list_offset_pages(api: httpx.Client) -> None:
    for index in range(5):
        create(api, name=f"conn {index}")
    page = api.get(BASE, params={"limit": 2, "offset": 2}).json()
    assert [c["name"] for c in page["connections"]] == ["conn 2", "conn 3"]
    assert (page["hasNext"], page["limit"], page["offset"], page["total"]) == (True, 2, 2, 5)
    last = api.get(BASE, params={"limit": 2, "offset": 4}).json()
    assert (len(last["connections"]), last["hasNext"]) == (1, False)
    [user] = page["users"]
    assert page["users"][user]["id"] == user
    assert page["connections"][0]["createdBy"] == user


def test_list_cursor_mode_follows_the_last_id(api: httpx.Client) -> None:
    for index in range(5):
        create(api, name=f"conn {index}")
    seen, cursor, pages = [], "", 0
    while True:
        page = api.get(BASE, params={"limit": 2, "cursor": cursor}).json()
        seen += [c["name"] for c in page["connections"]]
        pages += 1
        if not page["hasNext"]:
            break
        cursor = page["connections"][-1]["id"]
    assert (seen, pages) == ([f"conn {i}" for i in range(5)], 3)
    stale = api.get(BASE, params={"cursor": "5e0dfa56-2d52-4c06-a870-bc79c71e86a3"})
    assert stale.status_code == 422
    assert stale.json()["detail"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    ("params", "loc", "kind"),
    [
        pytest.param({"limit": 0}, ["query", "limit"], "greater_than_equal", id="limit-0"),
        pytest.param({"limit": 1001}, ["query", "limit"], "less_than_equal", id="limit-1001"),
        pytest.param({"limit": "ten"}, ["query", "limit"], "int_parsing", id="limit-text"),
        pytest.param({"offset": -1}, ["query", "offset"], "greater_than_equal", id="offset"),
        pytest.param({"sort": "size"}, ["query", "sort"], "enum", id="sort"),
        pytest.param({"direction": "up"}, ["query", "direction"], "enum", id="direction"),
    ],
)
def test_list_parameter_validation(
    api: httpx.Client, params: dict[str, Any], loc: list[str], kind: str
) -> None:
    response = api.get(BASE, params=params)
    assert response.status_code == 422
    assert [(p["loc"], p["type"]) for p in response.json()["detail"]] == [(loc, kind)]


def test_list_limit_bounds_are_inclusive(api: httpx.Client) -> None:
    create(api)
    assert api.get(BASE, params={"limit": 1000}).json()["limit"] == 1000
    assert api.get(BASE).json()["limit"] == 50


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        pytest.param(None, "Not authenticated", id="missing"),
        pytest.param("Basic abc", "Invalid authentication credentials", id="not-bearer"),
        pytest.param(f"Bearer {HUB_EXPIRED_TOKEN}", "Token has expired", id="expired"),
        pytest.param("Bearer who-knows", "Invalid token", id="unknown"),
    ],
)
def test_auth_failures(
    served: tuple[SimServer, HubSim, SimClock], authorization: str | None, detail: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(base_url=served[0].base_url("hub")) as client:
        for method, path in (("GET", BASE), ("POST", f"{BASE}/not-a-uuid/verify")):
            response = client.request(method, path, headers=headers)
            assert response.status_code == 401
            assert response.json() == {"detail": detail}
            assert response.headers["WWW-Authenticate"] == "Bearer"


def test_error_response_and_api_key_of(sim: HubSim) -> None:
    response = sim.error_response(429, "Too many requests", headers={"Retry-After": "2"})
    assert (response.status_code, response.headers["Retry-After"]) == (429, "2")
    assert httpx.Response(429, content=bytes(response.body)).json() == {
        "detail": "Too many requests"
    }
    request = Request({"type": "http", "headers": [(b"authorization", b"Bearer tok-123")]})
    assert sim.api_key_of(request) == "tok-123"
    assert sim.api_key_of(Request({"type": "http", "headers": []})) is None


def test_unknown_route_and_method_use_fastapi_bodies(
    served: tuple[SimServer, HubSim, SimClock],
) -> None:
    with httpx.Client(base_url=served[0].base_url("hub"), headers=AUTH) as client:
        missing = client.get("/api/v1/nothing")
        assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
        wrong = client.put(BASE)
        assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})


def test_dump_has_no_credentials(api: httpx.Client, sim: HubSim) -> None:
    create(api)
    dumped = sim.dump()
    assert [c["slug"] for c in dumped["connections"]] == ["shop-db"]
    assert "pw-secret" not in str(dumped)
