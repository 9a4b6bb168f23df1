"""Every lifecycle step Fivetran supports, in one DAG.

ensure -> verify (setup tests) -> wait until ready -> sync and wait -> resync
without waiting -> wait for the resync -> pause -> resume.

Airflow connections used: `conn_fivetran_default` (API key and secret, base URL)
and `source_postgres` (the database Fivetran loads from). `deferrable` follows
`[operators] default_deferrable`.
"""

import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG

from airflow_provider_conn import (
    ConnectionReadySensor,
    EnsureConnectionOperator,
    PauseConnectionOperator,
    ResumeConnectionOperator,
    SyncCompleteSensor,
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

BACKEND = "fivetran"
WAIT = {"poll_interval": POLL, "max_poll_interval": max(POLL, 300.0), "timeout": TIMEOUT}

with DAG(
    "airflow_fivetran",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=10)},
    tags=["conn-providers", BACKEND],
):
    ensure = EnsureConnectionOperator(
        task_id="ensure",
        backend=BACKEND,
        spec={
            "group_id": "warehouse",
            "service": "postgres",
            "schema_name": "shop_orders",
            "config": {**SOURCE, "update_method": "XMIN"},
            "run_setup_tests": True,
        },
    )
    verify = VerifyConnectionOperator(
        task_id="verify", backend=BACKEND, connection_id=ensure.output
    )
    ready = ConnectionReadySensor(
        task_id="ready",
        backend=BACKEND,
        connection_id=ensure.output,
        poke_interval=POLL,
        timeout=TIMEOUT,
    )
    sync = TriggerSyncOperator(task_id="sync", backend=BACKEND, connection_id=ensure.output, **WAIT)
    resync = TriggerSyncOperator(
        task_id="resync",
        backend=BACKEND,
        connection_id=ensure.output,
        resync=True,
        tables=["public.orders"],
        wait_for_completion=False,
    )
    resynced = SyncCompleteSensor(
        task_id="resynced",
        backend=BACKEND,
        handle=resync.output,
        poke_interval=POLL,
        timeout=TIMEOUT,
    )
    pause = PauseConnectionOperator(task_id="pause", backend=BACKEND, connection_id=ensure.output)
    resume = ResumeConnectionOperator(
        task_id="resume", backend=BACKEND, connection_id=ensure.output
    )

    ensure >> verify >> ready >> sync >> resync >> resynced >> pause >> resume
