"""The Fivetran account around connections: groups (with names), their destinations and
the users, the discovery and "test connection" paths peer packages use.

The `fivetran` client checks `/v1/connections*`, `/v1/users*` and `/v1/groups*` against
the derived spec as answers arrive; destinations stay outside it (Fivetran's own examples
break their schema there), so the required fields are also asserted here by hand.
"""

from typing import Any

import pytest

from tests.sim.conftest import FivetranApi

#: GroupResponse: every field (all three are required).
GROUP_FIELDS = {"id", "name", "created_at"}
#: DestinationResponse's required fields.
DESTINATION_REQUIRED = {"id", "group_id", "service", "region", "time_zone_offset", "setup_status"}
#: UserResponse's required fields.
USER_REQUIRED = {"active", "created_at", "email", "id", "logged_in_at", "role", "verified"}


def test_groups_appear_with_their_first_connection(fivetran: FivetranApi) -> None:
    assert fivetran.request("GET", "/v1/groups").json()["data"] == {"items": []}
    fivetran.create({"schema_prefix": "a"}, group_id="g1", paused=True)
    fivetran.create({"schema_prefix": "b"}, group_id="g2", paused=True)
    fivetran.create({"schema_prefix": "c"}, group_id="g1", paused=True)
    first = fivetran.request("GET", "/v1/groups", params={"limit": 1}).json()["data"]
    rest = fivetran.request(
        "GET", "/v1/groups", params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()["data"]
    assert [g["id"] for g in first["items"] + rest["items"]] == ["g1", "g2"]
    assert set(first["items"][0]) == GROUP_FIELDS
    details = fivetran.request("GET", "/v1/groups/g2").json()["data"]
    assert details == rest["items"][0]


def test_group_connections_on_both_paths(fivetran: FivetranApi) -> None:
    a = fivetran.create({"schema_prefix": "a"}, group_id="g1", paused=True)["id"]
    fivetran.create({"schema_prefix": "b"}, group_id="g2", paused=True)
    for path in ("/v1/groups/g1/connections", "/v1/groups/g1/connectors"):
        items = fivetran.request("GET", path).json()["data"]["items"]
        assert [item["id"] for item in items] == [a]
    filtered = fivetran.request("GET", "/v1/groups/g1/connections", params={"schema": "b"})
    assert filtered.json()["data"]["items"] == []


def test_destination_of_a_group(fivetran: FivetranApi) -> None:
    fivetran.create(group_id="g9", paused=True)
    destination = fivetran.request("GET", "/v1/destinations/g9").json()["data"]
    assert set(destination) >= DESTINATION_REQUIRED
    assert (destination["id"], destination["group_id"], destination["setup_status"]) == (
        "g9",
        "g9",
        "connected",
    )


def test_unknown_group_and_destination_are_not_found(fivetran: FivetranApi) -> None:
    for path in ("/v1/groups/nope", "/v1/groups/nope/connections", "/v1/destinations/nope"):
        answer = fivetran.request("GET", path)
        assert (answer.status_code, answer.json()["code"]) == (404, "NotFound"), path


def test_implicit_groups_are_named_after_their_id(fivetran: FivetranApi) -> None:
    fivetran.create(group_id="g7", paused=True)
    assert fivetran.request("GET", "/v1/groups/g7").json()["data"]["name"] == "g7"


def test_a_group_created_with_a_name_gets_a_generated_id(fivetran: FivetranApi) -> None:
    created = fivetran.request("POST", "/v1/groups", json={"name": "Marketing"})
    assert created.status_code == 201
    body = created.json()
    group = body["data"]
    assert (body["code"], body["message"], set(group)) == (
        "Success",
        "Group has been created",
        GROUP_FIELDS,
    )
    assert group["name"] == "Marketing"
    assert group["id"] != "Marketing"
    assert fivetran.request("GET", f"/v1/groups/{group['id']}").json()["data"] == group


def test_a_group_and_its_destination_are_found_by_name(fivetran: FivetranApi) -> None:
    fivetran.request("POST", "/v1/groups", json={"name": "Sales"})
    marketing = fivetran.request("POST", "/v1/groups", json={"name": "Marketing"}).json()["data"]
    cid = fivetran.create(group_id=marketing["id"], paused=True)["id"]
    groups = fivetran.request("GET", "/v1/groups").json()["data"]["items"]
    found = next(group for group in groups if group["name"] == "Marketing")
    assert found == marketing
    destinations = fivetran.request("GET", "/v1/destinations").json()["data"]["items"]
    destination = next(d for d in destinations if d["group_id"] == found["id"])
    assert set(destination) >= DESTINATION_REQUIRED
    assert destination["id"] == found["id"]
    assert len(destinations) == 2
    listed = fivetran.request("GET", f"/v1/groups/{found['id']}/connections").json()["data"]
    assert [item["id"] for item in listed["items"]] == [cid]


def test_destinations_page_like_every_list(fivetran: FivetranApi) -> None:
    for name in ("a", "b", "c"):
        fivetran.request("POST", "/v1/groups", json={"name": name})
    first = fivetran.request("GET", "/v1/destinations", params={"limit": 2}).json()["data"]
    rest = fivetran.request(
        "GET", "/v1/destinations", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()["data"]
    assert (len(first["items"]), len(rest["items"]), "next_cursor" in rest) == (2, 1, False)


def test_a_group_is_renamed(fivetran: FivetranApi) -> None:
    group = fivetran.request("POST", "/v1/groups", json={"name": "Old"}).json()["data"]
    renamed = fivetran.request("PATCH", f"/v1/groups/{group['id']}", json={"name": "New"})
    assert renamed.json() == {
        "code": "Success",
        "message": "Group has been updated",
        "data": {**group, "name": "New"},
    }
    same = fivetran.request("PATCH", f"/v1/groups/{group['id']}", json={"name": "New"})
    assert same.status_code == 200  # its own name is not taken


@pytest.mark.parametrize(
    ("method", "body", "status", "message"),
    [
        pytest.param("POST", {}, 400, "Field 'name' is required", id="create-without-name"),
        pytest.param("POST", {"name": " "}, 400, "Field 'name' is required", id="create-blank"),
        pytest.param("POST", {"name": 3}, 400, "Field 'name' is required", id="create-not-text"),
        pytest.param(
            "POST",
            {"name": "Taken"},
            409,
            "Group with name 'Taken' already exists",
            id="create-dup",
        ),
        pytest.param(
            "PATCH",
            {"name": "Taken"},
            409,
            "Group with name 'Taken' already exists",
            id="rename-dup",
        ),
        pytest.param("PATCH", {}, 400, "Field 'name' is required", id="rename-without-name"),
    ],
)
def test_group_names_are_required_and_unique(
    fivetran: FivetranApi, method: str, body: dict[str, Any], status: int, message: str
) -> None:
    fivetran.request("POST", "/v1/groups", json={"name": "Taken"})
    other = fivetran.request("POST", "/v1/groups", json={"name": "Other"}).json()["data"]
    path = "/v1/groups" if method == "POST" else f"/v1/groups/{other['id']}"
    answer = fivetran.request(method, path, json=body)
    assert answer.status_code == status
    assert answer.json()["code"] == ("InvalidInput" if status == 400 else "Conflict")
    assert message in answer.json()["message"]


def test_groups_keep_connection_ids_as_they_were_for_a_seed(fivetran: FivetranApi) -> None:
    first = fivetran.create(paused=True)["id"]
    fivetran.sim.reset()
    fivetran.request("POST", "/v1/groups", json={"name": "Noise"})
    assert fivetran.create(paused=True)["id"] == first


def test_users_list_the_owner_of_the_api_key(fivetran: FivetranApi) -> None:
    body = fivetran.request("GET", "/v1/users").json()
    assert (body["code"], body["message"]) == ("Success", "Users list retrieved successfully")
    [user] = body["data"]["items"]
    assert set(user) >= USER_REQUIRED
    assert (user["id"], user["active"], user["verified"], user["role"]) == (
        "sim_user",
        True,
        True,
        "Account Administrator",
    )
    assert "next_cursor" not in body["data"]
    details = fivetran.request("GET", "/v1/users/sim_user").json()
    assert details == {
        "code": "Success",
        "message": "User details retrieved successfully",
        "data": user,
    }
    connected_by = fivetran.create(paused=True)["connected_by"]
    assert connected_by == user["id"]


@pytest.mark.parametrize(
    ("active", "count"),
    [pytest.param("true", 1, id="active"), pytest.param("false", 0, id="suspended")],
)
def test_users_filtered_by_active(fivetran: FivetranApi, active: str, count: int) -> None:
    items = fivetran.request("GET", "/v1/users", params={"active": active}).json()["data"]
    assert len(items["items"]) == count


@pytest.mark.parametrize(
    ("path", "params", "status", "body"),
    [
        pytest.param(
            "/v1/users",
            {"active": "maybe"},
            400,
            {
                "code": "InvalidInput",
                "message": "Invalid value for 'active': 'maybe'; expected true or false",
            },
            id="active-not-a-boolean",
        ),
        pytest.param(
            "/v1/users/me",
            {},
            404,
            {"code": "NotFound", "message": "User with id 'me' not found"},
            id="me-is-not-in-the-definition",
        ),
    ],
)
def test_users_refuse(
    fivetran: FivetranApi, path: str, params: dict[str, str], status: int, body: dict[str, str]
) -> None:
    answer = fivetran.request("GET", path, params=params)
    assert (answer.status_code, answer.json()) == (status, body)


def test_users_need_credentials(fivetran: FivetranApi) -> None:
    answer = fivetran.request("GET", "/v1/users", auth=("nobody", "x"))
    assert (answer.status_code, answer.json()["code"]) == (401, "AuthFailed")
