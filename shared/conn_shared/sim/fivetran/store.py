"""Fivetran's state: every connection and group in memory, on the SimClock.

`FivetranStore` is what every Fivetran handler reads and changes; `FivetranSim`
(backend.py) adds authentication and routing on top of it.
"""

import random
from typing import Any

from conn_shared.sim.clock import SimClock
from conn_shared.sim.fivetran.records import Connection
from conn_shared.sim.fivetran.states import Timings
from conn_shared.sim.fivetran.wire import ApiError

__all__ = ["FivetranStore"]

_WORDS_A = (
    "amber", "brisk", "candid", "dapper", "eager", "fuzzy", "gentle", "hasty",
    "icy", "jolly", "keen", "lucky", "mellow", "nimble", "quiet", "rustic",
)  # fmt: skip
_WORDS_B = (
    "otter", "falcon", "maple", "harbor", "comet", "willow", "badger", "meadow",
    "tiger", "pebble", "lantern", "canyon", "heron", "orchid", "glacier", "sparrow",
)  # fmt: skip


class FivetranStore:
    """Connections and groups in memory; `timings` are the simulated durations.

    `seed` makes generated connection ids reproducible (None: a different run each time).
    """

    def __init__(self, clock: SimClock, *, timings: Timings, seed: int | None = None) -> None:
        self.clock = clock
        self.timings = timings
        self._seed = seed
        self._rng = random.Random(seed)
        self.connections: dict[str, Connection] = {}
        #: group id -> creation time; a group appears with its first connection.
        self.groups: dict[str, float] = {}
        self._seq = 0

    def dump(self) -> dict[str, Any]:
        """Every connection, brought up to date, plus its internal scheduling fields."""
        now = self.clock.now()
        out = {}
        for conn in self.connections.values():
            conn.catch_up(now)
            record = conn.to_json(self.clock.iso)
            record["sim"] = {
                "auth": conn.auth,
                "config": conn.config,
                "sync_started_at": conn.sync_started_at,
                "sync_ends_at": conn.sync_ends_at,
                "sync_fails": conn.sync_fails,
                "next_auto_at": conn.next_auto_at,
                "historical_pending": conn.historical_pending,
                "resync_tables": conn.resync_tables,
                "state": conn.state,
                "schema_config": conn.schema_config,
                "columns_to_drop": conn.columns_to_drop,
            }
            out[conn.id] = record
        groups = {gid: self.clock.iso(created) for gid, created in self.groups.items()}
        return {"connections": out, "groups": groups, "timings": self.timings.__dict__}

    def reset(self) -> None:
        """Forget every connection and group; ids start over (the same ones, given a seed)."""
        self._rng = random.Random(self._seed)
        self.connections.clear()
        self.groups.clear()
        self._seq = 0

    def now(self) -> float:
        """The current simulated time (epoch seconds)."""
        return self.clock.now()

    def get(self, connection_id: str) -> Connection:
        """The connection, brought up to date, or a 404."""
        conn = self.connections.get(connection_id)
        if conn is None:
            raise ApiError(404, f"Connection with id '{connection_id}' doesn't exist")
        conn.catch_up(self.clock.now())
        return conn

    def new_id(self) -> str:
        """A fresh two-word id in Fivetran's style."""
        while True:
            candidate = f"{self._rng.choice(_WORDS_A)}_{self._rng.choice(_WORDS_B)}"
            if candidate in self.connections:
                candidate += f"_{self._rng.randrange(10_000)}"
            if candidate not in self.connections:
                return candidate

    def next_seq(self) -> int:
        """Creation order, used by the list cursor."""
        self._seq += 1
        return self._seq
