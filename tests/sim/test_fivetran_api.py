"""Fivetran HTTP behaviour: Basic auth, the Accept header, media types, validation,
pagination and filters, conflicts, connect cards and connector state."""

import base64
from typing import Any

import pytest

from conn_shared.sim.credentials import FIVETRAN_EXPIRED_API_KEY
from tests.sim.conftest import FivetranApi


def _basic(raw: str) -> str:
    return "Basic " + base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    ("authorization", "message_part"),
    [
        pytest.param(None, "Missing or malformed", id="missing"),
        pytest.param("Bearer abc", "Missing or malformed", id="not-basic"),
        pytest.param("Basic %%%", "Missing or malformed", id="bad-base64"),
        pytest.param(_basic("no-colon"), "Missing or malformed", id="no-secret"),
        pytest.param(_basic("sim-fivetran-key:wrong"), "Invalid API key or secret", id="wrong"),
        pytest.param(_basic(f"{FIVETRAN_EXPIRED_API_KEY}:x"), "has expired", id="expired"),
    ],
)
def test_auth_failures_answer_401(
    fivetran: FivetranApi, authorization: str | None, message_part: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    fivetran.client.auth = None  # type: ignore[assignment]
    answer = fivetran.request("GET", "/v1/connections", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "AuthFailed"
    assert message_part in answer.json()["message"]


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        pytest.param("application/json;version=2", 200, id="version-2"),
        pytest.param("application/json", 200, id="plain-json"),
        pytest.param("*/*", 200, id="anything"),
        pytest.param("text/html, application/json; version=1", 200, id="list-with-version-1"),
        pytest.param("application/json;version=3", 406, id="unknown-version"),
        pytest.param("text/html", 406, id="not-json"),
    ],
)
def test_accept_header(fivetran: FivetranApi, accept: str, status: int) -> None:
    answer = fivetran.request("GET", "/v1/connections", headers={"Accept": accept})
    assert answer.status_code == status
    if status == 406:
        assert answer.json()["code"] == "NotAcceptable"


def test_pagination_walks_every_page_in_creation_order(fivetran: FivetranApi) -> None:
    ids = [fivetran.create({"schema_prefix": f"s{i}"}, paused=True)["id"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        data = fivetran.request("GET", "/v1/connections", params=params).json()["data"]
        seen += [item["id"] for item in data["items"]]
        pages += 1
        cursor = data.get("next_cursor")
        if cursor is None:
            break
    assert (seen, pages) == (ids, 3)


def test_list_filters_by_group_and_schema(fivetran: FivetranApi) -> None:
    a = fivetran.create({"schema_prefix": "same"}, group_id="g1", paused=True)["id"]
    b = fivetran.create({"schema_prefix": "same"}, group_id="g2", paused=True)["id"]
    fivetran.create({"schema_prefix": "other"}, group_id="g2", paused=True)

    def ids(**params: str) -> list[str]:
        items = fivetran.request("GET", "/v1/connections", params=params).json()["data"]["items"]
        return [item["id"] for item in items]

    assert ids(schema="same") == [a, b]
    assert ids(group_id="g2", schema="same") == [b]
    assert ids(schema="sam") == []  # no partial matches


def test_list_items_carry_the_config_details_carry(fivetran: FivetranApi) -> None:
    cid = fivetran.create(
        {"schema_prefix": "pg", "host": "db", "port": 5432, "password": "pw"}, paused=True
    )["id"]
    [item] = fivetran.request("GET", "/v1/connections").json()["data"]["items"]
    assert item["config"] == {
        "schema_prefix": "pg",
        "host": "db",
        "port": 5432,
        "password": "******",
    }
    assert item["config"] == fivetran.get(cid)["config"]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v1/connections", id="connections"),
        pytest.param("/v1/groups/g1/connections", id="group-connections"),
        pytest.param("/v1/connectors", id="legacy-connectors"),
    ],
)
def test_list_omit_switch_leaves_fields_out_of_one_item(fivetran: FivetranApi, path: str) -> None:
    config = {"schema_prefix": "odd", "host": "db", "sim_list_omit": ["status"]}
    odd = fivetran.create(config, paused=True)["id"]
    plain = fivetran.create({"schema_prefix": "plain", "host": "db"}, paused=True)["id"]
    items = fivetran.unchecked.get(path).json()["data"]["items"]
    assert {item["id"]: "status" in item for item in items} == {odd: False, plain: True}
    assert fivetran.get(odd)["status"]["sync_state"] == "paused"  # details keep it
    listed_fields = set(next(item for item in items if item["id"] == odd))
    assert listed_fields == set(fivetran.get(odd)) - {"status"}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": "0"}, id="limit-0"),
        pytest.param({"limit": "1001"}, id="limit-1001"),
        pytest.param({"limit": "ten"}, id="limit-not-a-number"),
        pytest.param({"cursor": "not-a-cursor"}, id="bad-cursor"),
    ],
)
def test_list_rejects_bad_paging_parameters(fivetran: FivetranApi, params: dict[str, str]) -> None:
    answer = fivetran.request("GET", "/v1/connections", params=params)
    assert (answer.status_code, answer.json()["code"]) == (400, "InvalidInput")


@pytest.mark.parametrize(
    ("body", "message_part"),
    [
        pytest.param({"service": "postgres"}, "'group_id' is required", id="no-group"),
        pytest.param({"group_id": "g"}, "'service' is required", id="no-service"),
        pytest.param({"group_id": "g", "service": "postgres"}, "config.schema", id="no-schema"),
        pytest.param(
            {"group_id": "g", "service": "x", "config": {"schema": "s"}, "sync_frequency": 7},
            "sync_frequency",
            id="bad-frequency",
        ),
        pytest.param(
            {"group_id": "g", "service": "x", "config": {"schema": "s"}, "schedule_type": "cron"},
            "schedule_type",
            id="bad-schedule-type",
        ),
        pytest.param(
            {"group_id": "g", "service": "x", "config": {"schema": "s"}, "daily_sync_time": "3pm"},
            "daily_sync_time",
            id="bad-daily-time",
        ),
        pytest.param(
            {"group_id": "g", "service": "x", "config": {"schema": "s"}, "paused": "yes"},
            "'paused' must be a boolean",
            id="bad-boolean",
        ),
    ],
)
def test_create_validates_its_body(
    fivetran: FivetranApi, body: dict[str, Any], message_part: str
) -> None:
    answer = fivetran.request("POST", "/v1/connections", json=body)
    assert (answer.status_code, answer.json()["code"]) == (400, "InvalidInput")
    assert message_part in answer.json()["message"]


def test_create_accepts_sync_frequency_as_a_string(fivetran: FivetranApi) -> None:
    assert fivetran.create(sync_frequency="60", paused=True)["sync_frequency"] == 60


def test_duplicate_schema_in_a_group_conflicts(fivetran: FivetranApi) -> None:
    fivetran.create({"schema_prefix": "dup"}, group_id="g1", paused=True)
    fivetran.create({"schema_prefix": "dup"}, group_id="g2", paused=True)
    answer = fivetran.request(
        "POST",
        "/v1/connections",
        json={"group_id": "g1", "service": "mysql", "config": {"schema_prefix": "dup"}},
    )
    assert (answer.status_code, answer.json()["code"]) == (409, "Conflict")


def test_unknown_group_is_not_found(fivetran: FivetranApi) -> None:
    answer = fivetran.request(
        "POST",
        "/v1/connections",
        json={"group_id": "missing_group", "service": "mysql", "config": {"schema": "s"}},
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "NotFound")


def test_malformed_json_is_a_bad_request(fivetran: FivetranApi) -> None:
    answer = fivetran.request(
        "POST", "/v1/connections", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "InvalidInput")


def test_delete_then_details_is_not_found(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True)["id"]
    assert fivetran.request("DELETE", f"/v1/connections/{cid}").status_code == 200
    assert fivetran.request("GET", f"/v1/connections/{cid}").status_code == 404
    assert fivetran.request("DELETE", f"/v1/connections/{cid}").status_code == 404


def test_connect_card_token_and_uri(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True)["id"]
    card = fivetran.post(
        cid,
        "connect-card",
        {"connect_card_config": {"redirect_uri": "https://my.app/done", "hide_setup_guide": True}},
    ).json()["data"]
    uri = card["connect_card"]["uri"]
    assert uri.startswith("https://fivetran.com/connect-card/setup?redirect_uri=https%3A%2F%2F")
    assert f"auth={card['connect_card']['token']}" in uri
    assert fivetran.get(cid)["connect_card_config"]["redirect_uri"] == "https://my.app/done"
    bad = fivetran.post(cid, "connect-card", {"connect_card_config": {"redirect_uri": "ftp://x"}})
    assert bad.status_code == 400


def test_state_endpoints_follow_the_documented_rules(fivetran: FivetranApi) -> None:
    db = fivetran.create(paused=True)["id"]
    assert fivetran.request("GET", f"/v1/connections/{db}/state").status_code == 400
    sdk = fivetran.create({"schema": "sdk"}, service="connector_sdk", schedule_type="manual")["id"]
    path = f"/v1/connections/{sdk}/state"
    assert fivetran.request("GET", path).status_code == 400  # nothing written yet
    running = fivetran.request("PATCH", path, json={"state": {"cursor": 1}})
    assert (running.status_code, running.json()["code"]) == (409, "Conflict")
    fivetran.patch(sdk, paused=True)
    assert fivetran.request("PATCH", path, json={"state": None}).status_code == 400
    assert fivetran.request("PATCH", path, json={"state": {"cursor": 1}}).status_code == 200
    kept = fivetran.request("PATCH", path, json={})
    assert kept.json()["data"] == {"state": {"cursor": 1}}


def test_schema_patch_rejects_unknown_schemas_and_tables(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True)["id"]
    path = f"/v1/connections/{cid}/schemas"
    unknown_schema = fivetran.request("PATCH", path, json={"schemas": {"nope": {"enabled": True}}})
    unknown_table = fivetran.request(
        "PATCH",
        path,
        json={"schemas": {"public": {"enabled": True, "tables": {"nope": {"enabled": True}}}}},
    )
    assert (unknown_schema.status_code, unknown_table.status_code) == (404, 404)


def test_only_blocked_columns_can_be_dropped(fivetran: FivetranApi) -> None:
    cid = fivetran.create(paused=True)["id"]
    column = f"/v1/connections/{cid}/schemas/public/tables/users/columns/email"
    not_blocked = fivetran.request("DELETE", column)
    assert (not_blocked.status_code, not_blocked.json()["code"]) == (409, "Conflict")
    unknown = fivetran.request("DELETE", column.replace("email", "nope"))
    assert unknown.status_code == 404
    fivetran.request("PATCH", column, json={"enabled": False})
    assert fivetran.request("DELETE", column).status_code == 200
    pending = fivetran.sim.state()["backends"]["fivetran"]["connections"][cid]["sim"]
    assert pending["columns_to_drop"] == ["public.users.email"]
    bad = fivetran.post(cid, "schemas/drop-columns", {"schemas": {"public": {"tables": {}}}})
    assert bad.status_code == 400


def test_an_approved_certificate_lets_the_certificate_test_pass(fivetran: FivetranApi) -> None:
    cid = fivetran.create({"schema_prefix": "c", "host": "untrusted_cert.db"}, paused=True)["id"]
    assert fivetran.get(cid)["status"]["setup_state"] == "broken"
    missing = fivetran.post(cid, "certificates", {"hash": "h1"})
    assert missing.status_code == 400
    fivetran.post(cid, "certificates", {"hash": "h1", "encoded_cert": "MIIC"})
    retested = fivetran.post(cid, "test", {}).json()["data"]
    assert retested["status"]["setup_state"] == "connected"
