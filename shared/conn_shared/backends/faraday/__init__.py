"""The faraday backend."""

from conn_shared.backends.faraday.backend import (
    DEFAULT_BASE_URL,
    MERGE_PATCH,
    BearerAuth,
    FaradayBackend,
    FaradayConnectionSpec,
    FaradaySettings,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MERGE_PATCH",
    "BearerAuth",
    "FaradayBackend",
    "FaradayConnectionSpec",
    "FaradaySettings",
]
