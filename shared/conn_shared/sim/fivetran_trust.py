"""Fivetran certificate and fingerprint approval for a connection.

An approved certificate lets the "Validate certificate" setup test pass (see the outcome
switches in fivetran_models). Details are derived from what was sent: ids are the
base64url of the hash, digests are computed from the certificate text.
"""

import base64
import hashlib
from typing import Any

from starlette.requests import Request

from conn_shared.sim.fivetran import ApiError, FivetranSim
from conn_shared.sim.fivetran_requests import object_body, ok, paginate

__all__ = ["TRUST_ROUTES"]

# What each kind is approved with, besides its hash.
_KINDS = {"certificates": "encoded_cert", "fingerprints": "public_key"}


def _record(sim: FivetranSim, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    material_field = _KINDS[kind]
    hash_value, material = body.get("hash"), body.get(material_field)
    if not isinstance(hash_value, str) or not hash_value:
        raise ApiError(400, f"Missing `hash` or `{material_field}` fields in request payload")
    if not isinstance(material, str) or not material:
        raise ApiError(400, f"Missing `hash` or `{material_field}` fields in request payload")
    record: dict[str, Any] = {
        "id": base64.urlsafe_b64encode(hash_value.encode()).rstrip(b"=").decode(),
        "hash": hash_value,
        "validated_date": sim.clock.iso(sim.now()),
        "validated_by": "sim_user",
    }
    if kind == "fingerprints":
        record["public_key"] = material
        return record
    raw = material.encode()
    record.update(
        name=f"Certificate {hash_value[:12]}",
        type="TLS",
        sha1=hashlib.sha1(raw, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(raw).hexdigest(),
        public_key=f"Sim RSA public key, 2048 bits ({len(raw)} bytes of certificate)",
    )
    return record


def _store(sim: FivetranSim, request: Request, kind: str) -> dict[str, dict[str, Any]]:
    conn = sim.get(request.path_params["connectionId"])
    store: dict[str, dict[str, Any]] = getattr(conn, kind)
    return store


def _found(store: dict[str, dict[str, Any]], kind: str, hash_value: str) -> dict[str, Any]:
    if hash_value not in store:
        raise ApiError(404, f"{kind[:-1].capitalize()} with hash '{hash_value}' not found")
    return store[hash_value]


def _handlers(kind: str) -> list[tuple[str, str, Any, bool]]:
    noun = kind[:-1]

    async def listing(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
        store = _store(sim, request, kind)
        order = {h: i for i, h in enumerate(store, start=1)}
        page, cursor = paginate(request, list(store), lambda h: order[h])
        data: dict[str, Any] = {"items": [store[h] for h in page]}
        if cursor is not None:
            data["next_cursor"] = cursor
        return ok(data, f"Connection {kind} retrieved successfully")

    async def approve(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
        store = _store(sim, request, kind)
        record = _record(sim, kind, object_body(body))
        store[record["hash"]] = record
        return ok(record, f"The {noun} has been approved.")

    async def details(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
        record = _found(_store(sim, request, kind), kind, request.path_params["hash"])
        return ok(record, f"Connection {noun} details retrieved successfully")

    async def revoke(sim: FivetranSim, request: Request, body: Any) -> tuple[int, Any]:
        store = _store(sim, request, kind)
        hash_value = request.path_params["hash"]
        _found(store, kind, hash_value)
        del store[hash_value]
        conn_id = request.path_params["connectionId"]
        return ok(
            message=f"{noun.capitalize()} with hash '{hash_value}' has been revoked "
            f"for connection with id '{conn_id}'"
        )

    for handler, name in (
        (listing, "list"),
        (approve, "approve"),
        (details, "details"),
        (revoke, "revoke"),
    ):
        handler.__name__ = f"{name}_{kind}"
    base = "/{connectionId}/" + kind
    return [
        (base, "GET", listing, False),
        (base, "POST", approve, False),
        (base + "/{hash}", "GET", details, False),
        (base + "/{hash}", "DELETE", revoke, False),
    ]


#: (path suffix, method, handler, whether the endpoint takes Accept: version=2)
TRUST_ROUTES: list[tuple[str, str, Any, bool]] = _handlers("certificates") + _handlers(
    "fingerprints"
)
