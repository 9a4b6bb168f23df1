"""The token and connection secrets never show in reprs, error text or logs."""

import logging

import httpx
import pytest
from pydantic import SecretStr

from conn_shared.backends.hub import HubConnectionSpec
from conn_shared.backends.hub.models import EditSettings, HubConnection
from conn_shared.calls import Flow
from conn_shared.errors import InvalidRequestError
from conn_shared.lifecycle import ensure_connection

from .support import MODES, SECRET, TOKEN, FakeHub, Mode, connection, make_backend, run_flow

SPEC = HubConnectionSpec(
    name="orders",
    provider="postgres",
    config={"host": "db", "password": SECRET, "nested": {"apiKey": SECRET}},
    credentials={"password": SecretStr(SECRET)},
)


def _assert_clean(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text


def test_models_spec_backend_and_calls_hide_secrets() -> None:
    backend = make_backend(extra_headers={"X-Tenant": "t1"})
    conn = HubConnection.model_validate(
        connection(
            config={"password": SECRET, "host": "db"},
            verificationDetails={"client_secret": SECRET},
            serviceToken=SECRET,
        )
    )
    create = backend.create_connection(
        name="n", provider="postgres", credentials=SPEC.credentials, config=SPEC.config
    )
    update = backend.update_connection("c-1", credentials={"password": SECRET})
    settings = EditSettings.model_validate(
        {"config": {"token": SECRET}, "secretFields": {"password": {"configured": True}}}
    )
    for thing in (SPEC, conn, settings, backend, backend.profile(), create, update):
        _assert_clean(repr(thing))
        _assert_clean(str(thing))
    assert "secretFields={'password': SecretFieldState(configured=True)}" in repr(settings)
    assert "host='db'" not in repr(SPEC)  # the whole config is credential-free text...
    assert "'host': 'db'" in repr(SPEC)  # ...with non-secret keys still readable


@pytest.mark.parametrize("mode", MODES)
def test_ensure_and_update_logs_nothing_secret(
    mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hub = FakeHub()
    hub.lose_creates = 1
    backend = make_backend()
    created = run_flow(mode, backend, hub, ensure_connection(backend, SPEC))
    hub.credentials["c-1"].clear()  # the hub forgot the password: drift on the next ensure
    updated = run_flow(mode, backend, hub, ensure_connection(backend, SPEC))

    assert (created.created, updated.updated) == (True, True)
    assert SECRET in hub.credentials["c-1"].values()  # it was really sent...
    assert "may or may not have been applied" in caplog.text  # ...and the logs were captured
    _assert_clean(caplog.text)
    for result in (created, updated):
        _assert_clean(repr(result))
        _assert_clean(result.model_dump_json())


@pytest.mark.parametrize("mode", MODES)
def test_validation_error_echoing_input_stays_clean(
    mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        detail = [
            {
                "loc": ["body", "credentials"],
                "msg": f"Value error, bad credentials for {TOKEN}",
                "type": "value_error",
                "input": {"password": SECRET},
            }
        ]
        return httpx.Response(422, json={"detail": detail})

    backend = make_backend()
    call = backend.create_connection(
        name="n", provider="postgres", credentials={"password": SecretStr(SECRET)}
    )

    def flow() -> Flow[HubConnection]:
        created: HubConnection = yield call
        return created

    with pytest.raises(InvalidRequestError) as caught:
        run_flow(mode, backend, handler, flow())
    error = caught.value
    assert [f.field for f in error.field_errors] == ["credentials"]
    assert error.field_errors[0].message == "Value error, bad credentials for ***"
    _assert_clean(str(error))
    _assert_clean(repr(error))
    _assert_clean(caplog.text)
