"""Fivetran schema config as the real API gates it: nothing to read until the schema is
captured (404 `NotFound_SchemaConfig`), settings pre-created before capture, and the
source-reading endpoints (reload, table columns) only for connected connections.
"""

from typing import Any

import pytest

from tests.sim.conftest import FivetranApi

_S = "/v1/connections/{cid}/schemas"


def _not_captured(cid: str) -> dict[str, str]:
    return {
        "code": "NotFound_SchemaConfig",
        "message": f"Connection with id '{cid}' doesn't have a schema config yet: it is "
        "captured when the setup tests pass, or by POST .../schemas/reload",
    }


def _not_connected(cid: str, setup_state: str) -> dict[str, str]:
    return {
        "code": "Conflict",
        "message": f"Connection with id '{cid}' is not connected (setup_state "
        f"'{setup_state}'); its source cannot be read until the setup tests pass",
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", _S, None, id="get-tree"),
        pytest.param("PATCH", _S, {"schema_change_handling": "BLOCK_ALL"}, id="patch-tree"),
        pytest.param("PATCH", _S + "/public", {"enabled": False}, id="patch-schema"),
        pytest.param("PATCH", _S + "/public/tables/users", {"enabled": False}, id="patch-table"),
        pytest.param(
            "PATCH",
            _S + "/public/tables/users/columns/email",
            {"enabled": False},
            id="patch-column",
        ),
        pytest.param("DELETE", _S + "/public/tables/users/columns/email", None, id="drop-column"),
        pytest.param(
            "POST",
            _S + "/drop-columns",
            {"schemas": {"public": {"tables": {"users": {"columns": ["email"]}}}}},
            id="drop-columns",
        ),
    ],
)
def test_the_tree_is_not_found_until_the_schema_is_captured(
    fivetran: FivetranApi, method: str, path: str, body: Any
) -> None:
    cid = fivetran.create(run_setup_tests=False)["id"]
    answer = fivetran.request(method, path.format(cid=cid), json=body)
    assert (answer.status_code, answer.json()) == (404, _not_captured(cid))


def test_passing_setup_tests_capture_the_schema(fivetran: FivetranApi) -> None:
    cid = fivetran.create(run_setup_tests=False)["id"]
    path = _S.format(cid=cid)
    assert fivetran.request("GET", path).status_code == 404
    assert fivetran.post(cid, "test", {}).status_code == 200
    tree = fivetran.request("GET", path).json()["data"]
    assert list(tree["schemas"]) == ["public"]
    assert sorted(tree["schemas"]["public"]["tables"]) == ["accounts", "orders", "users"]


def test_failing_setup_tests_capture_nothing_and_reload_needs_a_connection(
    fivetran: FivetranApi,
) -> None:
    cid = fivetran.create({"schema_prefix": "pg", "host": "fail.example"})["id"]
    path = _S.format(cid=cid)
    assert fivetran.request("GET", path).json() == _not_captured(cid)
    reload = fivetran.post(cid, "schemas/reload", {})
    assert (reload.status_code, reload.json()) == (409, _not_connected(cid, "broken"))
    fivetran.patch(cid, config={"host": "db.example"})  # the setup tests run again and pass
    assert fivetran.request("GET", path).status_code == 200


def test_reload_captures_the_schema_of_a_connected_connection(fivetran: FivetranApi) -> None:
    cid = fivetran.create(run_setup_tests=False)["id"]
    assert fivetran.post(cid, "test", {}).status_code == 200
    reloaded = fivetran.post(cid, "schemas/reload", {"exclude_mode": "PRESERVE"})
    assert reloaded.status_code == 200
    assert reloaded.json()["data"] == fivetran.request("GET", _S.format(cid=cid)).json()["data"]


def test_settings_precreated_before_capture_apply_to_the_captured_tree(
    fivetran: FivetranApi,
) -> None:
    cid = fivetran.create(run_setup_tests=False)["id"]
    path = _S.format(cid=cid)
    wanted = {
        "schema_change_handling": "BLOCK_ALL",
        "schemas": {
            "public": {
                "enabled": True,
                "tables": {"users": {"enabled": False}, "ghost": {"enabled": True}},
            },
            "elsewhere": {"enabled": True},
        },
    }
    precreated = fivetran.request("POST", path, json=wanted).json()["data"]
    assert fivetran.request("GET", path).json()["data"] == precreated  # as sent, until capture
    fivetran.post(cid, "test", {})
    tree = fivetran.request("GET", path).json()["data"]
    tables = tree["schemas"]["public"]["tables"]
    # What the source lacks (table "ghost", schema "elsewhere") is ignored, as Fivetran does.
    assert (list(tree["schemas"]), sorted(tables)) == (["public"], ["accounts", "orders", "users"])
    assert {name: table["enabled"] for name, table in tables.items()} == {
        "accounts": True,
        "orders": True,
        "users": False,
    }
    assert (tree["schema_change_handling"], tree["enable_new_by_default"]) == ("BLOCK_ALL", False)


@pytest.mark.parametrize(
    ("fields", "setup_state"),
    [
        pytest.param({"run_setup_tests": False}, "incomplete", id="never-tested"),
        pytest.param(
            {"config": {"schema_prefix": "pg", "host": "fail.example"}}, "broken", id="broken"
        ),
    ],
)
def test_table_columns_only_for_a_connected_connection(
    fivetran: FivetranApi, fields: dict[str, Any], setup_state: str
) -> None:
    config = fields.pop("config", None)
    cid = fivetran.create(config, **fields)["id"]
    answer = fivetran.request("GET", _S.format(cid=cid) + "/public/tables/users/columns")
    assert (answer.status_code, answer.json()) == (409, _not_connected(cid, setup_state))


def test_table_columns_of_a_connection_broken_after_capture(fivetran: FivetranApi) -> None:
    cid = fivetran.create()["id"]
    fivetran.patch(cid, config={"password": "fail-me"})
    path = _S.format(cid=cid)
    assert fivetran.request("GET", path).status_code == 200  # the captured tree stays
    answer = fivetran.request("GET", path + "/public/tables/users/columns")
    assert (answer.status_code, answer.json()) == (409, _not_connected(cid, "broken"))


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param("pg_public", id="destination-schema-name"),
        pytest.param("public", id="schema-config-key"),
    ],
)
def test_table_columns_by_destination_name_or_key(fivetran: FivetranApi, schema: str) -> None:
    cid = fivetran.create({"schema_prefix": "pg", "host": "db"})["id"]
    tree = fivetran.request("GET", _S.format(cid=cid)).json()["data"]
    assert tree["schemas"]["public"]["name_in_destination"] == "pg_public"
    answer = fivetran.request("GET", _S.format(cid=cid) + f"/{schema}/tables/users/columns")
    assert answer.status_code == 200
    assert sorted(answer.json()["data"]["columns"]) == ["email", "id", "name", "updated_at"]


def test_table_columns_of_an_unknown_schema(fivetran: FivetranApi) -> None:
    cid = fivetran.create()["id"]
    answer = fivetran.request("GET", _S.format(cid=cid) + "/nowhere/tables/users/columns")
    assert (answer.status_code, answer.json()) == (
        404,
        {"code": "NotFound", "message": f"Schema 'nowhere' not found in connection '{cid}'"},
    )
