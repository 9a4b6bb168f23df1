"""The Fivetran REST API v1 simulator: `FivetranSim` (file roles: see `conn_shared.sim`)."""

from conn_shared.sim.fivetran.backend import FivetranSim

__all__ = ["FivetranSim"]
