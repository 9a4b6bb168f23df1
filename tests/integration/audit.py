"""Check every request the client sends and every answer the simulator gives against the
vendor's definition, while the integration tests run (Fivetran and Faraday; the hub has
no machine-readable contract).

The client and the simulator were both built from the definitions; checking the live
traffic between them against the same definitions tells which side strayed when they
disagree. Answers to injected faults (unreadable bodies, undeclared 5xx) are skipped,
as are paths the definitions do not cover.
"""

import json
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

import httpx

from tests.support.openapi import SpecValidator, SpecViolation

__all__ = ["SpecAudit"]

#: URL path prefix of each vendor on the simulator, and what the definition's paths start with.
_PREFIXES = {"fivetran": ("/fivetran", ""), "faraday": ("/faraday/v1", "")}


@cache
def _validator(name: str) -> SpecValidator:
    return SpecValidator.load(name)  # type: ignore[arg-type]


class SpecAudit:
    """httpx event hooks that record each way the traffic departs from the definition."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.violations: list[str] = []
        self.checked = 0
        self._spec = _validator(backend) if backend in _PREFIXES else None

    def _path(self, url: httpx.URL) -> str:
        prefix, replacement = _PREFIXES[self.backend]
        return replacement + url.path.removeprefix(prefix)

    def _record(self, check: Callable[[], None]) -> None:
        try:
            check()
        except LookupError:
            return  # a path or method the definition does not cover
        except SpecViolation as exc:
            self.violations.append(str(exc))
            return
        self.checked += 1

    def on_request(self, request: httpx.Request) -> None:
        """Validate the JSON body the client is about to send."""
        spec = self._spec
        if spec is None:
            return
        body = json.loads(request.content) if request.content else None
        path = self._path(request.url)
        self._record(lambda: spec.validate_request_body(request.method, path, body))

    def on_response(self, response: httpx.Response) -> None:
        """Validate a declared answer (call after the body was read)."""
        spec = self._spec
        if spec is None:
            return
        try:
            body = response.json() if response.content else None
        except ValueError:
            return  # an injected malformed body
        request = response.request
        path = self._path(request.url)
        status = response.status_code
        try:
            declared = spec.operation(request.method, path).responses
        except LookupError:
            return
        if not any(key in declared for key in (str(status), f"{status // 100}XX", "default")):
            return  # e.g. an injected 502 the definition does not list
        self._record(lambda: spec.validate_response(request.method, path, status, body))

    def sync_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """Event hooks for `httpx.Client`."""

        def on_response(response: httpx.Response) -> None:
            response.read()
            self.on_response(response)

        return {"request": [self.on_request], "response": [on_response]}

    def async_hooks(self) -> dict[str, list[Callable[..., Awaitable[Any]]]]:
        """Event hooks for `httpx.AsyncClient`."""

        async def on_request(request: httpx.Request) -> None:
            self.on_request(request)

        async def on_response(response: httpx.Response) -> None:
            await response.aread()
            self.on_response(response)

        return {"request": [on_request], "response": [on_response]}
