"""Three backends in one DAG: a hub connection and a Fivetran sync side by side.

The hub connection is verified and made ready while Fivetran syncs; a scratch Faraday
connection is planned (dry run), created and deleted again. The same operator
classes serve every backend; `backend` picks the vendor.

Airflow connections used: `conn_fivetran_default`, `conn_faraday_default`,
`conn_hub_default` and `source_postgres`.
"""

import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG

from airflow_provider_conn import (
    ConnectionReadySensor,
    DeleteConnectionOperator,
    EnsureConnectionOperator,
    TriggerSyncOperator,
    VerifyConnectionOperator,
)

# Read when the file is parsed; no connection or network is touched until a task runs.
POLL = float(os.environ.get("CONN_EXAMPLES_POLL_SECONDS", "30"))  # first poll interval, s
TIMEOUT = float(os.environ.get("CONN_EXAMPLES_TIMEOUT", "3600"))  # any one wait, s

# The database the vendor loads from: rendered from the `source_postgres` connection.
SOURCE = {
    "host": "{{ conn.source_postgres.host }}",
    "port": 5432,
    "database": "shop",
    "user": "{{ conn.source_postgres.login }}",
    "password": "{{ conn.source_postgres.password }}",
}

with DAG(
    "airflow_mixed",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=10)},
    tags=["conn-providers"],
):
    hub = EnsureConnectionOperator(
        task_id="hub_ensure",
        backend="hub",
        spec={
            "name": "mixed warehouse",
            "provider": "postgres",
            "config": {"host": "{{ conn.source_postgres.host }}"},
        },
    )
    hub_ready = ConnectionReadySensor(
        task_id="hub_ready",
        backend="hub",
        connection_id=hub.output,
        poke_interval=POLL,
        timeout=TIMEOUT,
    )
    fivetran = EnsureConnectionOperator(
        task_id="fivetran_ensure",
        backend="fivetran",
        spec={
            "group_id": "warehouse",
            "service": "postgres",
            "schema_name": "mixed_orders",
            "config": SOURCE,
        },
    )
    fivetran_sync = TriggerSyncOperator(
        task_id="fivetran_sync",
        backend="fivetran",
        connection_id=fivetran.output,
        poll_interval=POLL,
        max_poll_interval=max(POLL, 300.0),
        timeout=TIMEOUT,
    )
    scratch_spec = {
        "name": "mixed scratch",
        "options": {"type": "postgres", **SOURCE, "schema": "public"},
    }
    plan = EnsureConnectionOperator(
        task_id="faraday_plan", backend="faraday", spec=scratch_spec, dry_run=True
    )
    scratch = EnsureConnectionOperator(
        task_id="faraday_ensure", backend="faraday", spec=scratch_spec
    )
    drop = DeleteConnectionOperator(
        task_id="faraday_delete", backend="faraday", connection_id=scratch.output
    )

    hub_verify = VerifyConnectionOperator(
        task_id="hub_verify", backend="hub", connection_id=hub.output
    )

    hub >> hub_verify >> hub_ready
    fivetran >> fivetran_sync
    plan >> scratch >> drop
