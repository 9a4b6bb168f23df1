"""The hub's connection record, its verification state machine and list ordering.

Statuses: `needs_verification` (after create, or after config/credentials change),
`verifying` (only while a verification runs, when verify_seconds > 0), `verified`,
`error` (verification failed) and `disabled`. Only `needs_verification` appears in
the hub's document; the others are this simulator's choice (see the docs).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conn_shared.sim.clock import SimClock

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


def _strings(value: Any, path: str) -> list[tuple[str, str]]:
    """Every string inside a JSON value, with a dotted path to it."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [s for k, v in sorted(value.items()) for s in _strings(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{path}[{i}]")]
    return []


@dataclass
class HubConnection:
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

    def failure(self) -> tuple[str, str] | None:
        """The outcome switch: (code, message) when verification must fail, else None.

        A credential value containing "fail" (any case) is rejected; failing that,
        a string anywhere in `config` containing "fail" makes the system unreachable.
        """
        for key in sorted(self.credentials):
            if "fail" in self.credentials[key].lower():
                return "invalid_credentials", f"{self.provider} rejected the credential {key!r}"
        for path, value in _strings(self.config, "config"):
            if "fail" in value.lower():
                return "connection_failed", f"Could not reach {self.provider} using {path}"
        return None

    def start_verification(self, now: float, seconds: float) -> None:
        """Begin verifying; with `seconds` == 0 the verdict is immediate."""
        self.status = "verifying"
        self.verify_started_at = now
        self.verify_seconds = seconds
        self.settle(now)

    def settle(self, now: float) -> None:
        """Land a running verification whose time has come."""
        if self.status != "verifying" or self.verify_started_at is None:
            return
        finished = self.verify_started_at + self.verify_seconds
        if now < finished:
            return
        outcome = self.failure()
        checks = [
            {"name": "reachable", "ok": outcome is None or outcome[0] != "connection_failed"},
            {"name": "authenticated", "ok": outcome is None},
        ]
        self.verification_details = {"provider": self.provider, "checks": checks}
        self.verify_started_at = None
        self.updated_at = finished
        if outcome is None:
            self.status = "verified"
            self.last_verified_at = finished
            self.verification_error = self.verification_error_code = None
        else:
            self.status = "error"
            self.verification_error_code, self.verification_error = outcome

    def reset_verification(self) -> None:
        """Configuration changed: whatever was verified no longer holds."""
        if self.status != "disabled":
            self.status = "needs_verification"
        self.verify_started_at = None
        self.verification_error = self.verification_error_code = None
        self.verification_details = {}

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
