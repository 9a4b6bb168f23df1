"""Property-based: whatever a vendor, a proxy or a broken network answers, the client
raises a typed `ConnError` with a message, or returns a result; never a bare KeyError,
TypeError, AttributeError or ValidationError.

Answers are built from valid examples of each backend's objects, then mutated (keys
dropped, values swapped for other JSON types, unknown enum strings), or replaced by
random JSON, HTML error pages from a proxy, truncated or huge bodies and other content
types, under every status the client can meet. Each call runs once (no retries), so a
case is one request. `HYPOTHESIS_PROFILE=chaos` (used by `make chaos`) runs more cases.
"""

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conn_shared import (
    ConnError,
    FaradayBackend,
    FivetranBackend,
    HubBackend,
    RetryPolicy,
    SyncExecutor,
    SyncHandle,
    SyncKind,
    get_readiness,
    get_sync_outcome,
)
from tests.unit.faraday.support import connection_json as faraday_connection
from tests.unit.fivetran.support import connection as fivetran_connection
from tests.unit.fivetran.support import envelope
from tests.unit.hub.support import connection as hub_connection

ONCE = RetryPolicy(max_attempts=1)
FIVETRAN = FivetranBackend(api_key="hostile-key-1", api_secret="hostile-secret-1", retry=ONCE)
FARADAY = FaradayBackend(api_key="hostile-key-2", retry=ONCE)
HUB = HubBackend(base_url="https://hub.example.com", token="hostile-token-3", retry=ONCE)
SECRETS = ("hostile-key-1", "hostile-secret-1", "hostile-key-2", "hostile-token-3")
WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _handle(backend: str, connection_id: str) -> SyncHandle:
    return SyncHandle(
        backend=backend, connection_id=connection_id, kind=SyncKind.SYNC, requested_at=WHEN
    )


#: name -> (a valid answer body, the flow that reads it)
TARGETS: dict[str, tuple[Any, Callable[[], Any], FivetranBackend | FaradayBackend | HubBackend]] = {
    "fivetran-details": (
        envelope(fivetran_connection(id="c1")),
        lambda: get_readiness(FIVETRAN, "c1"),
        FIVETRAN,
    ),
    "fivetran-outcome": (
        envelope(fivetran_connection(id="c1")),
        lambda: get_sync_outcome(FIVETRAN, _handle("fivetran", "c1")),
        FIVETRAN,
    ),
    "fivetran-list": (
        envelope({"items": [fivetran_connection(id="c1")], "next_cursor": None}),
        lambda: FIVETRAN.find_connection("group_1", "pg"),
        FIVETRAN,
    ),
    "faraday-details": (
        faraday_connection(),
        lambda: get_sync_outcome(FARADAY, _handle("faraday", "c1")),
        FARADAY,
    ),
    "faraday-list": (
        [faraday_connection()],
        lambda: FARADAY.find_by_name_flow("Warehouse"),
        FARADAY,
    ),
    "hub-details": (hub_connection(id="c1"), lambda: get_readiness(HUB, "c1"), HUB),
    "hub-list": (
        {"connections": [hub_connection(id="c1")], "hasNext": False},
        lambda: HUB.find_flow(_hub_spec()),
        HUB,
    ),
}


def _hub_spec() -> Any:
    from conn_shared import HubConnectionSpec  # noqa: PLC0415 - only this target needs it

    return HubConnectionSpec(name="pg", provider="postgres")


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["UNKNOWN_STATE", "syncing", "", "2026-13-45T99:00:00Z", "null"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, body: Any) -> Any:
    """`body` with up to three keys at any depth dropped or given another JSON value."""
    body = json.loads(json.dumps(body))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        node, path = body, []
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            path.append((node, key))
            node = node[key]
        if not path:
            continue
        parent, key = path[-1]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = draw(json_value)
    return body


HTML_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@st.composite
def answers(draw: st.DrawFn, body: Any) -> httpx.Response:
    status = draw(
        st.sampled_from([200, 201, 202, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503])
    )
    kind = draw(
        st.sampled_from(["mutated", "random", "html", "truncated", "huge", "text", "empty"])
    )
    headers = {"content-type": "application/json"}
    if kind == "mutated":
        content = json.dumps(draw(mutated(body))).encode()
    elif kind == "random":
        content = json.dumps(draw(json_value)).encode()
    elif kind == "html":
        content, headers = HTML_PAGE, {"content-type": "text/html"}
    elif kind == "truncated":
        full = json.dumps(body).encode()
        content = full[: draw(st.integers(min_value=0, max_value=max(0, len(full) - 1)))]
    elif kind == "huge":
        content = json.dumps({"data": {"items": [body] * 2000}, "pad": "x" * 200_000}).encode()
    elif kind == "text":
        content, headers = b"upstream connect error", {"content-type": "text/plain"}
    else:
        content = b""
    return httpx.Response(status, content=content, headers=headers)


@given(data=st.data())
@pytest.mark.parametrize("target", list(TARGETS))
def test_any_answer_gives_a_result_or_a_typed_error(target: str, data: st.DataObject) -> None:
    body, flow, backend = TARGETS[target]
    answer = data.draw(answers(body))

    def transport(request: httpx.Request) -> httpx.Response:
        return answer

    with SyncExecutor(
        backend.profile(), transport=httpx.MockTransport(transport), sleep=lambda _: None
    ) as executor:
        try:
            executor.run(flow())
        except ConnError as exc:
            text = str(exc)
            assert text.strip()
            assert not any(secret in text for secret in SECRETS)
