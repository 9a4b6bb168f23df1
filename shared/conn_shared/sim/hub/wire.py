"""The hub's wire conventions: FastAPI-style errors, bearer tokens, parameter parsing.

The hub is a FastAPI service, so its errors look like FastAPI's: `{"detail": "..."}`
for 401/403/404/409, and for request validation a 422 with
`{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}` worded like pydantic v2.
Input values are never echoed in errors, so credentials cannot leak through them.
"""

import json
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "HubError",
    "Problem",
    "bearer_token",
    "check_string",
    "enum_problem",
    "error_json",
    "parse_bool",
    "parse_int",
    "path_uuid",
    "read_json",
    "unprocessable",
]

#: One validation failure: (loc, msg, type).
Problem = tuple[tuple[str | int, ...], str, str]


class HubError(Exception):
    """An error answer: `detail` is a message, or a list of validation problems for 422."""

    def __init__(
        self,
        status: int,
        detail: str | list[Problem],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail
        self.headers = headers


def unprocessable(problems: list[Problem]) -> HubError:
    """The 422 FastAPI sends when request validation fails."""
    return HubError(422, problems)


def error_json(err: HubError) -> Response:
    """Render an error the way FastAPI does."""
    detail: Any = err.detail
    if isinstance(detail, list):
        detail = [{"loc": list(loc), "msg": msg, "type": kind} for loc, msg, kind in detail]
    return JSONResponse({"detail": detail}, status_code=err.status, headers=err.headers)


def bearer_token(request: Request) -> str | None:
    """The bearer token, or None when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def enum_problem(loc: tuple[str | int, ...], allowed: Sequence[str]) -> Problem:
    """pydantic's wording for a value outside an enum."""
    quoted = [f"'{value}'" for value in allowed]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return (loc, f"Input should be {listed}", "enum")


def check_string(
    value: Any, loc: tuple[str | int, ...], *, min_length: int = 0, max_length: int | None = None
) -> list[Problem]:
    """A string with optional length bounds."""
    if not isinstance(value, str):
        return [(loc, "Input should be a valid string", "string_type")]
    if len(value) < min_length:
        plural = "character" if min_length == 1 else "characters"
        return [(loc, f"String should have at least {min_length} {plural}", "string_too_short")]
    if max_length is not None and len(value) > max_length:
        return [(loc, f"String should have at most {max_length} characters", "string_too_long")]
    return []


def parse_int(
    raw: str | None, loc: tuple[str | int, ...], default: int, *, low: int, high: int | None = None
) -> tuple[int, list[Problem]]:
    """An integer query parameter with bounds (inclusive)."""
    if raw is None:
        return default, []
    try:
        value = int(raw.strip())
    except ValueError:
        message = "Input should be a valid integer, unable to parse string as an integer"
        return default, [(loc, message, "int_parsing")]
    if value < low:
        return default, [
            (loc, f"Input should be greater than or equal to {low}", "greater_than_equal")
        ]
    if high is not None and value > high:
        return default, [(loc, f"Input should be less than or equal to {high}", "less_than_equal")]
    return value, []


_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def parse_bool(raw: str | None, loc: tuple[str | int, ...]) -> tuple[bool, list[Problem]]:
    """A boolean query parameter, accepting the spellings pydantic accepts."""
    if raw is None:
        return False, []
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True, []
    if lowered in _FALSE:
        return False, []
    return False, [
        (loc, "Input should be a valid boolean, unable to interpret input", "bool_parsing")
    ]


def path_uuid(request: Request) -> str:
    """The `connection_uuid` path parameter, normalized; 422 when it is not a UUID."""
    raw = request.path_params["connection_uuid"]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        loc = ("path", "connection_uuid")
        raise unprocessable([(loc, "Input should be a valid UUID", "uuid_parsing")]) from None


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object body, with FastAPI's errors for a missing, broken or non-object body."""
    raw = await request.body()
    if not raw.strip():
        raise unprocessable([(("body",), "Field required", "missing")])
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as err:
        raise unprocessable([(("body", err.pos), "JSON decode error", "json_invalid")]) from None
    if not isinstance(body, dict):
        message = "Input should be a valid dictionary or object to extract fields from"
        raise unprocessable([(("body",), message, "model_attributes_type")])
    return body
