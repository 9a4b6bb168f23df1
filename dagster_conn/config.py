"""Run config for the ops and assets, and the connection spec built from it at run time.

A spec's secrets never sit in run config: `EnsureConfig.secrets` maps a dotted
spec path to the *name* of an environment variable (`{"config.password":
"SHOP_PG_PASSWORD"}`), read when the step runs, the way `dg.EnvVar` works for
resources. The run config, the event log and the UI only ever hold the name.
"""

from collections.abc import Mapping
from typing import Any, Literal

import dagster as dg
from pydantic import Field, ValidationError, field_validator

from conn_shared import BackendEntry, WaitPolicy
from dagster_conn.resources import ConnectionResource, invalid_fields

__all__ = [
    "DeleteConfig",
    "EnsureConfig",
    "RescheduledChoice",
    "ResyncConfig",
    "SyncConfig",
    "TableConfig",
    "TriggerConfig",
    "WaitConfig",
    "WaitSyncConfig",
    "build_spec",
    "resolve_secrets",
]

#: What a step does when the vendor postpones a sync: keep waiting, ask Dagster to
#: retry the step at the vendor's time (`dg.RetryRequested`), or fail.
RescheduledChoice = Literal["wait", "retry", "fail"]


class WaitConfig(dg.Config):
    """How a wait polls (seconds) and what it does on a paused connection.

    Unset fields take the resource's `poll_interval`, `max_poll_interval` and
    `wait_timeout`. `on_paused="fail"` ends the wait with a clear failure as
    soon as the connection is seen paused (or disabled); "wait" keeps polling
    until it is resumed or the timeout passes.
    """

    poll_interval: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="Seconds between polls."
    )
    max_poll_interval: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="Cap (s)."
    )
    timeout: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="Seconds to wait in all."
    )
    on_paused: Literal["fail", "wait"] = Field(default="fail", description="fail or wait.")

    def policy(
        self, resource: ConnectionResource, *, on_rescheduled: Literal["wait", "fail"] = "wait"
    ) -> WaitPolicy:
        """The `conn_shared.WaitPolicy` of these settings over the resource's defaults."""
        return resource.wait_policy(
            poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval,
            timeout=self.timeout,
            on_paused=self.on_paused,
            on_rescheduled=on_rescheduled,
        )


class WaitSyncConfig(WaitConfig):
    """A sync wait: `WaitConfig`, plus the choice for a sync the vendor rescheduled.

    `on_rescheduled`: "wait" sleeps until the vendor's time; "retry" raises
    `dg.RetryRequested` timed to it (at most `rescheduled_max_retries` times);
    "fail" fails the step.
    """

    on_rescheduled: RescheduledChoice = Field(default="wait", description="wait, retry or fail.")
    rescheduled_max_retries: int = Field(default=3, ge=0, description="For on_rescheduled=retry.")


class SyncConfig(WaitSyncConfig):
    """A sync asset's run config: the wait settings, and `force` (restart a running sync)."""

    force: bool = Field(default=False, description="Restart a sync already running.")


class EnsureConfig(dg.Config):
    """The desired state of one connection for the ensure op.

    Attributes:
        spec: the fields of the backend's spec class (FivetranConnectionSpec,
            FaradayConnectionSpec, HubConnectionSpec), secrets left out.
        secrets: dotted spec path -> environment variable holding the value,
            e.g. {"config.password": "SHOP_PG_PASSWORD"}; read at run time.
        update: update drifted non-secret settings in place.
        resend_secrets: send the secret fields again (after a rotation).
    """

    # Typed Any for Dagster, checked below: Dagster's Map config type lets a null value
    # through validation and then fails its own post-processing with a bare CheckError
    # ("Null map member not caught in validation"), and specs hold nulls.
    spec: Any = Field(description="The spec's fields (a mapping), without secrets.")
    secrets: dict[str, str] = Field(
        default_factory=dict, description="Dotted spec path -> environment variable name."
    )
    update: bool = Field(default=True, description="Update drifted settings.")
    resend_secrets: bool = Field(default=False, description="Send secret fields again.")

    @field_validator("spec")
    @classmethod
    def _spec_is_a_mapping(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f"spec: expected a mapping of spec fields, got {type(value).__name__}")
        return value


class TriggerConfig(dg.Config):
    """`force`: restart a sync already running (Fivetran); otherwise it is attached to."""

    force: bool = Field(default=False, description="Restart a sync already running.")


class TableConfig(dg.Config):
    """One table to resync."""

    schema_name: str = Field(min_length=1, description="The table's schema (source namespace).")
    table: str = Field(min_length=1, description="The table's name.")


class ResyncConfig(dg.Config):
    """`tables`: resync only these (Fivetran database connections); None: everything."""

    tables: list[TableConfig] | None = Field(default=None, description="None: all tables.")


class DeleteConfig(dg.Config):
    """`missing_ok`: a connection already gone is a success (so a retried delete succeeds)."""

    missing_ok: bool = Field(default=True, description="Succeed when it is already gone.")


def resolve_secrets(secrets: Mapping[str, str]) -> dict[str, str]:
    """Dotted path -> the value of the environment variable it names, read now (`dg.EnvVar`).

    Raises `dg.Failure` (no retries) naming the path and the variable when one is unset.
    """
    values: dict[str, str] = {}
    for path, variable in secrets.items():
        value = dg.EnvVar(variable).get_value()
        if value is None:
            raise dg.Failure(
                description=f"secrets.{path}: environment variable {variable!r} is not set",
                allow_retries=False,
            )
        values[path] = value
    return values


def _place(spec: dict[str, Any], path: str, value: str) -> None:
    parts = path.split(".")
    if not all(parts):
        raise dg.Failure(
            description=f"secrets: {path!r} is not a dotted spec path such as 'config.password'",
            allow_retries=False,
        )
    node = spec
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise dg.Failure(
                description=f"secrets.{path}: spec field {part!r} is not an object",
                allow_retries=False,
            )
        node = child
    node[parts[-1]] = value


def build_spec(
    entry: BackendEntry, spec: Mapping[str, Any], secrets: Mapping[str, str]
) -> tuple[Any, tuple[str, ...]]:
    """The backend's spec object, with the secrets read from the environment now.

    Returns the spec and the secret values (for scrubbing). Raises `dg.Failure`
    (no retries) naming each invalid field, never its value.
    """
    values = resolve_secrets(secrets)
    merged: dict[str, Any] = _copy(spec)
    for path, value in values.items():
        _place(merged, path, value)
    try:
        built = entry.spec_class.model_validate(merged)
    except ValidationError as exc:
        raise dg.Failure(
            description=f"{entry.name} spec: {invalid_fields(exc, prefix='spec')}",
            allow_retries=False,
        ) from None
    return built, tuple(values.values())


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value
