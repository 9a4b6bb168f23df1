"""Faraday's stored resources (connections, datasets) and how the API renders them.

Each resource carries its current `Build` (states.py); its status, timestamps and
build results are computed from that build and the clock when it is rendered.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conn_shared.sim.clock import SimClock
from conn_shared.sim.faraday.options import DATASET_OPTIONS, redact_options
from conn_shared.sim.faraday.states import RUNNING_AT, Build

__all__ = ["FaradayConnection", "FaradayDataset", "Resource"]

_FILE_TYPES = frozenset({"s3_csv", "gcp_gcs_csv", "sftp", "hosted_csv"})
_TABLES = (("customers", 1200), ("orders", 5400), ("order_items", 16800))
_OBJECTS = (("exports/customers.csv", 48_213), ("exports/orders.csv", 310_552))


@dataclass
class Resource:
    """What connections and datasets share: identity, config times and the build."""

    id: str
    name: str
    options: dict[str, Any]
    created_at: float
    build: Build
    updated_at: float = 0.0
    last_config_at: float = 0.0
    archived_at: float | None = None
    last_success_at: float | None = None
    last_read_at: float | None = None
    #: Test instrumentation, not vendor state: builds started by `force_update`.
    builds_requested: int = 0

    def rebuild(self, now: float, duration: float, decide: Callable[[float], str | None]) -> None:
        """Abandon or settle the current build and start a new one at `now`."""
        old = self.build
        if now >= old.finishes_at and old.error() is None:
            self.last_success_at = old.finishes_at
        running = old.started_at + old.duration * RUNNING_AT
        if now >= running:
            self.last_read_at = running
        self.build = Build(started_at=now, duration=duration, decide=decide)

    def _common(self, now: float, resource_type: str) -> dict[str, Any]:
        status, since = self.build.status_at(now)
        output_at = self.last_success_at
        if status == "ready":
            output_at = self.build.finishes_at
        read_at = self.last_read_at
        if status in ("running", "ready", "error"):
            read_at = self.build.started_at + self.build.duration * RUNNING_AT
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "resource_type": resource_type,
            "created_at": SimClock.iso(self.created_at),
            "updated_at": SimClock.iso(max(self.updated_at, since)),
            "status": status,
            "status_changed_at": SimClock.iso(since),
            "last_updated_config_at": SimClock.iso(self.last_config_at),
            "managed": False,
        }
        if output_at is not None:
            body["last_updated_output_at"] = SimClock.iso(output_at)
        if read_at is not None:
            body["last_read_input_at"] = SimClock.iso(read_at)
        if status == "error":
            body["status_error"] = self.build.error()
        if self.archived_at is not None:
            body["archived_at"] = SimClock.iso(self.archived_at)
        return body


@dataclass
class FaradayConnection(Resource):
    """A Faraday connection; `generated` holds server-made options (public keys)."""

    generated: dict[str, str] = field(default_factory=dict)

    def directionality(self) -> str:
        """Types that can back a dataset are read and written; the rest only written."""
        return "bidirectional" if self.options["type"] in DATASET_OPTIONS else "destination_only"

    def to_json(self, now: float) -> dict[str, Any]:
        """The `Connection` body. Options are echoed whole, as the definition requires."""
        body = self._common(now, "connections")
        body["options"] = {**self.options, **self.generated}
        body["directionality"] = self.directionality()
        if body["status"] == "error":
            body["contents_error"] = body["status_error"]
        elif body["status"] == "ready":
            if self.options["type"] in _FILE_TYPES:
                body["contents"] = [{"name": n, "object_size": s} for n, s in _OBJECTS]
            elif "database" in self.options:
                body["contents"] = [{"name": n, "row_count": r} for n, r in _TABLES]
        return body

    def dump(self, now: float) -> dict[str, Any]:
        """The admin view: the API body with credentials masked."""
        body = self.to_json(now)
        body["options"] = redact_options(body["options"])
        body["sim"] = {"builds_requested": self.builds_requested}
        return body


@dataclass
class FaradayDataset(Resource):
    """A Faraday dataset; `extra` holds the accepted optional fields, echoed back."""

    connection_id: str | None = None
    identity_sets: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, now: float) -> dict[str, Any]:
        """The `Dataset` body; build results appear once a build has succeeded."""
        body = self._common(now, "datasets")
        body.update(self.extra)
        body["options"] = dict(self.options)
        body["identity_sets"] = self.identity_sets
        if self.connection_id is not None:
            body["connection_id"] = self.connection_id
        if "last_updated_output_at" in body:
            rows = 1000 + int(hashlib.sha256(self.id.encode()).hexdigest()[:4], 16) % 9000
            body["row_count"] = rows
            body["identified_count"] = rows * 9 // 10
            body["detected_columns"] = [
                {"name": "id", "data_type": "text", "is_nullable": False},
                {"name": "email", "data_type": "text", "is_nullable": True},
                {"name": "amount", "data_type": "long", "is_nullable": True},
                {"name": "updated_at", "data_type": "text", "is_nullable": True},
            ]
        return body
