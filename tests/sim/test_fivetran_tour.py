"""A scripted tour of every simulated Fivetran endpoint through a real SimServer.

The `fivetran` client validates each response against the spec as it arrives (see
conftest); the tour then checks that every operation the simulator serves, and the
error statuses the spec declares for them, were actually seen and validated.
"""

from tests.sim.conftest import FivetranApi

SERVED = {
    ("GET", "/v1/connections"),
    ("POST", "/v1/connections"),
    ("GET", "/v1/connections/{connectionId}"),
    ("PATCH", "/v1/connections/{connectionId}"),
    ("DELETE", "/v1/connections/{connectionId}"),
    ("POST", "/v1/connections/{connectionId}/test"),
    ("POST", "/v1/connections/{connectionId}/sync"),
    ("POST", "/v1/connections/{connectionId}/resync"),
    ("POST", "/v1/connections/{connectionId}/connect-card"),
    ("GET", "/v1/connections/{connectionId}/state"),
    ("PATCH", "/v1/connections/{connectionId}/state"),
    ("GET", "/v1/connections/{connectionId}/schemas"),
    ("POST", "/v1/connections/{connectionId}/schemas"),
    ("PATCH", "/v1/connections/{connectionId}/schemas"),
    ("POST", "/v1/connections/{connectionId}/schemas/reload"),
    ("POST", "/v1/connections/{connectionId}/schemas/tables/resync"),
    ("PATCH", "/v1/connections/{connectionId}/schemas/{schemaName}"),
    ("PATCH", "/v1/connections/{connectionId}/schemas/{schemaName}/tables/{tableName}"),
    (
        "PATCH",
        "/v1/connections/{connectionId}/schemas/{schemaName}/tables/{tableName}/columns/{columnName}",
    ),
    (
        "DELETE",
        "/v1/connections/{connectionId}/schemas/{schemaName}/tables/{tableName}/columns/{columnName}",
    ),
    ("GET", "/v1/connections/{connectionId}/schemas/{schema}/tables/{table}/columns"),
    ("POST", "/v1/connections/{connectionId}/schemas/drop-columns"),
    ("GET", "/v1/connections/{connectionId}/certificates"),
    ("POST", "/v1/connections/{connectionId}/certificates"),
    ("GET", "/v1/connections/{connectionId}/certificates/{hash}"),
    ("DELETE", "/v1/connections/{connectionId}/certificates/{hash}"),
    ("GET", "/v1/connections/{connectionId}/fingerprints"),
    ("POST", "/v1/connections/{connectionId}/fingerprints"),
    ("GET", "/v1/connections/{connectionId}/fingerprints/{hash}"),
    ("DELETE", "/v1/connections/{connectionId}/fingerprints/{hash}"),
}


def test_tour_of_every_endpoint_validates_against_the_spec(fivetran: FivetranApi) -> None:
    created = fivetran.create(
        {"schema_prefix": "tour", "host": "db.example", "user": "u", "password": "p"},
        paused=True,
        sync_frequency=60,
        schedule_type="manual",
        data_delay_sensitivity="HIGH",
        data_delay_threshold=5,
        pause_after_trial=True,
        trust_certificates=True,
        trust_fingerprints=True,
        run_setup_tests=True,
        networking_method="Directly",
        destination_schema_names="SOURCE_NAMING",
        destination_configuration={"virtual_warehouse": "wh"},
        connect_card_config={"redirect_uri": "https://example.com/back", "hide_setup_guide": True},
    )
    cid = created["id"]
    fivetran.create({"schema": "sheets", "table": "t", "sheet_id": "s1"}, service="google_sheets")

    first = fivetran.request("GET", "/v1/connections", params={"limit": 1}).json()["data"]
    rest = fivetran.request(
        "GET", "/v1/connections", params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()["data"]
    assert [first["items"][0]["id"], rest["items"][0]["schema"]] == [cid, "sheets.t"]
    assert "next_cursor" not in rest

    assert fivetran.get(cid)["paused"] is True
    fivetran.patch(cid, paused=False, sync_frequency=1440, daily_sync_time="03:00")
    assert fivetran.post(cid, "test", {"trust_certificates": True}).status_code == 200
    assert fivetran.post(cid, "sync", {"force": False}).status_code == 200
    assert fivetran.post(cid, "resync", {"scope": {"public": ["users"]}}).status_code == 200
    fivetran.sim.advance(3600)
    assert fivetran.post(cid, "schemas/tables/resync", {"public": ["orders"]}).status_code == 200
    card = fivetran.post(cid, "connect-card", {"connect_card_config": {"redirect_uri": "http://x"}})
    assert card.json()["data"]["connector_id"] == cid

    tree = fivetran.request("GET", f"/v1/connections/{cid}/schemas").json()["data"]
    assert set(tree["schemas"]) == {"public"}
    patched = fivetran.request(
        "PATCH",
        f"/v1/connections/{cid}/schemas",
        json={
            "schema_change_handling": "BLOCK_ALL",
            "schemas": {
                "public": {
                    "enabled": True,
                    "tables": {
                        "users": {
                            "enabled": False,
                            "columns": {"email": {"enabled": True, "hashed": True}},
                        }
                    },
                }
            },
        },
    ).json()["data"]
    assert patched["schemas"]["public"]["tables"]["users"]["enabled"] is False
    assert fivetran.post(cid, "schemas/reload", {"exclude_mode": "PRESERVE"}).status_code == 200
    base = f"/v1/connections/{cid}/schemas/public"
    fivetran.request("PATCH", base, json={"enabled": True})
    fivetran.request(
        "PATCH", f"{base}/tables/orders", json={"enabled": True, "sync_mode": "HISTORY"}
    )
    column = fivetran.request(
        "PATCH", f"{base}/tables/orders/columns/email", json={"enabled": False}
    )
    assert column.json()["data"]["schemas"]["public"]["tables"]["orders"]["columns"]["email"] == {
        "name_in_destination": "email",
        "enabled": False,
        "hashed": False,
        "enabled_patch_settings": {"allowed": True},
    }
    columns = fivetran.request("GET", f"{base}/tables/orders/columns").json()["data"]["columns"]
    assert sorted(columns) == ["email", "id", "name", "updated_at"]
    assert fivetran.request("DELETE", f"{base}/tables/orders/columns/email").status_code == 200
    drop = {"schemas": {"public": {"tables": {"orders": {"columns": ["email"]}}}}}
    assert fivetran.post(cid, "schemas/drop-columns", drop).status_code == 200
    for kind, material in (("certificates", "encoded_cert"), ("fingerprints", "public_key")):
        approved = fivetran.post(cid, kind, {"hash": "abc123", material: "MIIB..."})
        assert approved.json()["data"]["hash"] == "abc123"
        listed = fivetran.request("GET", f"/v1/connections/{cid}/{kind}").json()["data"]
        assert [item["hash"] for item in listed["items"]] == ["abc123"]
        assert fivetran.request("GET", f"/v1/connections/{cid}/{kind}/abc123").status_code == 200
        assert fivetran.request("DELETE", f"/v1/connections/{cid}/{kind}/abc123").status_code == 200
    precreated = fivetran.post(
        cid,
        "schemas",
        {"schemas": {"crm": {"enabled": True, "tables": {"deals": {"enabled": True}}}}},
    ).json()["data"]
    assert list(precreated["schemas"]) == ["crm"]

    sdk = fivetran.create(
        {"schema": "sdk_conn", "api_key": "k"}, service="connector_sdk", paused=True
    )
    state_path = f"/v1/connections/{sdk['id']}/state"
    patched_state = fivetran.request("PATCH", state_path, json={"state": {"cursor": "2024-01-01"}})
    assert patched_state.json()["data"] == {"state": {"cursor": "2024-01-01"}}
    assert fivetran.request("GET", state_path).json()["data"]["state"] == {"cursor": "2024-01-01"}

    deleted = fivetran.request("DELETE", f"/v1/connections/{cid}")
    assert deleted.json() == {
        "code": "Success",
        "message": f"Connection with id '{cid}' has been deleted",
    }

    seen = {(method, path) for method, path, _ in fivetran.checked}
    assert seen == SERVED


def test_tour_of_declared_error_statuses(fivetran: FivetranApi) -> None:
    cid = fivetran.create()["id"]
    statuses = {
        "401": fivetran.request("GET", "/v1/connections", auth=("nobody", "x")).status_code,
        "404": fivetran.request("GET", "/v1/connections/nope").status_code,
        "406": fivetran.request(
            "GET", f"/v1/connections/{cid}", headers={"Accept": "text/html"}
        ).status_code,
        "409": fivetran.request(
            "POST",
            "/v1/connections",
            json={"group_id": "g1", "service": "postgres", "config": {"schema_prefix": "pg"}},
        ).status_code,
        "415": fivetran.request(
            "POST",
            "/v1/connections",
            content=b"group_id=g1",
            headers={"Content-Type": "text/plain"},
        ).status_code,
        "400": fivetran.request(
            "POST", "/v1/connections", json={"service": "postgres"}
        ).status_code,
    }
    assert statuses == {key: int(key) for key in statuses}
    error = fivetran.request("GET", "/v1/connections/nope").json()
    assert error == {"code": "NotFound", "message": "Connection with id 'nope' doesn't exist"}


def test_legacy_connector_paths_answer_like_the_connection_paths(fivetran: FivetranApi) -> None:
    cid = fivetran.create(schedule_type="manual")["id"]
    fivetran.sim.advance(1)
    new = fivetran.request("GET", f"/v1/connections/{cid}").json()
    old = fivetran.request("GET", f"/v1/connectors/{cid}").json()
    assert old == new
    assert fivetran.request("POST", f"/v1/connectors/{cid}/force").status_code == 200
    assert fivetran.get(cid)["status"]["sync_state"] == "syncing"
    patched = fivetran.request("PATCH", f"/v1/connectors/{cid}", json={"paused": True})
    assert patched.json()["data"]["status"]["sync_state"] == "paused"
    schemas = fivetran.request("GET", f"/v1/connectors/{cid}/schemas")
    assert schemas.json()["data"]["schemas"]["public"]["enabled"] is True
    assert fivetran.request("POST", f"/v1/connections/{cid}/force").status_code == 404


def test_unknown_paths_and_methods_use_the_fivetran_error_format(fivetran: FivetranApi) -> None:
    missing = fivetran.request("GET", "/v1/unknown")
    wrong_method = fivetran.request("PUT", "/v1/connections")
    assert (missing.status_code, missing.json()["code"]) == (404, "NotFound")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "MethodNotAllowed")
    assert "GET" in wrong_method.headers["allow"]
