"""Faraday models: documented examples parse, unknown values are kept, secrets stay hidden."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from conn_shared.backends.faraday.models import (
    Connection,
    ConnectionType,
    ContentsRow,
    Dataset,
    Directionality,
    ErrorCode,
    FaradayErrorBody,
    ResourceStatus,
    Target,
)
from conn_shared.backends.faraday.spec import FaradayConnectionSpec
from conn_shared.backends.open_enum import OpenEnum
from tests.support.openapi import SpecValidator, SpecViolation
from tests.unit.faraday import seed_examples
from tests.unit.faraday.support import (
    PASSWORD,
    connection_json,
    dataset_json,
    target_json,
)

SPEC = SpecValidator.load("faraday")


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "model"),
    [
        pytest.param(
            "GET", "/connections", 200, seed_examples.LIST_CONNECTIONS_200, Connection, id="list"
        ),
        pytest.param(
            "POST",
            "/connections",
            201,
            [seed_examples.CREATE_CONNECTION_201],
            Connection,
            id="create",
        ),
        pytest.param(
            "GET",
            "/connections/{connection_id}/datasets",
            200,
            seed_examples.CONNECTION_DATASETS_200,
            Dataset,
            id="datasets",
        ),
    ],
)
def test_documented_examples_parse_though_they_break_the_spec(
    method: str, path: str, status: int, body: list[dict[str, Any]], model: type[Any]
) -> None:
    # The documents' own examples disagree with the spec ("pending", contents as names):
    # a definition is a claim, a real response is evidence, so the models accept both.
    with pytest.raises(SpecViolation, match="pending"):
        SPEC.validate_response(method, path, status, body if method == "GET" else body[0])
    items = [model.model_validate(item) for item in body]
    assert items[0].id == body[0]["id"]
    assert items[0].status == "pending"
    assert not items[0].status.is_known


def test_seed_connection_fields() -> None:
    conn = Connection.model_validate(seed_examples.CREATE_CONNECTION_201)
    assert conn.name == "Snowflake AWS - Marketing"
    assert conn.options.type == "aws_aurora_mysql"
    assert conn.options.type.is_known
    assert conn.options.get("port") == 0
    assert conn.directionality == Directionality.BIDIRECTIONAL
    assert conn.contents == ["my_table_1", "my_table_2"]
    assert conn.archived
    assert conn.managed is True
    assert conn.last_updated_output_at == datetime(2024, 1, 1, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("method", "path", "body", "model"),
    [
        pytest.param("GET", "/connections/{connection_id}", connection_json(), Connection, id="c"),
        pytest.param(
            "GET", "/connections/{connection_id}/datasets", [dataset_json()], Dataset, id="d"
        ),
        pytest.param(
            "GET", "/connections/{connection_id}/targets", [target_json()], Target, id="t"
        ),
    ],
)
def test_spec_valid_fixtures_parse(method: str, path: str, body: Any, model: type[Any]) -> None:
    # The fixtures the flow tests use are real spec-valid bodies, not our own guesses.
    SPEC.validate_response(method, path, 200, body)
    item = body[0] if isinstance(body, list) else body
    parsed = model.model_validate(item)
    assert parsed.id == item["id"]
    assert parsed.status.is_known


def test_contents_accepts_rows_and_names() -> None:
    conn = Connection.model_validate(
        connection_json(contents=[{"name": "orders", "object_size": 12}, "legacy_name"])
    )
    assert conn.contents == [ContentsRow(name="orders", object_size=12), "legacy_name"]


@pytest.mark.parametrize(
    ("cls", "value", "known"),
    [
        pytest.param(ResourceStatus, "ready", True, id="status-known"),
        pytest.param(ResourceStatus, "paused_by_admin", False, id="status-unknown"),
        pytest.param(Directionality, "source_only", True, id="direction-known"),
        pytest.param(Directionality, "sideways", False, id="direction-unknown"),
        pytest.param(ConnectionType, "snowflake", True, id="type-known"),
        pytest.param(ConnectionType, "duckdb_cloud", False, id="type-unknown"),
        pytest.param(ErrorCode, "EXPIRED_API_KEY", True, id="code-known"),
        pytest.param(ErrorCode, "RATE_LIMITED", False, id="code-unknown"),
    ],
)
def test_open_enums_keep_unknown_values(cls: type[OpenEnum], value: str, known: bool) -> None:
    member = cls(value)
    assert member == value
    assert member.is_known is known
    assert repr(member) == f"{cls.__name__}({value!r})"


def test_unknown_values_survive_parsing_and_dumping() -> None:
    body = connection_json(
        status="queued",
        directionality="sideways",
        brand_new_field={"x": 1},
        options={"type": "duckdb_cloud", "endpoint": "e", "api_key": "k-123456"},
    )
    conn = Connection.model_validate(body)
    assert conn.status == "queued"
    assert conn.directionality == "sideways"
    assert conn.options.type == "duckdb_cloud"
    assert not conn.options.type.is_known
    dumped = conn.model_dump(mode="json")
    assert dumped["brand_new_field"] == {"x": 1}
    assert dumped["status"] == "queued"
    assert dumped["options"] == {"type": "duckdb_cloud", "endpoint": "e", "api_key": "k-123456"}


def test_naive_timestamps_read_as_utc() -> None:
    conn = Connection.model_validate(connection_json(last_updated_output_at="2026-02-03T04:05:06"))
    assert conn.last_updated_output_at == datetime(2026, 2, 3, 4, 5, 6, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "missing",
    [
        pytest.param("id", id="id"),
        pytest.param("status", id="status"),
        pytest.param("options", id="options"),
    ],
)
def test_connection_requires_what_the_lifecycle_reads(missing: str) -> None:
    body = connection_json()
    del body[missing]
    with pytest.raises(ValidationError):
        Connection.model_validate(body)


def test_error_body_reads_validation_errors() -> None:
    body = FaradayErrorBody.model_validate(
        {
            "error": "VALIDATION_FAILED",
            "id": "e1",
            "note": "bad",
            "validationErrors": [
                {
                    "path": "/options/port",
                    "message": "not a number",
                    "context": {"errorType": "type"},
                }
            ],
        }
    )
    assert body.error == ErrorCode.VALIDATION_FAILED
    assert body.validation_errors[0].error_type == "type"


SECRET_OPTIONS = {
    "password": PASSWORD,
    "api_key": "ak-secret-value-1",
    "private_api_key": "pk-secret-value-2",
    "client_secret": "cs-secret-value-3",
    "credentials_json": '{"bearerToken": "dt-secret-value-4"}',
    "token": "tk-secret-value-5",
}


def test_connection_repr_and_str_hide_every_secret_option() -> None:
    conn = Connection.model_validate(
        connection_json(options={"type": "postgres", "host": "db.example.com", **SECRET_OPTIONS})
    )
    for text in (repr(conn), str(conn), repr(conn.options), str(conn.options)):
        assert "db.example.com" in text
        for secret in SECRET_OPTIONS.values():
            assert secret not in text
    assert conn.options.secret_keys() == frozenset(SECRET_OPTIONS)
    assert conn.options.redacted()["password"] == "***"
    assert conn.options.as_dict()["password"] == PASSWORD


def test_spec_repr_hides_secrets_and_validation_errors_hide_input() -> None:
    spec = FaradayConnectionSpec(
        name="Warehouse", options={"type": "postgres", "host": "h", **SECRET_OPTIONS}
    )
    for text in (repr(spec), str(spec)):
        assert "Warehouse" in text
        for secret in SECRET_OPTIONS.values():
            assert secret not in text
    with pytest.raises(ValidationError) as caught:
        FaradayConnectionSpec(name="x", options={"password": PASSWORD})
    assert PASSWORD not in str(caught.value)
    assert "options.type" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        pytest.param(" ", {"type": "postgres"}, "name", id="blank-name"),
        pytest.param("x", {}, "options.type", id="no-type"),
        pytest.param("x", {"type": 3}, "options.type", id="type-not-a-string"),
    ],
)
def test_spec_validation(name: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FaradayConnectionSpec(name=name, options=options)


def test_spec_type() -> None:
    spec = FaradayConnectionSpec(name="x", options={"type": "snowflake"})
    assert spec.type == ConnectionType("snowflake")
    assert spec.type.is_known


def _models_for(path: str) -> type[Any]:
    if path.endswith("/datasets"):
        return Dataset
    if path.endswith("/targets"):
        return Target
    return Connection


def test_every_example_response_parses() -> None:
    # The reconstructed spec lost its examples; should a newer copy bring them back, they
    # are parsed here too. The documents' examples always are.
    examples: list[tuple[str, Any]] = [
        (ex.path, ex.body)
        for ex in SPEC.response_examples()
        if ex.path.startswith("/connections") and str(ex.status).startswith("2")
    ]
    examples += [
        ("/connections", seed_examples.LIST_CONNECTIONS_200),
        ("/connections", seed_examples.CREATE_CONNECTION_201),
        ("/connections/{connection_id}/datasets", seed_examples.CONNECTION_DATASETS_200),
    ]
    parsed = 0
    for path, body in examples:
        for item in body if isinstance(body, list) else [body]:
            _models_for(path).model_validate(item)
            parsed += 1
    assert parsed >= 3
