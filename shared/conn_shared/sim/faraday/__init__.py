"""The Faraday v1 simulator: `FaradaySim` (file roles: see `conn_shared.sim`)."""

from conn_shared.sim.faraday.backend import FaradaySim

__all__ = ["FaradaySim"]
