"""What every vendor's calls share on the wire: auth, path segments, limits, bodies, deletes.

- `BearerAuth`: `Authorization: Bearer <token>`, never shown in a repr;
- `path_id`: the one quoting rule for an id in a path (a whole segment, `/` included);
- `check_limit`: a page size within 1..1000 (or the vendor's maximum);
- `reveal`: `SecretStr` values opened up for a request body, and nowhere else;
- `delete_if_present`: a DELETE whose 404 means "already gone".
"""

import functools
from collections.abc import Generator, Mapping
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr

from conn_shared.calls import Call, Flow
from conn_shared.errors import NotFoundError
from conn_shared.redaction import REDACTED

__all__ = ["BearerAuth", "check_limit", "delete_if_present", "path_id", "reveal"]


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` on every request; the token never appears in repr."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header and send the request once."""
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return f"BearerAuth(token={REDACTED!r})"


def path_id(field: str, value: str) -> str:
    """`value` quoted as one path segment (`/` included); ValueError naming `field` if empty."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: must be a non-empty string, got {value!r}")
    return _quoted(value)


@functools.lru_cache(maxsize=8192)
def _quoted(value: str) -> str:
    # Every poll of every wait quotes its connection id again: quote() is slow Python.
    return quote(value, safe="")


def check_limit(limit: int | None, *, maximum: int = 1000) -> int | None:
    """`limit` unchanged when None or within 1..`maximum`; ValueError naming it otherwise."""
    if limit is not None and (isinstance(limit, bool) or not 1 <= limit <= maximum):
        raise ValueError(f"limit: must be within 1..{maximum}, got {limit!r}")
    return limit


def reveal(value: Any) -> Any:
    """A deep copy of `value` with every `SecretStr` replaced by its secret, for request bodies.

    Pydantic models become dicts without their None fields. Only request bodies
    ever hold the result.
    """
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return reveal(value.model_dump(mode="python", exclude_none=True))
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v) for v in value]
    return value


def delete_if_present(call: Call[Any], *, missing_ok: bool) -> Flow[bool]:
    """Send a DELETE: True when it deleted, False on a 404 when `missing_ok`.

    Raises NotFoundError on a 404 without `missing_ok`, and whatever else the call raises.
    """
    try:
        yield call
    except NotFoundError:
        if missing_ok:
            return False
        raise
    return True
