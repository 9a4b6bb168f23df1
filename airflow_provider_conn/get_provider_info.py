"""What Airflow learns about this provider through the `apache_airflow_provider` entry point.

Connection types are declared the Airflow 3.2+ way: `conn-fields` and
`ui-field-behaviour` here, not the deprecated hook methods, because the 3.3 UI
builds its connection form from provider metadata only. The form stores each
`conn-fields` value in the Connection's extra under its bare name, which is
where `airflow_provider_conn.hooks` reads it. Importing this module imports
nothing from Airflow.
"""

from typing import Any

__all__ = ["ASSET_SCHEMES", "CONNECTION_TYPES", "get_provider_info"]

VERSION = "0.1.0"
_PACKAGE = "airflow_provider_conn"

#: Asset URI schemes, one per backend with syncs: `conn-<backend>://<connection id>`.
ASSET_SCHEMES = ("conn-fivetran", "conn-faraday")

_SHARED_FIELDS: dict[str, Any] = {
    "ui_base_url": {
        "label": "UI base URL",
        "description": "Root of the vendor's web UI for the task's extra link "
        "(default: the vendor's own UI).",
        "schema": {"type": ["string", "null"], "format": "url"},
    },
    "timeout": {
        "label": "Request timeout (seconds)",
        "description": "Seconds each HTTP attempt may take to read or write.",
        "schema": {"type": ["number", "null"], "default": 30, "minimum": 1},
    },
    "verify_tls": {
        "label": "Verify TLS certificates",
        "description": "Check the server's certificate (turn off only for a test server).",
        "schema": {"type": ["boolean", "null"], "default": True},
    },
    "ca_bundle": {
        "label": "CA bundle path",
        "description": "A CA bundle file (PEM) to verify the server against, e.g. a "
        "corporate proxy's; empty: the default bundle.",
        "schema": {"type": ["string", "null"]},
    },
    "allow_insecure_http": {
        "label": "Allow plain http",
        "description": "Send the credentials over http to a host that is not this machine "
        "(they then cross the network unencrypted).",
        "schema": {"type": ["boolean", "null"], "default": False},
    },
    "max_attempts": {
        "label": "Attempts per request",
        "description": "Attempts for one request, the first included; transient "
        "failures (429, 502-504, dropped connections on reads) are retried.",
        "schema": {"type": ["integer", "null"], "default": 5, "minimum": 1, "maximum": 20},
    },
}


def _base_url(default: str | None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"], "format": "url"}
    if default:
        schema["default"] = default
    return {
        "base_url": {
            "label": "Base URL",
            "description": "API root; override for a proxy or the simulator."
            if default
            else "Your hub server's URL (required; /api/v1 is appended).",
            "schema": schema,
        }
    }


#: The three connection types: `connection-type` equals the hook's `conn_type`.
CONNECTION_TYPES: list[dict[str, Any]] = [
    {
        "connection-type": "conn_fivetran",
        "hook-class-name": f"{_PACKAGE}.hooks.FivetranHook",
        "hook-name": "Fivetran (conn-providers)",
        "ui-field-behaviour": {
            "hidden-fields": ["host", "port", "schema", "extra"],
            "relabeling": {"login": "API key", "password": "API secret"},
            "placeholders": {"login": "Fivetran API key"},
        },
        "conn-fields": {**_base_url("https://api.fivetran.com"), **_SHARED_FIELDS},
    },
    {
        "connection-type": "conn_faraday",
        "hook-class-name": f"{_PACKAGE}.hooks.FaradayHook",
        "hook-name": "Faraday (conn-providers)",
        "ui-field-behaviour": {
            "hidden-fields": ["host", "port", "schema", "login", "extra"],
            "relabeling": {"password": "API key"},
        },
        "conn-fields": {**_base_url("https://api.faraday.ai/v1"), **_SHARED_FIELDS},
    },
    {
        "connection-type": "conn_hub",
        "hook-class-name": f"{_PACKAGE}.hooks.HubHook",
        "hook-name": "Connections hub (conn-providers)",
        "ui-field-behaviour": {
            "hidden-fields": ["host", "port", "schema", "login", "extra"],
            "relabeling": {"password": "Token"},
        },
        "conn-fields": {**_base_url(None), **_SHARED_FIELDS},
    },
]


def get_provider_info() -> dict[str, Any]:
    """Describe this provider to Airflow: connection types, modules, links, asset URIs."""
    integrations = [
        ("Fivetran", "https://fivetran.com/docs/rest-api"),
        ("Faraday", "https://faraday.ai/developers"),
        ("Connections hub", None),
    ]

    def modules(role: str) -> list[dict[str, Any]]:
        return [
            {"integration-name": name, "python-modules": [f"{_PACKAGE}.{role}"]}
            for name, _ in integrations
        ]

    return {
        "package-name": "conn-providers",
        "name": "Connection lifecycle (Fivetran, Faraday, connections hub)",
        "description": "Create, verify, sync and wait on ELT connections from Airflow.",
        "versions": [VERSION],
        "integrations": [
            {"integration-name": name, **({"external-doc-url": url} if url else {})}
            for name, url in integrations
        ],
        "hooks": modules("hooks"),
        "operators": modules("operators"),
        "sensors": modules("sensors"),
        "triggers": [*modules("triggers"), *modules("assets")],
        "connection-types": CONNECTION_TYPES,
        "extra-links": [f"{_PACKAGE}.links.ConnectionLink"],
        "asset-uris": [
            {"schemes": list(ASSET_SCHEMES), "handler": f"{_PACKAGE}.assets.normalize_uri"}
        ],
    }
