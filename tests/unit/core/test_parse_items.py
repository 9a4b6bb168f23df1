"""One malformed list item costs neither its page nor the look-up `ensure` relies on."""

import logging
from typing import Any

import httpx
import pytest

from conn_shared import FivetranBackend, FivetranConnectionSpec, SyncExecutor, plan_connection
from conn_shared.backends.fivetran.models import Connection
from conn_shared.pagination import parse_items
from tests.unit.fivetran.support import connection

PLACEHOLDERS = {"status": {"setup_state": "unknown", "sync_state": "unknown"}}


def _without(field: str, **fields: Any) -> dict[str, Any]:
    item = connection(**fields)
    item.pop(field)
    return item


@pytest.mark.parametrize(
    ("item", "kept", "problem"),
    [
        pytest.param(connection(id="ok"), True, None, id="valid"),
        pytest.param(
            _without("status", id="c2"),
            True,
            "item 0 (id 'c2') kept with placeholders: status: Field required",
            id="no-status-kept",
        ),
        pytest.param(
            {**connection(id="c3"), "paused": "sometimes"},
            True,
            "item 0 (id 'c3') kept with placeholders: paused: Input should be a valid boolean, "
            "unable to interpret input",
            id="bad-optional-field-dropped",
        ),
        pytest.param(
            _without("id"), False, "item 0 skipped, unreadable: id: Field required", id="no-id"
        ),
        pytest.param("garbage", False, "item 0 skipped: not a JSON object", id="not-an-object"),
    ],
)
def test_each_item_is_kept_or_reported(item: Any, kept: bool, problem: str | None) -> None:
    parsed, problems = parse_items(Connection, [item], placeholders=PLACEHOLDERS, what="test")
    assert len(parsed) == (1 if kept else 0)
    assert problems == ((f"test {problem}",) if problem else ())


def test_a_problem_never_quotes_the_value() -> None:
    item = {**connection(id="c4"), "paused": "planted-secret-value-42"}
    _, problems = parse_items(Connection, [item], placeholders=PLACEHOLDERS, what="test")
    assert problems
    assert "planted-secret-value-42" not in problems[0]


def test_a_listing_with_a_malformed_item_still_finds_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    listed = [
        _without("status", id="mine", schema="shop", group_id="g"),
        connection(id="other", schema="other", group_id="g"),
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/connections":
            return httpx.Response(200, json={"code": "Success", "data": {"items": listed}})
        return httpx.Response(
            200,
            json={"code": "Success", "data": connection(id="mine", schema="shop", group_id="g")},
        )

    backend = FivetranBackend(api_key="k" * 8, api_secret="s" * 8)
    spec = FivetranConnectionSpec(group_id="g", service="postgres", schema_name="shop")
    with (
        caplog.at_level(logging.WARNING, logger="conn_shared.pagination"),
        SyncExecutor(backend.profile(), transport=httpx.MockTransport(answer)) as executor,
    ):
        plan = executor.run(plan_connection(backend, spec))

    assert plan.connection_id == "mine"
    assert plan.action.value != "create"
    assert any("kept with placeholders: status" in r.getMessage() for r in caplog.records)
