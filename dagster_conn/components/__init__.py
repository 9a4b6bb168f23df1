"""Dagster components of the integration (see `dagster_conn.components.connections`)."""
