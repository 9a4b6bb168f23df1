"""The example responses of the Faraday API documents (seeds 000, 001, 002), as data.

The reconstructed spec carries no examples, so these are the examples the backend
must parse. They disagree with the spec (kept as found): `status` "pending" is not in
the ResourceStatus enum, a connection's `contents` holds table names where the spec
declares ContentsRow objects, and a dataset's `identity_providers` nests arrays where
the spec declares objects.
"""

from typing import Any

LIST_CONNECTIONS_200: Any = [
    {
        "archived_at": "2024-01-01T12:00:00Z",
        "contents": ["my_table_1", "my_table_2"],
        "contents_error": "Password incorrect",
        "created_at": "2024-01-01T12:00:00Z",
        "directionality": "bidirectional",
        "id": "5e0dfa56-2d52-4c06-a870-bc79c71e86a3",
        "last_read_input_at": "2024-01-01T12:00:00Z",
        "last_updated_config_at": "2024-01-01T12:00:00Z",
        "last_updated_output_at": "2024-01-01T12:00:00Z",
        "managed": True,
        "name": "Snowflake AWS - Marketing",
        "options": {
            "database": "string (pattern: ^[a-zA-Z][a-zA-Z0-9_]+$)",
            "host": "string (pattern: ^[a-zA-Z0-9\\-.]+$)",
            "load_balancer": "example.com",
            "password": "string (pattern: ^.+$)",
            "port": 0,
            "ssh_bastion": "string (pattern: ^[-\\w\\d\\.@]+$)",
            "type": "aws_aurora_mysql",
            "user": "string (pattern: ^[a-zA-Z][a-zA-Z0-9_\\-.]+$)",
        },
        "resource_type": "connections",
        "status": "pending",
        "status_changed_at": "2024-01-01T12:00:00Z",
        "status_error": "string",
        "updated_at": "2024-01-01T12:00:00Z",
    }
]

CREATE_CONNECTION_201: Any = {
    "archived_at": "2024-01-01T12:00:00Z",
    "contents": ["my_table_1", "my_table_2"],
    "contents_error": "Password incorrect",
    "created_at": "2024-01-01T12:00:00Z",
    "directionality": "bidirectional",
    "id": "5e0dfa56-2d52-4c06-a870-bc79c71e86a3",
    "last_read_input_at": "2024-01-01T12:00:00Z",
    "last_updated_config_at": "2024-01-01T12:00:00Z",
    "last_updated_output_at": "2024-01-01T12:00:00Z",
    "managed": True,
    "name": "Snowflake AWS - Marketing",
    "options": {
        "database": "string (pattern: ^[a-zA-Z][a-zA-Z0-9_]+$)",
        "host": "string (pattern: ^[a-zA-Z0-9\\-.]+$)",
        "load_balancer": "example.com",
        "password": "string (pattern: ^.+$)",
        "port": 0,
        "ssh_bastion": "string (pattern: ^[-\\w\\d\\.@]+$)",
        "type": "aws_aurora_mysql",
        "user": "string (pattern: ^[a-zA-Z][a-zA-Z0-9_\\-.]+$)",
    },
    "resource_type": "connections",
    "status": "pending",
    "status_changed_at": "2024-01-01T12:00:00Z",
    "status_error": "string",
    "updated_at": "2024-01-01T12:00:00Z",
}

CONNECTION_DATASETS_200: Any = [
    {
        "archived_at": "2024-01-01T12:00:00Z",
        "connection_id": "5e0dfa56-2d52-4c06-a870-bc79c71e86a3",
        "created_at": "2024-01-01T12:00:00Z",
        "detected_columns": [
            {"data_type": "text", "is_nullable": False, "name": "id"},
            {"data_type": "long", "is_nullable": True, "name": "amount"},
        ],
        "enrichment": {"key": {"any": 123, "person": 123, "residence": 123}},
        "id": "8cd2dcf6-f2b3-4318-b8b3-eb19ab18d29d",
        "identified_count": 0,
        "identity_providers": [[{"provider": "fig"}]],
        "identity_sets": {
            "key": {
                "address_line_1": "shipping_address_address1",
                "address_line_2": "shipping_address_address2",
                "city": "shipping_address_city",
                "email": "email_address",
                "email_hash": "email_hash",
                "freeform_address": "shipping_address",
                "house_number_and_street": [
                    "shipping_address_address1",
                    "shipping_address_address2",
                ],
                "person_first_name": "shipping_address_first_name",
                "person_full_name": "shipping_address_full_name",
                "person_last_name": "shipping_address_last_name",
                "phone": "shipping_address_phone",
                "postcode": "shipping_address_zip",
                "state": "shipping_address_state",
            }
        },
        "incremental_column": "updated_at",
        "last_read_input_at": "2024-01-01T12:00:00Z",
        "last_updated_config_at": "2024-01-01T12:00:00Z",
        "last_updated_output_at": "2024-01-01T12:00:00Z",
        "managed": True,
        "matched_count": 0,
        "merge_datasets": [
            {"dataset_id": "5e0dfa56-2d52-4c06-a870-bc79c71e86a3", "join_column": "id"}
        ],
        "name": "string",
        "options": {
            "table_name": "string (pattern: ^[_a-zA-Z][a-zA-Z0-9_]+$)",
            "type": "aws_aurora_mysql",
        },
        "output_all_columns_as_traits": {"exclude": ["id"], "include": ["id"]},
        "output_to_streams": {
            "key": {
                "classic": True,
                "conditions": [
                    {
                        "_eq": "string",
                        "_gt": 0,
                        "_gte": 0,
                        "_in": ["string"],
                        "_lt": 0,
                        "_lte": 0,
                        "_matches": "string",
                        "_neq": "string",
                        "_nin": ["string"],
                        "_nnull": True,
                        "_null": True,
                        "column_name": "string",
                        "optional": True,
                    }
                ],
                "data_map": {"datetime": {"column_name": "skus", "format": "currency_cents"}},
                "stream_id": "eefb0735-6ad6-4611-a832-40bab2968353",
            }
        },
        "output_to_streams_array": [
            {
                "properties": {
                    "key": {
                        "column_name": "age_in_years",
                        "decode": {
                            "cast": "string",
                            "map": {"a": 1, "b": 2},
                            "sql": "SELECT * FROM table",
                        },
                        "recode": {"map": {"a": 1, "b": 2}, "sql": "SELECT * FROM table"},
                        "value": "2025-10-01T00:00:00.000Z",
                    }
                },
                "stream_id": "eefb0735-6ad6-4611-a832-40bab2968353",
                "stream_name": "attribute_assertion_figv2_age",
            }
        ],
        "output_to_traits": {
            "key": {
                "column_name": "skus",
                "format": "currency_cents",
                "null_values": ["string"],
                "transformation_table": {"key": "string"},
                "value": True,
            }
        },
        "preview": True,
        "privacy": "suppress",
        "reference_key_column": "customer_id",
        "reference_key_columns": ["customer_id"],
        "resource_type": "datasets",
        "row_count": 10000,
        "sample": {},
        "status": "pending",
        "status_changed_at": "2024-01-01T12:00:00Z",
        "status_error": "string",
        "updated_at": "2024-01-01T12:00:00Z",
        "updates": [
            {"datetime": "2021-10-05T14:48:00.000Z", "rows_added": 123},
            {"datetime": "2021-10-06T14:48:00.000Z", "rows_added": 32},
        ],
        "upsert_columns": ["id"],
    }
]
