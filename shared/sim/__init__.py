"""A stateful local server of the Fivetran, Faraday and hub APIs, with fault injection."""
