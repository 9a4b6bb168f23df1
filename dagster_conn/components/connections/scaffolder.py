"""`dg scaffold defs dagster_conn.ConnectionsComponent <path>`: a defs.yaml to start from.

The scaffold names every secret by an environment variable; fill in the spec
and export the variables before refreshing the state.
"""

from typing import Any

import dagster as dg
from dagster.components.component_scaffolding import scaffold_component
from pydantic import BaseModel, Field

from conn_shared import backend_entry
from dagster_conn.resources import resource_class

__all__ = ["ConnectionsComponentScaffolder", "ConnectionsScaffoldParams"]

#: A starting spec per backend: a postgres source, its password left to `secrets`.
_EXAMPLE_SPECS: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "fivetran": (
        {
            "group_id": "my_group",
            "service": "postgres",
            "schema_name": "shop",
            "config": {
                "host": "db.example.com",
                "port": 5432,
                "database": "shop",
                "user": "loader",
            },
        },
        {"config.password": "SHOP_PG_PASSWORD"},
    ),
    "faraday": (
        {
            "name": "shop",
            "options": {
                "type": "postgres",
                "host": "db.example.com",
                "port": 5432,
                "database": "shop",
                "schema": "public",
                "user": "loader",
            },
        },
        {"options.password": "SHOP_PG_PASSWORD"},
    ),
    "hub": (
        {
            "name": "shop",
            "provider": "postgres",
            "config": {"host": "db.example.com", "port": 5432, "database": "shop"},
            "credentials": {"username": "loader"},
        },
        {"credentials.password": "SHOP_PG_PASSWORD"},
    ),
}


class ConnectionsScaffoldParams(BaseModel):
    """`backend`: which backend the example connection uses (fivetran, faraday or hub)."""

    backend: str = Field(default="fivetran", description="fivetran, faraday or hub.")


class ConnectionsComponentScaffolder(dg.Scaffolder[ConnectionsScaffoldParams]):
    """Writes a defs.yaml with one account and one example connection."""

    @classmethod
    def get_scaffold_params(cls) -> type[ConnectionsScaffoldParams]:
        """The parameters `dg scaffold` accepts."""
        return ConnectionsScaffoldParams

    def scaffold(self, request: dg.ScaffoldRequest[ConnectionsScaffoldParams]) -> None:
        """Write the defs.yaml (ValueError naming the backends for an unknown one)."""
        backend = backend_entry(request.params.backend).name
        spec, secrets = _EXAMPLE_SPECS[backend]
        account: dict[str, Any] = {
            "secrets": {
                field: f"{backend.upper()}_{field.upper()}"
                for field in resource_class(backend).secret_fields
            }
        }
        if backend == "hub":
            account["base_url"] = "https://hub.example.com"
        scaffold_component(
            request,
            {
                "accounts": {backend: account},
                "connections": [
                    {"name": "shop", "backend": backend, "spec": spec, "secrets": secrets}
                ],
                "max_sync_age_seconds": 86400,
            },
        )
