"""The scale scenario's DAG (tests/e2e/test_airflow_scale.py): one run, many deferred sync waits.

`E2E_SCALE_WAITS` (default 200) `SyncCompleteSensor`s, `wait_000` ... `wait_199`, each
waiting for one sync whose handle the run's conf carries (`{"handles": [...]}`, the
`SyncHandle` JSON of syncs the test asked the simulator for). They start from the
trigger: the scheduler hands each wait to the triggerer without running it on a
worker first, and the handle is rendered there. A worker runs each task once, when
its trigger has fired, to check the event and push the sync report.

Not an example: a test DAG, parsed only by the scale test's deployment.
"""

import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG

from airflow_provider_conn import SyncCompleteSensor

WAITS = int(os.environ.get("E2E_SCALE_WAITS", "200"))
POLL = float(os.environ.get("E2E_SCALE_POLL_SECONDS", "5"))  # seconds between polls

with DAG(
    "e2e_scale",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    # Resumed tasks are limited by the executor's parallelism, not by the DAG.
    max_active_tasks=WAITS,
    # Retries, as every e2e run has: Airflow 3.3.2 can fail a deferrable task whose trigger
    # fires while a stale event of its worker's deferral is in flight (apache/airflow
    # #67287). These start from the trigger, with no worker before it, but a busy machine
    # can lose a resumed try; a retry waits again from the trigger and finds the sync done.
    default_args={"retries": 2, "retry_delay": timedelta(seconds=2)},
):
    for index in range(WAITS):
        SyncCompleteSensor(
            task_id=f"wait_{index:03d}",
            backend="fivetran",
            handle=f"{{{{ dag_run.conf['handles'][{index}] | tojson }}}}",
            deferrable=True,
            start_from_trigger=True,
            poke_interval=POLL,
            timeout=3600,
        )
