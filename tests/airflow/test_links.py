"""Every task of an example links to its connection's page, whether its wait deferred or not.

Found in a real deployment (tests/e2e/test_airflow_examples.py): the sensors pushed
the page's URL only when they poked, so a deferred sensor showed no extra link and
its XCom differed from the non-deferred run's.
"""

import pytest

from conn_shared import backend_entry
from conn_shared.sim.server import SimServer
from tests.airflow.support import example_dags, task_states, xcoms

MODES = [pytest.param(False, id="worker"), pytest.param(True, id="deferrable")]


@pytest.mark.parametrize("deferrable", MODES)
def test_every_task_pushes_its_connection_page(airflow_env: SimServer, deferrable: bool) -> None:
    dags, _ = example_dags(deferrable=deferrable)

    run = dags["airflow_faraday"].test()
    values = xcoms(run)

    assert set(task_states(run).values()) == {"success"}
    connection_id = values[("ensure", "return_value")]
    links = {task: value for (task, key), value in values.items() if key == "connection_url"}
    assert set(links) == {"ensure", "ready", "sync", "synced"}
    backend = backend_entry("faraday").backend_class(
        api_key="unused-key", base_url=airflow_env.base_url("faraday")
    )
    assert set(links.values()) == {backend.connection_url(connection_id)}
