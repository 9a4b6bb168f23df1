"""Each Faraday call builds the exact request the spec describes, and rejects bad input early."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conn_shared.backends.faraday import FaradayBackend, FaradaySettings
from conn_shared.backends.faraday.models import Connection, Dataset, Target
from conn_shared.calls import Call
from conn_shared.executors import SyncExecutor
from conn_shared.pagination import Page
from tests.support.openapi import SpecValidator
from tests.unit.faraday.support import (
    API_KEY,
    BASE,
    CONN_ID,
    PASSWORD,
    Script,
    backend,
    connection_json,
    dataset_json,
    reply,
    target_json,
)

SPEC = SpecValidator.load("faraday")
PG_OPTIONS = {
    "type": "postgres",
    "host": "db.example.com",
    "port": 5432,
    "database": "shop",
    "schema": "public",
    "user": "faraday",
    "password": PASSWORD,
}
QUOTED = "a%2Fb%20c"  # "a/b c" quoted into one path segment


def _send(call: Call[Any], answer: httpx.Response) -> tuple[httpx.Request, Any]:
    script = Script()
    path = call.path
    script.routes[(call.method, httpx.URL(BASE + path).path)] = [answer]
    with SyncExecutor(backend().profile(), transport=script.transport()) as executor:
        result = executor.call(call)
    assert len(script.requests) == 1
    return script.requests[0], result


CASES = [
    pytest.param(
        lambda b: b.list_connections(),
        "GET",
        "/connections",
        {},
        None,
        None,
        reply(200, [connection_json()]),
        id="list_connections",
    ),
    pytest.param(
        lambda b: b.list_connections(ids=[CONN_ID, "other"]),
        "GET",
        "/connections",
        {"ids": f"{CONN_ID},other"},
        None,
        None,
        reply(200, []),
        id="list_connections-ids-comma-separated",
    ),
    pytest.param(
        lambda b: b.create_connection("Warehouse", PG_OPTIONS),
        "POST",
        "/connections",
        {},
        {"name": "Warehouse", "options": PG_OPTIONS},
        "application/json",
        reply(201, connection_json()),
        id="create_connection",
    ),
    pytest.param(
        lambda b: b.get_connection(CONN_ID),
        "GET",
        f"/connections/{CONN_ID}",
        {},
        None,
        None,
        reply(200, connection_json()),
        id="get_connection",
    ),
    pytest.param(
        lambda b: b.get_connection("a/b c"),
        "GET",
        f"/connections/{QUOTED}",
        {},
        None,
        None,
        reply(200, connection_json()),
        id="get_connection-id-quoted",
    ),
    pytest.param(
        lambda b: b.update_connection(CONN_ID, options={"type": "postgres", "port": 6543}),
        "PATCH",
        f"/connections/{CONN_ID}",
        {},
        {"options": {"type": "postgres", "port": 6543}},
        "application/merge-patch+json",
        reply(200, connection_json()),
        id="update_connection-options-merge-patch",
    ),
    pytest.param(
        lambda b: b.update_connection(
            CONN_ID, name="Renamed", options={"type": "postgres", "load_balancer": None}
        ),
        "PATCH",
        f"/connections/{CONN_ID}",
        {},
        {"name": "Renamed", "options": {"type": "postgres", "load_balancer": None}},
        "application/merge-patch+json",
        reply(200, connection_json()),
        id="update_connection-name-and-null-removes",
    ),
    pytest.param(
        lambda b: b.delete_connection(CONN_ID),
        "DELETE",
        f"/connections/{CONN_ID}",
        {},
        None,
        None,
        reply(204),
        id="delete_connection",
    ),
    pytest.param(
        lambda b: b.list_connection_datasets(CONN_ID),
        "GET",
        f"/connections/{CONN_ID}/datasets",
        {},
        None,
        None,
        reply(200, [dataset_json()]),
        id="list_connection_datasets",
    ),
    pytest.param(
        lambda b: b.list_connection_targets(CONN_ID),
        "GET",
        f"/connections/{CONN_ID}/targets",
        {},
        None,
        None,
        reply(200, [target_json()]),
        id="list_connection_targets",
    ),
    pytest.param(
        lambda b: b.force_update_connection(CONN_ID),
        "POST",
        f"/connections/{CONN_ID}/force_update",
        {},
        None,
        None,
        reply(202),
        id="force_update_connection",
    ),
    pytest.param(
        lambda b: b.archive_connection(CONN_ID),
        "POST",
        f"/connections/{CONN_ID}/archive",
        {},
        {},
        "application/json",
        reply(204),
        id="archive_connection-empty-config",
    ),
    pytest.param(
        lambda b: b.archive_connection(CONN_ID, cascade_to_all=True),
        "POST",
        f"/connections/{CONN_ID}/archive",
        {},
        {"cascade_to_all": True},
        "application/json",
        reply(200),
        id="archive_connection-cascade-all",
    ),
    pytest.param(
        lambda b: b.unarchive_connection(CONN_ID, cascade_to=["d1", "d2"]),
        "POST",
        f"/connections/{CONN_ID}/unarchive",
        {},
        {"cascade_to": ["d1", "d2"]},
        "application/json",
        reply(204),
        id="unarchive_connection-cascade-to",
    ),
    pytest.param(
        lambda b: b.rotate_credentials(CONN_ID, "snowflake"),
        "POST",
        f"/connections/{CONN_ID}/rotate_credentials",
        {},
        {"type": "snowflake"},
        "application/json",
        reply(200, connection_json()),
        id="rotate_credentials",
    ),
]


@pytest.mark.parametrize(
    ("build", "method", "path", "query", "body", "content_type", "answer"), CASES
)
def test_call_sends_the_documented_request(
    build: Callable[[FaradayBackend], Call[Any]],
    method: str,
    path: str,
    query: dict[str, str],
    body: Any,
    content_type: str | None,
    answer: httpx.Response,
) -> None:
    request, _ = _send(build(backend()), answer)
    assert request.method == method
    assert request.url.raw_path.decode().split("?")[0] == "/v1" + path
    assert dict(request.url.params) == query
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Accept"] == "application/json"
    if body is None:
        assert request.content == b""
    else:
        assert json.loads(request.content) == body
        assert request.headers["Content-Type"] == content_type
    # Every body we send is one the spec accepts (paths as the spec writes them).
    SPEC.validate_request_body(method, path, body)


@pytest.mark.parametrize(
    ("build", "model"),
    [
        pytest.param(lambda b: b.list_connections(), Connection, id="connections"),
        pytest.param(lambda b: b.list_connection_datasets(CONN_ID), Dataset, id="datasets"),
        pytest.param(lambda b: b.list_connection_targets(CONN_ID), Target, id="targets"),
    ],
)
def test_listings_parse_into_one_page(
    build: Callable[[FaradayBackend], Call[Page[Any]]], model: type[Any]
) -> None:
    fixtures: dict[type[Any], Callable[[], dict[str, Any]]] = {
        Connection: connection_json,
        Dataset: dataset_json,
        Target: target_json,
    }
    body = fixtures[model]()
    _, page = _send(build(backend()), reply(200, [body, {**body, "id": "second"}]))
    assert [type(item) for item in page.items] == [model, model]
    assert [item.id for item in page.items] == [body["id"], "second"]
    assert page.next is None


def test_no_body_endpoints_return_none_and_ignore_any_body() -> None:
    _, result = _send(backend().archive_connection(CONN_ID), reply(200, {"ok": True}))
    assert result is None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda b: b.get_connection(""), "connection_id", id="empty-id"),
        pytest.param(lambda b: b.get_connection("  "), "connection_id", id="blank-id"),
        pytest.param(lambda b: b.delete_connection(""), "connection_id", id="delete-empty-id"),
        pytest.param(lambda b: b.list_connections(ids=[]), "ids", id="ids-empty"),
        pytest.param(lambda b: b.list_connections(ids="abc"), "ids", id="ids-a-string"),
        pytest.param(lambda b: b.list_connections(ids=["a", ""]), r"ids\[\]", id="ids-empty-item"),
        pytest.param(
            lambda b: b.create_connection(" ", PG_OPTIONS), "name", id="create-blank-name"
        ),
        pytest.param(
            lambda b: b.create_connection("x", {"host": "h"}), "options.type", id="create-no-type"
        ),
        pytest.param(
            lambda b: b.create_connection("x", {"type": ""}), "options.type", id="create-empty-type"
        ),
        pytest.param(
            lambda b: b.update_connection(CONN_ID), "name and/or options", id="update-nothing"
        ),
        pytest.param(
            lambda b: b.update_connection(CONN_ID, options={"port": 1}),
            "options.type",
            id="update-options-without-type",
        ),
        pytest.param(
            lambda b: b.update_connection(CONN_ID, name=""), "name", id="update-blank-name"
        ),
        pytest.param(
            lambda b: b.rotate_credentials(CONN_ID, "postgres"),
            "clickhouse, snowflake",
            id="rotate-unsupported-type",
        ),
        pytest.param(
            lambda b: b.archive_connection(CONN_ID, cascade_to="d1"),
            "cascade_to",
            id="archive-cascade-to-string",
        ),
    ],
)
def test_bad_input_raises_before_any_request(
    build: Callable[[FaradayBackend], Call[Any]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build(backend())


@pytest.mark.parametrize(
    ("build", "idempotent"),
    [
        pytest.param(lambda b: b.create_connection("x", PG_OPTIONS), False, id="create"),
        pytest.param(lambda b: b.rotate_credentials(CONN_ID, "clickhouse"), False, id="rotate"),
        pytest.param(lambda b: b.archive_connection(CONN_ID), False, id="archive"),
        pytest.param(lambda b: b.force_update_connection(CONN_ID), False, id="force_update"),
        pytest.param(
            lambda b: b.update_connection(CONN_ID, name="y"), True, id="update-merge-patch"
        ),
        pytest.param(lambda b: b.delete_connection(CONN_ID), True, id="delete"),
        pytest.param(lambda b: b.get_connection(CONN_ID), True, id="get"),
    ],
)
def test_which_calls_the_transport_may_resend(
    build: Callable[[FaradayBackend], Call[Any]], idempotent: bool
) -> None:
    assert build(backend()).is_idempotent is idempotent


def test_settings_default_to_the_public_api() -> None:
    settings = FaradaySettings(api_key=API_KEY)
    assert settings.base_url == "https://api.faraday.ai/v1"
    assert FaradayBackend(settings).profile().base_url == "https://api.faraday.ai/v1"
    assert SPEC.server_url == settings.base_url


def test_settings_or_keywords_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        FaradayBackend(FaradaySettings(api_key=API_KEY), api_key=API_KEY)


def test_extra_headers_are_sent() -> None:
    b = backend(extra_headers={"X-Team": "data"})
    script = Script().on("GET", f"/connections/{CONN_ID}", reply(200, connection_json()))
    with SyncExecutor(b.profile(), transport=script.transport()) as executor:
        executor.call(b.get_connection(CONN_ID))
    assert script.requests[0].headers["X-Team"] == "data"
