"""Fivetran's state: every connection and group in memory, on the SimClock, and the
account's one user.

`FivetranStore` is what every Fivetran handler reads and changes; `FivetranSim`
(backend.py) adds authentication and routing on top of it.
"""

import random
from typing import Any

from conn_shared.sim.clock import SimClock
from conn_shared.sim.fivetran.records import SIM_USER_ID, Connection, Group
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

    `seed` makes generated ids reproducible (None: a different run each time). Groups
    come from `POST /v1/groups` (a name, a generated id) or appear with the first
    connection created in them (their name is then their id).
    """

    def __init__(self, clock: SimClock, *, timings: Timings, seed: int | None = None) -> None:
        self.clock = clock
        self.timings = timings
        self._seed = seed
        self.started_at = clock.now()
        self._rng = random.Random(seed)
        # Groups draw ids from their own stream, so creating one leaves connection ids as
        # they were for a given seed.
        self._group_rng = random.Random(None if seed is None else seed + 1)
        self.connections: dict[str, Connection] = {}
        self.groups: dict[str, Group] = {}
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
                "sync_pending": conn.sync_pending,
                "resync_tables": conn.resync_tables,
                "state": conn.state,
                "schema_config": conn.schema_config,
                "schema_captured": conn.schema_captured,
                "columns_to_drop": conn.columns_to_drop,
                "runs_requested": dict(conn.runs_requested),
            }
            out[conn.id] = record
        groups = {gid: group.to_json(self.clock.iso) for gid, group in self.groups.items()}
        return {"connections": out, "groups": groups, "timings": self.timings.__dict__}

    def reset(self) -> None:
        """Forget every connection and group; ids start over (the same ones, given a seed)."""
        self._rng = random.Random(self._seed)
        self._group_rng = random.Random(None if self._seed is None else self._seed + 1)
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
        """A fresh two-word connection id in Fivetran's style."""
        return _fresh_id(self._rng, self.connections)

    def group(self, group_id: str) -> Group:
        """The group, or a 404."""
        group = self.groups.get(group_id)
        if group is None:
            raise ApiError(404, f"Group with id '{group_id}' not found")
        return group

    def ensure_group(self, group_id: str, now: float) -> Group:
        """The group, created (named after its id) when a connection is its first."""
        if group_id not in self.groups:
            self.groups[group_id] = Group(id=group_id, name=group_id, created_at=now)
        return self.groups[group_id]

    def add_group(self, name: str) -> Group:
        """A new group named `name`, with a generated id."""
        group = Group(id=_fresh_id(self._group_rng, self.groups), name=name, created_at=self.now())
        self.groups[group.id] = group
        return group

    def user(self) -> dict[str, Any]:
        """The account's one user (`UserResponse`), the owner of the API key."""
        joined = self.clock.iso(self.started_at)
        return {
            "id": SIM_USER_ID,
            "email": "sim-user@example.com",
            "given_name": "Sim",
            "family_name": "User",
            "verified": True,
            "invited": False,
            "role": "Account Administrator",
            "active": True,
            "logged_in_at": joined,
            "created_at": joined,
        }

    def next_seq(self) -> int:
        """Creation order, used by the list cursor."""
        self._seq += 1
        return self._seq


def _fresh_id(rng: random.Random, taken: dict[str, Any]) -> str:
    while True:
        candidate = f"{rng.choice(_WORDS_A)}_{rng.choice(_WORDS_B)}"
        if candidate in taken:
            candidate += f"_{rng.randrange(10_000)}"
        if candidate not in taken:
            return candidate
