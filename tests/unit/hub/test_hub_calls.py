"""Each hub call sends exactly the documented request; bad input fails before any request."""

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from conn_shared.backends.hub import HubBackend
from conn_shared.backends.hub.models import HubConnection
from conn_shared.calls import Call
from conn_shared.executors import SyncExecutor
from conn_shared.pagination import Page

from . import seed_examples as seed
from .support import BASE_URL, MODES, SECRET, TOKEN, Mode, make_backend, run_call

Build = Callable[[HubBackend], Call[Any]]


def _case(
    case_id: str,
    build: Build,
    method: str,
    path: str,
    params: dict[str, str] | None = None,
    body: Any = None,
    reply: Any = None,
    status: int = 200,
) -> Any:
    return pytest.param(build, method, path, params or {}, body, reply, status, id=case_id)


CONN = seed.CONNECTION
CALLS = [
    _case("list-defaults", lambda b: b.list_connections(), "GET", "/connections",
          reply=seed.CONNECTION_LIST),
    _case("list-every-parameter",
          lambda b: b.list_connections(search="ord ers", sort="updated_at", direction="desc",
                                       limit=1000, offset=20),
          "GET", "/connections",
          {"search": "ord ers", "sort": "updated_at", "direction": "desc", "limit": "1000",
           "offset": "20"},
          reply=seed.CONNECTION_LIST),
    _case("list-cursor-mode-sends-no-offset",
          lambda b: b.list_connections(cursor="abc", limit=10, offset=5), "GET", "/connections",
          {"cursor": "abc", "limit": "10"}, reply=seed.CONNECTION_LIST),
    _case("list-cursor-mode-first-page", lambda b: b.list_connections(cursor=""), "GET",
          "/connections", {"cursor": ""}, reply=seed.CONNECTION_LIST),
    _case("create-minimal", lambda b: b.create_connection(name="orders", provider="postgres"),
          "POST", "/connections", body={"name": "orders", "provider": "postgres"}, reply=CONN,
          status=201),
    _case("create-every-field",
          lambda b: b.create_connection(
              name="orders", provider="s3", visibility="global", slug="orders-s3",
              credentials={"password": SecretStr(SECRET), "user": "etl"},
              config={"bucket": "b1"}),
          "POST", "/connections",
          body={"name": "orders", "provider": "s3", "visibility": "global", "slug": "orders-s3",
                "credentials": {"password": SECRET, "user": "etl"}, "config": {"bucket": "b1"}},
          reply=CONN, status=201),
    _case("create-unknown-provider-is-sent",
          lambda b: b.create_connection(name="n", provider="brand_new"), "POST", "/connections",
          body={"name": "n", "provider": "brand_new"}, reply=CONN),
    _case("get", lambda b: b.get_connection("c-1"), "GET", "/connections/c-1", reply=CONN),
    _case("get-quotes-the-id", lambda b: b.get_connection("a/b c"), "GET",
          "/connections/a%2Fb%20c", reply=CONN),
    _case("get-by-slug", lambda b: b.get_connection_by_slug("orders/eu"), "GET",
          "/connections/slug/orders%2Feu", reply=CONN),
    _case("update-every-field",
          lambda b: b.update_connection("c-1", name="n2", visibility="private",
                                        config={"a": 1}, credentials={"token": SecretStr(SECRET)}),
          "PATCH", "/connections/c-1",
          body={"name": "n2", "visibility": "private", "config": {"a": 1},
                "credentials": {"token": SECRET}}, reply=CONN),
    _case("update-nothing", lambda b: b.update_connection("c-1"), "PATCH", "/connections/c-1",
          body={}, reply=CONN),
    _case("delete", lambda b: b.delete_connection("c-1"), "DELETE", "/connections/c-1",
          status=204),
    _case("disable", lambda b: b.disable_connection("c-1"), "POST", "/connections/c-1/disable",
          reply=CONN),
    _case("reactivate", lambda b: b.reactivate_connection("c-1"), "POST",
          "/connections/c-1/reactivate", reply=CONN),
    _case("set-default", lambda b: b.set_default_connection("c-1"), "POST",
          "/connections/c-1/set-default", reply=CONN),
    _case("verify", lambda b: b.verify_connection("c-1"), "POST", "/connections/c-1/verify",
          reply=CONN),
    _case("edit-settings", lambda b: b.get_edit_settings("c-1"), "GET",
          "/connections/c-1/edit-settings", reply=seed.EDIT_SETTINGS),
    _case("files-defaults", lambda b: b.list_files("c-1"), "GET", "/connections/c-1/files",
          reply=seed.FILES),
    _case("files-path-and-token", lambda b: b.list_files("c-1", path="/in", page_token="t1"),
          "GET", "/connections/c-1/files", {"path": "/in", "page_token": "t1"}, reply=seed.FILES),
    _case("validate-file-selection",
          lambda b: b.validate_file_selection("c-1", ["/in/a.csv", "folder-9"]), "POST",
          "/connections/c-1/files/validate", body={"selectedItems": ["/in/a.csv", "folder-9"]},
          reply=seed.FILE_VALIDATION),
    _case("tables-default", lambda b: b.list_tables("c-1"), "GET",
          "/connections/c-1/schema/tables", {"include_system": "false"}, reply=seed.TABLES),
    _case("tables-with-system", lambda b: b.list_tables("c-1", include_system=True), "GET",
          "/connections/c-1/schema/tables", {"include_system": "true"}, reply=seed.TABLES),
    _case("columns", lambda b: b.list_columns("c-1", schema="public", table="orders"), "GET",
          "/connections/c-1/schema/columns", {"schema": "public", "table": "orders"},
          reply=seed.COLUMNS),
    _case("query", lambda b: b.query("c-1", "select 1"), "POST",
          "/connections/c-1/schema/query", body={"sql": "select 1"}, reply=seed.QUERY),
    _case("sample", lambda b: b.sample_table("c-1", schema="public", table="orders"), "POST",
          "/connections/c-1/schema/sample", body={"schema": "public", "table": "orders"},
          reply=seed.SAMPLE),
]  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("build", "method", "path", "params", "body", "reply", "status"), CALLS)
def test_call_sends_the_documented_request(
    mode: Mode,
    build: Build,
    method: str,
    path: str,
    params: dict[str, str],
    body: Any,
    reply: Any,
    status: int,
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, json=reply) if reply is not None else httpx.Response(status)

    backend = make_backend()
    run_call(mode, backend, handler, build(backend))

    assert len(sent) == 1
    request = sent[0]
    assert request.method == method
    assert request.url.raw_path.decode().split("?")[0] == "/api/v1" + path
    assert request.url.host == "hub.example.test"
    assert dict(request.url.params) == params
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/json"
    if body is None:
        assert request.content == b""
    else:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == body


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        pytest.param("https://h.test", "https://h.test/api/v1/connections", id="bare-host"),
        pytest.param("https://h.test/", "https://h.test/api/v1/connections", id="trailing-slash"),
        pytest.param("https://h.test/api/v1", "https://h.test/api/v1/connections", id="has-prefix"),
        pytest.param(
            "https://h.test/api/v1/", "https://h.test/api/v1/connections", id="prefix-and-slash"
        ),
        pytest.param(
            "https://h.test:8443/hub", "https://h.test:8443/hub/api/v1/connections", id="subpath"
        ),
    ],
)
def test_base_url_gets_api_v1_once(base_url: str, expected: str) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"connections": [], "hasNext": False})

    backend = make_backend(base_url=base_url)
    with SyncExecutor(backend.profile(), transport=httpx.MockTransport(handler)) as executor:
        executor.call(backend.list_connections())
    assert str(sent[0].url) == expected


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"token": SecretStr(TOKEN)}, id="no-base-url"),
        pytest.param({"base_url": BASE_URL}, id="no-token"),
    ],
)
def test_settings_require_base_url_and_token(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        HubBackend(**fields)


def test_blank_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="base_url"):
        make_backend(base_url="  ")


BAD_INPUT = [
    pytest.param(lambda b: b.list_connections(limit=0), "limit", id="limit-zero"),
    pytest.param(lambda b: b.list_connections(limit=1001), "limit", id="limit-over-1000"),
    pytest.param(lambda b: b.list_connections(limit=True), "limit", id="limit-bool"),
    pytest.param(lambda b: b.list_connections(offset=-1), "offset", id="offset-negative"),
    pytest.param(lambda b: b.list_connections(sort="size"), "sort: must be one of name", id="sort"),
    pytest.param(lambda b: b.list_connections(direction="up"), "asc, desc", id="direction"),
    pytest.param(lambda b: b.create_connection(name="", provider="s3"), "name", id="name-empty"),
    pytest.param(
        lambda b: b.create_connection(name="x" * 256, provider="s3"), "name", id="name-too-long"
    ),
    pytest.param(lambda b: b.create_connection(name="n", provider=""), "provider", id="provider"),
    pytest.param(
        lambda b: b.create_connection(name="n", provider="s3", visibility="public"),
        "visibility: must be one of global, private",
        id="visibility",
    ),
    pytest.param(
        lambda b: b.create_connection(name="n", provider="s3", slug=""), "slug", id="slug-empty"
    ),
    pytest.param(lambda b: b.get_connection(""), "connection_id", id="id-empty"),
    pytest.param(lambda b: b.delete_connection(" "), "connection_id", id="id-blank"),
    pytest.param(lambda b: b.get_connection_by_slug(""), "slug", id="by-slug-empty"),
    pytest.param(lambda b: b.update_connection("c", name=""), "name", id="update-name"),
    pytest.param(
        lambda b: b.update_connection("c", visibility="team"), "visibility", id="update-visibility"
    ),
    pytest.param(lambda b: b.query("c", ""), "sql: length must be 1..10000", id="sql-empty"),
    pytest.param(lambda b: b.query("c", "x" * 10_001), "got 10001", id="sql-too-long"),
    pytest.param(
        lambda b: b.validate_file_selection("c", "/one/path"), "selected_items", id="items-str"
    ),
    pytest.param(lambda b: b.list_columns("c", schema="", table="t"), "schema", id="columns"),
    pytest.param(lambda b: b.sample_table("c", schema="s", table=""), "table", id="sample"),
]


@pytest.mark.parametrize(("build", "field"), BAD_INPUT)
def test_bad_input_is_refused_before_any_request(build: Build, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        build(make_backend())


def _page(call: Call[Page[Any]], body: dict[str, Any]) -> Page[Any]:
    return call.parse(httpx.Response(200, json=body, request=httpx.Request("GET", "http://x")))


def _listing(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"connections": [CONN, CONN], "hasNext": True, "limit": 2, "offset": 0}
    body.update(fields)
    return body


NEXT_PAGES = [
    pytest.param({}, _listing(hasNext=False), None, id="offset-last-page"),
    pytest.param({}, _listing(), {"offset": 2}, id="offset-advances-by-limit"),
    pytest.param(
        {"limit": 2, "search": "o"},
        _listing(offset=4),
        {"offset": 6, "limit": 2, "search": "o"},
        id="offset-keeps-filters",
    ),
    pytest.param({}, seed.CONNECTION_LIST, {"offset": 1}, id="seed-limit-zero-uses-items"),
    pytest.param({}, _listing(limit=0, connections=[]), None, id="no-step-stops"),
    pytest.param(
        {"cursor": "c1"}, _listing(nextCursor="c2"), {"cursor": "c2"}, id="cursor-next-cursor"
    ),
    pytest.param(
        {"cursor": "c1", "limit": 2},
        _listing(next_cursor="c2", hasNext=False),
        {"cursor": "c2", "limit": 2},
        id="cursor-snake-case-field",
    ),
    pytest.param(
        {"cursor": "c1"}, _listing(offset=0), {"offset": 2}, id="cursor-falls-back-to-offset"
    ),
    pytest.param({"cursor": "c1"}, _listing(hasNext=False), None, id="cursor-last-page"),
    pytest.param({}, _listing(nextCursor="c9"), {"offset": 2}, id="offset-mode-ignores-cursor"),
]


@pytest.mark.parametrize(("request_args", "body", "next_query"), NEXT_PAGES)
def test_next_page_call(
    request_args: dict[str, Any], body: dict[str, Any], next_query: dict[str, Any] | None
) -> None:
    page = _page(make_backend().list_connections(**request_args), body)
    assert all(isinstance(item, HubConnection) for item in page.items)
    if next_query is None:
        assert page.next is None
    else:
        assert page.next is not None
        assert page.next.query() == next_query


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        pytest.param("t2", {"path": "/in", "page_token": "t2"}, id="token"),
        pytest.param(None, None, id="no-token"),
        pytest.param("", None, id="empty-token"),
    ],
)
def test_files_next_page_follows_the_token(
    token: str | None, expected: dict[str, Any] | None
) -> None:
    call = make_backend().list_files("c-1", path="/in")
    page = _page(call, {**seed.FILES, "nextPageToken": token})
    assert [item.id for item in page.items] == ["string"]
    assert (page.next.query() if page.next else None) == expected
