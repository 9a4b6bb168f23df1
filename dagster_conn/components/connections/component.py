"""`ConnectionsComponent`: connections as code, declared in a `defs.yaml`.

    type: dagster_conn.ConnectionsComponent
    attributes:
      accounts:
        fivetran:
          secrets: {api_key: FIVETRAN_API_KEY, api_secret: FIVETRAN_API_SECRET}
      connections:
        - name: shop
          backend: fivetran
          spec: {group_id: warehouse, service: postgres, schema_name: shop,
                 config: {host: db.example.com, port: 5432, database: shop, user: loader}}
          secrets: {config.password: SHOP_PG_PASSWORD}
      max_sync_age_seconds: 86400
      sensor: {minimum_interval_seconds: 60}

Every secret is named by its environment variable and wrapped in `dg.EnvVar`
(account credentials) or read at run time (a spec's secrets): no secret value
is ever part of the YAML, the resource config or the run config.

The component is state-backed: `dg utils refresh-defs-state` (or `dagster dev`)
calls `write_state_to_path`, which reads each connection's id, tables,
contents and datasets with GETs only; loading the definitions reads that
stored JSON and calls no API. Without stored state every connection is one
asset. It builds the assets, the health checks, the sync sensor, a reconcile
job (`{"dry_run": true}` logs each plan's diff and changes nothing) and, when
some connections are only observed (the hub), an observe job.

Subclass it and override `get_asset_spec(props)` to change the asset specs.
"""

import hashlib
import math
import re
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster.components import DefsStateConfig, DefsStateConfigArgs, ResolvedDefsStateConfig
from pydantic import Field, ValidationError, model_validator

from conn_shared import Step, backend_entry
from dagster_conn.assets import build_connection_assets
from dagster_conn.checks import build_connection_checks
from dagster_conn.components.connections.scaffolder import ConnectionsComponentScaffolder
from dagster_conn.reconcile import build_reconcile_job
from dagster_conn.resources import ConnectionResource, invalid_fields, resource_class
from dagster_conn.sensors import build_sync_sensor
from dagster_conn.state import (
    dump_connection_props,
    fetch_connection_props,
    load_connection_props,
)
from dagster_conn.translator import ConnectionAssetProps, ConnectionProps, ConnectionTranslator

__all__ = ["AccountModel", "ConnectionModel", "ConnectionsComponent", "SensorModel"]


class AccountModel(dg.Model):
    """How to reach one backend's account; credentials by environment variable name.

    The settings are checked by the backend's resource class when the component
    loads (no constraints here: Dagster's YAML resolution takes plain fields).
    """

    secrets: dict[str, str] = Field(
        description="Resource field -> environment variable, e.g. {api_key: FIVETRAN_API_KEY}."
    )
    base_url: str | None = Field(default=None, description="API root; None: the default.")
    ui_base_url: str | None = Field(default=None, description="Vendor UI root for links.")
    resource_key: str | None = Field(default=None, description="None: the backend's name.")
    request_timeout: float = Field(default=30.0, description="Seconds per HTTP attempt.")
    poll_interval: float = Field(default=15.0, description="Seconds between polls.")
    max_poll_interval: float = Field(default=300.0, description="Cap on the interval (s).")
    wait_timeout: float | None = Field(default=3600.0, description="Seconds a wait may take.")
    verify_tls: bool = Field(default=True, description="Verify the server's TLS certificate.")
    ca_bundle: str | None = Field(default=None, description="CA bundle file to verify against.")
    allow_insecure_http: bool = Field(
        default=False, description="Allow plain http to a host that is not loopback."
    )


class ConnectionModel(dg.Model):
    """One connection's desired state."""

    name: str = Field(description="Its name in Dagster: asset keys, group, op names.")
    backend: str = Field(description="fivetran, faraday or hub.")
    connection_id: str | None = Field(default=None, description="The vendor's id, if known.")
    spec: dict[str, Any] | None = Field(
        default=None, description="The backend's spec fields, secrets left out."
    )
    secrets: dict[str, str] = Field(
        default={}, description="Dotted spec path -> environment variable."
    )
    resend_secrets: bool = Field(default=False, description="Reconcile sends secrets again.")
    group_name: str | None = Field(default=None, description="Asset group; None: the name.")


class SensorModel(dg.Model):
    """The sync sensor's settings."""

    name: str | None = Field(default=None, description="None: <component>_vendor_syncs.")
    minimum_interval_seconds: int = Field(default=60, description="Seconds between ticks.")
    running: bool = Field(default=False, description="Start it running (no UI toggle needed).")


def _resource(backend: str, account: AccountModel) -> ConnectionResource:
    settings: dict[str, Any] = account.model_dump(exclude={"secrets", "resource_key"})
    secrets: dict[str, Any] = {field: dg.EnvVar(var) for field, var in account.secrets.items()}
    return resource_class(backend)(**settings, **secrets)


#: Dagster's rule for job, sensor and op names, and for asset group names (segments).
_NAME = re.compile(r"[A-Za-z0-9_]+")
_GROUP = re.compile(r"[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*")
#: The longest freshness window a timedelta holds comfortably (100 years, in seconds).
_MAX_WINDOW = 100 * 365 * 86400


def _check_name(field: str, value: str, rule: "re.Pattern[str]") -> None:
    """Refuse a name Dagster would refuse later, naming the YAML field (Dagster names only
    its derived name, e.g. ' _reconcile')."""
    if not rule.fullmatch(value):
        raise ValueError(
            f"{field}: {value!r:.80} is not a valid Dagster name (letters, digits and _"
            + (", segments separated by /)" if rule is _GROUP else ")")
        )


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(exc)


class _ComponentTranslator(ConnectionTranslator):
    """Hands every spec to the component, so that subclasses override one method."""

    def __init__(self, component: "ConnectionsComponent") -> None:
        self._component = component

    def get_asset_spec(self, props: ConnectionAssetProps) -> dg.AssetSpec:
        return self._component.get_asset_spec(props)


@dg.scaffold_with(ConnectionsComponentScaffolder)
class ConnectionsComponent(dg.StateBackedComponent, dg.Model, dg.Resolvable):
    """ELT connections (Fivetran, Faraday, a connections hub) as assets, checks and jobs.

    Attributes (the YAML's `attributes`):
        accounts: backend name -> `AccountModel` (credentials by env var name).
        connections: the `ConnectionModel`s (name, backend, spec or connection_id, ...).
        name: a prefix for the jobs and the sensor (default "connections").
        max_sync_age_seconds: threshold of the `last_sync_age` check; None: no check.
        freshness_fail_window_seconds: a `dg.FreshnessPolicy.time_window` on synced assets.
        sensor: the sync sensor's settings; null leaves it out.
        defs_state: where refreshed state is kept (default: the local filesystem).
    """

    accounts: dict[str, AccountModel] = Field(description="Backend name -> account.")
    connections: list[ConnectionModel] = Field(description="The connections' desired state.")
    name: str = Field(default="connections", description="Prefix of the jobs and sensor.")
    max_sync_age_seconds: float | None = Field(default=None, description="Check limit.")
    freshness_fail_window_seconds: float | None = Field(
        default=None, description="FreshnessPolicy fail window of the synced assets."
    )
    # Plain defaults, not default_factory: Dagster 1.12's YAML resolution adds a default
    # of its own and refuses fields that have both. (pydantic copies mutable defaults.)
    sensor: SensorModel | None = Field(default=SensorModel(), description="null: none.")
    defs_state: ResolvedDefsStateConfig = DefsStateConfigArgs.local_filesystem()

    @model_validator(mode="after")
    def _consistent(self) -> "ConnectionsComponent":
        for backend, account in self.accounts.items():
            try:
                needed = set(resource_class(backend).secret_fields)
            except ValueError as exc:
                raise ValueError(f"accounts.{backend}: {exc}") from None
            given = set(account.secrets)
            if given != needed:
                raise ValueError(
                    f"accounts.{backend}.secrets: the {backend} resource takes "
                    f"{', '.join(sorted(needed))}; got {', '.join(sorted(given)) or 'none'}"
                )
            try:
                _resource(backend, account)
            except ValidationError as exc:
                raise ValueError(invalid_fields(exc, prefix=f"accounts.{backend}")) from None
        if self.max_sync_age_seconds is not None and not 0 < self.max_sync_age_seconds < math.inf:
            raise ValueError("max_sync_age_seconds: must be > 0 (seconds), or null")
        window = self.freshness_fail_window_seconds
        if window is not None and not 60 <= window <= _MAX_WINDOW:
            # Dagster's own check of a shorter window is a bare CheckError at build time.
            raise ValueError(
                f"freshness_fail_window_seconds: must be within 60..{_MAX_WINDOW} (seconds), "
                "or null"
            )
        _check_name("name", self.name, _NAME)
        if self.sensor is not None and self.sensor.name is not None:
            _check_name("sensor.name", self.sensor.name, _NAME)
        for index, connection in enumerate(self.connections):
            try:
                ConnectionProps(**connection.model_dump())
            except ValueError as exc:
                raise ValueError(f"connections[{index}]: {_first_error(exc)}") from None
            if connection.group_name is not None:
                _check_name(f"connections[{index}].group_name", connection.group_name, _GROUP)
            if connection.backend not in self.accounts:
                raise ValueError(
                    f"connections[{index}].backend: {connection.backend!r} has no entry "
                    f"in accounts (declared: {', '.join(sorted(self.accounts)) or 'none'})"
                )
        return self

    # --- what the YAML declares ---------------------------------------------------------

    @cached_property
    def declared(self) -> list[ConnectionProps]:
        """The connections as records, without anything read from the vendors."""
        return [ConnectionProps(**c.model_dump()) for c in self.connections]

    @cached_property
    def resources(self) -> dict[str, ConnectionResource]:
        """Resource key -> resource, credentials as `dg.EnvVar`."""
        return {a.resource_key or b: _resource(b, a) for b, a in self.accounts.items()}

    @property
    def resource_keys(self) -> dict[str, str]:
        """Backend name -> resource key."""
        return {b: a.resource_key or b for b, a in self.accounts.items()}

    @cached_property
    def translator(self) -> ConnectionTranslator:
        """The translator the assets, checks and sensor share (see `get_asset_spec`)."""
        return _ComponentTranslator(self)

    def get_asset_spec(self, props: ConnectionAssetProps) -> dg.AssetSpec:
        """The asset spec for `props`; override in a subclass to change keys, groups, tags."""
        return ConnectionTranslator().get_asset_spec(props)

    # --- state ----------------------------------------------------------------------------

    @property
    def defs_state_config(self) -> DefsStateConfig:
        """Where the refreshed state lives; the key is stable for the same connection names."""
        names = ",".join(sorted(c.name for c in self.connections))
        digest = hashlib.sha256(names.encode()).hexdigest()[:12]
        return DefsStateConfig.from_args(
            self.defs_state, default_key=f"{type(self).__name__}[{self.name}:{digest}]"
        )

    def write_state_to_path(self, state_path: Path) -> None:
        """Read every connection's id, tables, contents and datasets (GETs) and store them."""
        by_backend = {b: self.resources[k] for b, k in self.resource_keys.items()}
        fetched = fetch_connection_props(resources=by_backend, connections=self.declared)
        state_path.write_text(dump_connection_props(fetched), encoding="utf-8")

    def connections_from_state(self, state_path: Path | None) -> list[ConnectionProps]:
        """The declared records, each replaced by its stored state while that still matches.

        A stored record is used only if its name, backend, spec and id are those the
        YAML declares now: after an edit, the connection is one asset until the
        next refresh.
        """
        if state_path is None or not state_path.exists():
            return list(self.declared)
        stored = {p.name: p for p in load_connection_props(state_path.read_text("utf-8"))}
        chosen = []
        for declared in self.declared:
            found = stored.get(declared.name)
            same = found is not None and (found.backend, found.spec, found.secrets) == (
                declared.backend,
                declared.spec,
                declared.secrets,
            )
            if same and declared.connection_id in (None, found.connection_id):  # type: ignore[union-attr]
                assert found is not None
                chosen.append(found.model_copy(update={"group_name": declared.group_name}))
            else:
                chosen.append(declared)
        return chosen

    # --- definitions ----------------------------------------------------------------------

    def build_defs_from_state(
        self, context: dg.ComponentLoadContext, state_path: Path | None
    ) -> dg.Definitions:
        """Assets, checks, sensor and jobs from the stored state (or the declarations)."""
        connections = self.connections_from_state(state_path)
        keys = self.resource_keys
        policy = None
        if self.freshness_fail_window_seconds is not None:
            window = timedelta(seconds=self.freshness_fail_window_seconds)
            policy = dg.FreshnessPolicy.time_window(fail_window=window)
        assets = build_connection_assets(
            connections=connections,
            translator=self.translator,
            resource_keys=keys,
            freshness_policy=policy,
        )
        checks = build_connection_checks(
            connections=connections,
            translator=self.translator,
            resource_keys=keys,
            max_sync_age_seconds=self.max_sync_age_seconds,
        )
        jobs: list[Any] = []
        reconcile = build_reconcile_job(
            name=f"{self.name}_reconcile", connections=connections, resource_keys=keys
        )
        if reconcile is not None:
            jobs.append(reconcile)
        observed = [a for a in assets if isinstance(a, dg.AssetsDefinition) and a.is_observable]
        if observed:
            selection = dg.AssetSelection.assets(*observed)
            jobs.append(dg.define_asset_job(f"{self.name}_observe", selection=selection))
        sensors = []
        synced = [c for c in connections if Step.SYNC in backend_entry(c.backend).capabilities]
        if self.sensor is not None and synced:
            running = dg.DefaultSensorStatus.RUNNING if self.sensor.running else None
            sensors.append(
                build_sync_sensor(
                    name=self.sensor.name or f"{self.name}_vendor_syncs",
                    connections=connections,
                    translator=self.translator,
                    resource_keys=keys,
                    minimum_interval_seconds=self.sensor.minimum_interval_seconds,
                    default_status=running or dg.DefaultSensorStatus.STOPPED,
                )
            )
        return dg.Definitions(
            assets=assets,
            asset_checks=checks,
            jobs=jobs,
            sensors=sensors,
            resources=dict(self.resources),
        )
