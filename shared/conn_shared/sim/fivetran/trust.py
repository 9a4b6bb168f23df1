"""Fivetran certificate and fingerprint approval for a connection.

An approved certificate lets the "Validate certificate" setup test pass (see the outcome
switches in states.py). Details are derived from what was sent: ids are the
base64url of the hash, digests are computed from the certificate text.
"""

import base64
import hashlib
from typing import Any

from starlette.requests import Request

from conn_shared.sim.fivetran.store import FivetranStore
from conn_shared.sim.fivetran.wire import ApiError, FivetranHandler, object_body, ok, paginate

__all__ = [
    "approve_certificate",
    "approve_fingerprint",
    "certificate_details",
    "fingerprint_details",
    "list_certificates",
    "list_fingerprints",
    "revoke_certificate",
    "revoke_fingerprint",
]

# What each kind is approved with, besides its hash.
_KINDS = {"certificates": "encoded_cert", "fingerprints": "public_key"}


def _record(store: FivetranStore, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    material_field = _KINDS[kind]
    hash_value, material = body.get("hash"), body.get(material_field)
    if not isinstance(hash_value, str) or not hash_value:
        raise ApiError(400, f"Missing `hash` or `{material_field}` fields in request payload")
    if not isinstance(material, str) or not material:
        raise ApiError(400, f"Missing `hash` or `{material_field}` fields in request payload")
    record: dict[str, Any] = {
        "id": base64.urlsafe_b64encode(hash_value.encode()).rstrip(b"=").decode(),
        "hash": hash_value,
        "validated_date": store.clock.iso(store.now()),
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


def _approved(store: FivetranStore, request: Request, kind: str) -> dict[str, dict[str, Any]]:
    conn = store.get(request.path_params["connectionId"])
    approved: dict[str, dict[str, Any]] = getattr(conn, kind)
    return approved


def _found(approved: dict[str, dict[str, Any]], kind: str, hash_value: str) -> dict[str, Any]:
    if hash_value not in approved:
        raise ApiError(404, f"{kind[:-1].capitalize()} with hash '{hash_value}' not found")
    return approved[hash_value]


def _handlers(kind: str) -> tuple[FivetranHandler[FivetranStore], ...]:
    """(list, approve, details, revoke) for "certificates" or "fingerprints"."""
    noun = kind[:-1]

    async def listing(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
        approved = _approved(store, request, kind)
        order = {h: i for i, h in enumerate(approved, start=1)}
        page, cursor = paginate(request, list(approved), lambda h: order[h])
        data: dict[str, Any] = {"items": [approved[h] for h in page]}
        if cursor is not None:
            data["next_cursor"] = cursor
        return ok(data, f"Connection {kind} retrieved successfully")

    async def approve(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
        approved = _approved(store, request, kind)
        record = _record(store, kind, object_body(body))
        approved[record["hash"]] = record
        return ok(record, f"The {noun} has been approved.")

    async def details(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
        record = _found(_approved(store, request, kind), kind, request.path_params["hash"])
        return ok(record, f"Connection {noun} details retrieved successfully")

    async def revoke(store: FivetranStore, request: Request, body: Any) -> tuple[int, Any]:
        approved = _approved(store, request, kind)
        hash_value = request.path_params["hash"]
        _found(approved, kind, hash_value)
        del approved[hash_value]
        conn_id = request.path_params["connectionId"]
        return ok(
            message=f"{noun.capitalize()} with hash '{hash_value}' has been revoked "
            f"for connection with id '{conn_id}'"
        )

    return listing, approve, details, revoke


#: GET, POST .../certificates; GET, DELETE .../certificates/{hash}
list_certificates, approve_certificate, certificate_details, revoke_certificate = _handlers(
    "certificates"
)
#: GET, POST .../fingerprints; GET, DELETE .../fingerprints/{hash}
list_fingerprints, approve_fingerprint, fingerprint_details, revoke_fingerprint = _handlers(
    "fingerprints"
)
