"""The Fivetran v1 backend."""

from conn_shared.backends.fivetran.backend import (
    FivetranBackend,
    FivetranConnectionSpec,
    FivetranSettings,
    map_fivetran_error,
)

__all__ = ["FivetranBackend", "FivetranConnectionSpec", "FivetranSettings", "map_fivetran_error"]
