"""Apache Airflow provider for driving ELT connections (Fivetran, Faraday, a connections hub)."""

from typing import Any

__all__ = ["get_provider_info"]

__version__ = "0.1.0"


def get_provider_info() -> dict[str, Any]:
    """Describe this provider to Airflow (via the `apache_airflow_provider` entry point)."""
    return {
        "package-name": "conn-providers",
        "name": "Connection lifecycle (Fivetran, Faraday, connections hub)",
        "description": "Create, verify, sync and wait on ELT connections from Airflow.",
        "versions": [__version__],
    }
