"""The document's examples parse; open enums keep unknown values; the state mapping table."""

from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from conn_shared import ReadinessState
from conn_shared.backends.hub import HubConnectionSpec
from conn_shared.backends.hub.browse import (
    ColumnList,
    FileKind,
    FileListing,
    FileSelectionValidation,
    QueryResult,
    SampleResult,
    TableList,
)
from conn_shared.backends.hub.models import (
    ConnectionStatus,
    EditSettings,
    HubConnection,
    HubConnectionList,
    Provider,
    Visibility,
)
from conn_shared.backends.hub.states import connection_info, readiness_of
from conn_shared.backends.open_enum import OpenEnum

from . import seed_examples as seed
from .support import SECRET, connection


@pytest.mark.parametrize(
    ("model", "example"),
    [
        pytest.param(HubConnection, seed.CONNECTION, id="connection"),
        pytest.param(HubConnectionList, seed.CONNECTION_LIST, id="connection-list"),
        pytest.param(EditSettings, seed.EDIT_SETTINGS, id="edit-settings"),
        pytest.param(FileListing, seed.FILES, id="files"),
        pytest.param(FileSelectionValidation, seed.FILE_VALIDATION, id="file-validation"),
        pytest.param(ColumnList, seed.COLUMNS, id="columns"),
        pytest.param(QueryResult, seed.QUERY, id="query"),
        pytest.param(SampleResult, seed.SAMPLE, id="sample"),
        pytest.param(TableList, seed.TABLES, id="tables"),
    ],
)
def test_every_document_example_parses_and_round_trips(
    model: type[BaseModel], example: dict[str, Any]
) -> None:
    parsed = model.model_validate(example)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == example


def test_document_connection_fields() -> None:
    conn = HubConnection.model_validate(seed.CONNECTION)
    assert conn.status == ConnectionStatus.NEEDS_VERIFICATION
    assert conn.status.is_known
    assert conn.provider == "string"
    assert not conn.provider.is_known
    assert conn.createdAt == datetime(2019, 8, 24, 14, 15, 22, tzinfo=timezone.utc)
    assert conn.isDefault is True
    assert conn.visibility == Visibility.PRIVATE


def test_schema_fields_are_read_from_schema() -> None:
    tables = TableList.model_validate(seed.TABLES)
    assert tables.tables[0].schema_name == "string"
    query = QueryResult.model_validate(seed.QUERY)
    assert query.tableRefs[0].schema_name == "string"


def test_unknown_fields_are_kept() -> None:
    conn = HubConnection.model_validate(connection(region="eu-west", tags=["a"]))
    assert conn.model_extra == {"region": "eu-west", "tags": ["a"]}


@pytest.mark.parametrize(
    ("enum", "value", "known"),
    [
        pytest.param(ConnectionStatus, "verified", True, id="status-verified"),
        pytest.param(ConnectionStatus, "archived", False, id="status-unknown"),
        pytest.param(Provider, "msft_sharepoint", True, id="provider-listed"),
        pytest.param(Provider, "bullhorn", True, id="provider-last-listed"),
        pytest.param(Provider, "snowflake", False, id="provider-unknown"),
        pytest.param(Visibility, "global", True, id="visibility-global"),
        pytest.param(Visibility, "team", False, id="visibility-unknown"),
        pytest.param(FileKind, "folder", True, id="file-kind-folder"),
        pytest.param(FileKind, "symlink", False, id="file-kind-unknown"),
    ],
)
def test_open_enums(enum: type[OpenEnum], value: str, known: bool) -> None:
    parsed = enum(value)
    assert parsed == value
    assert parsed.is_known is known


def test_provider_lists_the_documents_21_values() -> None:
    assert len(Provider.known) == 21
    assert {"shopify", "http_api", "flexiroam", "rydership", "gorgias", "redo"} <= Provider.known


def test_new_status_from_a_newer_hub_parses() -> None:
    conn = HubConnection.model_validate(connection(status="rotating_keys", provider="snowflake"))
    assert conn.status == "rotating_keys"
    assert conn.model_dump(mode="json")["status"] == "rotating_keys"


READINESS = [
    pytest.param({"status": "verified"}, ReadinessState.READY, None, id="verified"),
    pytest.param(
        {"status": "needs_verification"},
        ReadinessState.PENDING,
        "needs_verification",
        id="needs-verification",
    ),
    pytest.param(
        {
            "status": "error",
            "verificationError": "password authentication failed",
            "verificationErrorCode": "AUTH_FAILED",
        },
        ReadinessState.FAILED,
        "password authentication failed [AUTH_FAILED]",
        id="error-with-code",
    ),
    pytest.param(
        {"status": "error", "verificationError": "host unreachable"},
        ReadinessState.FAILED,
        "host unreachable",
        id="error-without-code",
    ),
    pytest.param(
        {"status": "error"}, ReadinessState.FAILED, "verification failed", id="error-bare"
    ),
    pytest.param(
        {"status": "disabled"},
        ReadinessState.PAUSED,
        "disabled (reactivate it to use it)",
        id="disabled-is-paused",
    ),
    pytest.param({"status": "verifying"}, ReadinessState.PENDING, "verifying", id="verifying"),
    pytest.param(
        {"status": "rotating"},
        ReadinessState.PENDING,
        "unknown status 'rotating'",
        id="unknown-is-pending",
    ),
]


@pytest.mark.parametrize(("fields", "state", "reason"), READINESS)
def test_readiness_mapping(
    fields: dict[str, Any], state: ReadinessState, reason: str | None
) -> None:
    readiness = readiness_of(HubConnection.model_validate(connection(**fields)))
    assert readiness.state is state
    assert readiness.reason == reason
    assert readiness.backend == "hub"
    assert readiness.connection_id == "c-1"
    assert readiness.raw["status"] == fields["status"]


@pytest.mark.parametrize(
    ("status", "paused"),
    [
        pytest.param("disabled", True, id="disabled"),
        pytest.param("verified", False, id="verified"),
    ],
)
def test_connection_info(status: str, paused: bool) -> None:
    conn = HubConnection.model_validate(
        connection(status=status, config={"host": "db", "password": SECRET})
    )
    info = connection_info(conn)
    assert (info.connection_id, info.name, info.paused) == ("c-1", "orders", paused)
    assert info.raw["config"] == {"host": "db", "password": "***"}
    assert SECRET not in info.model_dump_json()


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        pytest.param({"name": ""}, "name", id="name-empty"),
        pytest.param({"name": "x" * 256}, "name", id="name-too-long"),
        pytest.param({"provider": ""}, "provider", id="provider-empty"),
        pytest.param({"visibility": "team"}, "visibility must be one of global, private", id="vis"),
        pytest.param({"slug": ""}, "slug", id="slug-empty"),
        pytest.param({"owner": "me"}, "owner", id="unknown-field"),
    ],
)
def test_spec_validation(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        HubConnectionSpec(**{"name": "orders", "provider": "postgres", **fields})


def test_spec_accepts_an_unlisted_provider() -> None:
    spec = HubConnectionSpec(name="n", provider="snowflake")
    assert spec.provider == "snowflake"
    assert not spec.provider.is_known
