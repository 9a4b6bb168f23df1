"""The admin API under `/_sim`: inspect and steer a running simulator over HTTP.

JSON in, JSON out. Errors are `{"error": "..."}` with status 400.

- `GET /_sim/state`: every backend's dump, the clock, the fault plan, the rate limit.
- `GET /_sim/requests`: counters per (backend, method, route template, status).
- `POST /_sim/reset`: forget resources, counters, faults and rate-limit buckets.
- `GET|PUT|DELETE /_sim/faults`: read, replace or clear the fault plan.
- `PUT|DELETE /_sim/rate-limit`: set `{"rate": r, "burst": b}` or switch it off.
- `POST /_sim/clock/advance` `{"seconds": N}`; `POST /_sim/clock/speed` `{"speed": X}`.
"""

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from conn_shared.sim.core import SimCore
from conn_shared.sim.faults import FaultPlan
from conn_shared.sim.ratelimit import RateLimit

__all__ = ["admin_routes"]


class _BadRequestError(Exception):
    pass


def admin_routes(core: SimCore) -> list[BaseRoute]:
    """The admin endpoints, bound to one simulator core."""

    def clock_json() -> dict[str, Any]:
        now = core.clock.now()
        return {"now": now, "now_iso": core.clock.iso(now), "speed": core.clock.speed}

    async def state(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "clock": clock_json(),
                "backends": {name: b.dump() for name, b in core.backends.items()},
                "faults": core.faults.as_dict(),
                "rate_limit": core.limiter.limit.as_dict() if core.limiter else None,
                "latency": core.latency,
            }
        )

    async def requests(request: Request) -> JSONResponse:
        rows = core.request_counts()
        return JSONResponse({"requests": rows, "total": sum(row["count"] for row in rows)})

    async def reset(request: Request) -> JSONResponse:
        core.reset()
        return JSONResponse({"reset": True, "clock": clock_json()})

    async def faults(request: Request) -> JSONResponse:
        if request.method == "PUT":
            core.faults = FaultPlan.from_dict(await _json_object(request))
        elif request.method == "DELETE":
            core.faults = FaultPlan()
        return JSONResponse(core.faults.as_dict())

    async def rate_limit(request: Request) -> JSONResponse:
        if request.method == "PUT":
            body = await _json_object(request)
            try:
                limit = RateLimit(rate=float(body["rate"]), burst=int(body["burst"]))
            except (KeyError, TypeError) as exc:
                raise _BadRequestError("expected {'rate': number, 'burst': integer}") from exc
            core.set_rate_limit(limit)
        else:
            core.set_rate_limit(None)
        return JSONResponse({"rate_limit": core.limiter.limit.as_dict() if core.limiter else None})

    async def advance(request: Request) -> JSONResponse:
        core.clock.advance(_number(await _json_object(request), "seconds"))
        return JSONResponse(clock_json())

    async def speed(request: Request) -> JSONResponse:
        core.clock.set_speed(_number(await _json_object(request), "speed"))
        return JSONResponse(clock_json())

    def guarded(endpoint: Any) -> Any:
        async def run(request: Request) -> JSONResponse:
            try:
                response: JSONResponse = await endpoint(request)
            except (_BadRequestError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return response

        return run

    return [
        Route("/state", guarded(state), methods=["GET"]),
        Route("/requests", guarded(requests), methods=["GET"]),
        Route("/reset", guarded(reset), methods=["POST"]),
        Route("/faults", guarded(faults), methods=["GET", "PUT", "DELETE"]),
        Route("/rate-limit", guarded(rate_limit), methods=["PUT", "DELETE"]),
        Route("/clock/advance", guarded(advance), methods=["POST"]),
        Route("/clock/speed", guarded(speed), methods=["POST"]),
    ]


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as exc:
        raise _BadRequestError(f"malformed JSON: {exc.msg}") from exc
    if not isinstance(body, dict):
        raise _BadRequestError("expected a JSON object")
    return body


def _number(body: dict[str, Any], field: str) -> float:
    value = body.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _BadRequestError(f"expected {{{field!r}: number}}")
    return float(value)
