"""The simulator's default credentials, in one place.

These are fake keys that only the local simulator accepts; printing them is fine.
Clients under test, the demo, the CLI and the pytest fixture all read them from here.
"""

from dataclasses import dataclass
from typing import Any

__all__ = [
    "FARADAY_API_KEY",
    "FARADAY_EXPIRED_API_KEY",
    "FIVETRAN_API_KEY",
    "FIVETRAN_API_SECRET",
    "FIVETRAN_EXPIRED_API_KEY",
    "HUB_EXPIRED_TOKEN",
    "HUB_TOKEN",
    "SimCredentials",
]

#: Fivetran uses HTTP Basic auth with an API key and secret.
FIVETRAN_API_KEY = "sim-fivetran-key"
FIVETRAN_API_SECRET = "sim-fivetran-secret"  # noqa: S105 (a fake, simulator-only value)
#: A key the Fivetran simulator knows but treats as expired (any secret): 401.
FIVETRAN_EXPIRED_API_KEY = "sim-fivetran-expired-key"

#: Faraday uses `Authorization: Bearer <key>`.
FARADAY_API_KEY = "sim-faraday-key"
FARADAY_EXPIRED_API_KEY = "sim-faraday-expired-key"

#: The hub uses `Authorization: Bearer <token>`.
HUB_TOKEN = "sim-hub-token"  # noqa: S105 (a fake, simulator-only value)
HUB_EXPIRED_TOKEN = "sim-hub-expired-token"  # noqa: S105 (a fake, simulator-only value)


@dataclass(frozen=True)
class SimCredentials:
    """The credentials one simulator instance accepts (defaults: the constants above)."""

    fivetran_api_key: str = FIVETRAN_API_KEY
    fivetran_api_secret: str = FIVETRAN_API_SECRET
    fivetran_expired_keys: tuple[str, ...] = (FIVETRAN_EXPIRED_API_KEY,)
    faraday_api_key: str = FARADAY_API_KEY
    faraday_expired_keys: tuple[str, ...] = (FARADAY_EXPIRED_API_KEY,)
    hub_token: str = HUB_TOKEN
    hub_expired_tokens: tuple[str, ...] = (HUB_EXPIRED_TOKEN,)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Plain JSON, for printing by the CLI and for the admin state dump."""
        return {
            "fivetran": {
                "api_key": self.fivetran_api_key,
                "api_secret": self.fivetran_api_secret,
                "expired_keys": list(self.fivetran_expired_keys),
            },
            "faraday": {
                "api_key": self.faraday_api_key,
                "expired_keys": list(self.faraday_expired_keys),
            },
            "hub": {"token": self.hub_token, "expired_tokens": list(self.hub_expired_tokens)},
        }
