"""The derived vendor specs and the validator every other suite checks its traffic with."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.openapi import (
    FIVETRAN_RELAXATIONS,
    SPECS_DIR,
    SpecValidator,
    SpecViolation,
    apply_relaxations,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SCRIPT = REPO_ROOT / "scripts" / "derive_specs.py"
TEAM_SPECS = REPO_ROOT.parent / "shared" / "specs"
FIVETRAN = SpecValidator.load("fivetran")
FARADAY = SpecValidator.load("faraday")

# Examples the definitions themselves get wrong, with the field that fails.
KNOWN_BAD_EXAMPLES = {
    # UpdateConnectorRequest.schema_status: example 'BLOCKED_ON_CAPTURE', enum is lower-case.
    "PATCH /v1/connections/{connectionId} assembled": "$.schema_status",
}


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derive_specs", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


derive_specs = _load_script()


def _example(spec: SpecValidator, example_id: str) -> Any:
    found = [ex.body for ex in spec.response_examples() if ex.id == example_id]
    assert len(found) == 1, example_id
    return copy.deepcopy(found[0])


def _connection() -> dict[str, Any]:
    """A full connection-details response, as the definition's own examples describe it."""
    body: dict[str, Any] = _example(FIVETRAN, "GET /v1/connections/{connectionId} 200 assembled")
    return body


# --- the derived files ---------------------------------------------------------------------


@pytest.mark.skipif(not TEAM_SPECS.is_dir(), reason="team folder shared/specs is not present")
def test_committed_files_are_what_the_script_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(TEAM_SPECS), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["fivetran-connections.json", "faraday-connections.json"])
def test_committed_files_are_canonical_and_prose_free(name: str) -> None:
    text = (SPECS_DIR / name).read_text("utf-8")
    assert derive_specs.render_json(json.loads(text)) == text
    for word in ('"description":', '"summary":', '"externalDocs":', '"x-'):
        assert word not in text


def test_sources_md_names_every_input_hash_and_the_command() -> None:
    text = (SPECS_DIR / "SOURCES.md").read_text("utf-8")
    for fact in (
        "b1f9a0b40ffc91d4e83b0049b433be400a7cd6b1e47aabe6933282709ac90034",
        "8bd0905f3b7d769e84ecfbbb76ede47f2135deab2e0376cc5fe8dc64a2b9d63c",
        "0c6ff42e0425f348ef605ba05da6cca13803e156",
        "ad8274cf1cd14b50c321640c9ce87ab640d23073",
        "scripts/derive_specs.py ../shared/specs --check",
    ):
        assert fact in text


def test_strip_prose_keeps_names_and_example_data() -> None:
    node = {
        "description": "prose",
        "x-vendor": 1,
        "required": ["title"],
        "properties": {"title": {"type": "string", "title": "T", "example": {"summary": "s"}}},
        "examples": {"one": {"summary": "s", "value": {"description": "kept"}}},
    }
    assert derive_specs.strip_prose(node) == {
        "required": ["title"],
        "properties": {"title": {"type": "string", "example": {"summary": "s"}}},
        "examples": {"one": {"value": {"description": "kept"}}},
    }


# --- examples --------------------------------------------------------------------------------


def _cases(spec: SpecValidator, *, responses: bool) -> list[Any]:
    examples = spec.response_examples() if responses else spec.request_examples()
    return [pytest.param(ex, id=ex.id) for ex in examples]


@pytest.mark.parametrize("example", _cases(FIVETRAN, responses=True))
def test_fivetran_response_examples_match_their_schema(example: Any) -> None:
    FIVETRAN.validate_response(example.method, example.path, example.status, example.body)


@pytest.mark.parametrize("example", _cases(FIVETRAN, responses=False))
def test_fivetran_request_examples_match_their_schema(example: Any) -> None:
    if example.id in KNOWN_BAD_EXAMPLES:
        with pytest.raises(SpecViolation, match=KNOWN_BAD_EXAMPLES[example.id].replace("$", r"\$")):
            FIVETRAN.validate_request_body(example.method, example.path, example.body)
    else:
        FIVETRAN.validate_request_body(example.method, example.path, example.body)


def test_example_inventory() -> None:
    responses = list(FIVETRAN.response_examples())
    requests = list(FIVETRAN.request_examples())
    assert len(responses) == len(list(FIVETRAN.operations()))
    assert {ex.source for ex in requests} == {
        "assembled",
        "examples:pre_create_schema_config_request",
        "examples:modify_schema_config_request",
        "examples:update_connection_state_request",
    }
    # The reconstructed Faraday definition carries no examples at all.
    assert list(FARADAY.response_examples()) == []
    assert list(FARADAY.request_examples()) == []


def test_definition_contradicts_its_own_example_without_relaxations() -> None:
    raw = json.loads((SPECS_DIR / "fivetran-connections.json").read_text("utf-8"))
    strict = SpecValidator("fivetran", raw)
    with pytest.raises(SpecViolation) as caught:
        strict.validate_response("GET", "/v1/connections/c1", 200, _connection())
    assert caught.value.errors == [
        "$.data.setup_tests[0].details: 'Authentication failed (401 Unauthorized). Verify the "
        "provided credentials and permissions.' is not of type 'object'",
        "$.data.sync_frequency: 1440 is not one of ['1', '5', '15', '30', '60', '120', '180', "
        "'360', '480', '720', '1440']",
    ]


# --- violations name the field ----------------------------------------------------------------


def _set(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    *parents, last = dotted.split(".")
    node: Any = body
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[last] = value
    return body


@pytest.mark.parametrize(
    ("call", "field"),
    [
        pytest.param(
            lambda: FIVETRAN.validate_response(
                "GET", "/v1/connections/c1", 200, _set(_connection(), "data.paused", "yes")
            ),
            "$.data.paused",
            id="fivetran-response-wrong-type",
        ),
        pytest.param(
            lambda: FIVETRAN.validate_response(
                "GET", "/v1/connections/c1", 200, _set(_connection(), "data.created_at", "today")
            ),
            "$.data.created_at: 'today' is not a 'date-time'",
            id="fivetran-response-bad-format",
        ),
        pytest.param(
            lambda: FIVETRAN.validate_request_body(
                "POST", "/v1/connections", {"service": "google_ads"}
            ),
            "'group_id' is a required property",
            id="fivetran-request-missing-field",
        ),
        pytest.param(
            lambda: FIVETRAN.validate_request_body(
                "PATCH", "/v1/connections/c1", {"schedule_type": "sometimes"}
            ),
            "$.schedule_type",
            id="fivetran-request-not-in-enum",
        ),
        pytest.param(
            lambda: FIVETRAN.validate_request_body("DELETE", "/v1/connections/c1", {"a": 1}),
            "takes no request body",
            id="fivetran-body-where-none-is-defined",
        ),
        pytest.param(
            lambda: FIVETRAN.validate_response("GET", "/v1/connections/c1", 500, None),
            "status 500 is not declared",
            id="fivetran-undeclared-status",
        ),
        pytest.param(
            lambda: FARADAY.validate_request_body(
                "POST", "/connections", {"name": "n", "options": {"type": "postgres"}}
            ),
            "$.options: 'host' is a required property",
            id="faraday-discriminated-variant",
        ),
        pytest.param(
            lambda: FARADAY.validate_request_body(
                "POST", "/connections", {"name": "n", "options": {"type": "no_such_type"}}
            ),
            "$.options",
            id="faraday-unknown-discriminator-value",
        ),
        pytest.param(
            lambda: FARADAY.validate_request_body("PATCH", "/connections/c1", {"name": 5}),
            "$.name: 5 is not of type 'string'",
            id="faraday-merge-patch",
        ),
        pytest.param(
            lambda: FARADAY.validate_request_body("POST", "/connections/c1/archive", None),
            "a request body is required",
            id="faraday-required-body-absent",
        ),
        pytest.param(
            lambda: FARADAY.validate_response("GET", "/connections", 200, [{"name": "n"}]),
            "$[0]: 'id' is a required property",
            id="faraday-list-item",
        ),
        pytest.param(
            lambda: FARADAY.validate_response(
                "GET", "/connections/c1", 404, {"error": "GONE", "id": "e", "note": "n"}
            ),
            "$.error: 'GONE' is not one of",
            id="faraday-error-body",
        ),
        pytest.param(
            lambda: FARADAY.validate_response("DELETE", "/connections/c1", 204, {"a": 1}),
            "a 204 response has no body",
            id="faraday-204-with-body",
        ),
        pytest.param(
            lambda: FARADAY.validate_response("GET", "/connections/c1", 200, None),
            "declares a application/json body",
            id="faraday-missing-body",
        ),
    ],
)
def test_wrong_bodies_raise_naming_the_field(call: Any, field: str) -> None:
    with pytest.raises(SpecViolation) as caught:
        call()
    assert isinstance(caught.value, AssertionError)
    assert any(field in error for error in caught.value.errors), caught.value.errors


@pytest.mark.parametrize(
    ("spec", "method", "path", "body"),
    [
        pytest.param(FIVETRAN, "POST", "/v1/connections/c1/sync", None, id="optional-body-absent"),
        pytest.param(FIVETRAN, "POST", "/v1/connections/c1/sync", {"force": True}, id="sync-force"),
        pytest.param(
            FIVETRAN,
            "PATCH",
            "/v1/connections/c1",
            {"paused": True, "sync_frequency": 360},
            id="patch-integer-frequency",
        ),
        pytest.param(FARADAY, "PATCH", "/connections/c1", {"name": "n"}, id="merge-patch-json"),
        pytest.param(FARADAY, "POST", "/connections/c1/archive", {}, id="archive-config"),
    ],
)
def test_valid_request_bodies_pass(spec: SpecValidator, method: str, path: str, body: Any) -> None:
    spec.validate_request_body(method, path, body)


@pytest.mark.parametrize(
    ("spec", "method", "path", "status", "body"),
    [
        pytest.param(FARADAY, "POST", "/connections/c1/archive", 200, None, id="range-2XX"),
        pytest.param(FARADAY, "DELETE", "/connections/c1", 204, None, id="exact-204"),
        pytest.param(
            FIVETRAN, "DELETE", "/v1/connections/c1", 404, {"code": "NotFound"}, id="no-content"
        ),
        pytest.param(
            FARADAY,
            "POST",
            "/connections/c1/force_update",
            202,
            None,
            id="accepted-without-body",
        ),
    ],
)
def test_status_entries_are_chosen_exact_then_range(
    spec: SpecValidator, method: str, path: str, status: int, body: Any
) -> None:
    spec.validate_response(method, path, status, body)


# --- path matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "method", "path", "template"),
    [
        pytest.param(FIVETRAN, "get", "/v1/connections", "/v1/connections", id="collection"),
        pytest.param(
            FIVETRAN, "GET", "/v1/connections?cursor=x", "/v1/connections", id="query-ignored"
        ),
        pytest.param(
            FIVETRAN,
            "POST",
            "/v1/connections/abc/sync",
            "/v1/connections/{connectionId}/sync",
            id="concrete-action",
        ),
        pytest.param(
            FIVETRAN,
            "POST",
            "/v1/connections/abc/schemas/reload",
            "/v1/connections/{connectionId}/schemas/reload",
            id="literal-beats-parameter",
        ),
        pytest.param(
            FIVETRAN,
            "PATCH",
            "/v1/connections/abc/schemas/reload",
            "/v1/connections/{connectionId}/schemas/{schemaName}",
            id="parameter-when-literal-lacks-method",
        ),
        pytest.param(
            FIVETRAN,
            "GET",
            "/v1/connections/{connectionId}",
            "/v1/connections/{connectionId}",
            id="template",
        ),
        pytest.param(
            FARADAY,
            "GET",
            "/datasets/d1/logs/ingress/l1",
            "/datasets/{dataset_id}/logs/ingress/{log_id}",
            id="faraday-nested",
        ),
    ],
)
def test_operation_matches_concrete_paths(
    spec: SpecValidator, method: str, path: str, template: str
) -> None:
    op = spec.operation(method, path)
    assert (op.method, op.path) == (method.upper(), template)


@pytest.mark.parametrize(
    ("spec", "method", "path", "message"),
    [
        pytest.param(
            FIVETRAN, "GET", "/connections/abc", "closest: /v1/connections", id="missing-v1"
        ),
        pytest.param(FARADAY, "GET", "/v1/connections/abc", "closest: /connections", id="extra-v1"),
        pytest.param(
            FIVETRAN,
            "PUT",
            "/v1/connections/abc",
            "defined methods: DELETE, GET, PATCH",
            id="method-not-defined",
        ),
    ],
)
def test_unknown_operations_name_the_closest(
    spec: SpecValidator, method: str, path: str, message: str
) -> None:
    with pytest.raises(LookupError, match=message):
        spec.operation(method, path)


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(["/a/{id}/{sub}", "/a/{id}/b"], id="parameter-listed-first"),
        pytest.param(["/a/{id}/b", "/a/{id}/{sub}"], id="literal-listed-first"),
    ],
)
def test_literal_segment_beats_parameter_for_the_same_method(order: list[str]) -> None:
    paths: dict[str, Any] = {path: {"get": {"responses": {}}} for path in order}
    spec = SpecValidator("synthetic", {"servers": [{"url": "http://x"}], "paths": paths})
    assert spec.operation("GET", "/a/1/b").path == "/a/{id}/b"
    assert spec.operation("GET", "/a/1/c").path == "/a/{id}/{sub}"


def test_load_is_cached() -> None:
    assert SpecValidator.load("fivetran") is FIVETRAN


# --- relaxations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("data.sync_frequency", 360, id="sync-frequency-integer"),
        pytest.param("data.sync_frequency", "360", id="sync-frequency-declared-string"),
        pytest.param("data.succeeded_at", None, id="succeeded-at-null"),
        pytest.param("data.failed_at", None, id="failed-at-null"),
        pytest.param("data.setup_tests.0.details", ["any", {"json": 1}], id="details-any-json"),
    ],
)
def test_relaxed_fields_accept_the_real_shape(field: str, value: Any) -> None:
    FIVETRAN.validate_response("GET", "/v1/connections/c1", 200, _set(_connection(), field, value))


@pytest.mark.parametrize("field", ["schedule_type", "data_delay_sensitivity"])
def test_relaxed_fields_may_be_absent(field: str) -> None:
    body = _connection()
    del body["data"][field]
    FIVETRAN.validate_response("GET", "/v1/connections/c1", 200, body)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("data.sync_frequency", 7, id="sync-frequency-not-a-listed-minute"),
        pytest.param("data.sync_frequency", "daily", id="sync-frequency-word"),
        pytest.param("data.created_at", None, id="created-at-stays-non-null"),
        pytest.param("data.paused", None, id="paused-stays-non-null"),
        pytest.param("data.schedule_type", 5, id="schedule-type-keeps-its-type"),
        pytest.param("data.data_delay_sensitivity", "SOMETIMES", id="sensitivity-keeps-enum"),
        pytest.param("data.status.tasks", [{"details": {"a": 1}}], id="task-details-stay-string"),
    ],
)
def test_relaxations_reach_no_other_field(field: str, value: Any) -> None:
    with pytest.raises(SpecViolation) as caught:
        FIVETRAN.validate_response(
            "GET", "/v1/connections/c1", 200, _set(_connection(), field, value)
        )
    assert any(error.startswith("$." + field) for error in caught.value.errors)


@pytest.mark.parametrize("field", ["group_id", "created_at", "sync_frequency"])
def test_required_fields_other_than_the_relaxed_stay_required(field: str) -> None:
    body = _connection()
    del body["data"][field]
    with pytest.raises(SpecViolation, match=f"'{field}' is a required property"):
        FIVETRAN.validate_response("GET", "/v1/connections/c1", 200, body)


def test_relaxations_change_exactly_the_listed_fields() -> None:
    raw = json.loads((SPECS_DIR / "fivetran-connections.json").read_text("utf-8"))
    relaxed = FIVETRAN.spec["components"]["schemas"]
    changed = {
        (name, prop)
        for name, schema in raw["components"]["schemas"].items()
        for prop in set(schema.get("properties", {})) | set(schema.get("required", []))
        if schema.get("properties", {}).get(prop) != relaxed[name].get("properties", {}).get(prop)
        or (prop in schema.get("required", [])) != (prop in relaxed[name].get("required", []))
    }
    assert changed == {(item.schema, item.field) for item in FIVETRAN_RELAXATIONS}
    faraday_raw = json.loads((SPECS_DIR / "faraday-connections.json").read_text("utf-8"))
    assert FARADAY.spec == faraday_raw


def test_relaxations_refuse_a_spec_that_no_longer_says_what_they_relax() -> None:
    spec = copy.deepcopy(FIVETRAN.spec)
    with pytest.raises(ValueError, match="sync_frequency is no longer an integer"):
        apply_relaxations(spec, FIVETRAN_RELAXATIONS)
