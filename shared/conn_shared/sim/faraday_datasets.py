"""Faraday's datasets, and the state and build plumbing connections share with them.

`FaradayStore` holds every resource and starts builds; `FaradaySim` (faraday.py)
adds authentication, routing and the connection endpoints on top of it.
"""

import threading
import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conn_shared.sim.clock import SimClock
from conn_shared.sim.faraday_http import (
    NAME_PATTERN,
    FaradayApiError,
    archive_config,
    blank,
    ids_filter,
    invalid,
    lookup,
    merge_patch,
    read_body,
)
from conn_shared.sim.faraday_options import DATASET_OPTIONS, Problem, check_fields, check_options
from conn_shared.sim.faraday_records import Build, FaradayConnection, FaradayDataset, find_failure

__all__ = ["FaradayStore"]

# Dataset types that read uploaded or merged data rather than a connection.
_DATASET_TYPES_WITHOUT_CONNECTION = frozenset({"hosted_csv", "classic", "merge"})
# DatasetPost's optional fields, by JSON kind; accepted and echoed back.
_DATASET_EXTRA = {
    "identity_providers": (False, "array"),
    "incremental_column": (False, "string"),
    "output_to_authority": (False, "object"),
    "output_to_streams": (False, "object"),
    "output_to_streams_array": (False, "array"),
    "output_to_traits": (False, "object"),
    "preview": (False, "boolean"),
    "privacy": (False, "string"),
    "reference_key_column": (False, "string"),
    "reference_key_columns": (False, "array"),
    "upsert_columns": (False, "array"),
}
_DATASET_POST = {
    "name": (True, "string"),
    "options": (True, "object"),
    "identity_sets": (True, "object"),
    "connection_id": (False, "string"),
    **_DATASET_EXTRA,
}


class FaradayStore:
    """Connections and datasets in memory, their builds, and the dataset endpoints."""

    def __init__(self, clock: SimClock, *, build_seconds: float) -> None:
        if build_seconds <= 0:
            raise ValueError(f"build_seconds must be > 0, got {build_seconds!r}")
        self.clock = clock
        self.build_seconds = build_seconds
        self._lock = threading.RLock()
        self.connections: dict[str, FaradayConnection] = {}
        self.datasets: dict[str, FaradayDataset] = {}

    def dump(self) -> dict[str, Any]:
        """Every connection (credentials masked) and dataset, as the API would show them."""
        with self._lock:
            now = self.clock.now()
            return {
                "connections": [c.dump(now) for c in self.connections.values()],
                "datasets": [d.to_json(now) for d in self.datasets.values()],
            }

    def reset(self) -> None:
        """Forget every connection and dataset."""
        with self._lock:
            self.connections.clear()
            self.datasets.clear()

    # -- shared plumbing ------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.now()

    def _connection(self, request: Request) -> FaradayConnection:
        return lookup(self.connections, request.path_params["connection_id"], "connection")

    def _dataset(self, request: Request) -> FaradayDataset:
        return lookup(self.datasets, request.path_params["dataset_id"], "dataset")

    def _users_of(self, connection: FaradayConnection) -> list[FaradayDataset]:
        return [d for d in self.datasets.values() if d.connection_id == connection.id]

    def _start_build(
        self,
        resource: FaradayConnection | FaradayDataset,
        decide: Callable[[float], str | None],
        *,
        config_changed: bool,
    ) -> None:
        now = self._now()
        resource.rebuild(now, self.build_seconds, decide)
        resource.updated_at = now
        if config_changed:
            resource.last_config_at = now

    @staticmethod
    def _refuse_archived(resource: FaradayConnection | FaradayDataset, kind: str) -> None:
        if resource.archived_at is not None:
            raise FaradayApiError(
                409, "CONFLICT", f"The {kind} {resource.id} is archived and does not update."
            )

    def _dataset_decider(self, dataset: FaradayDataset) -> Callable[[float], str | None]:
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

    def _check_dataset_source(self, connection_id: Any, options: Any) -> list[Problem]:
        if not isinstance(options, dict) or not isinstance(options.get("type"), str):
            return []
        if connection_id is None:
            if options["type"] in _DATASET_TYPES_WITHOUT_CONNECTION:
                return []
            message = f"is required for options.type {options['type']!r}"
            return [("/connection_id", message, "required")]
        connection = self.connections.get(connection_id)
        if connection is None:
            return [("/connection_id", f"no connection with id {connection_id}", "reference")]
        if connection.options["type"] != options["type"]:
            message = f"must equal the connection's type {connection.options['type']!r}"
            return [("/options/type", message, "const")]
        return []

    async def _list_datasets(self, request: Request) -> Response:
        ids = ids_filter(request)
        with self._lock:
            now = self._now()
            found = [d.to_json(now) for d in self.datasets.values() if ids is None or d.id in ids]
        return JSONResponse(found)

    async def _create_dataset(self, request: Request) -> Response:
        body = await read_body(request)
        problems = check_fields(body, _DATASET_POST, "")
        if isinstance(body.get("name"), str) and blank(body["name"]):
            problems.append(NAME_PATTERN)
        if body.get("privacy", "suppress") not in ("suppress", "delete"):
            problems.append(("/privacy", "must be equal to one of the allowed values", "enum"))
        if isinstance(body.get("options"), dict):
            problems += check_options(body["options"], DATASET_OPTIONS)
        with self._lock:
            problems += self._check_dataset_source(body.get("connection_id"), body.get("options"))
            if problems:
                raise invalid(problems)
            now = self._now()
            dataset = FaradayDataset(
                id=str(uuid.uuid4()),
                name=body["name"],
                options=dict(body["options"]),
                created_at=now,
                updated_at=now,
                last_config_at=now,
                build=Build(now, self.build_seconds, lambda _at: None),
                connection_id=body.get("connection_id"),
                identity_sets=body["identity_sets"],
                extra={k: v for k, v in body.items() if k in _DATASET_EXTRA},
            )
            dataset.build.decide = self._dataset_decider(dataset)
            self.datasets[dataset.id] = dataset
            return JSONResponse(dataset.to_json(now), status_code=201)

    async def _get_dataset(self, request: Request) -> Response:
        with self._lock:
            return JSONResponse(self._dataset(request).to_json(self._now()))

    async def _update_dataset(self, request: Request) -> Response:
        with self._lock:
            dataset = self._dataset(request)
        body = await read_body(request, patch=True)
        table = {
            **{k: (False, kind) for k, (_, kind) in _DATASET_EXTRA.items()},
            "name": (False, "string"),
            "options": (False, "object"),
            "identity_sets": (False, "object"),
            "output_all_columns_as_traits": (False, "object"),
        }
        present = {k: v for k, v in body.items() if v is not None}
        problems = check_fields(present, table, "")
        problems += [
            (f"/{k}", "must not be null", "type")
            for k in ("name", "options")
            if k in body and body[k] is None
        ]
        if isinstance(body.get("name"), str) and blank(body["name"]):
            problems.append(NAME_PATTERN)
        with self._lock:
            merged = merge_patch(dataset.options, body.get("options") or {})
            if isinstance(body.get("options"), dict):
                problems += check_options(merged, DATASET_OPTIONS)
                if merged.get("type") != dataset.options["type"]:
                    problems.append(
                        ("/options/type", "must equal the dataset's current type", "const")
                    )
            if problems:
                raise invalid(problems)
            dataset.options = merged
            if "name" in body:
                dataset.name = body["name"]
            if "identity_sets" in body:
                dataset.identity_sets = merge_patch(
                    dataset.identity_sets, body["identity_sets"] or {}
                )
            dataset.extra = merge_patch(
                dataset.extra,
                {
                    k: v
                    for k, v in body.items()
                    if k in table and k not in ("name", "options", "identity_sets")
                },
            )
            self._start_build(dataset, self._dataset_decider(dataset), config_changed=True)
            return JSONResponse(dataset.to_json(self._now()))

    async def _delete_dataset(self, request: Request) -> Response:
        with self._lock:
            dataset = self._dataset(request)
            del self.datasets[dataset.id]
        return Response(status_code=204)

    async def _force_dataset(self, request: Request) -> Response:
        with self._lock:
            dataset = self._dataset(request)
            self._refuse_archived(dataset, "dataset")
            self._start_build(dataset, self._dataset_decider(dataset), config_changed=False)
        return Response(status_code=202)

    async def _archive_dataset(self, request: Request) -> Response:
        with self._lock:
            dataset = self._dataset(request)
        archive_config(await read_body(request))
        with self._lock:
            dataset.archived_at = self._now()
            dataset.updated_at = dataset.archived_at
        return Response(status_code=204)

    async def _unarchive_dataset(self, request: Request) -> Response:
        with self._lock:
            dataset = self._dataset(request)
        cascade_to, cascade_all = archive_config(await read_body(request))
        with self._lock:
            connection = self.connections.get(dataset.connection_id or "")
            upstream = connection if connection and connection.archived_at is not None else None
            if upstream and not cascade_all and upstream.id not in cascade_to:
                raise FaradayApiError(
                    409,
                    "CONFLICT",
                    f"Unarchiving dataset {dataset.id} would unarchive connection "
                    f"{upstream.name} ({upstream.id}). Pass cascade_to_all or list it in "
                    "cascade_to.",
                )
            now = self._now()
            for resource in (dataset, upstream):
                if resource is not None:
                    resource.archived_at = None
                    resource.updated_at = now
        return Response(status_code=204)
