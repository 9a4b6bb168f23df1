"""Client layer: typed clients for Fivetran, Faraday and the connections hub."""
