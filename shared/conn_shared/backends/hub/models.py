# ruff: noqa: N815 - fields keep the hub's own camelCase names (createdAt, isDefault, ...)
"""Typed models of the connections hub: connections, listings, edit settings, the ensure spec.

Field names are the hub's own (camelCase, as its API document shows them); every
model keeps fields it does not know (`extra="allow"`). Statuses, providers and
visibilities are open enums: any string parses, the values the document lists
are class constants, and `.is_known` tells a value a newer hub added.

Secrets never show in `repr()`/`str()`: credential-named keys inside `config`,
`verificationDetails` or unknown fields are masked (see `conn_shared.redaction`), and
the spec's credentials (`spec.py`) are `SecretStr`.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from conn_shared.backends.open_enum import OpenEnum
from conn_shared.redaction import REDACTED, is_secret_key, redact

__all__ = [
    "BACKEND",
    "LIST_PLACEHOLDERS",
    "ConnectionStatus",
    "EditSettings",
    "HubConnection",
    "HubConnectionList",
    "HubConnectionView",
    "HubModel",
    "Provider",
    "SecretFieldState",
    "Visibility",
    "known_values",
    "masked",
]

#: This backend's name in results, errors and the registry.
BACKEND = "hub"


class ConnectionStatus(OpenEnum):
    """A connection's status; the document shows `needs_verification`, the rest are expected.

    `verifying` (a verification still running) is not in the document; it is listed
    because a verify that answers before it finishes has to report something.
    """

    NEEDS_VERIFICATION = "needs_verification"
    VERIFYING = "verifying"
    VERIFIED = "verified"
    ERROR = "error"
    DISABLED = "disabled"


class Provider(OpenEnum):
    """The external system a connection reaches (the 21 providers the document lists)."""

    SHOPIFY = "shopify"
    HTTP_API = "http_api"
    FLEXIROAM = "flexiroam"
    STARLINK = "starlink"
    S3 = "s3"
    GOOGLE_DRIVE = "google_drive"
    MSFT_SHAREPOINT = "msft_sharepoint"
    KLAVIYO = "klaviyo"
    AMAZON_SP = "amazon_sp"
    SALESFORCE = "salesforce"
    NETSUITE = "netsuite"
    SQLSERVER = "sqlserver"
    POSTGRES = "postgres"
    MLFLOW = "mlflow"
    SFTP = "sftp"
    GMAIL_INBOX = "gmail_inbox"
    DROPBOX = "dropbox"
    RYDERSHIP = "rydership"
    GORGIAS = "gorgias"
    REDO = "redo"
    BULLHORN = "bullhorn"


class Visibility(OpenEnum):
    """Who in the tenant can discover and use a connection."""

    PRIVATE = "private"
    GLOBAL = "global"


def known_values(enum: type[OpenEnum]) -> str:
    """The documented values of an open enum, sorted and comma-separated, for messages."""
    return ", ".join(sorted(enum.known))


def masked(name: str, value: Any) -> Any:
    """`value` as a repr may show it under `name`: credential-named values as `***`."""
    if is_secret_key(name) and value is not None and not isinstance(value, BaseModel):
        return REDACTED
    if isinstance(value, dict | list | tuple):
        return redact(value)
    return value


class HubModel(BaseModel):
    """Base of hub models: unknown fields kept, secrets masked in repr and str."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    #: Fields whose credential-like name holds no secret (shown as is in repr).
    _repr_plain: ClassVar[frozenset[str]] = frozenset()

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name is None or name in self._repr_plain:
                yield name, value
            else:
                yield name, masked(name, value)


class HubConnection(HubModel):
    """A connection as the hub returns it from get, list, create, update, verify, ..."""

    id: str
    name: str
    provider: Provider
    status: ConnectionStatus
    slug: str | None = None
    visibility: Visibility | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    hasCredentials: bool | None = None
    isDefault: bool | None = None
    isFromTemplate: bool | None = None
    createdAt: datetime | None = None
    createdBy: str | None = None
    updatedAt: datetime | None = None
    updatedBy: str | None = None
    lastUsedAt: datetime | None = None
    lastVerifiedAt: datetime | None = None
    verificationDetails: dict[str, Any] | None = None
    verificationError: str | None = None
    verificationErrorCode: str | None = None


class HubConnectionView(BaseModel):
    """What a poll decides on: a connection's status, without its config.

    Parsing it costs a fraction of a full `HubConnection`; the full object is
    built once, for the result that ends a wait.
    """

    # Only the declared fields are read; everything else in the object is skipped.
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    status: ConnectionStatus
    verificationError: str | None = None
    verificationErrorCode: str | None = None


#: What a listed connection gets for a field that did not parse (see `parse_items`):
#: its identity (id, name, slug) is enough for `ensure` to find it.
LIST_PLACEHOLDERS: dict[str, Any] = {"status": "unknown", "provider": "unknown"}


class HubConnectionList(HubModel):
    """One page of `GET /connections`.

    `nextCursor` / `next_cursor` are not in the hub's document; when a hub sends
    one, cursor-mode paging follows it (it lands in the extra fields).
    """

    connections: list[HubConnection]
    hasNext: bool = False
    limit: int | None = None
    offset: int | None = None
    total: int | None = None
    users: dict[str, Any] = Field(default_factory=dict)

    @property
    def next_cursor(self) -> str | None:
        """The hub's cursor for the next page, if it sends one (undocumented field)."""
        extra = self.model_extra or {}
        for key in ("nextCursor", "next_cursor"):
            value = extra.get(key)
            if isinstance(value, str) and value:
                return value
        return None


class SecretFieldState(HubModel):
    """Whether one write-only credential field holds a value."""

    configured: bool


class EditSettings(HubModel):
    """`GET /connections/{id}/edit-settings`: the editable config and which secrets are set."""

    _repr_plain: ClassVar[frozenset[str]] = frozenset({"secretFields"})  # only booleans

    config: dict[str, Any] = Field(default_factory=dict)
    secretFields: dict[str, SecretFieldState] = Field(default_factory=dict)

    def unconfigured(self, names: "list[str] | tuple[str, ...]") -> list[str]:
        """The names among `names` whose secret field is missing or not configured."""
        return [
            n for n in names if not (n in self.secretFields and self.secretFields[n].configured)
        ]
