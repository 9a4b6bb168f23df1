"""Every lifecycle step Faraday supports, in one DAG.

ensure -> wait until ready -> sync without waiting -> wait for the sync.
Faraday has no verification, resync, pause or resume step: the operators for
them would fail this file at parse time, naming the backend and the step.

Airflow connections used: `conn_faraday_default` (API key, base URL) and
`source_postgres`.
"""

import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG

from airflow_provider_conn import (
    ConnectionReadySensor,
    EnsureConnectionOperator,
    SyncCompleteSensor,
    TriggerSyncOperator,
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

BACKEND = "faraday"

with DAG(
    "airflow_faraday",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=10)},
    tags=["conn-providers", BACKEND],
):
    ensure = EnsureConnectionOperator(
        task_id="ensure",
        backend=BACKEND,
        spec={"name": "shop_orders", "options": {"type": "postgres", **SOURCE, "schema": "public"}},
    )
    ready = ConnectionReadySensor(
        task_id="ready",
        backend=BACKEND,
        connection_id=ensure.output,
        poke_interval=POLL,
        timeout=TIMEOUT,
    )
    sync = TriggerSyncOperator(
        task_id="sync", backend=BACKEND, connection_id=ensure.output, wait_for_completion=False
    )
    synced = SyncCompleteSensor(
        task_id="synced", backend=BACKEND, handle=sync.output, poke_interval=POLL, timeout=TIMEOUT
    )

    ensure >> ready >> sync >> synced
