"""Fivetran groups and destinations, the discovery path peer packages use."""

from tests.sim.conftest import FivetranApi

GROUP_FIELDS = {"id", "name", "created_at"}
DESTINATION_REQUIRED = {"id", "group_id", "service", "region", "time_zone_offset", "setup_status"}


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
