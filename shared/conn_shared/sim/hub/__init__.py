"""The connections-hub simulator: `HubSim` (file roles: see `conn_shared.sim`)."""

from conn_shared.sim.hub.backend import HubSim

__all__ = ["HubSim"]
