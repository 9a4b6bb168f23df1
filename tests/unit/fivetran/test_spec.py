"""The ensure spec: identity from schema_name or config, and drift that ignores secrets."""

import doctest
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from conn_shared.backends.fivetran import spec as fivetran_spec
from conn_shared.backends.fivetran.models import Connection
from conn_shared.backends.fivetran.spec import FivetranConnectionSpec
from tests.support.openapi import SpecValidator
from tests.unit.fivetran.support import backend, connection

SPEC = SpecValidator.load("fivetran")


@pytest.mark.parametrize(
    ("fields", "name", "config"),
    [
        pytest.param({"schema_name": "sales"}, "sales", {"schema": "sales"}, id="name-only"),
        pytest.param(
            {"schema_name": "gsheets.budget"},
            "gsheets.budget",
            {"schema": "gsheets", "table": "budget"},
            id="dotted-name-splits",
        ),
        pytest.param({"config": {"schema": "crm"}}, "crm", {"schema": "crm"}, id="config-schema"),
        pytest.param(
            {"config": {"schema": "files", "table": "orders"}},
            "files.orders",
            {"schema": "files", "table": "orders"},
            id="config-schema-table",
        ),
        pytest.param(
            {"config": {"schema": "merge", "table_group_name": "g1"}},
            "merge.g1",
            {"schema": "merge", "table_group_name": "g1"},
            id="config-table-group",
        ),
        pytest.param(
            {"config": {"schema_prefix": "pg"}}, "pg", {"schema_prefix": "pg"}, id="config-prefix"
        ),
        pytest.param(
            {"schema_name": "pg", "config": {"schema_prefix": "pg"}},
            "pg",
            {"schema_prefix": "pg"},
            id="both-agree",
        ),
    ],
)
def test_identity(fields: dict[str, Any], name: str, config: dict[str, Any]) -> None:
    spec = FivetranConnectionSpec(group_id="g", service="svc", **fields)
    assert spec.connection_name == name
    assert spec.request_config() == config


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({}, "schema_name: required", id="no-name"),
        pytest.param(
            {"schema_name": "a", "config": {"schema": "b"}}, "disagrees", id="name-disagrees"
        ),
        pytest.param({"schema_name": "a", "sync_frequency": 7}, "sync_frequency", id="frequency"),
        pytest.param({"schema_name": "a", "group_id": ""}, "group_id", id="empty-group"),
        pytest.param({"schema_name": "a", "unknown": 1}, "unknown", id="unknown-field"),
    ],
)
def test_invalid_specs_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FivetranConnectionSpec(**{"group_id": "g", "service": "svc", **fields})


def test_create_request_from_a_spec_validates_against_the_definition() -> None:
    spec = FivetranConnectionSpec(
        group_id="g",
        service="postgres",
        schema_name="pg",
        config={"host": "db", "password": SecretStr("pw-secret")},
        auth={"client_secret": "x"},
        paused=True,
        sync_frequency=60,
        schedule_type="manual",
        daily_sync_time="01:00",
        run_setup_tests=False,
        trust_certificates=True,
        connect_card_config={"redirect_uri": "https://x.test"},
    )
    call = backend().create_connection(**spec.create_fields())
    assert call.json["config"] == {"host": "db", "password": "pw-secret", "schema": "pg"}
    assert call.json["connect_card_config"] == {"redirect_uri": "https://x.test"}
    SPEC.validate_request_body("POST", "/v1/connections", call.json)


def _live(**fields: Any) -> Connection:
    return Connection.model_validate(connection(**fields))


LIVE_CONFIG = {
    "schema_prefix": "pg",
    "host": "db.internal",
    "port": 5432,
    "password": "******",
    "tunnel": {"host": "bastion", "private_key": "******"},
    "tables": ["a", "b"],
}

DRIFT_CASES = [
    pytest.param({}, {}, id="nothing-set"),
    pytest.param({"config": {"host": "db.internal", "port": "5432"}}, {}, id="same-config"),
    pytest.param(
        {"config": {"host": "db2.internal"}}, {"config": {"host": "db2.internal"}}, id="host"
    ),
    pytest.param({"config": {"password": "new-password"}}, {}, id="secret-key-never-drift"),
    pytest.param({"config": {"api_value": SecretStr("zz")}}, {}, id="secretstr-never-drift"),
    pytest.param({"config": {"tunnel": {"host": "bastion", "private_key": "k"}}}, {}, id="nested"),
    pytest.param(
        {"config": {"tunnel": {"host": "b2"}}},
        {"config": {"tunnel": {"host": "b2"}}},
        id="nested-drift",
    ),
    pytest.param({"config": {"tables": ["a", "b"]}}, {}, id="list-same"),
    pytest.param({"config": {"tables": ["a"]}}, {"config": {"tables": ["a"]}}, id="list-drift"),
    pytest.param({"config": {"not_echoed": 1}}, {}, id="absent-key-not-drift"),
    pytest.param({"config": {"schema_prefix": "pg"}}, {}, id="identity-ignored"),
    pytest.param({"paused": False, "sync_frequency": 360}, {}, id="settings-same"),
    pytest.param({"paused": True}, {"paused": True}, id="paused"),
    pytest.param({"sync_frequency": 60}, {"sync_frequency": 60}, id="frequency"),
    pytest.param({"schedule_type": "manual"}, {"schedule_type": "manual"}, id="schedule"),
    pytest.param({"daily_sync_time": "03:00"}, {"daily_sync_time": "03:00"}, id="daily-time"),
    pytest.param(
        {"paused": True, "run_setup_tests": True, "trust_fingerprints": True},
        {"paused": True, "run_setup_tests": True, "trust_fingerprints": True},
        id="tests-ride-along",
    ),
    pytest.param({"run_setup_tests": True}, {}, id="tests-alone-no-patch"),
]


@pytest.mark.parametrize(("fields", "patch"), DRIFT_CASES)
def test_drift(fields: dict[str, Any], patch: dict[str, Any]) -> None:
    config = {"schema_prefix": "pg", **fields.pop("config", {})}
    spec = FivetranConnectionSpec(group_id="group_1", service="postgres", config=config, **fields)
    live = _live(config=LIVE_CONFIG, sync_frequency="360", daily_sync_time="14:00")
    assert spec.drift(live) == patch


def test_masked_value_in_answer_is_never_drift() -> None:
    spec = FivetranConnectionSpec(
        group_id="g", service="s", schema_name="pg", config={"connection_string": "host=db"}
    )
    live = _live(config={"connection_string": "********"})
    assert spec.drift(live) == {}


def test_docstring_examples_run() -> None:
    result = doctest.testmod(fivetran_spec)
    assert result.attempted >= 3
    assert result.failed == 0
