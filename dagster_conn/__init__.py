"""Dagster integration for driving ELT connections (Fivetran, Faraday, a connections hub)."""
