"""Every lifecycle step the connections hub supports, in one DAG.

ensure -> verify -> wait until ready -> pause -> resume. The hub has no sync:
a TriggerSyncOperator with backend="hub" fails this file at parse time.

Airflow connections used: `conn_hub_default` (token, base URL) and `source_postgres`.
"""

import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG

from airflow_provider_conn import (
    ConnectionReadySensor,
    EnsureConnectionOperator,
    PauseConnectionOperator,
    ResumeConnectionOperator,
    VerifyConnectionOperator,
)

# Read when the file is parsed; no connection or network is touched until a task runs.
POLL = float(os.environ.get("CONN_EXAMPLES_POLL_SECONDS", "30"))  # first poll interval, s
TIMEOUT = float(os.environ.get("CONN_EXAMPLES_TIMEOUT", "3600"))  # any one wait, s

BACKEND = "hub"

with DAG(
    "airflow_hub",
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
            "name": "shop orders",
            "provider": "postgres",
            "slug": "shop-orders",
            "visibility": "private",
            "config": {"host": "{{ conn.source_postgres.host }}", "port": 5432, "database": "shop"},
            "credentials": {
                "username": "{{ conn.source_postgres.login }}",
                "password": "{{ conn.source_postgres.password }}",
            },
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
    pause = PauseConnectionOperator(task_id="pause", backend=BACKEND, connection_id=ensure.output)
    resume = ResumeConnectionOperator(
        task_id="resume", backend=BACKEND, connection_id=ensure.output
    )

    ensure >> verify >> ready >> pause >> resume
