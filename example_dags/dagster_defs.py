"""Dagster definitions for one connection per backend, runnable against the simulator.

    conn-sim --port 8765 --clock-speed 60 &
    export FIVETRAN_BASE_URL=http://127.0.0.1:8765/fivetran \\
           FARADAY_BASE_URL=http://127.0.0.1:8765/faraday/v1 \\
           HUB_BASE_URL=http://127.0.0.1:8765/hub \\
           FIVETRAN_API_KEY=sim-fivetran-key FIVETRAN_API_SECRET=sim-fivetran-secret \\
           FARADAY_API_KEY=sim-faraday-key HUB_TOKEN=sim-hub-token \\
           SHOP_PG_PASSWORD=any-password CONN_POLL_INTERVAL=0.2
    dagster dev -f example_dags/dagster_defs.py          # or: dagster-daemon run -f ...

What it defines, all from environment variables (read when a step or a sensor
runs; only CONN_POLL_INTERVAL and CONN_SENSOR_INTERVAL are read at load time):

- jobs `fivetran_shop`, `faraday_shop`, `hub_shop`: ensure -> verify -> wait until
  ready -> sync -> wait, with the steps each backend has;
- on-demand jobs on an existing connection, for the steps its backend has:
  `<name>_resync` (resync -> wait), `<name>_pause`, `<name>_resume`; give the
  connection id in run config:
  `{"ops": {"fivetran_shop_pause_connection": {"inputs": {"connection_id": "..."}}}}`;
- `connections_reconcile`: create or update all three to match their specs
  (run config `{"dry_run": true}` only logs the plans);
- assets: `fivetran_shop` and `faraday_shop` (materializing syncs them),
  `hub_shop` (observed by the job `connections_observe`);
- health checks on each, and the sensor `vendor_syncs` (running by default),
  which records the syncs the vendors run on their own schedule.

Loading it sends no request: the connections are found by their specs when a
step runs.
"""

import os

import dagster as dg

from conn_shared import Step, backend_entry
from dagster_conn import (
    ConnectionProps,
    FaradayResource,
    FivetranResource,
    HubResource,
    build_connection_assets,
    build_connection_checks,
    build_connection_job,
    build_pause_op,
    build_reconcile_job,
    build_resume_op,
    build_resync_op,
    build_sync_sensor,
    build_wait_sync_op,
)

#: Seconds between polls of a wait: the default suits a real vendor, the simulator
#: (on a fast clock) is done in well under a second.
POLL_INTERVAL = float(os.environ.get("CONN_POLL_INTERVAL", "15"))
SENSOR_INTERVAL = int(os.environ.get("CONN_SENSOR_INTERVAL", "30"))
PASSWORD_VAR = "SHOP_PG_PASSWORD"  # noqa: S105 - the variable's name, not a password

_DATABASE = {"host": "db.example.com", "port": 5432, "database": "shop"}

CONNECTIONS = [
    ConnectionProps(
        name="fivetran_shop",
        backend="fivetran",
        spec={
            "group_id": "warehouse",
            "service": "postgres",
            "schema_name": "fivetran_shop",
            "config": {**_DATABASE, "user": "loader", "update_method": "XMIN"},
        },
        secrets={"config.password": PASSWORD_VAR},
    ),
    ConnectionProps(
        name="faraday_shop",
        backend="faraday",
        spec={
            "name": "faraday_shop",
            "options": {"type": "postgres", **_DATABASE, "schema": "public", "user": "loader"},
        },
        secrets={"options.password": PASSWORD_VAR},
    ),
    ConnectionProps(
        name="hub_shop",
        backend="hub",
        spec={
            "name": "hub_shop",
            "provider": "postgres",
            "config": _DATABASE,
            "credentials": {"username": "loader"},
        },
        secrets={"credentials.password": PASSWORD_VAR},
    ),
]

_POLLING = {"poll_interval": POLL_INTERVAL, "max_poll_interval": max(POLL_INTERVAL, 60.0)}

RESOURCES = {
    "fivetran": FivetranResource(
        api_key=dg.EnvVar("FIVETRAN_API_KEY"),
        api_secret=dg.EnvVar("FIVETRAN_API_SECRET"),
        base_url=dg.EnvVar("FIVETRAN_BASE_URL"),
        **_POLLING,
    ),
    "faraday": FaradayResource(
        api_key=dg.EnvVar("FARADAY_API_KEY"), base_url=dg.EnvVar("FARADAY_BASE_URL"), **_POLLING
    ),
    "hub": HubResource(
        token=dg.EnvVar("HUB_TOKEN"), base_url=dg.EnvVar("HUB_BASE_URL"), **_POLLING
    ),
}


def on_demand_jobs(connection: ConnectionProps) -> list[dg.JobDefinition]:
    """`<name>_resync`, `<name>_pause`, `<name>_resume`: those its backend has.

    Each starts from the connection id given in run config (the first op's
    `connection_id` input), so no job asks for a step the backend lacks.
    """
    name, backend = connection.name, connection.backend
    has = backend_entry(backend).capabilities
    jobs = []
    if Step.RESYNC in has:
        resync = build_resync_op(backend=backend, name=f"{name}_trigger_resync")
        wait = build_wait_sync_op(backend=backend, name=f"{name}_wait_for_resync")

        @dg.job(name=f"{name}_resync")
        def _resync() -> None:
            wait(resync())

        jobs.append(_resync)
    for step, build in ((Step.PAUSE, build_pause_op), (Step.RESUME, build_resume_op)):
        if step in has:
            op = build(backend=backend, name=f"{name}_{step.value}_connection")
            jobs.append(dg.GraphDefinition(f"{name}_{step.value}", node_defs=[op]).to_job())
    return jobs


_assets = build_connection_assets(connections=CONNECTIONS)
_observed = [a for a in _assets if isinstance(a, dg.AssetsDefinition) and a.is_observable]
_reconcile = build_reconcile_job(name="connections_reconcile", connections=CONNECTIONS)
assert _reconcile is not None  # every connection above has a spec

defs = dg.Definitions(
    assets=_assets,
    asset_checks=build_connection_checks(connections=CONNECTIONS, max_sync_age_seconds=86400),
    jobs=[
        *(
            build_connection_job(
                name=c.name, backend=c.backend, spec=c.spec, secrets=dict(c.secrets)
            )
            for c in CONNECTIONS
        ),
        *(job for c in CONNECTIONS for job in on_demand_jobs(c)),
        _reconcile,
        dg.define_asset_job("connections_observe", selection=dg.AssetSelection.assets(*_observed)),
    ],
    sensors=[
        build_sync_sensor(
            name="vendor_syncs",
            connections=CONNECTIONS,
            minimum_interval_seconds=SENSOR_INTERVAL,
            default_status=dg.DefaultSensorStatus.RUNNING,
        )
    ],
    resources=RESOURCES,
)
