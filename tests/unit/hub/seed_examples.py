"""The example bodies of the hub's API document (seed 003), as data: the hub's only contract."""

from typing import Any

CONNECTION: dict[str, Any] = {
    "config": {},
    "createdAt": "2019-08-24T14:15:22Z",
    "createdBy": "string",
    "hasCredentials": True,
    "id": "string",
    "isDefault": True,
    "isFromTemplate": True,
    "lastUsedAt": "2019-08-24T14:15:22Z",
    "lastVerifiedAt": "2019-08-24T14:15:22Z",
    "name": "string",
    "provider": "string",
    "slug": "string",
    "status": "needs_verification",
    "updatedAt": "2019-08-24T14:15:22Z",
    "updatedBy": "string",
    "verificationDetails": {},
    "verificationError": "string",
    "verificationErrorCode": "string",
    "visibility": "private",
}

CONNECTION_LIST: dict[str, Any] = {
    "connections": [CONNECTION],
    "hasNext": True,
    "limit": 0,
    "offset": 0,
    "total": 0,
    "users": {},
}

EDIT_SETTINGS: dict[str, Any] = {
    "config": {},
    "secretFields": {"property1": {"configured": True}, "property2": {"configured": True}},
}

FILES: dict[str, Any] = {
    "items": [
        {
            "id": "string",
            "kind": "file",
            "mimeType": "string",
            "modifiedAt": "2019-08-24T14:15:22Z",
            "name": "string",
            "path": "string",
            "size": 0,
        }
    ],
    "nextPageToken": "string",
    "path": "string",
}

FILE_VALIDATION: dict[str, Any] = {
    "maxDepth": 0,
    "totalBytes": 0,
    "totalItems": 0,
    "valid": True,
    "violations": [],
}

COLUMNS: dict[str, Any] = {
    "columns": [
        {
            "dataType": "string",
            "name": "string",
            "normalizedName": "string",
            "nullable": True,
            "primaryKey": False,
        }
    ],
    "schema": "string",
    "table": "string",
}

QUERY: dict[str, Any] = {
    "columns": ["string"],
    "maxRows": 0,
    "queryHash": "string",
    "rowCount": 0,
    "rows": [{}],
    "tableRefs": [{"schema": "string", "table": "string"}],
    "truncated": True,
}

SAMPLE: dict[str, Any] = {
    "columns": COLUMNS["columns"],
    "maxRows": 0,
    "rowCount": 0,
    "rows": [{}],
    "schema": "string",
    "table": "string",
    "truncated": True,
}

TABLES: dict[str, Any] = {
    "tables": [
        {"normalizedName": "string", "schema": "string", "spec": "string", "table": "string"}
    ]
}

VALIDATION_ERROR: dict[str, Any] = {
    "detail": [{"loc": ["string"], "msg": "string", "type": "string"}]
}
