"""How to reach one Fivetran account."""

from pydantic import SecretStr

from conn_shared.backends.base import BackendSettings

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_UI_BASE_URL", "FivetranSettings"]

DEFAULT_BASE_URL = "https://api.fivetran.com"
#: Fivetran's dashboard; a connection's page is `{ui}/connections/{id}`.
DEFAULT_UI_BASE_URL = "https://fivetran.com/dashboard"


class FivetranSettings(BackendSettings):
    """One Fivetran account: API key and secret (HTTP Basic auth) and the API root.

    `base_url` is the host only; paths start with `/v1/`. `ui_base_url` defaults
    to Fivetran's dashboard, `https://fivetran.com/dashboard`, whatever `base_url`
    is: Fivetran has one web UI, even when the API is reached through a proxy.
    """

    api_key: SecretStr
    api_secret: SecretStr
    base_url: str = DEFAULT_BASE_URL
