"""The simulated vendors, in one table: name -> package, class and accepted credentials.

The server, the CLI and the pytest plugin find vendors here, never through their own name
switches. A vendor package is imported only when it is served, so this module (and the
CLI's `--help`) needs no starlette. Adding a vendor: copy a vendor package, give its
credentials a field in `credentials.py`, and add one row below.
"""

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import SimCredentials

if TYPE_CHECKING:  # core needs starlette; this module must not (conn-sim --help)
    from conn_shared.sim.core import SimBackend

__all__ = ["VENDORS", "Vendor", "build_vendor"]


@dataclass(frozen=True)
class Vendor:
    """One simulated vendor: where its `SimBackend` class lives, and what it accepts.

    `credentials` turns the server's `SimCredentials` into the class's keyword arguments.
    """

    module: str
    class_name: str
    credentials: Callable[[SimCredentials], dict[str, Any]]


VENDORS: Mapping[str, Vendor] = {
    "fivetran": Vendor(
        "conn_shared.sim.fivetran",
        "FivetranSim",
        lambda c: {
            "api_key": c.fivetran_api_key,
            "api_secret": c.fivetran_api_secret,
            "expired_keys": c.fivetran_expired_keys,
        },
    ),
    "faraday": Vendor(
        "conn_shared.sim.faraday",
        "FaradaySim",
        lambda c: {"api_keys": [c.faraday_api_key], "expired_keys": c.faraday_expired_keys},
    ),
    "hub": Vendor(
        "conn_shared.sim.hub",
        "HubSim",
        lambda c: {"tokens": [c.hub_token], "expired_tokens": c.hub_expired_tokens},
    ),
}


def build_vendor(
    name: str, clock: SimClock, credentials: SimCredentials, options: Mapping[str, Any]
) -> "SimBackend":
    """The vendor `name` on `clock`, accepting `credentials`, with extra constructor `options`."""
    vendor = VENDORS[name]
    cls = getattr(importlib.import_module(vendor.module), vendor.class_name)
    backend: SimBackend = cls(clock, **vendor.credentials(credentials), **dict(options))
    return backend
