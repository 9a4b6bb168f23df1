"""Fivetran error bodies mapped into the shared exception tree.

Errors arrive as `{"code": "NotFound_Connection", "message": ..., "request_id"?}`,
sometimes with per-field `errors`/`details` (a mapping or a list of objects).
The HTTP status picks the class (as for every backend); the vendor code becomes
`code`, the message `message`, each field detail a `FieldError`. A body that is
not JSON still gives the status-based class, with the first line of its text.
"""

from collections.abc import Mapping
from typing import Any

import httpx

from conn_shared.backends.fivetran.models import BACKEND
from conn_shared.errors import ApiError, FieldError
from conn_shared.http import build_api_error

__all__ = ["map_fivetran_error"]


def _field_errors(body: Mapping[str, Any]) -> tuple[FieldError, ...]:
    found: list[FieldError] = []
    for key in ("errors", "details"):
        value = body.get(key)
        if isinstance(value, Mapping):
            found.extend(FieldError(str(k), str(v)) for k, v in value.items())
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    name = item.get("field") or item.get("name") or item.get("path") or "?"
                    text = item.get("message") or item.get("reason") or ""
                    code = item.get("code")
                    found.append(FieldError(str(name), str(text), str(code) if code else None))
    return tuple(found)


def map_fivetran_error(response: httpx.Response) -> ApiError:
    """Map a Fivetran error answer (`{"code": "NotFound_Connection", "message": ...}`)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        message = f"HTTP {response.status_code}" + (f": {text}" if text else "")
        return build_api_error(response, backend=BACKEND, message=message)
    code = body.get("code")
    message = body.get("message") or body.get("error") or f"HTTP {response.status_code}"
    request_id = body.get("request_id") or body.get("requestId")
    return build_api_error(
        response,
        backend=BACKEND,
        message=str(message),
        code=str(code) if code else None,
        request_id=str(request_id) if request_id else None,
        field_errors=_field_errors(body),
    )
