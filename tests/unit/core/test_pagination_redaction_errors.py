"""Pagination streams, redaction of secrets, and the error tree's promises."""

import asyncio
import pickle
from typing import Any

import httpx
import pytest

from conn_shared.calls import Call
from conn_shared.errors import (
    ConnectionInUseError,
    ConnError,
    FieldError,
    InvalidRequestError,
    RateLimitedError,
    ServerError,
    UnsupportedStepError,
    api_error_class,
)
from conn_shared.executors import AsyncExecutor, SyncExecutor
from conn_shared.http import ApiProfile, build_api_error
from conn_shared.pagination import Page, aiter_items, find_in_pages, iter_items, iter_pages
from conn_shared.redaction import REDACTED, is_secret_key, redact, scrub

PAGES = 5


def _page_call(cursor: int = 0) -> Call[Page[int]]:
    def parse(response: httpx.Response) -> Page[int]:
        body = response.json()
        nxt = body["next"]
        return Page(items=body["items"], next=_page_call(nxt) if nxt is not None else None)

    return Call(
        operation="demo.list", method="GET", path="/items", parse=parse, params={"cursor": cursor}
    )


def _pages(request: httpx.Request) -> httpx.Response:
    cursor = int(request.url.params["cursor"])
    items = list(range(cursor * 3, cursor * 3 + 3))
    return httpx.Response(
        200, json={"items": items, "next": cursor + 1 if cursor + 1 < PAGES else None}
    )


def _profile() -> ApiProfile:
    return ApiProfile(
        backend="demo",
        base_url="https://x.test",
        map_error=lambda r: build_api_error(r, backend="demo", message="x"),
    )


def test_sync_iterators_stream_every_page_lazily() -> None:
    with SyncExecutor(_profile(), transport=httpx.MockTransport(_pages)) as ex:
        pages = iter_pages(ex, _page_call())
        first = next(pages)
        assert first.items == [0, 1, 2]
        assert ex.stats.requests == 1  # nothing fetched ahead
        assert list(iter_items(ex, _page_call())) == list(range(PAGES * 3))


def test_async_iterator_streams_every_item() -> None:
    async def main() -> list[int]:
        async with AsyncExecutor(_profile(), transport=httpx.MockTransport(_pages)) as ex:
            return [item async for item in aiter_items(ex, _page_call())]

    assert asyncio.run(main()) == list(range(PAGES * 3))


def test_find_in_pages_keeps_only_matches() -> None:
    with SyncExecutor(_profile(), transport=httpx.MockTransport(_pages)) as ex:
        assert ex.run(find_in_pages(_page_call(), lambda n: n % 7 == 0)) == [0, 7, 14]


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        pytest.param("password", True, id="password"),
        pytest.param("clientSecret", True, id="camel-secret"),
        pytest.param("client-secret", True, id="dashed-secret"),
        pytest.param("api_key", True, id="api-key"),
        pytest.param("private_key", True, id="private-key"),
        pytest.param("refresh_token", True, id="token"),
        pytest.param("auth", True, id="auth"),
        pytest.param("credentials", True, id="credentials"),
        pytest.param("host", False, id="host"),
        pytest.param("path", False, id="path"),
        pytest.param("pattern", False, id="pattern"),
        pytest.param("schema", False, id="schema"),
        pytest.param("port", False, id="port"),
    ],
)
def test_secret_key_names(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_redact_walks_nested_structures_and_keeps_the_rest() -> None:
    value: dict[str, Any] = {
        "host": "db.example.com",
        "password": "hunter22",
        "tunnel": {"user": "u", "private_key": "-----BEGIN-----"},
        "accounts": [{"name": "a", "api_key": "k1"}],
        "token": None,
        "hasCredentials": True,
    }
    assert redact(value) == {
        "host": "db.example.com",
        "password": REDACTED,
        "tunnel": {"user": "u", "private_key": REDACTED},
        "accounts": [{"name": "a", "api_key": REDACTED}],
        "token": None,
        "hasCredentials": True,
    }
    assert value["password"] == "hunter22"  # the input is not modified


def test_scrub_removes_literal_secrets_but_not_short_strings() -> None:
    assert scrub("key=abcd1234 ok", ["abcd1234", "ok"]) == f"key={REDACTED} ok"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        pytest.param(422, InvalidRequestError, id="422"),
        pytest.param(429, RateLimitedError, id="429"),
        pytest.param(500, ServerError, id="500"),
        pytest.param(599, ServerError, id="599"),
    ],
)
def test_status_classes(status: int, cls: type[ConnError]) -> None:
    assert api_error_class(status) is cls


def test_build_api_error_carries_context_and_field_details() -> None:
    request = httpx.Request("POST", "https://x.test/v1/connections")
    response = httpx.Response(422, request=request, headers={"X-Request-Id": "req-9"})
    error = build_api_error(
        response,
        backend="hub",
        message="invalid",
        code="VALIDATION_FAILED",
        field_errors=(FieldError("name", "too long"),),
    )
    assert isinstance(error, InvalidRequestError)
    assert error.request_id == "req-9"
    assert str(error) == (
        "hub POST /v1/connections 422 VALIDATION_FAILED: invalid (request id req-9); name: too long"
    )


def test_409_with_users_is_connection_in_use() -> None:
    request = httpx.Request("DELETE", "https://x.test/connections/c1")
    error = build_api_error(
        httpx.Response(409, request=request), backend="faraday", message="in use", users=("d1",)
    )
    assert isinstance(error, ConnectionInUseError)
    assert error.users == ("d1",)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ServerError("boom", backend="b", status=503, request_id="r"), id="server"),
        pytest.param(RateLimitedError("slow", retry_after=3.0, status=429), id="rate-limited"),
        pytest.param(
            InvalidRequestError("bad", field_errors=(FieldError("f", "m"),)), id="invalid"
        ),
        pytest.param(ConnectionInUseError("in use", users=("d",)), id="in-use"),
        pytest.param(
            UnsupportedStepError(backend="hub", step="sync", supported=("ensure",)),
            id="unsupported",
        ),
    ],
)
def test_errors_survive_pickling(error: ConnError) -> None:
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert str(clone) == str(error)
    assert clone.__dict__ == error.__dict__
