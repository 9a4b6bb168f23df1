"""What `ensure` should make true for one Fivetran connection, and how to tell drift.

A connection is identified by its group and its name (the API's `schema` field,
unique per group). Depending on the service the name is `config.schema`,
`config.schema` + "." + `config.table` (or `config.table_group_name`), or
`config.schema_prefix`; all of them are permanent once the connection exists.
Give the name as `schema_name`, in `config`, or both (they must agree).

Drift is judged on what Fivetran can echo back: the top-level settings the spec
sets, and non-secret `config` values present in the answer. Secret values
(credential-named keys, `SecretStr` values, anything Fivetran masks as
`******`) and `auth` are never compared, so they never count as drift; to rotate
them, `drift(..., resend_secrets=True)` sends them again.

`check_schedule` holds the schedule values Fivetran accepts; the create and
update calls check them too.
"""

import re
from collections.abc import Mapping
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from conn_shared.backends.ensure import plan_value
from conn_shared.backends.fivetran.models import ConnectCardConfig, Connection
from conn_shared.backends.wire import check_json
from conn_shared.redaction import REDACTED, is_secret_key, redact
from conn_shared.states import FieldChange

__all__ = [
    "IDENTITY_CONFIG_KEYS",
    "SETTINGS_COMPARED",
    "SYNC_FREQUENCIES",
    "FivetranConnectionSpec",
    "check_schedule",
    "is_masked",
]

#: `config` keys that make up the connection's name; permanent, never patched.
IDENTITY_CONFIG_KEYS = frozenset({"schema", "table", "table_group_name", "schema_prefix"})
#: Top-level settings compared with the live connection when the spec sets them.
SETTINGS_COMPARED = (
    "paused",
    "sync_frequency",
    "schedule_type",
    "daily_sync_time",
    "pause_after_trial",
    "data_delay_sensitivity",
    "data_delay_threshold",
    "networking_method",
    "proxy_agent_id",
    "private_link_id",
    "hybrid_deployment_agent_id",
)
_MISSING = object()
#: The sync frequencies (minutes) Fivetran accepts.
SYNC_FREQUENCIES = (1, 5, 15, 30, 60, 120, 180, 360, 480, 720, 1440)
_DAILY_TIME = re.compile(r"^(?:[01]\d|2[0-3]):00$")


def check_schedule(sync_frequency: int | None, daily_sync_time: str | None) -> None:
    """Raise ValueError for a sync frequency or daily sync time Fivetran would refuse."""
    if sync_frequency is not None and (
        isinstance(sync_frequency, bool) or sync_frequency not in SYNC_FREQUENCIES
    ):
        allowed = ", ".join(map(str, SYNC_FREQUENCIES))
        raise ValueError(
            f"sync_frequency: must be one of {allowed} (minutes), got {sync_frequency}"
        )
    if daily_sync_time is not None and not _DAILY_TIME.match(daily_sync_time):
        raise ValueError(
            f"daily_sync_time: must be a whole hour from 00:00 to 23:00, got {daily_sync_time!r}"
        )


def is_masked(value: Any) -> bool:
    """True for a value Fivetran masked in its answer (a run of asterisks)."""
    return isinstance(value, str) and len(value) >= 3 and set(value) == {"*"}


def _name_from_config(config: Mapping[str, Any]) -> str | None:
    prefix = config.get("schema_prefix")
    if isinstance(prefix, str) and prefix:
        return prefix
    schema = config.get("schema")
    if not isinstance(schema, str) or not schema:
        return None
    for key in ("table", "table_group_name"):
        part = config.get(key)
        if isinstance(part, str) and part:
            return f"{schema}.{part}"
    return schema


class FivetranConnectionSpec(BaseModel):
    """A Fivetran connection as code: identity (group + name), config and settings.

    Attributes follow the create endpoint's fields. `config` and `auth` are
    free-form per service; their values may be `SecretStr`. Settings left at
    None are not sent and not compared. `run_setup_tests` and the trust flags
    steer the setup tests of the create (and of a drift update).

    Example:
        >>> spec = FivetranConnectionSpec(
        ...     group_id="warehouse", service="postgres",
        ...     config={"schema_prefix": "pg", "host": "db.internal", "password": "s3cret"},
        ... )
        >>> spec.connection_name
        'pg'
        >>> "s3cret" in repr(spec)
        False
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    group_id: str = Field(min_length=1)
    service: str = Field(min_length=1)
    schema_name: str | None = Field(default=None, min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)
    auth: dict[str, Any] | None = None
    paused: bool | None = None
    pause_after_trial: bool | None = None
    sync_frequency: int | None = None
    schedule_type: str | None = None
    daily_sync_time: str | None = None
    data_delay_sensitivity: str | None = None
    data_delay_threshold: int | None = None
    run_setup_tests: bool | None = None
    trust_certificates: bool | None = None
    trust_fingerprints: bool | None = None
    connect_card_config: ConnectCardConfig | None = None
    networking_method: str | None = None
    proxy_agent_id: str | None = None
    private_link_id: str | None = None
    hybrid_deployment_agent_id: str | None = None
    destination_configuration: dict[str, Any] | None = None
    destination_schema_names: str | None = None
    external_secrets_manager_id: str | None = None
    external_secrets_keys_config: dict[str, str] | None = None

    @field_validator("config", "auth", "destination_configuration")
    @classmethod
    def _plain_json(cls, value: dict[str, Any] | None, info: ValidationInfo) -> Any:
        check_json(value, str(info.field_name))
        return value

    @model_validator(mode="after")
    def _check(self) -> "FivetranConnectionSpec":
        check_schedule(self.sync_frequency, self.daily_sync_time)
        derived = _name_from_config(self.config)
        if self.schema_name is None and derived is None:
            raise ValueError(
                "schema_name: required unless config carries schema (with table or "
                "table_group_name) or schema_prefix"
            )
        if self.schema_name is not None and derived is not None and derived != self.schema_name:
            raise ValueError(
                f"schema_name: {self.schema_name!r} disagrees with the name {derived!r} "
                "that config's schema/table/schema_prefix give"
            )
        return self

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name == "auth" and value is not None:
                yield name, REDACTED
            elif name in ("config", "destination_configuration", "external_secrets_keys_config"):
                yield name, redact(value)  # SecretStr values show as stars
            else:
                yield name, value

    @property
    def connection_name(self) -> str:
        """The connection's name in its group, as the API's `schema` field shows it."""
        return self.schema_name or _name_from_config(self.config) or ""

    def request_config(self) -> dict[str, Any]:
        """`config` for the create request, with the schema name filled in when only
        `schema_name` was given ("a.b" becomes schema "a" and table "b")."""
        config = dict(self.config)
        if _name_from_config(config) is None and self.schema_name:
            schema, _, table = self.schema_name.partition(".")
            config["schema"] = schema
            if table:
                config["table"] = table
        return config

    def create_fields(self) -> dict[str, Any]:
        """Keyword arguments for `FivetranApi.create_connection`."""
        fields = self.model_dump(exclude={"schema_name", "config"}, exclude_none=True)
        return {**fields, "config": self.request_config()}

    def secret_values(self) -> tuple[str, ...]:
        """The literal secrets this spec holds: `SecretStr` values, credential-named
        config values and every string under `auth`; scrubbed from anything exported."""
        found: list[str] = []
        _collect(self.config, found, secret=False)
        _collect(self.auth, found, secret=True)
        return tuple(dict.fromkeys(found))

    def compared_config_keys(self) -> tuple[str, ...]:
        """The `config` keys drift is judged on: neither identity keys nor secrets."""
        return tuple(
            key
            for key, wanted in self.config.items()
            if key not in IDENTITY_CONFIG_KEYS and not _secret(key, wanted)
        )

    def drift(self, live: Connection, *, resend_secrets: bool = False) -> dict[str, Any]:
        """The PATCH fields that bring `live` back to this spec; empty when nothing drifted.

        Only drifted values are included: changed settings, and under `config`
        only the changed top-level keys (with their full desired value). With
        `resend_secrets`, the secret `config` keys and `auth` are added (secrets
        never count as drift, so this is the only way to rotate them).
        """
        settings, config = self._drifted(live)
        patch: dict[str, Any] = dict(settings)
        if resend_secrets:
            config.update({k: v for k, v in self.config.items() if _holds_secret(k, v)})
            if self.auth:
                patch["auth"] = self.auth
        if config:
            patch["config"] = config
        if patch and self.run_setup_tests is not None:
            patch["run_setup_tests"] = self.run_setup_tests
            if self.run_setup_tests:
                patch.update(
                    {
                        k: v
                        for k, v in (
                            ("trust_certificates", self.trust_certificates),
                            ("trust_fingerprints", self.trust_fingerprints),
                        )
                        if v is not None
                    }
                )
        return patch

    def changes(self, live: Connection, *, resend_secrets: bool = False) -> tuple[FieldChange, ...]:
        """What `drift` would change, field by field, for a plan; secrets only as `***`."""
        settings, config = self._drifted(live)
        found = [
            FieldChange(field=name, current=plan_value(getattr(live, name)), desired=plan_value(v))
            for name, v in settings.items()
        ]
        found += [
            FieldChange(
                field=f"config.{key}",
                current=plan_value(live.config.get(key)),
                desired=plan_value(wanted),
            )
            for key, wanted in config.items()
        ]
        if resend_secrets:
            resent = [f"config.{k}" for k, v in self.config.items() if _holds_secret(k, v)]
            resent += ["auth"] if self.auth else []
            # Fivetran never shows a secret back: both sides are only the marker.
            found += [
                FieldChange(field=name, current=REDACTED, desired=REDACTED, secret=True)
                for name in resent
            ]
        return tuple(found)

    def _drifted(self, live: Connection) -> tuple[dict[str, Any], dict[str, Any]]:
        """(drifted top-level settings, drifted non-secret `config` keys), desired values."""
        settings: dict[str, Any] = {}
        for name in SETTINGS_COMPARED:
            wanted = getattr(self, name)
            if wanted is not None and not _same(wanted, getattr(live, name)):
                settings[name] = wanted
        config: dict[str, Any] = {}
        for key, wanted in self.config.items():
            if key in IDENTITY_CONFIG_KEYS or _secret(key, wanted):
                continue
            current = live.config.get(key, _MISSING)
            if current is _MISSING or is_masked(current) or _same(wanted, current):
                continue
            config[key] = wanted
        return settings, config


def _holds_secret(key: str, value: Any) -> bool:
    if key in IDENTITY_CONFIG_KEYS:
        return False
    found: list[str] = []
    _collect(value, found, secret=_secret(key, value))
    return bool(found)


def _collect(value: Any, found: list[str], *, secret: bool) -> None:
    if isinstance(value, SecretStr):
        found.append(value.get_secret_value())
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _collect(item, found, secret=secret or (isinstance(key, str) and is_secret_key(key)))
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found, secret=secret)
    elif secret and isinstance(value, str) and value:
        found.append(value)


def _secret(key: str, value: Any) -> bool:
    return is_secret_key(key) or isinstance(value, SecretStr)


def _same(wanted: Any, current: Any) -> bool:
    """Equal in the way the API echoes values back (`"5432"` matches 5432)."""
    if isinstance(wanted, SecretStr) or is_masked(current) or wanted == current:
        return True
    if isinstance(wanted, Mapping | list | tuple):
        return _same_container(wanted, current)
    if isinstance(wanted, bool) or isinstance(current, bool):
        return str(wanted).lower() == str(current).lower()
    return current is not None and str(wanted) == str(current)


def _same_container(wanted: Any, current: Any) -> bool:
    if isinstance(wanted, Mapping):
        if not isinstance(current, Mapping):
            return False
        # Keys the API does not echo, secrets and masked values cannot tell drift.
        return all(
            _secret(k, v) or k not in current or _same(v, current[k]) for k, v in wanted.items()
        )
    if not isinstance(current, list | tuple) or len(wanted) != len(current):
        return False
    return all(_same(w, c) for w, c in zip(wanted, current, strict=True))
