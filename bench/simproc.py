"""The simulator in a process of its own, so its CPU never counts as the client's.

    with Sim(sync_seconds=10) as sim:
        ids = sim.seed("fivetran", 1000)
        handles = sim.trigger_fivetran(ids)      # SyncHandle JSON, before-state included
        ...                                      # wait for them
        ends = sim.finished_at(ids)              # wall-clock epoch seconds
        print(sim.requests())

It runs `bench.simserve` (the project's `SimServer`, seeded in bulk) and talks
to it over stdin and HTTP. Nothing done here is measured.
"""

import asyncio
import json
import subprocess
import sys
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

import httpx

from conn_shared import (
    AsyncExecutor,
    FaradayBackend,
    FivetranBackend,
    SyncHandle,
    SyncKind,
    prepare_sync,
    request_sync,
)
from conn_shared.backends.fivetran.models import Connection
from conn_shared.backends.fivetran.states import sync_marker
from conn_shared.sim.credentials import FARADAY_API_KEY, FIVETRAN_API_KEY, FIVETRAN_API_SECRET

__all__ = ["FIVETRAN_AUTH", "GROUP", "Sim"]

FIVETRAN_AUTH = (FIVETRAN_API_KEY, FIVETRAN_API_SECRET)
GROUP = "bench_group"


class Sim:
    """`bench.simserve` on a free loopback port; `base(name)` gives each vendor's base URL."""

    def __init__(self, *, sync_seconds: float = 10.0) -> None:
        self.options = {"sync_seconds": sync_seconds}
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._seeded = 0
        #: Simulated minus wall-clock time, in seconds (the clock moves on at each seeding).
        self.offset = 0.0

    def __enter__(self) -> "Sim":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.simserve", json.dumps(self.options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self._reply()["url"]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=60)
            self._process = None

    def _reply(self) -> dict[str, Any]:
        assert self._process is not None
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the simulator process ended")
        answer: dict[str, Any] = json.loads(line)
        return answer

    @property
    def pid(self) -> int:
        """The simulator's process id."""
        assert self._process is not None
        return self._process.pid

    def base(self, name: str) -> str:
        """The base URL a client of `name` is configured with."""
        return {
            "fivetran": f"{self.url}/fivetran",
            "faraday": f"{self.url}/faraday/v1",
            "hub": f"{self.url}/hub",
        }[name]

    def _ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(command) + "\n")
        self._process.stdin.flush()
        reply = self._reply()
        self.offset = float(reply["offset"])
        return reply

    def seed(self, name: str, count: int, *, group: str = GROUP) -> list[str]:
        """`count` fresh connections of `name` (a new name prefix each call), initial sync done."""
        self._seeded += 1
        command = {"seed": name, "count": count, "group": group, "prefix": f"b{self._seeded}"}
        ids: list[str] = self._ask(command)["ids"]
        return ids

    def trigger_fivetran(self, ids: list[str]) -> list[dict[str, Any]]:
        """Start a sync of each connection (in the simulator); each one's handle, as JSON.

        The handles are what `prepare_sync` would have recorded just before.
        """
        befores = self._ask({"trigger": ids})["before"]
        now = datetime.now(timezone.utc)
        return [
            SyncHandle(
                backend="fivetran",
                connection_id=connection_id,
                kind=SyncKind.SYNC,
                requested_at=now,
                before=sync_marker(Connection.model_validate(before)),
            ).model_dump(mode="json")
            for connection_id, before in zip(ids, befores, strict=True)
        ]

    def trigger_faraday(self, ids: list[str]) -> list[dict[str, Any]]:
        """Rerun each Faraday connection through its API (prepare, then force_update)."""
        backend = FaradayBackend(api_key=FARADAY_API_KEY, base_url=self.base("faraday"))

        async def main() -> list[dict[str, Any]]:
            executor = AsyncExecutor(backend.profile())
            gate = asyncio.Semaphore(16)

            async def one(connection_id: str) -> dict[str, Any]:
                async with gate:
                    handle = await executor.run(prepare_sync(backend, connection_id))
                    await executor.run(request_sync(backend, handle))
                return handle.model_dump(mode="json")

            return list(await asyncio.gather(*(one(i) for i in ids)))

        return asyncio.run(main())

    def finished_at(self, ids: list[str]) -> list[float | None]:
        """When each connection's latest sync succeeded, in wall-clock epoch seconds."""
        succeeded = self._ask({"finished": ids})["succeeded_at"]
        return [None if s is None else s - self.offset for s in succeeded]

    def requests(self) -> int:
        """Vendor requests counted so far."""
        body = httpx.get(f"{self.url}/_sim/requests", timeout=120).json()
        return int(body["total"])

    def fivetran(self) -> FivetranBackend:
        """A client backend for the simulated Fivetran account."""
        key, secret = FIVETRAN_AUTH
        return FivetranBackend(api_key=key, api_secret=secret, base_url=self.base("fivetran"))
