"""The hub's connection record, how the API renders it, the providers and list ordering.

The verification transitions are in states.py (`Verification`, mixed into the record).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conn_shared.sim.clock import SimClock
from conn_shared.sim.hub.states import Verification

__all__ = [
    "FILE_PROVIDERS",
    "PROVIDERS",
    "SCHEMA_PROVIDERS",
    "SECRET_FIELDS",
    "SORT_FIELDS",
    "HubConnection",
    "slugify",
    "sort_key",
]

#: The providers the hub's create endpoint accepts, in the document's order.
PROVIDERS = (
    "shopify",
    "http_api",
    "flexiroam",
    "starlink",
    "s3",
    "google_drive",
    "msft_sharepoint",
    "klaviyo",
    "amazon_sp",
    "salesforce",
    "netsuite",
    "sqlserver",
    "postgres",
    "mlflow",
    "sftp",
    "gmail_inbox",
    "dropbox",
    "rydership",
    "gorgias",
    "redo",
    "bullhorn",
)
#: Providers whose connections can list and select files.
FILE_PROVIDERS = frozenset({"s3", "google_drive", "msft_sharepoint", "sftp", "gmail_inbox"})
FILE_PROVIDERS |= {"dropbox"}
#: Providers whose connections expose tables (schema, columns, sample, query).
SCHEMA_PROVIDERS = frozenset({"postgres", "sqlserver", "netsuite", "salesforce"})
#: The secret settings each provider expects (the simulator's choice; shown in edit-settings).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "shopify": ("access_token",),
    "http_api": ("api_key",),
    "flexiroam": ("api_key",),
    "starlink": ("client_secret",),
    "s3": ("secret_access_key",),
    "google_drive": ("refresh_token",),
    "msft_sharepoint": ("client_secret",),
    "klaviyo": ("private_api_key",),
    "amazon_sp": ("client_secret", "refresh_token"),
    "salesforce": ("client_secret", "refresh_token"),
    "netsuite": ("consumer_secret", "token_secret"),
    "sqlserver": ("password",),
    "postgres": ("password",),
    "mlflow": ("token",),
    "sftp": ("password", "private_key"),
    "gmail_inbox": ("refresh_token",),
    "dropbox": ("refresh_token",),
    "rydership": ("api_key",),
    "gorgias": ("api_key",),
    "redo": ("api_key",),
    "bullhorn": ("client_secret", "password"),
}
SORT_FIELDS = ("name", "created_at", "updated_at", "last_verified_at", "status", "provider")


def slugify(name: str) -> str:
    """The slug a name gets: lower case, runs of other characters become one dash."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class HubConnection(Verification):
    """One hub connection; `credentials` are stored but never serialized."""

    id: str
    name: str
    slug: str
    provider: str
    visibility: str
    config: dict[str, Any]
    credentials: dict[str, str]
    created_at: float
    created_by: str
    updated_at: float
    updated_by: str
    status: str = "needs_verification"
    is_default: bool = False
    last_used_at: float | None = None
    last_verified_at: float | None = None
    verification_error: str | None = None
    verification_error_code: str | None = None
    verification_details: dict[str, Any] = field(default_factory=dict)
    verify_started_at: float | None = None
    verify_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The hub's connection body: no credentials, only `hasCredentials`."""

        def iso(ts: float | None) -> str | None:
            return None if ts is None else SimClock.iso(ts)

        return {
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "provider": self.provider,
            "visibility": self.visibility,
            "status": self.status,
            "config": self.config,
            "hasCredentials": bool(self.credentials),
            "isDefault": self.is_default,
            "isFromTemplate": False,
            "createdAt": iso(self.created_at),
            "createdBy": self.created_by,
            "updatedAt": iso(self.updated_at),
            "updatedBy": self.updated_by,
            "lastUsedAt": iso(self.last_used_at),
            "lastVerifiedAt": iso(self.last_verified_at),
            "verificationDetails": self.verification_details,
            "verificationError": self.verification_error,
            "verificationErrorCode": self.verification_error_code,
        }


def sort_key(field_name: str) -> Callable[[HubConnection], tuple[Any, ...]]:
    """A total order on one sortable field, ties broken by id.

    A missing value (a never-verified connection) sorts after every present one,
    so it comes last ascending and first descending, as in PostgreSQL.
    """
    values: dict[str, Callable[[HubConnection], Any]] = {
        "name": lambda c: c.name.casefold(),
        "created_at": lambda c: c.created_at,
        "updated_at": lambda c: c.updated_at,
        "last_verified_at": lambda c: c.last_verified_at,
        "status": lambda c: c.status,
        "provider": lambda c: c.provider,
    }
    value = values[field_name]

    def key(connection: HubConnection) -> tuple[Any, ...]:
        found = value(connection)
        return (found is None, found if found is not None else 0, connection.id)

    return key
