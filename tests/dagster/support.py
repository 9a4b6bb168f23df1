"""What the Dagster tests share: specs with a planted secret, resources, event-log text.

Every spec reads its password from `PLANTED_VAR`, and every resource its
credentials from `*_ENV` variables (through `dg.EnvVar`), so a test can search
everything Dagster recorded for `PLANTED` and for the account credentials.
"""

import time
from typing import Any

import dagster as dg

from conn_shared import (
    Step,
    backend_entry,
    ensure_connection,
    get_connection_health,
    verify_connection,
    wait_until_ready,
)
from conn_shared.sim.server import SimServer
from dagster_conn import (
    ConnectionProps,
    ConnectionResource,
    FaradayResource,
    FivetranResource,
    HubResource,
)
from dagster_conn.config import build_spec

__all__ = [
    "BACKENDS",
    "CREATE_ROUTE",
    "FAST_WAIT",
    "PLANTED",
    "PLANTED_VAR",
    "SYNC_ROUTE",
    "credential_env",
    "declared",
    "event_text",
    "make_resources",
    "ready_connection",
    "secrets_of",
    "spec_of",
    "synced_once",
    "writes",
]

BACKENDS = ("fivetran", "faraday", "hub")
PLANTED = "pw-planted-7Qx9-SECRET"
PLANTED_VAR = "CONN_TEST_PG_PASSWORD"

#: Poll the fast simulator often (seconds).
FAST_WAIT: dict[str, Any] = {"poll_interval": 0.02, "max_poll_interval": 0.2, "wait_timeout": 60.0}

CREATE_ROUTE = {
    "fivetran": "/v1/connections",
    "faraday": "/v1/connections",
    "hub": "/api/v1/connections",
}
SYNC_ROUTE = {
    "fivetran": "/v1/connections/{connectionId}/sync",
    "faraday": "/v1/connections/{connection_id}/force_update",
}

#: Environment variable -> (backend, the simulator's credential field).
_CREDENTIALS = {
    "CONN_TEST_FIVETRAN_KEY": ("fivetran", "api_key"),
    "CONN_TEST_FIVETRAN_SECRET": ("fivetran", "api_secret"),
    "CONN_TEST_FARADAY_KEY": ("faraday", "api_key"),
    "CONN_TEST_HUB_TOKEN": ("hub", "token"),
}


def credential_env(sim: SimServer) -> dict[str, str]:
    """The environment the resources read: the simulator's credentials and the password."""
    accepted = sim.credentials.as_dict()
    env = {var: str(accepted[b][f]) for var, (b, f) in _CREDENTIALS.items()}
    env[PLANTED_VAR] = PLANTED
    return env


def make_resources(sim: SimServer, **settings: Any) -> dict[str, ConnectionResource]:
    """One resource per backend, pointed at `sim`, credentials as `dg.EnvVar`, fast polls."""
    options = {**FAST_WAIT, **settings}
    return {
        "fivetran": FivetranResource(
            api_key=dg.EnvVar("CONN_TEST_FIVETRAN_KEY"),
            api_secret=dg.EnvVar("CONN_TEST_FIVETRAN_SECRET"),
            base_url=sim.base_url("fivetran"),
            **options,
        ),
        "faraday": FaradayResource(
            api_key=dg.EnvVar("CONN_TEST_FARADAY_KEY"), base_url=sim.base_url("faraday"), **options
        ),
        "hub": HubResource(
            token=dg.EnvVar("CONN_TEST_HUB_TOKEN"), base_url=sim.base_url("hub"), **options
        ),
    }


def spec_of(
    backend: str, label: str = "shop", *, host: str = "db.example.com", **extra: Any
) -> dict[str, Any]:
    """A postgres connection spec (without its password) for `backend`, identified by `label`.

    `host` steers the simulator: one containing "fail" fails setup tests or builds;
    `extra` adds top-level spec fields (e.g. Fivetran's `schedule_type`).
    """
    return {**_spec_of(backend, label, host), **extra}


def _spec_of(backend: str, label: str, host: str) -> dict[str, Any]:
    if backend == "fivetran":
        config = {"host": host, "port": 5432, "database": "shop", "user": "loader"}
        return {
            "group_id": "dg_group",
            "service": "postgres",
            "schema_name": label,
            "config": {**config, "update_method": "XMIN"},
        }
    if backend == "faraday":
        options = {"type": "postgres", "host": host, "port": 5432, "database": "shop"}
        return {"name": label, "options": {**options, "schema": "public", "user": "loader"}}
    return {
        "name": label,
        "provider": "postgres",
        "config": {"host": host, "port": 5432, "database": "shop"},
        "credentials": {"username": "loader"},
    }


#: Where each backend's spec keeps the password.
SECRET_PATH = {
    "fivetran": "config.password",
    "faraday": "options.password",
    "hub": "credentials.password",
}


def secrets_of(backend: str) -> dict[str, str]:
    """The spec's secrets, by environment variable name."""
    return {SECRET_PATH[backend]: PLANTED_VAR}


def event_text(instance: dg.DagsterInstance, run_id: str) -> str:
    """Everything the instance recorded for a run, serialized: events, metadata, errors."""
    entries = instance.all_logs(run_id)
    run = instance.get_run_by_id(run_id)
    return "\n".join([dg.serialize_value(e) for e in entries] + [dg.serialize_value(run)])


def writes(sim: SimServer, backend: str) -> int:
    """Non-GET requests the simulator counted for `backend`."""
    return sum(
        int(r["count"])
        for r in sim.request_counts()
        if r["backend"] == backend and r["method"] != "GET"
    )


def ready_connection(resource: ConnectionResource, label: str = "shop", **spec: Any) -> str:
    """Create a connection for `resource`'s backend (password from the environment), ready."""
    name = resource.backend_name
    built, _ = build_spec(backend_entry(name), spec_of(name, label, **spec), secrets_of(name))
    backend = resource.get_backend()
    connection_id = resource.run(ensure_connection(backend, built)).connection.connection_id
    if Step.VERIFY in backend.capabilities:
        resource.run(verify_connection(backend, connection_id))
    resource.run(wait_until_ready(backend, connection_id, policy=resource.wait_policy()))
    return connection_id


def synced_once(resource: ConnectionResource, connection_id: str) -> Any:
    """Wait (at most 10 real seconds) for the vendor's first sync to end; its end time."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        health = resource.run(get_connection_health(resource.get_backend(), connection_id))
        if health.last_synced_at is not None:
            return health.last_synced_at
        time.sleep(0.05)
    raise AssertionError("the vendor never synced")


def declared(backend: str, label: str = "shop", **spec: Any) -> ConnectionProps:
    """A record of the connection `ready_connection(..., label)` makes, found by its spec."""
    return ConnectionProps(
        name=label,
        backend=backend,
        spec=spec_of(backend, label, **spec),
        secrets=secrets_of(backend),
    )
