"""Models read every documented answer, the real-response variants, and unknown values."""

from typing import Any

import httpx
import pytest

from conn_shared.backends.fivetran import FivetranBackend
from conn_shared.backends.fivetran.models import (
    Connection,
    FivetranSyncState,
    ScheduleType,
    Service,
    SetupState,
    SetupTestStatus,
    UpdateState,
)
from conn_shared.calls import Call
from tests.support.openapi import ResponseExample, SpecValidator
from tests.unit.fivetran.support import backend, connection, envelope

SPEC = SpecValidator.load("fivetran")
_api = backend()


def _call_for(example: ResponseExample) -> Call[Any]:
    """The call whose parser reads answers of the example's operation."""
    by_operation: dict[tuple[str, str], Any] = {
        ("GET", "/v1/connections"): lambda b: b.list_connections(),
        ("POST", "/v1/connections"): lambda b: b.create_connection(group_id="g", service="s"),
        ("GET", "/v1/connections/{connectionId}"): lambda b: b.connection_details("c"),
        ("DELETE", "/v1/connections/{connectionId}"): lambda b: b.delete_connection("c"),
        ("PATCH", "/v1/connections/{connectionId}"): lambda b: b.modify_connection(
            "c", paused=True
        ),
        ("GET", "/v1/connections/{connectionId}/certificates"): lambda b: b.list_certificates("c"),
        ("POST", "/v1/connections/{connectionId}/certificates"): lambda b: b.approve_certificate(
            "c", hash="h", encoded_cert="e"
        ),
        ("GET", "/v1/connections/{connectionId}/certificates/{hash}"): lambda b: (
            b.certificate_details("c", "h")
        ),
        ("DELETE", "/v1/connections/{connectionId}/certificates/{hash}"): lambda b: (
            b.revoke_certificate("c", "h")
        ),
        ("POST", "/v1/connections/{connectionId}/connect-card"): lambda b: b.connect_card(
            "c", redirect_uri="https://x"
        ),
        ("GET", "/v1/connections/{connectionId}/fingerprints"): lambda b: b.list_fingerprints("c"),
        ("POST", "/v1/connections/{connectionId}/fingerprints"): lambda b: b.approve_fingerprint(
            "c", hash="h", public_key="k"
        ),
        ("GET", "/v1/connections/{connectionId}/fingerprints/{hash}"): lambda b: (
            b.fingerprint_details("c", "h")
        ),
        ("DELETE", "/v1/connections/{connectionId}/fingerprints/{hash}"): lambda b: (
            b.revoke_fingerprint("c", "h")
        ),
        ("POST", "/v1/connections/{connectionId}/resync"): lambda b: b.resync_connection("c"),
        ("GET", "/v1/connections/{connectionId}/schemas"): lambda b: b.connection_schemas("c"),
        ("POST", "/v1/connections/{connectionId}/schemas"): lambda b: (
            b.pre_create_connection_schemas("c", schemas={})
        ),
        ("PATCH", "/v1/connections/{connectionId}/schemas"): lambda b: b.modify_connection_schemas(
            "c", is_type_locked=True
        ),
        ("POST", "/v1/connections/{connectionId}/schemas/drop-columns"): lambda b: b.drop_columns(
            "c", {"s": {"t": ["c"]}}
        ),
        ("POST", "/v1/connections/{connectionId}/schemas/reload"): lambda b: (
            b.reload_connection_schemas("c")
        ),
        ("POST", "/v1/connections/{connectionId}/schemas/tables/resync"): lambda b: b.resync_tables(
            "c", {"s": ["t"]}
        ),
        ("PATCH", "/v1/connections/{connectionId}/schemas/{schemaName}"): lambda b: b.modify_schema(
            "c", "s", enabled=True
        ),
        ("PATCH", "/v1/connections/{connectionId}/schemas/{schemaName}/tables/{tableName}"): (
            lambda b: b.modify_table("c", "s", "t", enabled=True)
        ),
        (
            "DELETE",
            "/v1/connections/{connectionId}/schemas/{schemaName}/tables/{tableName}/columns/{columnName}",
        ): lambda b: b.delete_column("c", "s", "t", "x"),
        (
            "PATCH",
            "/v1/connections/{connectionId}/schemas/{schemaName}/tables/{tableName}/columns/{columnName}",
        ): lambda b: b.modify_column("c", "s", "t", "x", enabled=True),
        (
            "GET",
            "/v1/connections/{connectionId}/schemas/{schema}/tables/{table}/columns",
        ): lambda b: b.table_columns("c", "s", "t"),
        ("GET", "/v1/connections/{connectionId}/state"): lambda b: b.connection_state("c"),
        ("PATCH", "/v1/connections/{connectionId}/state"): lambda b: b.modify_connection_state(
            "c", {}
        ),
        ("POST", "/v1/connections/{connectionId}/sync"): lambda b: b.sync_connection("c"),
        ("POST", "/v1/connections/{connectionId}/test"): lambda b: b.run_setup_tests("c"),
    }
    build = by_operation[(example.method, example.path)]
    call: Call[Any] = build(_api)
    return call


#: The client covers the connection endpoints; users and groups are in the derived spec
#: for the simulator's account answers only.
CLIENT_PATHS = "/v1/connections"
SUCCESS_EXAMPLES = [
    ex
    for ex in SPEC.response_examples()
    if str(ex.status).startswith("2") and ex.path.startswith(CLIENT_PATHS)
]
EXAMPLES = [pytest.param(ex, id=ex.id) for ex in SUCCESS_EXAMPLES]


def test_every_spec_operation_has_a_call() -> None:
    operations = {
        (op.method, op.path) for op in SPEC.operations() if op.path.startswith(CLIENT_PATHS)
    }
    covered = {(ex.method, ex.path) for ex in SUCCESS_EXAMPLES}
    assert operations == covered


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_documented_answer_parses(example: ResponseExample) -> None:
    call = _call_for(example)
    status = int(example.status)
    result = call.parse(httpx.Response(status, json=example.body))
    assert result is not None


REAL_VARIANTS = [
    pytest.param({"sync_frequency": 360}, "sync_frequency", 360, id="integer-frequency"),
    pytest.param({"sync_frequency": "1440"}, "sync_frequency", 1440, id="string-frequency"),
    pytest.param({"succeeded_at": None, "failed_at": None}, "succeeded_at", None, id="null-times"),
    pytest.param({"schedule_type": None}, "schedule_type", None, id="null-schedule-type"),
]


@pytest.mark.parametrize(("fields", "attribute", "expected"), REAL_VARIANTS)
def test_real_response_variants_are_accepted(
    fields: dict[str, Any], attribute: str, expected: Any
) -> None:
    parsed = Connection.model_validate(connection(**fields))
    assert getattr(parsed, attribute) == expected


def test_absent_optional_fields_are_accepted() -> None:
    body = connection()
    for name in ("schedule_type", "data_delay_sensitivity", "succeeded_at", "failed_at"):
        body.pop(name, None)
    parsed = Connection.model_validate(body)
    assert parsed.schedule_type is None
    assert parsed.data_delay_sensitivity is None


@pytest.mark.parametrize(
    "details",
    [
        pytest.param("Authentication failed", id="string"),
        pytest.param({"http": 401}, id="object"),
        pytest.param(["a", 1], id="list"),
        pytest.param(None, id="null"),
    ],
)
def test_setup_test_details_may_be_any_json(details: Any) -> None:
    body = connection(setup_tests=[{"title": "Login", "status": "FAILED", "details": details}])
    assert Connection.model_validate(body).setup_tests[0].details == details


@pytest.mark.parametrize(
    ("cls", "value", "known"),
    [
        pytest.param(SetupState, "connected", True, id="setup-known"),
        pytest.param(SetupState, "quarantined", False, id="setup-unknown"),
        pytest.param(FivetranSyncState, "rescheduled", True, id="sync-known"),
        pytest.param(FivetranSyncState, "throttled", False, id="sync-unknown"),
        pytest.param(UpdateState, "on_schedule", True, id="update-known"),
        pytest.param(UpdateState, "stalled", False, id="update-unknown"),
        pytest.param(SetupTestStatus, "JOB_FAILED", True, id="test-known"),
        pytest.param(SetupTestStatus, "FLAKY", False, id="test-unknown"),
        pytest.param(Service, "google_sheets", True, id="service-known"),
        pytest.param(Service, "brand_new_source", False, id="service-unknown"),
        pytest.param(ScheduleType, "manual", True, id="schedule-known"),
    ],
)
def test_open_enums_keep_unknown_values(cls: type[Any], value: str, known: bool) -> None:
    parsed = cls(value)
    assert parsed == value
    assert parsed.is_known is known


def test_unknown_states_survive_a_full_parse_and_dump() -> None:
    body = connection(
        service="brand_new_source",
        status={"setup_state": "quarantined", "sync_state": "throttled", "update_state": "x"},
        setup_tests=[{"title": "T", "status": "FLAKY"}],
        future_field={"kept": True},
    )
    parsed = Connection.model_validate(body)
    assert parsed.status.setup_state == "quarantined"
    assert not parsed.status.setup_state.is_known
    assert parsed.setup_tests[0].status == "FLAKY"
    dumped = parsed.model_dump(mode="json", by_alias=True)
    assert dumped["status"]["sync_state"] == "throttled"
    assert dumped["future_field"] == {"kept": True}
    assert dumped["schema"] == "pg"


def test_a_body_that_is_not_an_envelope_is_unexpected() -> None:
    call = _api.connection_details("c")
    with pytest.raises(ValueError, match="expected a JSON object"):
        call.parse(httpx.Response(200, json=["not", "an", "object"]))


def test_envelope_is_unwrapped() -> None:
    parsed = _api.connection_details("c").parse(httpx.Response(200, json=envelope(connection())))
    assert parsed.id == "conn_1"
    assert isinstance(_api, FivetranBackend)
