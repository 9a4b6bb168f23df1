"""Faraday's per-type `options` rules, and the request-body checks built on them.

Faraday validates request bodies with JSON Schema and reports each failure as a
`ValidationError` ({path, message, context: {errorType}}) under a 400
VALIDATION_FAILED. The tables below are the field facts of the `*Post` option
schemas in the Faraday definition: `name!` is required, `:kind` is a JSON type
other than string. Only these facts are kept, so the simulator needs no schema
library at run time.
"""

from typing import Any

__all__ = [
    "CONNECTION_OPTIONS",
    "DATASET_OPTIONS",
    "SECRET_OPTION_NAMES",
    "Problem",
    "check_fields",
    "check_options",
    "redact_options",
]

#: Connection option fields per `options.type` (from `ConnectionOptions*Post`).
CONNECTION_OPTIONS_SPEC: dict[str, str] = {
    "aws_aurora_mysql": "database! host! password! port!:number user! load_balancer ssh_bastion",
    "aws_aurora_postgres": (
        "database! host! password! port!:number schema! user! load_balancer ssh_bastion"
    ),
    "aws_rds_mysql": "database! host! password! port!:number user! load_balancer ssh_bastion",
    "aws_rds_postgres": (
        "database! host! password! port!:number schema! user! load_balancer ssh_bastion"
    ),
    "aws_rds_sql_server": (
        "database! host! password! port!:number user! load_balancer schema ssh_bastion"
    ),
    "aws_redshift_serverless": (
        "aws_region! database! host! password! port!:number schema! user! load_balancer ssh_bastion"
    ),
    "azure_sql_server": (
        "database! host! password! port!:number user! load_balancer schema ssh_bastion"
    ),
    "bigquery": "dataset_name! project_id! region:region",
    "classic": "",
    "clickhouse": "database! host! port!:number user! load_balancer ssh_bastion",
    "databricks": "catalog! host! http_path! schema! token!",
    "databricks_delta_sharing": "credentials_json! schema_name! share_name!",
    "facebook_custom_audiences": "account_id! account_literate",
    "gcp_cloud_sql_mysql": "database! instance_connection_name! password! user!",
    "gcp_cloud_sql_postgres": "database! instance_connection_name! password! schema! user!",
    "gcp_cloud_sql_sql_server": (
        "database! instance_connection_name! password! user! load_balancer schema ssh_bastion"
    ),
    "gcp_gcs_csv": "bucket_name! project_id!",
    "google_ads": "customer_id password username",
    "hosted_csv": "",
    "hubspot": "password username",
    "iterable": "webhook_url",
    "klaviyo": "api_key! private_api_key!",
    "linkedin_ads": "password username",
    "lookup_api": "",
    "merge": "",
    "motherduck": "database! token!",
    "mysql": "database! host! password! port!:number user! load_balancer ssh_bastion",
    "pinterest_ads": "business_id password username",
    "poplar": "",
    "postgres": "database! host! password! port!:number schema! user! load_balancer ssh_bastion",
    "recharge": "api_key!",
    "redshift": (
        "aws_region! database! host! password! port!:number schema! user! load_balancer ssh_bastion"
    ),
    "s3_csv": "aws_region! bucket_name!",
    "salesforce": "password username",
    "salesforce_marketing_cloud": "client_id! client_secret!",
    "segment": "api_key!",
    "sftp": "host! port!:number user! compression:boolean encryption host_key password",
    "shopify": "password username",
    "snowflake": (
        "database! user! warehouse! account_name legacy_account_locator organization_name "
        "role schema"
    ),
    "sql_server": "database! host! password! port!:number user! load_balancer schema ssh_bastion",
    "stripe": "password username",
    "the_trade_desk": "advertiser_id! api_key! environment",
    "tiktok": "tiktok_account_id",
}

_TABLE = "table_name!"
_FILES = "prefix! delimiter encrypted:boolean header_row replace_all_with_latest_file:boolean"

#: Dataset option fields per `options.type` (from `DatasetOptions*Post`).
_TABLE_TYPES = [
    "aws_aurora_mysql",
    "aws_aurora_postgres",
    "aws_rds_mysql",
    "aws_rds_postgres",
    "aws_rds_sql_server",
    "aws_redshift_serverless",
    "azure_sql_server",
    "bigquery",
    "clickhouse",
    "databricks",
    "databricks_delta_sharing",
    "gcp_cloud_sql_mysql",
    "gcp_cloud_sql_postgres",
    "gcp_cloud_sql_sql_server",
    "mysql",
    "postgres",
    "redshift",
    "sql_server",
]
_BARE_TYPES = [
    "classic",
    "hubspot",
    "iterable",
    "klaviyo",
    "recharge",
    "salesforce",
    "shopify",
    "stripe",
]

DATASET_OPTIONS_SPEC: dict[str, str] = {
    **dict.fromkeys(_TABLE_TYPES, _TABLE),
    **dict.fromkeys(_BARE_TYPES, ""),
    "gcp_gcs_csv": _FILES,
    "s3_csv": _FILES,
    "sftp": _FILES,
    "hosted_csv": (
        "upload_directory! delimiter encrypted:boolean header_row "
        "replace_all_with_latest_file:boolean"
    ),
    "merge": "merge!:array migrate:boolean",
    "motherduck": "table_name! schema",
    "salesforce_marketing_cloud": "tenant_subdomain!",
    "snowflake": "table_name! case_sensitive_columns:boolean schema",
}

#: Option names whose values are credentials: redacted from state dumps and never logged.
SECRET_OPTION_NAMES = frozenset(
    {"password", "token", "api_key", "private_api_key", "client_secret", "credentials_json"}
)

_BIGQUERY_REGIONS = frozenset(
    {"US", "us-central1", "us-east1", "us-east4", "us-east5", "us-south1"}
    | {"us-west1", "us-west2", "us-west3", "us-west4"}
)

#: A field spec: (required, kind) by field name.
FieldTable = dict[str, tuple[bool, str]]


def _parse(spec: str) -> FieldTable:
    table: FieldTable = {}
    for token in spec.split():
        name, _, kind = token.partition(":")
        required = name.endswith("!")
        table[name.rstrip("!")] = (required, kind or "string")
    return table


CONNECTION_OPTIONS: dict[str, FieldTable] = {
    name: _parse(spec) for name, spec in CONNECTION_OPTIONS_SPEC.items()
}
DATASET_OPTIONS: dict[str, FieldTable] = {
    name: _parse(spec) for name, spec in DATASET_OPTIONS_SPEC.items()
}

#: One validation failure: (JSON pointer, message, JSON Schema keyword).
Problem = tuple[str, str, str]


def _kind_ok(kind: str, value: Any) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "region":
        return value in _BIGQUERY_REGIONS
    return isinstance(value, str)


def check_fields(value: Any, table: FieldTable, pointer: str) -> list[Problem]:
    """Check an object against a field table: required, known names, JSON kinds."""
    if not isinstance(value, dict):
        return [(pointer, "must be object", "type")]
    problems: list[Problem] = []
    for name, (required, _kind) in table.items():
        if required and name not in value:
            # The path names the missing field itself, so clients can point at it.
            problems.append(
                (f"{pointer}/{name}", f"must have required property '{name}'", "required")
            )
    for name, item in value.items():
        if name not in table:
            problems.append(
                (f"{pointer}/{name}", f"must NOT have additional property '{name}'", "additional")
            )
            continue
        kind = table[name][1]
        if not _kind_ok(kind, item):
            if kind == "region":
                problems.append(
                    (f"{pointer}/{name}", "must be equal to one of the allowed values", "enum")
                )
            else:
                problems.append((f"{pointer}/{name}", f"must be {kind}", "type"))
    return problems


def check_options(
    options: Any, tables: dict[str, FieldTable], pointer: str = "/options"
) -> list[Problem]:
    """Check a Post-style `options` object: a known `type`, then that type's fields."""
    if not isinstance(options, dict):
        return [(pointer, "must be object", "type")]
    kind = options.get("type")
    if "type" not in options:
        return [(f"{pointer}/type", "must have required property 'type'", "required")]
    if not isinstance(kind, str) or kind not in tables:
        return [(f"{pointer}/type", "must be equal to one of the allowed values", "enum")]
    table: FieldTable = {"type": (True, "string"), **tables[kind]}
    return check_fields(options, table, pointer)


def redact_options(options: dict[str, Any]) -> dict[str, Any]:
    """A copy of `options` with every credential value replaced by a mask."""
    return {k: ("***" if k in SECRET_OPTION_NAMES else v) for k, v in options.items()}
