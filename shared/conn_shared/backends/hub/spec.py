"""What `ensure` should make true for one hub connection, and how to tell drift.

Identity: the spec's `slug` when given, otherwise name + provider. The provider
is the connection's kind: a connection found under the identity with another
provider is an IdentityConflictError, never adopted.

Drift (`drift`): name, visibility (when the spec sets it) and `config` key by
key; the PATCH sends the hub's config with the spec's keys laid over it, so keys
the spec omits survive whether the hub merges or replaces. Credentials are
write-only: `edit-settings` says which secret fields are configured; a spec
credential whose field is missing or unconfigured is drift (all the spec's
credentials are then sent), a configured one is not. `resend_secrets` sends
them all again whatever edit-settings says.
"""

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from conn_shared.backends.ensure import Drift, plan_value
from conn_shared.backends.hub.models import (
    EditSettings,
    HubConnection,
    Provider,
    Visibility,
    known_values,
    masked,
)
from conn_shared.backends.wire import check_json
from conn_shared.redaction import REDACTED
from conn_shared.states import FieldChange

__all__ = ["HubConnectionSpec"]

_MISSING = object()


class HubConnectionSpec(BaseModel):
    """A hub connection declared as code, for `ensure_connection`.

    Attributes:
        name: display name, 1..255 characters.
        provider: one of `Provider`'s constants (an unlisted provider is sent as is).
        slug: the stable identity when given (looked up with `GET /connections/slug/{slug}`
            and sent in the create body); without it the identity is name + provider.
        visibility: "private" or "global"; None leaves the hub's default / current value.
        config: non-secret settings; drift is checked key by key (keys the hub has but
            the spec omits are left alone).
        credentials: write-only secrets; never read back, only checked for being configured.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    provider: Provider
    slug: str | None = Field(default=None, min_length=1)
    visibility: Visibility | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, SecretStr] = Field(default_factory=dict)

    @field_validator("config")
    @classmethod
    def _plain_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_json(value, "config")
        return value

    @field_validator("provider")
    @classmethod
    def _provider_not_empty(cls, value: Provider) -> Provider:
        if not value:
            known = known_values(Provider)
            raise ValueError(f"provider must not be empty; known providers: {known}")
        return value

    @field_validator("visibility")
    @classmethod
    def _visibilityknown_values(cls, value: Visibility | None) -> Visibility | None:
        if value is not None and not value.is_known:
            raise ValueError(f"visibility must be one of {known_values(Visibility)}, got {value!r}")
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, masked(name, value) if name else value

    @property
    def connection_name(self) -> str:
        """The connection's display name."""
        return self.name

    def secret_values(self) -> tuple[str, ...]:
        """The credentials' values."""
        values = (secret.get_secret_value() for secret in self.credentials.values())
        return tuple(value for value in values if value)

    def drift(
        self,
        live: HubConnection,
        *,
        edit_settings: EditSettings | None = None,
        resend_secrets: bool = False,
    ) -> Drift[HubConnection]:
        """What an update of `live` would change (see the module docstring).

        `edit_settings` is the hub's answer for `live` (needed to judge credentials
        unless `resend_secrets`); without either, credentials are left alone.
        """
        patch: dict[str, Any] = {}
        changes: list[FieldChange] = []
        if live.name != self.name:
            patch["name"] = self.name
            changes.append(FieldChange(field="name", current=live.name, desired=self.name))
        if self.visibility is not None and live.visibility != self.visibility:
            patch["visibility"] = self.visibility
            current = str(live.visibility) if live.visibility is not None else None
            changes.append(
                FieldChange(field="visibility", current=current, desired=str(self.visibility))
            )
        drifted = {k: v for k, v in self.config.items() if live.config.get(k, _MISSING) != v}
        if drifted:
            patch["config"] = {**live.config, **self.config}
            changes += [
                FieldChange(
                    field=f"config.{key}",
                    current=plan_value(live.config.get(key)),
                    desired=plan_value(value),
                )
                for key, value in drifted.items()
            ]
        unset: list[str] = []
        if self.credentials and edit_settings is not None:
            unset = edit_settings.unconfigured(list(self.credentials))
        if self.credentials and (resend_secrets or unset):
            patch["credentials"] = self.credentials
            changes += [
                FieldChange(
                    field=f"credentials.{key}",
                    current=None if key in unset else REDACTED,
                    desired=REDACTED,
                    secret=True,
                )
                for key in self.credentials
            ]
        return Drift(changes=tuple(changes), patch=patch)
