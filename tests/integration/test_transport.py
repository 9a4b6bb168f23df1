"""Transport safety: TLS verification on, no credentials over plain http off this machine,
no credentials carried by a redirect, and base URLs with paths, slashes and prefixes."""

import logging
import ssl
from pathlib import Path

import certifi
import httpx
import pytest

from conn_shared import (
    ApiError,
    FaradayBackend,
    FivetranBackend,
    HubBackend,
    InsecureTransportError,
    SyncExecutor,
    backend_entry,
)
from conn_shared.sim.server import SimServer
from tests.integration.support import make_backend

KEY, SECRET = "transport-key-7c2e", "transport-secret-91fd"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://api.example.com", id="remote-name"),
        pytest.param("http://10.0.0.7:8080/fivetran", id="private-address"),
        pytest.param("http://user:pw-in-url@api.example.com", id="userinfo"),
    ],
)
def test_plain_http_to_another_host_is_refused_before_any_request(url: str) -> None:
    with pytest.raises(InsecureTransportError, match="allow_insecure_http") as caught:
        FivetranBackend(api_key=KEY, api_secret=SECRET, base_url=url)
    assert "pw-in-url" not in str(caught.value)
    assert caught.value.url.startswith("http://")


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://127.0.0.1:9", id="ipv4-loopback"),
        pytest.param("http://127.10.0.1:9", id="loopback-range"),
        pytest.param("http://[::1]:9", id="ipv6-loopback"),
        pytest.param("http://localhost:9", id="localhost"),
        pytest.param("https://api.example.com", id="https"),
    ],
)
def test_loopback_and_https_are_allowed(url: str) -> None:
    assert FivetranBackend(api_key=KEY, api_secret=SECRET, base_url=url).profile().base_url == url


def test_plain_http_can_be_allowed_explicitly_for_every_backend() -> None:
    for name, fields in (
        ("fivetran", {"api_key": KEY, "api_secret": SECRET}),
        ("faraday", {"api_key": KEY}),
        ("hub", {"token": KEY}),
    ):
        backend = backend_entry(name).build(
            base_url="http://proxy.internal/x", allow_insecure_http=True, **fields
        )
        assert backend.profile().base_url.startswith("http://proxy.internal/x")


def test_tls_verification_is_on_by_default_and_off_only_when_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    default = FaradayBackend(api_key=KEY).profile().client_options()["verify"]
    assert default.verify_mode is ssl.CERT_REQUIRED
    assert default.check_hostname
    with caplog.at_level(logging.WARNING, logger="conn_shared.backends"):
        off = FaradayBackend(api_key=KEY, verify_tls=False).profile().client_options()["verify"]
    assert off.verify_mode is ssl.CERT_NONE
    assert any("TLS verification is off" in r.getMessage() for r in caplog.records)


def test_a_redirect_is_not_followed_and_names_where_it_pointed() -> None:
    seen: list[httpx.Request] = []

    def redirecting(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "https://evil.example.net/steal?x=1"})

    backend = HubBackend(base_url="https://hub.example.com", token=KEY)
    with (
        SyncExecutor(backend.profile(), transport=httpx.MockTransport(redirecting)) as executor,
        pytest.raises(ApiError, match=r"redirect to https://evil\.example\.net/steal") as caught,
    ):
        executor.call(backend.list_connections())
    assert [r.url.host for r in seen] == ["hub.example.com"]  # nothing went to the other host
    assert caught.value.status == 302
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    "suffix", [pytest.param("", id="as-is"), pytest.param("/", id="trailing-slash")]
)
@pytest.mark.parametrize("name", ["fivetran", "faraday", "hub"])
def test_base_urls_with_a_path_prefix_and_a_trailing_slash_work(
    sim: SimServer, name: str, suffix: str
) -> None:
    # Every simulated vendor is mounted under a path prefix (/fivetran, /faraday/v1, /hub),
    # as a reverse proxy would put it.
    backend = make_backend(name, sim)
    settings = backend.settings.model_copy(update={"base_url": sim.base_url(name) + suffix})
    prefixed = type(backend)(settings)
    with SyncExecutor(prefixed.profile()) as executor:
        page = executor.call(prefixed.list_connections())
    assert page.items == []


def test_a_ca_bundle_is_loaded_when_the_settings_are_built(tmp_path: Path) -> None:
    not_pem = tmp_path / "bundle.pem"
    not_pem.write_text("not a certificate\n")
    for path in (tmp_path / "missing.pem", not_pem, tmp_path):
        with pytest.raises(ValueError, match="ca_bundle") as raised:
            FaradayBackend(api_key=KEY, ca_bundle=str(path))
        assert KEY not in str(raised.value)

    bundle = certifi.where()
    verify = FaradayBackend(api_key=KEY, ca_bundle=bundle).profile().client_options()["verify"]
    assert verify.verify_mode is ssl.CERT_REQUIRED
