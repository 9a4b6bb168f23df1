"""How to reach one connections hub, and where its API and web pages are.

The hub is self-hosted, so there is no default base URL: `HubSettings.base_url`
is the user's server, the API is under `{base}/api/v1` (`api_root`) and its
web pages under `{base}` (`site_root`).
"""

from pydantic import SecretStr

from conn_shared.backends.base import BackendSettings

__all__ = ["API_PREFIX", "HubSettings", "api_root", "site_root"]

API_PREFIX = "/api/v1"


class HubSettings(BackendSettings):
    """One hub account: the server's base URL (required, no default) and a bearer token.

    Example: `HubSettings(base_url="https://hub.example.com", token=SecretStr("..."))`
    talks to `https://hub.example.com/api/v1`; `ui_base_url` defaults to the same
    server without `/api/v1`.
    """

    token: SecretStr


def api_root(base_url: str) -> str:
    """`base_url` with `/api/v1` appended once (kept when it is already there)."""
    root = base_url.strip().rstrip("/")
    if not root:
        raise ValueError("base_url: the hub has no default address; give your server's URL")
    if root.endswith(API_PREFIX):
        return root
    return root + API_PREFIX


def site_root(base_url: str) -> str:
    """The server itself, `{base}`: `base_url` without a trailing `/api/v1`."""
    return api_root(base_url)[: -len(API_PREFIX)]
