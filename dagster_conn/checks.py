"""Asset checks for connection health: ready, not paused, and the age of the last sync.

    checks = build_connection_checks(connections=connections, max_sync_age_seconds=6 * 3600)

One multi-asset check per connection reads the connection once
(`get_connection_health`: one GET) and reports, on each of the connection's
assets:

- `connection_ready`: the vendor says the connection can be used (severity ERROR);
- `connection_not_paused`: it is not paused / disabled (WARN; backends with a pause);
- `last_sync_age`: the latest successful sync ended at most `max_sync_age_seconds`
  ago (ERROR; backends with syncs, when a threshold is given).

For Dagster's own freshness tracking, pass a `dg.FreshnessPolicy` to
`build_connection_assets`; `last_sync_age` asks the vendor instead, so it also
sees syncs no sensor recorded yet.
"""

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dagster as dg

from conn_shared import ReadinessState, Step, backend_entry, get_connection_health
from dagster_conn.assets import lookup_flow, sync_asset_keys
from dagster_conn.resources import connection_resource
from dagster_conn.translator import ConnectionProps, ConnectionTranslator

__all__ = ["NOT_PAUSED", "READY", "SYNC_AGE", "build_connection_checks"]

READY = "connection_ready"
NOT_PAUSED = "connection_not_paused"
SYNC_AGE = "last_sync_age"


def _names(connection: ConnectionProps, max_sync_age_seconds: float | None) -> list[str]:
    capabilities = backend_entry(connection.backend).capabilities
    names = [READY]
    if Step.PAUSE in capabilities:
        names.append(NOT_PAUSED)
    if Step.SYNC in capabilities and max_sync_age_seconds is not None:
        names.append(SYNC_AGE)
    return names


_SEVERITY = {
    READY: dg.AssetCheckSeverity.ERROR,
    NOT_PAUSED: dg.AssetCheckSeverity.WARN,
    SYNC_AGE: dg.AssetCheckSeverity.ERROR,
}
_DESCRIPTION = {
    READY: "The vendor reports the connection ready to use.",
    NOT_PAUSED: "The connection is not paused (or disabled), so scheduled syncs run.",
    SYNC_AGE: "The latest successful sync is recent enough.",
}


def _health_check(
    connection: ConnectionProps,
    keys: Sequence[dg.AssetKey],
    resource_key: str,
    max_sync_age_seconds: float | None,
) -> dg.AssetChecksDefinition:
    names = _names(connection, max_sync_age_seconds)
    specs = [
        dg.AssetCheckSpec(name, asset=key, description=_DESCRIPTION[name])
        for key in keys
        for name in names
    ]

    @dg.multi_asset_check(
        name=f"{connection.key_name}_health",
        specs=specs,
        required_resource_keys={resource_key},
        can_subset=True,
    )
    def _check(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        resource = connection_resource(context, resource_key, connection.backend)
        flow, hide = lookup_flow(resource, connection)
        connection_id = resource.run(flow, hide=hide)
        verdicts: dict[str, tuple[bool, dict[str, Any]]]
        if connection_id is None:
            absent = (False, {"reason": "the connection does not exist yet"})
            verdicts = dict.fromkeys(names, absent)
        else:
            health = resource.run(get_connection_health(resource.get_backend(), connection_id))
            base: dict[str, Any] = {"conn/connection_id": connection_id}
            verdicts = {
                READY: (
                    health.readiness is ReadinessState.READY,
                    {**base, "readiness": health.readiness.value, "reason": health.reason or ""},
                ),
                NOT_PAUSED: (health.paused is not True, {**base, "paused": bool(health.paused)}),
            }
            if SYNC_AGE in names:
                assert max_sync_age_seconds is not None
                verdicts[SYNC_AGE] = _age(health.last_synced_at, max_sync_age_seconds, base)
        for check_key in context.selected_asset_check_keys:
            passed, metadata = verdicts[check_key.name]
            yield dg.AssetCheckResult(
                asset_key=check_key.asset_key,
                check_name=check_key.name,
                passed=passed,
                severity=_SEVERITY[check_key.name],
                metadata=metadata,
            )

    return _check


def _age(last: Any, limit: float, base: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    metadata = {**base, "max_age_seconds": limit}
    if last is None:
        return False, {**metadata, "reason": "no successful sync yet"}
    age = time.time() - last.timestamp()
    metadata["last_synced_at"] = dg.MetadataValue.timestamp(last)
    metadata["age_seconds"] = dg.MetadataValue.float(round(age, 3))
    return age <= limit, metadata


def build_connection_checks(
    *,
    connections: Sequence[ConnectionProps],
    translator: ConnectionTranslator | None = None,
    resource_keys: Mapping[str, str] | None = None,
    max_sync_age_seconds: float | None = None,
) -> list[dg.AssetChecksDefinition]:
    """Health checks on each connection's assets (see the module docstring).

    Use the same `connections`, `translator` and `resource_keys` as for
    `build_connection_assets`. `max_sync_age_seconds` None leaves the sync-age
    check out. Sends nothing; each check run sends one GET per connection (and
    a `plan_connection` look-up for a record given by spec).
    """
    keys = dict(resource_keys or {})
    return [
        _health_check(
            connection,
            sync_asset_keys(connection, translator),
            keys.get(connection.backend, connection.backend),
            max_sync_age_seconds,
        )
        for connection in connections
    ]
