"""A DAG scheduled on fresh data: one run per completed sync of a Fivetran connection.

The asset watcher's trigger runs in the triggerer and fires once for every sync
that completes, whoever asked for it (the vendor's schedule included). The
watched connection id comes from `CONN_EXAMPLES_WATCHED_ID`.

Airflow connection used: `conn_fivetran_default` (read by the triggerer).
"""

import os
from datetime import datetime, timezone
from typing import Any

from airflow.sdk import DAG, AssetWatcher, task

from airflow_provider_conn import SyncCompletedTrigger, connection_asset

POLL = float(os.environ.get("CONN_EXAMPLES_POLL_SECONDS", "30"))  # poll interval, s
WATCHED_ID = os.environ.get("CONN_EXAMPLES_WATCHED_ID", "example_watched")

orders = connection_asset(
    "fivetran",
    WATCHED_ID,
    name="fivetran_orders",
    watchers=[
        AssetWatcher(
            name="fivetran_orders_synced",
            trigger=SyncCompletedTrigger(
                backend="fivetran",
                conn_id="conn_fivetran_default",
                connection_id=WATCHED_ID,
                poll_interval=POLL,
            ),
        )
    ],
)

with DAG(
    "airflow_asset_watcher",
    schedule=[orders],
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["conn-providers"],
):

    @task
    def report(**context: Any) -> list[dict[str, Any]]:
        """The syncs that scheduled this run: the SyncReport of each.

        Airflow keeps a watcher's event as the asset event's extra, wrapped:
        `{"from_trigger": true, "payload": <the SyncReport>}`.
        """
        events = context["triggering_asset_events"]
        return [
            dict(event.extra["payload"])
            for batch in events.values()
            for event in batch
            if event.extra.get("from_trigger")
        ]

    report()
