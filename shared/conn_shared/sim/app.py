"""The simulator as one ASGI app: every vendor mounted, and the middleware they share.

Each backend is mounted under `/{backend.name}` as its own small Starlette app, so
404/405 answers come out in that vendor's error format. Around them, one pure ASGI
middleware (no BaseHTTPMiddleware: it would buffer every body and cost a task per
request) adds the base latency, applies rate limits and injected faults, and counts
requests per route template. The admin API lives under the reserved prefix `/_sim`.
"""

import asyncio
import math
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conn_shared.sim.admin import admin_routes
from conn_shared.sim.clock import SimClock
from conn_shared.sim.core import ADMIN_PREFIX, SimBackend, SimCore
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.ratelimit import RateLimit

__all__ = ["build_app"]

_ERROR_MESSAGES = {
    500: "Internal server error (simulated fault)",
    502: "Bad gateway (simulated fault)",
    503: "Service temporarily unavailable (simulated fault)",
}
# Enough of a success body to look real, cut off mid-string.
_TRUNCATED_JSON = b'{"code": "Success", "data": {"id": "'


def build_app(
    *,
    backends: Sequence[SimBackend],
    clock: SimClock,
    faults: FaultPlan | None = None,
    rate_limit: RateLimit | None = None,
    latency: float = 0.0,
) -> Starlette:
    """The simulator as one Starlette app; its `SimCore` is at `app.state.core`.

    `latency` is a base delay in real seconds added to every vendor request;
    `rate_limit` applies per (backend, API key); `faults` starts the fault plan
    (replaceable later through `PUT /_sim/faults`).
    """
    core = SimCore(
        backends=backends, clock=clock, faults=faults, rate_limit=rate_limit, latency=latency
    )
    mounts: list[BaseRoute] = [Mount(ADMIN_PREFIX, routes=admin_routes(core))]
    for backend in backends:
        routes = backend.routes()
        core.routes[backend.name] = routes
        mounts.append(Mount(f"/{backend.name}", app=_vendor_app(backend, routes)))
    app = Starlette(routes=mounts, middleware=[Middleware(SimMiddleware, core=core)])
    app.state.core = core
    return app


def _vendor_app(backend: SimBackend, routes: list[BaseRoute]) -> Starlette:
    """A backend's routes as an app whose 404/405/500 answers use the vendor's error body."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers) if exc.headers else None
        return backend.error_response(exc.status_code, exc.detail, headers=headers)

    async def crash(request: Request, exc: Exception) -> Response:
        return backend.error_response(500, f"Internal server error: {type(exc).__name__}")

    return Starlette(routes=routes, exception_handlers={HTTPException: http_error, 500: crash})


class SimMiddleware:
    """Latency, rate limits, faults and counters around every vendor request."""

    def __init__(self, app: ASGIApp, core: SimCore) -> None:
        self.app = app
        self.core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass admin and non-HTTP traffic through; put vendor requests through the core."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        core = self.core
        name = scope["path"].split("/", 2)[1]
        backend = core.backends.get(name)
        if backend is None:
            await self.app(scope, receive, send)
            return
        if core.latency:
            await asyncio.sleep(core.latency)
        status = [0]
        extra: list[tuple[bytes, bytes]] = []

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                if extra:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        method = scope["method"]
        # Found before the handler runs (routing rewrites the scope's root_path) by
        # matching the backend's routes, not read from scope["route"]: Starlette's
        # router records that only from 1.7 on, and Airflow 3.2 pins starlette < 1.
        template = core.template_of(name, scope)
        if core.limiter is not None:
            decision = core.limiter.take(name, backend.api_key_of(Request(scope)))
            if not decision.allowed:
                response = backend.error_response(
                    429, "Too many requests: rate limit exceeded", headers=decision.headers()
                )
                await response(scope, receive, counted_send)
                core.counts[(name, method, template, status[0])] += 1
                return
            extra = [(k.lower().encode(), v.encode()) for k, v in decision.headers().items()]
        rule = core.faults.pick(method, scope["path"], lambda: template) if core.faults else None
        if rule is None or rule.kind == "latency":
            if rule is not None:
                await asyncio.sleep(rule.seconds)
            await self.app(scope, receive, counted_send)
            core.counts[(name, method, template, status[0])] += 1
            return
        await self._inject(rule, backend, scope, receive, counted_send)
        core.counts[(name, method, template, status[0])] += 1

    async def _inject(
        self, rule: FaultRule, backend: SimBackend, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer (or fail to answer) the request the way `rule` says."""
        if rule.kind == "error":
            assert rule.status is not None
            response = backend.error_response(rule.status, _ERROR_MESSAGES[rule.status])
            await response(scope, receive, send)
        elif rule.kind == "rate_limit":
            headers = (
                {"Retry-After": str(max(0, math.ceil(rule.seconds)))} if rule.retry_after else None
            )
            response = backend.error_response(
                429, "Too many requests (simulated fault)", headers=headers
            )
            await response(scope, receive, send)
        elif rule.kind == "malformed_json":
            await _send_raw(send, 200, _TRUNCATED_JSON, len(_TRUNCATED_JSON), complete=True)
        elif rule.kind == "drop":
            # Promise more bytes than are sent, then return: the server closes the
            # connection and the client reads an incomplete body.
            await _send_raw(send, 200, _TRUNCATED_JSON, 4 * len(_TRUNCATED_JSON), complete=False)
        else:  # commit_then_lose
            await self._commit_then_lose(scope, receive, send)

    async def _commit_then_lose(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the handler to completion, then send only its headers and hang up."""
        start: list[Message] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append(message)

        await self.app(scope, receive, capture)
        if start:
            # A response without a body (a 202) would be complete after its headers:
            # promise one byte so that hanging up reads as a lost answer there too.
            headers = [
                (name, b"1" if name == b"content-length" and value == b"0" else value)
                for name, value in start[0].get("headers", [])
            ]
            await send({**start[0], "headers": headers})
            # Returning without the body makes the server close the connection.


async def _send_raw(send: Send, status: int, body: bytes, length: int, *, complete: bool) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(length).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": not complete})
