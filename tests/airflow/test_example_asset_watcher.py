"""The asset-watcher example reads each sync's report out of the asset event Airflow records.

Found in a real deployment (tests/e2e/test_airflow_examples.py): Airflow keeps a
watcher's event as `{"from_trigger": True, "payload": <event>}`, so the example's
`report` returned that wrapper, not the `SyncReport` its docstring promised.
`dag.test()` has no watcher events, so the task is called here with events of the
shape the deployment recorded.
"""

from types import SimpleNamespace
from typing import Any

from airflow.sdk import Asset

from tests.airflow.support import example_dags

REPORT: dict[str, Any] = {
    "backend": "fivetran",
    "connection_id": "dapper_sparrow",
    "kind": "sync",
    "state": "succeeded",
}


def test_report_returns_the_sync_reports_of_the_watchers_events() -> None:
    dags, _ = example_dags(deferrable=False)
    report = dags["airflow_asset_watcher"].get_task("report")
    events = {
        Asset("conn-fivetran://dapper_sparrow"): [
            SimpleNamespace(extra={"from_trigger": True, "payload": REPORT}),
            SimpleNamespace(extra={"note": "an event a user created by hand"}),
        ]
    }

    returned = report.python_callable(triggering_asset_events=events)

    assert returned == [REPORT]
