"""Faraday v1 objects, with the API's own field names: connections, datasets, targets, errors.

Every model keeps fields it does not know (`extra="allow"`), and statuses, connection
types, directionality and error codes are open enums: a value a newer API adds is kept
as a plain string and reported (`.is_known` is False), never a parse failure.

Connection `options` are a union discriminated by `type` with one member per connection
type; they are modelled as an open mapping with a typed `type`, so an unknown type keeps
all its options. Secret option values (password, api_key, token, client_secret,
credentials_json, ...) never show in `repr()` or `str()`; `as_dict()` is the one place
they are returned, for sending them.
"""

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from conn_shared.backends.open_enum import OpenEnum
from conn_shared.redaction import REDACTED, is_secret_key, redact

__all__ = [
    "BACKEND",
    "LIST_PLACEHOLDERS",
    "Connection",
    "ConnectionOptions",
    "ConnectionType",
    "ConnectionView",
    "ContentsRow",
    "Dataset",
    "DatasetColumn",
    "Directionality",
    "ErrorCode",
    "FaradayErrorBody",
    "ResourceOptions",
    "ResourceStatus",
    "RotateCredentialsType",
    "Target",
    "Timestamp",
    "ValidationErrorItem",
    "is_secret_option",
    "redacted_pairs",
]

#: This backend's name in results, errors and the registry.
BACKEND = "faraday"


class ResourceStatus(OpenEnum):
    """`status` of a connection, dataset or target: new, starting, running, ready, error."""

    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    READY = "ready"
    ERROR = "error"


class Directionality(OpenEnum):
    """Whether a connection serves as a source (datasets), a destination (targets), or both."""

    BIDIRECTIONAL = "bidirectional"
    SOURCE_ONLY = "source_only"
    DESTINATION_ONLY = "destination_only"


class ConnectionType(OpenEnum):
    """`options.type`: the kind of external system (snowflake, postgres, s3_csv, ...)."""

    known = frozenset(
        {
            "aws_aurora_mysql",
            "aws_aurora_postgres",
            "aws_rds_mysql",
            "aws_rds_postgres",
            "aws_rds_sql_server",
            "aws_redshift_serverless",
            "azure_sql_server",
            "bigquery",
            "classic",
            "clickhouse",
            "databricks",
            "databricks_delta_sharing",
            "facebook_custom_audiences",
            "gcp_cloud_sql_mysql",
            "gcp_cloud_sql_postgres",
            "gcp_cloud_sql_sql_server",
            "gcp_gcs_csv",
            "google_ads",
            "hosted_csv",
            "hubspot",
            "iterable",
            "klaviyo",
            "linkedin_ads",
            "lookup_api",
            "merge",
            "motherduck",
            "mysql",
            "pinterest_ads",
            "poplar",
            "postgres",
            "recharge",
            "redshift",
            "s3_csv",
            "salesforce",
            "salesforce_marketing_cloud",
            "segment",
            "sftp",
            "shopify",
            "snowflake",
            "sql_server",
            "stripe",
            "the_trade_desk",
            "tiktok",
        }
    )


class RotateCredentialsType(OpenEnum):
    """Connection types whose keypair `rotate_credentials` can regenerate."""

    SNOWFLAKE = "snowflake"
    CLICKHOUSE = "clickhouse"


class ErrorCode(OpenEnum):
    """The `error` code of a Faraday error body."""

    BAD_REQUEST = "BAD_REQUEST"
    FORBIDDEN = "FORBIDDEN"
    MAX_RESOURCES_REACHED = "MAX_RESOURCES_REACHED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    INVALID_AUTHORIZATION = "INVALID_AUTHORIZATION"
    NOT_FOUND = "NOT_FOUND"
    MALFORMED_API_KEY = "MALFORMED_API_KEY"
    MISSING_API_KEY = "MISSING_API_KEY"
    EXPIRED_API_KEY = "EXPIRED_API_KEY"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    CONFLICT = "CONFLICT"


def is_secret_option(name: str) -> bool:
    """True for option keys that hold credentials (write-only: never compared or shown)."""
    return is_secret_key(name)


def _as_utc(value: datetime) -> datetime:
    # The reconstructed spec lost `format: date-time`; a naive value is read as UTC so
    # that before/after comparisons never mix naive and aware datetimes.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


Timestamp = Annotated[datetime, AfterValidator(_as_utc)]


def redacted_pairs(pairs: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """`(key, value)` pairs for a repr: credential-named values as `***`, nested ones redacted."""
    for key, value in pairs:
        if is_secret_key(key) and value is not None:
            yield key, REDACTED
        elif isinstance(value, Mapping | list | tuple):
            yield key, redact(value)
        else:
            yield key, value


class _FaradayModel(BaseModel):
    """Base: keeps unknown fields; repr/str mask credential-named keys at any depth."""

    # Input values never appear in validation errors: they may hold option secrets.
    model_config = ConfigDict(extra="allow", frozen=True, hide_input_in_errors=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        pairs = ((k, v) for k, v in super().__repr_args__() if k is not None)
        yield from redacted_pairs(pairs)


class ResourceOptions(_FaradayModel):
    """An open `options` mapping discriminated by `type` (dataset and target options)."""

    type: ConnectionType

    def as_dict(self) -> dict[str, Any]:
        """Every option, secrets included, as plain JSON (for sending; never log it)."""
        return self.model_dump(mode="json")

    def get(self, key: str, default: Any = None) -> Any:
        """One option's value, or `default`."""
        return self.as_dict().get(key, default)

    def redacted(self) -> dict[str, Any]:
        """Every option with secret values replaced by `***`."""
        redacted: dict[str, Any] = redact(self.as_dict())
        return redacted


class ConnectionOptions(ResourceOptions):
    """A connection's options: `type` plus the keys that type takes (host, user, ...)."""

    def secret_keys(self) -> frozenset[str]:
        """The option keys holding credentials."""
        return frozenset(k for k in self.as_dict() if is_secret_option(k))


class ContentsRow(_FaradayModel):
    """A table or object found in the connection."""

    name: str
    object_size: float | None = None
    row_count: float | None = None


class Connection(_FaradayModel):
    """A Faraday connection (`resource_type` "connections")."""

    id: str
    name: str
    options: ConnectionOptions
    status: ResourceStatus
    directionality: Directionality | None = None
    archived_at: Timestamp | None = None
    contents: list[ContentsRow | str] | None = None
    contents_error: str | None = None
    created_at: Timestamp | None = None
    last_read_input_at: Timestamp | None = None
    last_updated_config_at: Timestamp | None = None
    last_updated_output_at: Timestamp | None = None
    managed: bool | None = None
    resource_type: str | None = None
    status_changed_at: Timestamp | None = None
    status_error: str | None = None
    updated_at: Timestamp | None = None

    @property
    def archived(self) -> bool:
        """True when the connection is archived (it no longer receives updates)."""
        return self.archived_at is not None


class ConnectionView(BaseModel):
    """What a poll decides on: a connection's status fields, without its options.

    Parsing it costs a fraction of a full `Connection`; the full object is built
    once, for the result that ends a wait.
    """

    # Only the declared fields are read; values never appear in errors (options hold secrets).
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    id: str
    status: ResourceStatus
    last_updated_output_at: Timestamp | None = None
    status_changed_at: Timestamp | None = None
    status_error: str | None = None
    contents_error: str | None = None


#: What a listed connection gets for a field that did not parse (see `parse_items`):
#: its identity (id, name) is enough for `ensure` to find it.
LIST_PLACEHOLDERS: dict[str, Any] = {"status": "unknown", "options": {"type": "unknown"}}


class DatasetColumn(_FaradayModel):
    """A column Faraday detected in a built dataset; `data_type` may be a name or an object."""

    name: str
    data_type: Any = None
    is_nullable: bool | None = None


class Dataset(_FaradayModel):
    """A Faraday dataset; only the fields this package reads are typed, the rest are kept."""

    id: str
    name: str | None = None
    connection_id: str | None = None
    status: ResourceStatus | None = None
    options: ResourceOptions | None = None
    archived_at: Timestamp | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    last_updated_output_at: Timestamp | None = None
    status_changed_at: Timestamp | None = None
    status_error: str | None = None
    resource_type: str | None = None
    row_count: float | None = None
    detected_columns: list[DatasetColumn] | None = None


class Target(_FaradayModel):
    """A Faraday target (an export); only the fields this package reads are typed."""

    id: str
    name: str | None = None
    connection_id: str | None = None
    scope_id: str | None = None
    status: ResourceStatus | None = None
    options: ResourceOptions | None = None
    archived_at: Timestamp | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    last_updated_output_at: Timestamp | None = None
    status_changed_at: Timestamp | None = None
    status_error: str | None = None
    resource_type: str | None = None


class ValidationErrorItem(_FaradayModel):
    """One JSON Schema validation error from an error body's `validationErrors`."""

    path: str = ""
    message: str = ""
    context: dict[str, Any] | None = None
    suggestion: str | None = None

    @property
    def error_type(self) -> str | None:
        """`context.errorType`, when given."""
        value = (self.context or {}).get("errorType")
        return value if isinstance(value, str) else None


class FaradayErrorBody(_FaradayModel):
    """Faraday's error body: `{error, id, note, validationErrors}`."""

    error: ErrorCode | None = None
    id: str | None = None
    note: str | None = None
    validation_errors: list[ValidationErrorItem] = Field(
        default_factory=list, alias="validationErrors"
    )

    model_config = ConfigDict(
        extra="allow", frozen=True, populate_by_name=True, hide_input_in_errors=True
    )

    @field_validator("validation_errors", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value
