"""Faraday's state: every connection and dataset in memory, and how builds start.

`FaradayStore` is what every Faraday endpoint reads and changes (one re-entrant lock
guards it); `FaradaySim` (backend.py) adds authentication and routing on top of it.
"""

import threading
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from conn_shared.sim.clock import SimClock
from conn_shared.sim.faraday.records import FaradayConnection, FaradayDataset
from conn_shared.sim.faraday.states import find_failure
from conn_shared.sim.faraday.wire import FaradayApiError, lookup

__all__ = ["FaradayStore"]


class FaradayStore:
    """Connections and datasets in memory, on `clock`; a build takes `build_seconds`."""

    def __init__(self, clock: SimClock, *, build_seconds: float) -> None:
        if build_seconds <= 0:
            raise ValueError(f"build_seconds must be > 0, got {build_seconds!r}")
        self.clock = clock
        self.build_seconds = build_seconds
        self.lock = threading.RLock()
        self.connections: dict[str, FaradayConnection] = {}
        self.datasets: dict[str, FaradayDataset] = {}

    def dump(self) -> dict[str, Any]:
        """Every connection (credentials masked) and dataset, as the API would show them."""
        with self.lock:
            now = self.clock.now()
            return {
                "connections": [c.dump(now) for c in self.connections.values()],
                "datasets": [
                    {**d.to_json(now), "sim": {"builds_requested": d.builds_requested}}
                    for d in self.datasets.values()
                ],
            }

    def reset(self) -> None:
        """Forget every connection and dataset."""
        with self.lock:
            self.connections.clear()
            self.datasets.clear()

    # -- lookups ----------------------------------------------------------------------------

    def now(self) -> float:
        """The current simulated time (epoch seconds)."""
        return self.clock.now()

    def connection(self, request: Request) -> FaradayConnection:
        """The connection `{connection_id}` names: 400 when malformed, 404 when unknown."""
        return lookup(self.connections, request.path_params["connection_id"], "connection")

    def dataset(self, request: Request) -> FaradayDataset:
        """The dataset `{dataset_id}` names: 400 when malformed, 404 when unknown."""
        return lookup(self.datasets, request.path_params["dataset_id"], "dataset")

    def users_of(self, connection: FaradayConnection) -> list[FaradayDataset]:
        """The datasets that read from `connection`."""
        return [d for d in self.datasets.values() if d.connection_id == connection.id]

    # -- builds -----------------------------------------------------------------------------

    def start_build(
        self,
        resource: FaradayConnection | FaradayDataset,
        decide: Callable[[float], str | None],
        *,
        config_changed: bool,
    ) -> None:
        """Start a new build of `resource` now; `decide` gives its error (None: success)."""
        now = self.now()
        resource.rebuild(now, self.build_seconds, decide)
        resource.updated_at = now
        if config_changed:
            resource.last_config_at = now

    @staticmethod
    def refuse_archived(resource: FaradayConnection | FaradayDataset, kind: str) -> None:
        """409 CONFLICT for an archived resource, which does not update."""
        if resource.archived_at is not None:
            raise FaradayApiError(
                409, "CONFLICT", f"The {kind} {resource.id} is archived and does not update."
            )

    @staticmethod
    def connection_decider(options: dict[str, Any]) -> Callable[[float], str | None]:
        """A connection build fails when its options ask for it (`states.find_failure`)."""
        failure = find_failure(options)
        return lambda _at: failure

    def dataset_decider(self, dataset: FaradayDataset) -> Callable[[float], str | None]:
        """A dataset build fails on its own options, or when its connection is in error."""
        failure = find_failure(dataset.options)

        def decide(finished_at: float) -> str | None:
            if failure is not None:
                return failure
            connection = self.connections.get(dataset.connection_id or "")
            if connection is not None:
                status, _ = connection.build.status_at(finished_at)
                if status == "error":
                    return f"Connection {connection.id} is in error: {connection.build.error()}"
            return None

        return decide
