"""What `ensure` should make true for one Faraday connection, and how to tell drift.

A connection is identified by its `name` (Faraday does not enforce unique
names, so `ensure` refuses to guess when several share one) and must have the
spec's `type` (Faraday cannot change it). Its options are a merge-patchable
mapping; drift is judged key by key on the non-secret options the spec sets:

- secret options (password, api_key, token, ...) are write-only: Faraday may
  echo them masked or not at all, so they never count as drift; `resend_secrets`
  sends them again (a rotated password);
- `type` is the discriminator, not a setting;
- options the connection has and the spec does not mention (server defaults,
  keys Faraday generates such as `rsa_public_key`) are left alone.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from conn_shared.backends.ensure import plan_value
from conn_shared.backends.faraday.models import (
    ConnectionType,
    is_secret_option,
    redacted_pairs,
)
from conn_shared.backends.wire import check_json
from conn_shared.redaction import REDACTED
from conn_shared.states import FieldChange

__all__ = ["FaradayConnectionSpec", "option_changes", "option_drift"]


class FaradayConnectionSpec(BaseModel):
    """The connection `ensure` should find or create, identified by `name`.

    Attributes:
        name: the connection's name; Faraday does not enforce unique names, so `ensure`
            refuses to guess when several connections share it.
        options: the connection options, including `type` (e.g. "postgres") and any
            secrets (write-only: they are sent on create but never compared for drift).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str
    options: dict[str, Any]

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name: must contain a non-blank character")
        return value

    @field_validator("options")
    @classmethod
    def _options_have_type(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_json(value, "options")
        kind = value.get("type")
        if not isinstance(kind, str) or not kind.strip():
            raise ValueError(
                "options.type: required, a connection type such as 'postgres' or 'snowflake'"
            )
        return value

    @property
    def type(self) -> ConnectionType:
        """The connection type (`options["type"]`)."""
        return ConnectionType(self.options["type"])

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        pairs = ((k, v) for k, v in super().__repr_args__() if k is not None)
        yield from redacted_pairs(pairs)

    @property
    def connection_name(self) -> str:
        """The connection's name: its identity."""
        return self.name

    def secret_values(self) -> tuple[str, ...]:
        """The values of the secret options (credential-named keys, at any depth)."""
        found: list[str] = []
        _collect(self.options, found, secret=False)
        return tuple(dict.fromkeys(found))

    def secret_options(self) -> dict[str, Any]:
        """The options `resend_secrets` sends again: those under a credential-named key."""
        return {k: v for k, v in self.options.items() if is_secret_option(k) and v is not None}


def option_drift(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The desired non-secret options whose value differs from the connection's.

    Secret options are write-only (Faraday may echo them masked or not at all), so they
    are never drift; `type` is the discriminator, not a setting; options the connection
    has but `desired` does not mention (server defaults, keys Faraday generates such as
    `rsa_public_key`) are left alone.
    """
    return {
        key: value
        for key, value in desired.items()
        if key != "type" and not is_secret_option(key) and current.get(key) != value
    }


def option_changes(
    current: Mapping[str, Any], spec: FaradayConnectionSpec, *, resend_secrets: bool
) -> tuple[FieldChange, ...]:
    """`option_drift` (and the resent secrets) field by field, for a plan: `options.<key>`."""
    changes = [
        FieldChange(
            field=f"options.{key}", current=plan_value(current.get(key)), desired=plan_value(value)
        )
        for key, value in option_drift(current, spec.options).items()
    ]
    if resend_secrets:
        changes += [
            FieldChange(
                field=f"options.{key}",
                current=REDACTED if current.get(key) is not None else None,
                desired=REDACTED,
                secret=True,
            )
            for key in spec.secret_options()
        ]
    return tuple(changes)


def _collect(value: Any, found: list[str], *, secret: bool) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _collect(item, found, secret=secret or (isinstance(key, str) and is_secret_option(key)))
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found, secret=secret)
    elif secret and isinstance(value, str) and value:
        found.append(value)
