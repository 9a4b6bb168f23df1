"""Parse-time checks, the connection form declared in provider info, and connection errors."""

import json
from importlib.resources import files
from typing import Any

import jsonschema
import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import redact

from airflow_provider_conn import (
    ConnectionReadySensor,
    EnsureConnectionOperator,
    SyncCompleteSensor,
    TriggerSyncOperator,
    VerifyConnectionOperator,
    get_provider_info,
)
from airflow_provider_conn.assets import SyncCompletedTrigger, asset_uri
from airflow_provider_conn.hooks import ConnectionTypeError, hook_class
from conn_shared import (
    TRANSPORT_SETTINGS,
    UnknownBackendError,
    UnsupportedStepError,
    backend_names,
)
from conn_shared.sim.server import SimServer
from tests.airflow.conftest import connection_json

BAD = [
    pytest.param(
        TriggerSyncOperator,
        {"backend": "hub", "connection_id": "c"},
        UnsupportedStepError,
        "hub backend does not support step 'sync'",
        id="sync-on-the-hub",
    ),
    pytest.param(
        VerifyConnectionOperator,
        {"backend": "faraday", "connection_id": "c"},
        UnsupportedStepError,
        "faraday backend does not support step 'verify'",
        id="verify-on-faraday",
    ),
    pytest.param(
        TriggerSyncOperator,
        {"backend": "snowpipe", "connection_id": "c"},
        UnknownBackendError,
        "expected one of fivetran, faraday, hub",
        id="unknown-backend",
    ),
    pytest.param(
        EnsureConnectionOperator,
        {
            "backend": "fivetran",
            "spec": {"group_id": "g", "service": "postgres", "sync_frequency": 7},
        },
        ValueError,
        "spec: invalid FivetranConnectionSpec: spec",
        id="bad-spec-field",
    ),
    pytest.param(
        TriggerSyncOperator,
        {"backend": "fivetran", "connection_id": "c", "resync": True, "tables": ["orders"]},
        ValueError,
        "tables: each item must be 'schema.table'",
        id="bad-table",
    ),
    pytest.param(
        TriggerSyncOperator,
        {"backend": "fivetran", "connection_id": "c", "tables": ["public.orders"]},
        ValueError,
        "tables: only a resync takes tables",
        id="tables-without-resync",
    ),
    pytest.param(
        TriggerSyncOperator,
        {"backend": "fivetran", "connection_id": "c", "poll_interval": 0},
        ValueError,
        "poll_interval: expected a number of seconds > 0",
        id="bad-poll-interval",
    ),
    pytest.param(
        ConnectionReadySensor,
        {"backend": "hub", "connection_id": "c", "deferrable": False, "start_from_trigger": True},
        ValueError,
        "start_from_trigger: needs deferrable=True",
        id="start-from-trigger-without-deferral",
    ),
    pytest.param(
        SyncCompleteSensor,
        {"backend": "hub", "handle": {}},
        UnsupportedStepError,
        "hub backend does not support step 'sync_outcome'",
        id="sync-sensor-on-the-hub",
    ),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "message"), BAD)
def test_bad_parameters_fail_at_construction_naming_them(
    cls: type, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with DAG("parse_checks", schedule=None), pytest.raises(error, match=message):
        cls(task_id="t", **kwargs)


def test_an_asset_for_a_backend_without_syncs_is_refused() -> None:
    with pytest.raises(UnsupportedStepError, match="hub backend does not support"):
        asset_uri("hub", "c1")
    with pytest.raises(UnsupportedStepError, match="hub backend"):
        SyncCompletedTrigger(backend="hub", conn_id="h", connection_id="c1")


def test_a_literal_spec_secret_is_masked_when_the_dag_is_parsed() -> None:
    secret = "literal-spec-secret-4d2a"
    spec = {"name": "n", "options": {"type": "postgres", "password": secret}}
    with DAG("parse_mask", schedule=None):
        EnsureConnectionOperator(task_id="t", backend="faraday", spec=spec)

    assert secret not in redact(f"options: {spec}")


def test_provider_info_validates_against_both_airflow_schemas() -> None:
    info = get_provider_info()
    runtime = json.loads(files("airflow").joinpath("provider_info.schema.json").read_text())
    strict = json.loads(files("airflow").joinpath("provider.yaml.schema.json").read_text())

    jsonschema.validate(info, runtime)
    connection_types = {
        "type": "object",
        "properties": {"connection-types": strict["properties"]["connection-types"]},
    }
    jsonschema.validate({"connection-types": info["connection-types"]}, connection_types)
    declared = {c["connection-type"]: c["hook-class-name"] for c in info["connection-types"]}
    assert declared == {
        hook_class(name).conn_type: f"airflow_provider_conn.hooks.{hook_class(name).__name__}"
        for name in backend_names()
    }


CONNECTION_ERRORS = [
    pytest.param(None, "no such Airflow connection", id="missing"),
    pytest.param(
        "hub", "connection type 'conn_hub', but the fivetran backend needs", id="wrong-type"
    ),
]


@pytest.mark.parametrize(("stored", "message"), CONNECTION_ERRORS)
def test_a_missing_or_wrong_connection_fails_the_task_clearly(
    airflow_env: SimServer, monkeypatch: pytest.MonkeyPatch, stored: str | None, message: str
) -> None:
    if stored is None:
        monkeypatch.delenv("AIRFLOW_CONN_CONN_FIVETRAN_DEFAULT")
    else:
        monkeypatch.setenv(
            "AIRFLOW_CONN_CONN_FIVETRAN_DEFAULT", connection_json(airflow_env, stored)
        )
    with DAG("conn_errors", schedule=None):
        task = TriggerSyncOperator(task_id="t", backend="fivetran", connection_id="c")

    with pytest.raises(AirflowFailException, match=message) as raised:
        task.get_backend()
    assert isinstance(raised.value.__cause__, ConnectionTypeError)


def test_the_test_button_makes_one_authenticated_call(airflow_env: SimServer) -> None:
    ok, message = hook_class("fivetran")().test_connection()

    assert (ok, message) == (True, "fivetran: authenticated")
    assert airflow_env.count("fivetran", "GET", "/v1/connections") == 1


def test_every_transport_setting_is_a_form_field_the_hook_passes_on() -> None:
    for connection_type in get_provider_info()["connection-types"]:
        assert set(TRANSPORT_SETTINGS) <= set(connection_type["conn-fields"])


TRANSPORT_EXTRAS = [
    pytest.param(
        {"base_url": "http://fivetran.internal:8080"},
        "allow_insecure_http",
        id="plain-http-refused",
    ),
    pytest.param(
        {"base_url": "http://fivetran.internal:8080", "allow_insecure_http": True},
        None,
        id="plain-http-allowed",
    ),
    pytest.param({"verify_tls": "false", "ca_bundle": ""}, None, id="form-strings"),
    pytest.param({"verify_tls": "sometimes"}, "verify_tls", id="bad-boolean"),
]


@pytest.mark.parametrize(("extra", "refused_for"), TRANSPORT_EXTRAS)
def test_the_connection_form_sets_tls_and_plain_http(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any], refused_for: str | None
) -> None:
    stored = {"conn_type": "conn_fivetran", "login": "key", "password": "sEcReT-tls-5e1"}
    monkeypatch.setenv("AIRFLOW_CONN_TLS_CHECK", json.dumps({**stored, "extra": extra}))
    hook = hook_class("fivetran")("tls_check")

    if refused_for is not None:
        with pytest.raises(ConnectionTypeError, match=refused_for) as raised:
            hook.get_backend()
        assert "sEcReT-tls-5e1" not in str(raised.value)
        return
    settings = hook.get_backend().settings
    assert settings.allow_insecure_http is bool(extra.get("allow_insecure_http"))
    assert settings.verify_tls is (extra.get("verify_tls") != "false")
    assert settings.ca_bundle is None
