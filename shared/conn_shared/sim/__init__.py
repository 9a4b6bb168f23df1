"""A stateful local server of the Fivetran, Faraday and hub APIs, with fault injection.

`SimServer` runs it on a free loopback port; `conn-sim` is its command line and
`conn_shared.sim.pytest_plugin` its pytest fixture. Names that need the `[sim]` extra
(starlette, uvicorn) are imported on first use, so `import conn_shared.sim` always works.
"""

from typing import TYPE_CHECKING, Any

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.ratelimit import RateLimit

if TYPE_CHECKING:
    from conn_shared.sim.app import build_app
    from conn_shared.sim.fivetran import FivetranSim
    from conn_shared.sim.server import SimServer

__all__ = [
    "FaultPlan",
    "FaultRule",
    "FivetranSim",
    "RateLimit",
    "SimClock",
    "SimCredentials",
    "SimServer",
    "build_app",
]

_LAZY = {
    "SimServer": "conn_shared.sim.server",
    "build_app": "conn_shared.sim.app",
    "FivetranSim": "conn_shared.sim.fivetran",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib  # noqa: PLC0415 (only when a lazy name is asked for)

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'conn_shared.sim' has no attribute {name!r}")
