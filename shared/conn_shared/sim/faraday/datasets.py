"""Faraday's dataset endpoints: list, create, read, update, delete, force, (un)archive.

A dataset reads from one connection (of the same `options.type`) unless its type
reads uploaded or merged data; its build fails when its connection is in error.
"""

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conn_shared.sim.faraday.options import DATASET_OPTIONS, Problem, check_fields, check_options
from conn_shared.sim.faraday.records import FaradayDataset
from conn_shared.sim.faraday.states import Build
from conn_shared.sim.faraday.store import FaradayStore
from conn_shared.sim.faraday.wire import (
    NAME_PATTERN,
    FaradayApiError,
    archive_config,
    blank,
    ids_filter,
    invalid,
    merge_patch,
    read_body,
)

__all__ = [
    "archive_dataset",
    "create_dataset",
    "delete_dataset",
    "force_dataset",
    "get_dataset",
    "list_datasets",
    "unarchive_dataset",
    "update_dataset",
]

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


def _check_dataset_source(store: FaradayStore, connection_id: Any, options: Any) -> list[Problem]:
    if not isinstance(options, dict) or not isinstance(options.get("type"), str):
        return []
    if connection_id is None:
        if options["type"] in _DATASET_TYPES_WITHOUT_CONNECTION:
            return []
        message = f"is required for options.type {options['type']!r}"
        return [("/connection_id", message, "required")]
    connection = store.connections.get(connection_id)
    if connection is None:
        return [("/connection_id", f"no connection with id {connection_id}", "reference")]
    if connection.options["type"] != options["type"]:
        message = f"must equal the connection's type {connection.options['type']!r}"
        return [("/options/type", message, "const")]
    return []


async def list_datasets(store: FaradayStore, request: Request) -> Response:
    """GET /datasets: every dataset, or those in the `ids` filter."""
    ids = ids_filter(request)
    with store.lock:
        now = store.now()
        found = [d.to_json(now) for d in store.datasets.values() if ids is None or d.id in ids]
    return JSONResponse(found)


async def create_dataset(store: FaradayStore, request: Request) -> Response:
    """POST /datasets: validate, store and start the first build (201)."""
    body = await read_body(request)
    problems = check_fields(body, _DATASET_POST, "")
    if isinstance(body.get("name"), str) and blank(body["name"]):
        problems.append(NAME_PATTERN)
    if body.get("privacy", "suppress") not in ("suppress", "delete"):
        problems.append(("/privacy", "must be equal to one of the allowed values", "enum"))
    if isinstance(body.get("options"), dict):
        problems += check_options(body["options"], DATASET_OPTIONS)
    with store.lock:
        problems += _check_dataset_source(store, body.get("connection_id"), body.get("options"))
        if problems:
            raise invalid(problems)
        now = store.now()
        dataset = FaradayDataset(
            id=str(uuid.uuid4()),
            name=body["name"],
            options=dict(body["options"]),
            created_at=now,
            updated_at=now,
            last_config_at=now,
            build=Build(now, store.build_seconds, lambda _at: None),
            connection_id=body.get("connection_id"),
            identity_sets=body["identity_sets"],
            extra={k: v for k, v in body.items() if k in _DATASET_EXTRA},
        )
        dataset.build.decide = store.dataset_decider(dataset)
        store.datasets[dataset.id] = dataset
        return JSONResponse(dataset.to_json(now), status_code=201)


async def get_dataset(store: FaradayStore, request: Request) -> Response:
    """GET /datasets/{dataset_id}."""
    with store.lock:
        return JSONResponse(store.dataset(request).to_json(store.now()))


async def update_dataset(store: FaradayStore, request: Request) -> Response:
    """PATCH /datasets/{dataset_id} (a merge patch): a new build starts."""
    with store.lock:
        dataset = store.dataset(request)
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
    with store.lock:
        merged = merge_patch(dataset.options, body.get("options") or {})
        if isinstance(body.get("options"), dict):
            problems += check_options(merged, DATASET_OPTIONS)
            if merged.get("type") != dataset.options["type"]:
                problems.append(("/options/type", "must equal the dataset's current type", "const"))
        if problems:
            raise invalid(problems)
        dataset.options = merged
        if "name" in body:
            dataset.name = body["name"]
        if "identity_sets" in body:
            dataset.identity_sets = merge_patch(dataset.identity_sets, body["identity_sets"] or {})
        dataset.extra = merge_patch(
            dataset.extra,
            {
                k: v
                for k, v in body.items()
                if k in table and k not in ("name", "options", "identity_sets")
            },
        )
        store.start_build(dataset, store.dataset_decider(dataset), config_changed=True)
        return JSONResponse(dataset.to_json(store.now()))


async def delete_dataset(store: FaradayStore, request: Request) -> Response:
    """DELETE /datasets/{dataset_id} (204)."""
    with store.lock:
        dataset = store.dataset(request)
        del store.datasets[dataset.id]
    return Response(status_code=204)


async def force_dataset(store: FaradayStore, request: Request) -> Response:
    """POST /datasets/{dataset_id}/force_update: a new build (202; 409 if archived)."""
    with store.lock:
        dataset = store.dataset(request)
        store.refuse_archived(dataset, "dataset")
        store.start_build(dataset, store.dataset_decider(dataset), config_changed=False)
        dataset.builds_requested += 1
    return Response(status_code=202)


async def archive_dataset(store: FaradayStore, request: Request) -> Response:
    """POST /datasets/{dataset_id}/archive (204)."""
    with store.lock:
        dataset = store.dataset(request)
    archive_config(await read_body(request))
    with store.lock:
        dataset.archived_at = store.now()
        dataset.updated_at = dataset.archived_at
    return Response(status_code=204)


async def unarchive_dataset(store: FaradayStore, request: Request) -> Response:
    """POST /datasets/{dataset_id}/unarchive: also its archived connection, when allowed (204)."""
    with store.lock:
        dataset = store.dataset(request)
    cascade_to, cascade_all = archive_config(await read_body(request))
    with store.lock:
        connection = store.connections.get(dataset.connection_id or "")
        upstream = connection if connection and connection.archived_at is not None else None
        if upstream and not cascade_all and upstream.id not in cascade_to:
            raise FaradayApiError(
                409,
                "CONFLICT",
                f"Unarchiving dataset {dataset.id} would unarchive connection "
                f"{upstream.name} ({upstream.id}). Pass cascade_to_all or list it in "
                "cascade_to.",
            )
        now = store.now()
        for resource in (dataset, upstream):
            if resource is not None:
                resource.archived_at = None
                resource.updated_at = now
    return Response(status_code=204)
