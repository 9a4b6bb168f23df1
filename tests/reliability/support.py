"""What the reliability suites share: step-boundary faults, a frozen clock, DAG runs, searches.

Ending a try at an exact step boundary, with the simulator's fault plan:

- `lost_create`: the create is committed and its answer lost, and the look-up
  that would find it fails too, so the try ends after the create was sent;
- `lost_request`: a sync or resync request is committed and its answer lost;
- `frozen_clock` + `thaw`: the simulator's clock stands still until the task's
  first try has timed out while waiting, then runs again for the retry.

A try ends because a request failed (transport retries are off: one attempt per
request), the same as when its worker is killed there: the vendor has what the
try sent, and the next try has only what was recorded before the end.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from conn_shared.sim import FaultRule
from conn_shared.sim.server import SimServer
from tests.airflow.conftest import CLOCK_SPEED
from tests.dagster.support import CREATE_ROUTE, SECRET_PATH, spec_of

__all__ = [
    "RESYNC_ROUTE",
    "SyncRoutes",
    "connections",
    "frozen_clock",
    "lost_create",
    "lost_request",
    "run_dag",
    "spec_with_secret",
    "thaw",
]

#: Simulated seconds per real second while "frozen": nothing the vendor runs moves on.
_FROZEN = 1e-9

#: Fivetran's resync route (the sync routes are `tests.dagster.support.SYNC_ROUTE`).
RESYNC_ROUTE = "/v1/connections/{connectionId}/resync"

SyncRoutes = dict[str, str]


def _on(backend: str, route: str, method: str) -> dict[str, Any]:
    """Match one route template of one vendor (the path glob keeps to its mount)."""
    return {"method": method, "path": f"/{backend}/*", "route": route}


def _let_through(count: int, **match: Any) -> FaultRule:
    # A latency fault of 0 s changes nothing but spends one of its `times`: the next
    # rule for the same requests then catches request number `count + 1`.
    return FaultRule("latency", seconds=0.0, times=count, **match)


def lost_create(backend: str) -> list[FaultRule]:
    """The create is applied but its answer lost, and the look-up after it fails.

    The look-up ensure sends first passes; the create (POST) is committed and
    the connection closed before the answer; the look-up that `create_once` then
    sends to find it answers 503. With one attempt per request the try ends.
    """
    listing = _on(backend, CREATE_ROUTE[backend], "GET")
    return [
        _let_through(1, **listing),
        FaultRule("commit_then_lose", times=1, **_on(backend, CREATE_ROUTE[backend], "POST")),
        FaultRule("error", status=503, times=1, **listing),
    ]


def lost_request(backend: str, route: str, *, after: int = 0) -> list[FaultRule]:
    """Request number `after + 1` to POST `route` is committed, and its answer lost."""
    match = _on(backend, route, "POST")
    rules = [_let_through(after, **match)] if after else []
    return [*rules, FaultRule("commit_then_lose", times=1, **match)]


@contextmanager
def frozen_clock(sim: SimServer) -> Iterator[None]:
    """Stop the simulator's clock (until `thaw`); the fast clock is back afterwards."""
    sim.set_speed(_FROZEN)
    try:
        yield
    finally:
        sim.set_speed(CLOCK_SPEED)


def thaw(sim: SimServer) -> Callable[[Any], None]:
    """An Airflow callback (e.g. `on_retry_callback`) that starts the clock again."""

    def _thaw(context: Any) -> None:
        sim.set_speed(CLOCK_SPEED)

    return _thaw


def spec_with_secret(backend: str, label: str, secret: str) -> dict[str, Any]:
    """`tests.dagster.support.spec_of(backend, label)` with its password set to `secret`."""
    spec = spec_of(backend, label)
    *parents, leaf = SECRET_PATH[backend].split(".")
    node = spec
    for part in parents:
        node = node[part]
    node[leaf] = secret
    return spec


def connections(sim: SimServer, backend: str) -> int:
    """How many connections the vendor holds."""
    return len(sim.state()["backends"][backend]["connections"])


def run_dag(dag: Any) -> Any:
    """Register a DAG built in a test with Airflow's metadata DB, then `dag.test()` it.

    `dag.test()` only runs DAGs it finds serialized; a DAG that lives in a test
    module is serialized here, under the DAGs folder's bundle.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager  # noqa: PLC0415
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db  # noqa: PLC0415
    from airflow.utils.session import create_session  # noqa: PLC0415

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    bag = DagBag(dag_folder="/nonexistent", collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    return dag.test()


def flatten(rules: Iterable[list[FaultRule]]) -> list[FaultRule]:
    """One fault plan's rules from several lists, in order."""
    return [rule for group in rules for rule in group]
