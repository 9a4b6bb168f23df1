"""Secrets in the credentials or in a connection's config never show in text we produce."""

import logging
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from conn_shared.backends.fivetran import FivetranBackend, FivetranConnectionSpec
from conn_shared.backends.fivetran.models import ConnectCardResult, Connection
from conn_shared.errors import ApiError, ConnError
from conn_shared.lifecycle import ensure_connection, get_readiness
from tests.unit.fivetran.support import (
    API_KEY,
    API_SECRET,
    BASIC,
    FakeFivetran,
    backend,
    connection,
    error,
)

CONFIG_SECRET = "pg-Pa55word-9f8e7d"
TOKEN_SECRET = "ya29.refresh-token-abcdef"
CARD_TOKEN = "eyJhbGciOiJIUzI1NiJ9.card-token"
EVERY_SECRET = (API_KEY, API_SECRET, BASIC.split()[1], CONFIG_SECRET, TOKEN_SECRET, CARD_TOKEN)


def _assert_clean(text: str) -> None:
    for secret in EVERY_SECRET:
        assert secret not in text, f"secret {secret[:6]}... leaked"


def _spec() -> FivetranConnectionSpec:
    return FivetranConnectionSpec(
        group_id="group_1",
        service="postgres",
        config={
            "schema_prefix": "pg",
            "password": CONFIG_SECRET,
            "tunnel": {"private_key": CONFIG_SECRET},
            "connection_string": SecretStr(CONFIG_SECRET),
        },
        auth={"refresh_token": TOKEN_SECRET, "client_id": "cid"},
    )


def test_settings_backend_and_profile_reprs_hide_credentials() -> None:
    api = backend()
    _assert_clean(repr(api.settings) + str(api.settings) + repr(api) + repr(api.profile()))


def test_spec_repr_and_str_hide_config_and_auth() -> None:
    spec = _spec()
    _assert_clean(repr(spec) + str(spec))
    assert "cid" not in repr(spec)  # all of auth is hidden
    assert "schema_prefix='pg'" not in repr(spec)
    assert "'schema_prefix': 'pg'" in repr(spec)


def test_a_connection_echoing_secrets_hides_them_everywhere() -> None:
    body = connection(
        config={"schema_prefix": "pg", "password": CONFIG_SECRET},
        auth={"refresh_token": TOKEN_SECRET},
        connect_card={"token": CARD_TOKEN, "uri": f"https://fivetran.com/cc?auth={CARD_TOKEN}"},
    )
    parsed = Connection.model_validate(body)
    _assert_clean(repr(parsed) + str(parsed) + str(parsed.redacted()))
    card = ConnectCardResult.model_validate(
        {"connector_id": "c", "connect_card": body["connect_card"]}
    )
    _assert_clean(repr(card) + str(card))
    assert card.connect_card is not None
    assert card.connect_card.token is not None
    assert card.connect_card.token.get_secret_value() == CARD_TOKEN


def _leaky(request: httpx.Request) -> httpx.Response:
    # A vendor error that echoes what it was sent: the credentials and the config.
    return error(
        400,
        "InvalidInput",
        f"bad auth {API_KEY}:{API_SECRET} ({BASIC}) for {request.content.decode()[:0]}",
    )


def test_errors_that_echo_credentials_are_scrubbed(
    run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = backend()
    with pytest.raises(ApiError) as caught:
        run(api, _leaky, api.connection_details("conn_1"))
    _assert_clean(str(caught.value) + repr(caught.value) + caught.value.message)
    _assert_clean(caplog.text)


def test_flows_log_nothing_secret(run: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake, api = FakeFivetran(), backend()
    fake.faults[("POST", "/v1/connections")] = [error(503, "Unavailable", "down")]
    result, _ = run(api, fake, ensure_connection(api, _spec()))
    readiness, _ = run(api, fake, get_readiness(api, result.connection.connection_id))
    _assert_clean(caplog.text)
    _assert_clean(repr(result) + str(result.connection.raw) + repr(readiness) + str(readiness.raw))
    # The secret did reach the vendor: redaction is about our text, not the request.
    assert CONFIG_SECRET in fake.requests[-2].content.decode()


def test_ensure_scrubs_a_secret_the_vendor_echoed(run: Any) -> None:
    fake, api = FakeFivetran(secret_fields=frozenset()), backend()
    result, _ = run(api, fake, ensure_connection(api, _spec()))
    assert "connection_string" in result.connection.raw["config"]
    _assert_clean(str(result.connection.raw))


def test_failed_ensure_error_text_is_clean(run: Any) -> None:
    fake, api = FakeFivetran(), backend()
    fake.faults[("POST", "/v1/connections")] = [error(503, "Unavailable", "down")] * 3
    with pytest.raises(ConnError) as caught:
        run(api, fake, ensure_connection(api, _spec()))
    _assert_clean(str(caught.value) + repr(caught.value))


def test_keyword_construction_matches_settings() -> None:
    api = FivetranBackend(api_key=API_KEY, api_secret=API_SECRET)
    assert api.settings.base_url == "https://api.fivetran.com"
    assert api.profile().auth is not None
    _assert_clean(repr(api.settings))
    with pytest.raises(ValueError, match="either settings or keyword"):
        FivetranBackend(api.settings, api_key="x")
