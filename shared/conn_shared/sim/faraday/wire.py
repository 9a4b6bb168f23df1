"""Faraday's wire conventions: its error body, request bodies, ids and bearer keys.

Errors are `{error, id, note, validationErrors?}` with an `ErrorCode` from the
Faraday definition; validation failures list JSON-pointer paths like JSON Schema
validators do. Nothing here holds state.
"""

import json
import re
import uuid
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conn_shared.sim.faraday.options import Problem, check_fields

__all__ = [
    "NAME_PATTERN",
    "FaradayApiError",
    "archive_config",
    "authenticate",
    "bearer_token",
    "blank",
    "error_json",
    "ids_filter",
    "invalid",
    "lookup",
    "merge_patch",
    "read_body",
]

_KEY_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]{8,}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_T = TypeVar("_T")
NAME_PATTERN = ("/name", 'must match pattern "^(?!\\s*$).+"', "pattern")


class FaradayApiError(Exception):
    """An error answer in Faraday's format."""

    def __init__(
        self, status: int, code: str, note: str, problems: list[Problem] | None = None
    ) -> None:
        super().__init__(note)
        self.status = status
        self.code = code
        self.note = note
        self.problems = problems


def invalid(problems: list[Problem]) -> FaradayApiError:
    """A 400 VALIDATION_FAILED listing every problem."""
    summary = "; ".join(f"{path or '/'} {message}" for path, message, _ in problems)
    return FaradayApiError(400, "VALIDATION_FAILED", f"Validation failed: {summary}", problems)


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def blank(value: Any) -> bool:
    """True unless `value` is a string with something besides whitespace."""
    return not isinstance(value, str) or not value.strip()


def error_json(err: FaradayApiError, headers: dict[str, str] | None = None) -> Response:
    """Render an error; every answer gets a fresh error id, as Faraday's do."""
    body: dict[str, Any] = {"error": err.code, "id": str(uuid.uuid4()), "note": err.note}
    if err.problems is not None:
        body["validationErrors"] = [
            {"path": path, "message": message, "context": {"errorType": kind}}
            for path, message, kind in err.problems
        ]
    return JSONResponse(body, status_code=err.status, headers=headers)


def bearer_token(request: Request) -> str | None:
    """The bearer token, or None when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate(request: Request, keys: frozenset[str], expired: frozenset[str]) -> None:
    """Raise the error Faraday gives for a missing, unparseable, expired or unknown key."""
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        raise FaradayApiError(401, "MISSING_API_KEY", "An API key was not supplied.")
    token = bearer_token(request)
    if token is None:
        raise FaradayApiError(
            401,
            "INVALID_AUTHORIZATION",
            "The Authorization header could not be parsed; expected 'Bearer <API key>'.",
        )
    if token in keys:
        return
    if token in expired:
        raise FaradayApiError(401, "EXPIRED_API_KEY", "The supplied API key has expired.")
    if not _KEY_SHAPE.fullmatch(token):
        raise FaradayApiError(401, "MALFORMED_API_KEY", "Could not parse the supplied API key.")
    raise FaradayApiError(
        403, "INVALID_AUTHORIZATION", "The supplied API key does not grant access."
    )


async def read_body(request: Request, *, patch: bool = False) -> dict[str, Any]:
    """The JSON object body; PATCH bodies must be sent as merge patches."""
    if patch:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/merge-patch+json":
            raise FaradayApiError(
                400,
                "BAD_REQUEST",
                f"PATCH bodies must be application/merge-patch+json, got {media or 'none'!r}.",
            )
    raw = await request.body()
    if not raw.strip():
        raise FaradayApiError(400, "BAD_REQUEST", "A JSON request body is required.")
    try:
        body = json.loads(raw)
    except ValueError:
        raise FaradayApiError(400, "BAD_REQUEST", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid([("", "must be object", "type")])
    return body


def lookup(table: dict[str, _T], ident: str, kind: str) -> _T:
    """The resource `ident` names: 400 for a malformed id, 404 for an unknown one."""
    if not _UUID.fullmatch(ident):
        raise invalid([(f"/{kind}_id", 'must match format "uuid"', "format")])
    found = table.get(ident)
    if found is None:
        raise FaradayApiError(404, "NOT_FOUND", f"No {kind} with id {ident} was found.")
    return found


def ids_filter(request: Request) -> set[str] | None:
    """The `ids` query filter (comma-separated uuids), or None when absent."""
    raw = request.query_params.get("ids")
    if raw is None:
        return None
    ids = {part.strip() for part in raw.split(",") if part.strip()}
    bad = sorted(i for i in ids if not _UUID.fullmatch(i))
    if bad:
        raise invalid([("/ids", f'must match format "uuid": {bad[0]}', "format")])
    return ids


def archive_config(body: dict[str, Any]) -> tuple[set[str], bool]:
    """Validate an `ArchiveConfig` body; return (cascade_to ids, cascade_to_all)."""
    table = {"cascade_to": (False, "array"), "cascade_to_all": (False, "boolean")}
    problems = check_fields(body, table, "")
    cascade_to = body.get("cascade_to", [])
    if isinstance(cascade_to, list) and not all(isinstance(i, str) for i in cascade_to):
        problems.append(("/cascade_to", "must be array of strings", "type"))
    if problems:
        raise invalid(problems)
    return set(cascade_to), bool(body.get("cascade_to_all", False))
