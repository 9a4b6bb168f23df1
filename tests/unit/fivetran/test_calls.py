"""Each call sends the documented request and parses the documented answer."""

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from conn_shared.backends.fivetran import FivetranBackend
from conn_shared.backends.fivetran.models import Connection
from conn_shared.calls import Call
from conn_shared.executors import SyncExecutor
from conn_shared.pagination import Page, iter_items
from tests.support.openapi import SpecValidator
from tests.unit.fivetran.support import BASIC, backend, connection, envelope

SPEC = SpecValidator.load("fivetran")
V2 = "application/json;version=2"
V1 = "application/json"
C = "/v1/connections"


def _example(method: str, path: str) -> tuple[int, Any]:
    op = SPEC.operation(method, path)
    for ex in SPEC.response_examples():
        if (ex.method, ex.path) == (op.method, op.path) and str(ex.status).startswith("2"):
            return int(ex.status), ex.body
    raise LookupError(f"no example for {method} {path}")


Build = Callable[[FivetranBackend], Call[Any]]

CASES = [
    pytest.param(lambda b: b.list_connections(), "GET", C, {}, None, V2, id="list"),
    pytest.param(
        lambda b: b.list_connections(group_id="g1", schema="pg", cursor="cur", limit=1000),
        "GET",
        C,
        {"group_id": "g1", "schema": "pg", "cursor": "cur", "limit": "1000"},
        None,
        V2,
        id="list-filtered",
    ),
    pytest.param(
        lambda b: b.connection_details("a/b c"), "GET", f"{C}/a%2Fb%20c", {}, None, V2, id="details"
    ),
    pytest.param(
        lambda b: b.create_connection(
            group_id="g1",
            service="postgres",
            config={"schema_prefix": "pg", "host": "h", "password": SecretStr("pw-1")},
            auth={"client_secret": "cs"},
            run_setup_tests=True,
            trust_certificates=True,
            trust_fingerprints=False,
            paused=True,
            pause_after_trial=False,
            sync_frequency=1440,
            data_delay_sensitivity="CUSTOM",
            data_delay_threshold=30,
            daily_sync_time="03:00",
            schedule_type="manual",
            connect_card_config={"redirect_uri": "https://x.test/back", "hide_setup_guide": True},
            proxy_agent_id="pa",
            private_link_id="pl",
            networking_method="PrivateLink",
            hybrid_deployment_agent_id="hd",
            destination_configuration={"virtual_warehouse": "wh"},
            destination_schema_names="SOURCE_NAMING",
            external_secrets_manager_id="esm",
        ),
        "POST",
        C,
        {},
        {
            "group_id": "g1",
            "service": "postgres",
            "config": {"schema_prefix": "pg", "host": "h", "password": "pw-1"},
            "auth": {"client_secret": "cs"},
            "run_setup_tests": True,
            "trust_certificates": True,
            "trust_fingerprints": False,
            "paused": True,
            "pause_after_trial": False,
            "sync_frequency": 1440,
            "data_delay_sensitivity": "CUSTOM",
            "data_delay_threshold": 30,
            "daily_sync_time": "03:00",
            "schedule_type": "manual",
            "connect_card_config": {
                "redirect_uri": "https://x.test/back",
                "hide_setup_guide": True,
            },
            "proxy_agent_id": "pa",
            "private_link_id": "pl",
            "networking_method": "PrivateLink",
            "hybrid_deployment_agent_id": "hd",
            "destination_configuration": {"virtual_warehouse": "wh"},
            "destination_schema_names": "SOURCE_NAMING",
            "external_secrets_manager_id": "esm",
        },
        V2,
        id="create-every-field",
    ),
    pytest.param(
        lambda b: b.create_connection(group_id="g1", service="google_sheets"),
        "POST",
        C,
        {},
        {"group_id": "g1", "service": "google_sheets"},
        V2,
        id="create-minimal",
    ),
    pytest.param(
        lambda b: b.modify_connection(
            "c1",
            config={"host": "h2"},
            auth={"refresh_token": "rt"},
            paused=True,
            is_historical_sync=True,
            run_setup_tests=True,
            trust_certificates=True,
            trust_fingerprints=True,
            sync_frequency=60,
            schedule_type="auto",
            daily_sync_time="14:00",
            pause_after_trial=True,
            data_delay_sensitivity="LOW",
            data_delay_threshold=0,
            schema_status="ready",
            networking_method="SshTunnel",
            hybrid_deployment_agent_id="hd",
            proxy_agent_id="pa",
            private_link_id="pl",
            destination_configuration={"virtual_warehouse": "wh"},
            external_secrets_manager_id="esm",
            external_secrets_keys_config={"password": "key-name"},
        ),
        "PATCH",
        f"{C}/c1",
        {},
        {
            "config": {"host": "h2"},
            "auth": {"refresh_token": "rt"},
            "paused": True,
            "is_historical_sync": True,
            "run_setup_tests": True,
            "trust_certificates": True,
            "trust_fingerprints": True,
            "sync_frequency": 60,
            "schedule_type": "auto",
            "daily_sync_time": "14:00",
            "pause_after_trial": True,
            "data_delay_sensitivity": "LOW",
            "data_delay_threshold": 0,
            "schema_status": "ready",
            "networking_method": "SshTunnel",
            "hybrid_deployment_agent_id": "hd",
            "proxy_agent_id": "pa",
            "private_link_id": "pl",
            "destination_configuration": {"virtual_warehouse": "wh"},
            "external_secrets_manager_id": "esm",
            "external_secrets_keys_config": {"password": "key-name"},
        },
        V2,
        id="modify-every-field",
    ),
    pytest.param(
        lambda b: b.modify_connection("c1", paused=False),
        "PATCH",
        f"{C}/c1",
        {},
        {"paused": False},
        V2,
        id="modify-paused",
    ),
    pytest.param(
        lambda b: b.delete_connection("c1"), "DELETE", f"{C}/c1", {}, None, V2, id="delete"
    ),
    pytest.param(
        lambda b: b.run_setup_tests("c1", trust_certificates=True, trust_fingerprints=False),
        "POST",
        f"{C}/c1/test",
        {},
        {"trust_certificates": True, "trust_fingerprints": False},
        V2,
        id="test-trust",
    ),
    pytest.param(
        lambda b: b.run_setup_tests("c1"), "POST", f"{C}/c1/test", {}, {}, V2, id="test-empty-body"
    ),
    pytest.param(
        lambda b: b.sync_connection("c1", force=True),
        "POST",
        f"{C}/c1/sync",
        {},
        {"force": True},
        V2,
        id="sync-force",
    ),
    pytest.param(lambda b: b.sync_connection("c1"), "POST", f"{C}/c1/sync", {}, {}, V2, id="sync"),
    pytest.param(
        lambda b: b.resync_connection("c1"), "POST", f"{C}/c1/resync", {}, {}, V2, id="resync-all"
    ),
    pytest.param(
        lambda b: b.resync_connection("c1", scope={"public": ["a", "b", "a"], "crm": ("x",)}),
        "POST",
        f"{C}/c1/resync",
        {},
        {"scope": {"public": ["a", "b"], "crm": ["x"]}},
        V2,
        id="resync-scope",
    ),
    pytest.param(
        lambda b: b.resync_tables("c1", {"public": ["a"]}),
        "POST",
        f"{C}/c1/schemas/tables/resync",
        {},
        {"public": ["a"]},
        V1,
        id="resync-tables-endpoint",
    ),
    pytest.param(
        lambda b: b.connect_card(
            "c1", redirect_uri="https://x.test/back", hide_setup_guide=False, all_fields=True
        ),
        "POST",
        f"{C}/c1/connect-card",
        {},
        {
            "connect_card_config": {
                "redirect_uri": "https://x.test/back",
                "hide_setup_guide": False,
                "all_fields": True,
            }
        },
        V2,
        id="connect-card",
    ),
    pytest.param(
        lambda b: b.connection_state("c1"), "GET", f"{C}/c1/state", {}, None, V2, id="state"
    ),
    pytest.param(
        lambda b: b.modify_connection_state("c1", {"cursor": "2024"}),
        "PATCH",
        f"{C}/c1/state",
        {},
        {"state": {"cursor": "2024"}},
        V2,
        id="modify-state",
    ),
    pytest.param(
        lambda b: b.connection_schemas("c1"), "GET", f"{C}/c1/schemas", {}, None, V1, id="schemas"
    ),
    pytest.param(
        lambda b: b.reload_connection_schemas("c1", exclude_mode="EXCLUDE"),
        "POST",
        f"{C}/c1/schemas/reload",
        {},
        {"exclude_mode": "EXCLUDE"},
        V1,
        id="schemas-reload",
    ),
    pytest.param(
        lambda b: b.modify_connection_schemas(
            "c1",
            schemas={"public": {"enabled": True}},
            schema_change_handling="BLOCK_ALL",
            is_type_locked=False,
        ),
        "PATCH",
        f"{C}/c1/schemas",
        {},
        {
            "schemas": {"public": {"enabled": True}},
            "schema_change_handling": "BLOCK_ALL",
            "is_type_locked": False,
        },
        V1,
        id="schemas-modify",
    ),
    pytest.param(
        lambda b: b.pre_create_connection_schemas(
            "c1", schemas={"public": {"enabled": False}}, schema_change_handling="ALLOW_ALL"
        ),
        "POST",
        f"{C}/c1/schemas",
        {},
        {"schemas": {"public": {"enabled": False}}, "schema_change_handling": "ALLOW_ALL"},
        V1,
        id="schemas-pre-create",
    ),
    pytest.param(
        lambda b: b.modify_schema("c1", "pub lic", enabled=True, tables={"t": {"enabled": False}}),
        "PATCH",
        f"{C}/c1/schemas/pub%20lic",
        {},
        {"enabled": True, "tables": {"t": {"enabled": False}}},
        V1,
        id="schema-modify",
    ),
    pytest.param(
        lambda b: b.modify_table("c1", "public", "t", enabled=True, sync_mode="HISTORY"),
        "PATCH",
        f"{C}/c1/schemas/public/tables/t",
        {},
        {"enabled": True, "sync_mode": "HISTORY"},
        V1,
        id="table-modify",
    ),
    pytest.param(
        lambda b: b.modify_column("c1", "public", "t", "c", enabled=False, hashed=True),
        "PATCH",
        f"{C}/c1/schemas/public/tables/t/columns/c",
        {},
        {"enabled": False, "hashed": True},
        V1,
        id="column-modify",
    ),
    pytest.param(
        lambda b: b.delete_column("c1", "public", "t", "c"),
        "DELETE",
        f"{C}/c1/schemas/public/tables/t/columns/c",
        {},
        None,
        V1,
        id="column-delete",
    ),
    pytest.param(
        lambda b: b.drop_columns("c1", {"public": {"t": ["a", "b"]}}),
        "POST",
        f"{C}/c1/schemas/drop-columns",
        {},
        {"schemas": {"public": {"tables": {"t": {"columns": ["a", "b"]}}}}},
        V1,
        id="columns-drop",
    ),
    pytest.param(
        lambda b: b.table_columns("c1", "public", "t"),
        "GET",
        f"{C}/c1/schemas/public/tables/t/columns",
        {},
        None,
        V1,
        id="table-columns",
    ),
    pytest.param(
        lambda b: b.list_certificates("c1", limit=5),
        "GET",
        f"{C}/c1/certificates",
        {"limit": "5"},
        None,
        V1,
        id="certificates",
    ),
    pytest.param(
        lambda b: b.approve_certificate("c1", hash="h1", encoded_cert="MIID"),
        "POST",
        f"{C}/c1/certificates",
        {},
        {"hash": "h1", "encoded_cert": "MIID"},
        V1,
        id="certificate-approve",
    ),
    pytest.param(
        lambda b: b.certificate_details("c1", "h1"),
        "GET",
        f"{C}/c1/certificates/h1",
        {},
        None,
        V1,
        id="certificate-details",
    ),
    pytest.param(
        lambda b: b.revoke_certificate("c1", "h1"),
        "DELETE",
        f"{C}/c1/certificates/h1",
        {},
        None,
        V1,
        id="certificate-revoke",
    ),
    pytest.param(
        lambda b: b.list_fingerprints("c1", cursor="n"),
        "GET",
        f"{C}/c1/fingerprints",
        {"cursor": "n"},
        None,
        V1,
        id="fingerprints",
    ),
    pytest.param(
        lambda b: b.approve_fingerprint("c1", hash="h2", public_key="ssh-rsa AAA"),
        "POST",
        f"{C}/c1/fingerprints",
        {},
        {"hash": "h2", "public_key": "ssh-rsa AAA"},
        V1,
        id="fingerprint-approve",
    ),
    pytest.param(
        lambda b: b.fingerprint_details("c1", "h2"),
        "GET",
        f"{C}/c1/fingerprints/h2",
        {},
        None,
        V1,
        id="fingerprint-details",
    ),
    pytest.param(
        lambda b: b.revoke_fingerprint("c1", "h2"),
        "DELETE",
        f"{C}/c1/fingerprints/h2",
        {},
        None,
        V1,
        id="fingerprint-revoke",
    ),
]


@pytest.mark.parametrize(("build", "method", "path", "query", "body", "accept"), CASES)
def test_call_sends_the_documented_request_and_parses_the_example(
    build: Build, method: str, path: str, query: dict[str, str], body: Any, accept: str
) -> None:
    status, example = _example(method, path)
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, json=example)

    api = backend()
    call = build(api)
    with SyncExecutor(api.profile(), transport=httpx.MockTransport(answer)) as executor:
        result = executor.call(call)

    (request,) = sent
    assert request.method == method
    assert request.url.raw_path.decode().split("?")[0] == path
    assert dict(request.url.params) == query
    assert request.headers["Authorization"] == BASIC
    assert request.headers["Accept"] == accept
    assert (json.loads(request.content) if request.content else None) == body
    SPEC.validate_request_body(method, path, body)
    assert result is not None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda b: b.connection_details(""), "connection_id", id="empty-id"),
        pytest.param(lambda b: b.delete_connection("  "), "connection_id", id="blank-id"),
        pytest.param(
            lambda b: b.list_connections(limit=0), "limit: must be within 1..1000", id="limit-0"
        ),
        pytest.param(lambda b: b.list_connections(limit=1001), "1..1000", id="limit-1001"),
        pytest.param(
            lambda b: b.create_connection(group_id="", service="s"), "group_id", id="no-group"
        ),
        pytest.param(
            lambda b: b.create_connection(group_id="g", service="s", sync_frequency=90),
            "sync_frequency: must be one of 1, 5, 15",
            id="bad-frequency",
        ),
        pytest.param(
            lambda b: b.create_connection(group_id="g", service="s", daily_sync_time="14:30"),
            "daily_sync_time",
            id="bad-daily-time",
        ),
        pytest.param(lambda b: b.modify_connection("c1"), "persistent field", id="empty-patch"),
        pytest.param(
            lambda b: b.modify_connection("c1", run_setup_tests=True),
            "persistent field",
            id="patch-only-test-flags",
        ),
        pytest.param(
            lambda b: b.modify_connection("c1", paused=True, trust_certificates=True),
            "run_setup_tests=True",
            id="trust-without-tests",
        ),
        pytest.param(lambda b: b.resync_connection("c1", scope={}), "scope", id="empty-scope"),
        pytest.param(
            lambda b: b.resync_connection("c1", scope={"public": []}), "scope", id="empty-tables"
        ),
        pytest.param(
            lambda b: b.resync_connection("c1", scope={"public": "orders"}),
            "not a string",
            id="tables-as-string",
        ),
        pytest.param(
            lambda b: b.connect_card("c1", redirect_uri="ftp://x"), "redirect_uri", id="bad-uri"
        ),
        pytest.param(lambda b: b.drop_columns("c1", {}), "columns", id="no-columns"),
        pytest.param(
            lambda b: b.modify_connection_schemas("c1"), "at least one field", id="empty-schemas"
        ),
    ],
)
def test_bad_input_is_refused_before_any_request(build: Build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(backend())


def test_listing_follows_next_cursor_until_the_last_page() -> None:
    seen: list[dict[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        cursor = params.get("cursor")
        data: dict[str, Any]
        if cursor is None:
            data = {"items": [connection(id="a"), connection(id="b")], "next_cursor": "p2"}
        else:
            data = {"items": [connection(id="c")], "next_cursor": None}
        return httpx.Response(200, json=envelope(data))

    api = backend()
    with SyncExecutor(api.profile(), transport=httpx.MockTransport(answer)) as executor:
        first = api.list_connections(group_id="g", limit=2)
        ids = [c.id for c in iter_items(executor, first)]
    assert ids == ["a", "b", "c"]
    assert seen == [
        {"group_id": "g", "limit": "2"},
        {"group_id": "g", "limit": "2", "cursor": "p2"},
    ]


def test_page_type_and_items() -> None:
    body = envelope({"items": [connection()], "next_cursor": ""})
    page = backend().list_connections().parse(httpx.Response(200, json=body))
    assert isinstance(page, Page)
    assert isinstance(page.items[0], Connection)
    assert page.next is None


@pytest.mark.parametrize(
    ("build", "idempotent"),
    [
        pytest.param(lambda b: b.create_connection(group_id="g", service="s"), False, id="create"),
        pytest.param(lambda b: b.modify_connection("c", paused=True), True, id="patch"),
        pytest.param(
            lambda b: b.modify_connection("c", is_historical_sync=True),
            False,
            id="patch-historical",
        ),
        pytest.param(lambda b: b.sync_connection("c"), False, id="sync"),
        pytest.param(lambda b: b.sync_connection("c", force=True), False, id="sync-force"),
        pytest.param(lambda b: b.resync_connection("c"), False, id="resync"),
        pytest.param(lambda b: b.run_setup_tests("c"), True, id="setup-tests"),
        pytest.param(lambda b: b.delete_connection("c"), True, id="delete"),
    ],
)
def test_only_calls_safe_to_repeat_are_marked_idempotent(build: Build, idempotent: bool) -> None:
    assert build(backend()).is_idempotent is idempotent
