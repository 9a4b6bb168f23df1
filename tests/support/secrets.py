"""Searching what an orchestrator recorded for planted secrets."""

import base64

from conn_shared.sim.credentials import SimCredentials

__all__ = ["credential_values", "secrets_in"]


def credential_values(credentials: SimCredentials) -> dict[str, str]:
    """Label -> each credential a simulator accepts, with Fivetran's Basic header value."""
    basic = f"{credentials.fivetran_api_key}:{credentials.fivetran_api_secret}"
    return {
        "fivetran api_key": credentials.fivetran_api_key,
        "fivetran api_secret": credentials.fivetran_api_secret,
        "fivetran basic auth": base64.b64encode(basic.encode()).decode(),
        "faraday api_key": credentials.faraday_api_key,
        "hub token": credentials.hub_token,
    }


def secrets_in(places: dict[str, str], secrets: dict[str, str]) -> list[tuple[str, str]]:
    """(place, secret's label) for every secret found in a place's text; [] when none."""
    return [
        (place, label)
        for place, text in places.items()
        for label, secret in secrets.items()
        if secret in text
    ]
