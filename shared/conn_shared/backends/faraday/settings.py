"""How to reach one Faraday account, and where its web app is."""

from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from conn_shared.backends.base import BackendSettings

__all__ = ["DEFAULT_BASE_URL", "FaradaySettings", "app_root"]

DEFAULT_BASE_URL = "https://api.faraday.ai/v1"


class FaradaySettings(BackendSettings):
    """One Faraday account: its API key (from the dashboard's Settings page) and transport.

    `ui_base_url` defaults to the app that `base_url` belongs to (see `app_root`).
    """

    api_key: SecretStr
    base_url: str = DEFAULT_BASE_URL


def app_root(base_url: str) -> str:
    """Faraday's web app for an API base URL: `https://api.faraday.ai/v1` -> `https://app.faraday.ai`.

    The API version suffix (`/v1`) is dropped and a host starting with `api.`
    becomes `app.`; any other host (a proxy, the simulator) keeps its address.
    """
    parts = urlsplit(base_url.strip().rstrip("/"))
    path = parts.path[: -len("/v1")] if parts.path.endswith("/v1") else parts.path
    host = parts.netloc
    if host.startswith("api."):
        host = "app." + host[len("api.") :]
    return urlunsplit((parts.scheme, host, path, "", ""))
