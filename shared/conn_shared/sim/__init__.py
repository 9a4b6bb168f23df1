"""A stateful local server of the Fivetran, Faraday and hub APIs, with fault injection.

`SimServer` runs it on a free loopback port; `conn-sim` is its command line and
`conn_shared.sim.pytest_plugin` its pytest fixture. Names that need the `[sim]` extra
(starlette, uvicorn) are imported on first use, so `import conn_shared.sim` always works.

Layout. The core, shared by every vendor:

    core.py          the `SimBackend` contract and `SimCore` (clock, faults, limits, counters)
    app.py           the ASGI app: vendors mounted under /{name}, the middleware around them
    admin.py         the admin API under /_sim
    routing.py       the route-table builder every vendor uses (`routes_from_table`)
    server.py        `SimServer` (a background thread) and `build_backends`
    vendors.py       the vendor table: name -> package, class, accepted credentials
    clock.py, faults.py, ratelimit.py, credentials.py, cli.py, pytest_plugin.py

One package per vendor (`fivetran/`, `faraday/`, `hub/`), with the same file roles:

    __init__.py      exports the vendor's `SimBackend` class (FivetranSim, FaradaySim, HubSim)
    backend.py       that class: credentials and auth, the vendor's error body, `routes()`
    routes.py        `ROUTES`: every (path, method, handler) the vendor serves, in one table
    wire.py          the vendor's wire format: error exception and body, auth headers,
                     request bodies and parameters (and Fivetran's envelope)
    store.py         the vendor's state in memory: dump(), reset(), lookups that 404
    records.py       the stored records and how the API renders them
    states.py        the state machines, pure (Fivetran setup tests and syncs, Faraday
                     builds, hub verification) and the outcome switches that drive them
    connections.py   the connection endpoints

and one file per concern only that vendor has:

    fivetran/  syncs.py (sync, re-sync, connector state), schemas.py (schema config),
               trust.py (certificates, fingerprints), account.py (groups, destinations, users)
    faraday/   datasets.py (dataset endpoints), options.py (per-type option rules)
    hub/       browse.py (file and table browsing endpoints), files.py (the fake file tree),
               database.py (the fake database), sql.py (its read-only SQL engine)

Imports run one way: wire <- records/states <- store <- endpoints <- routes <- backend.
Nothing here imports client code (`conn_shared.backends`, `lifecycle`, ...).
"""

from typing import TYPE_CHECKING, Any

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.faults import FaultPlan, FaultRule
from conn_shared.sim.ratelimit import RateLimit

if TYPE_CHECKING:
    from conn_shared.sim.app import build_app
    from conn_shared.sim.faraday import FaradaySim
    from conn_shared.sim.fivetran import FivetranSim
    from conn_shared.sim.hub import HubSim
    from conn_shared.sim.server import SimServer

__all__ = [
    "FaradaySim",
    "FaultPlan",
    "FaultRule",
    "FivetranSim",
    "HubSim",
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
    "FaradaySim": "conn_shared.sim.faraday",
    "HubSim": "conn_shared.sim.hub",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib  # noqa: PLC0415 (only when a lazy name is asked for)

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'conn_shared.sim' has no attribute {name!r}")
