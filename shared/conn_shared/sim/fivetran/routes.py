"""Every path the Fivetran simulator serves, relative to its mount (`/fivetran`).

Connection paths are served under `/v1/connections` and again under the legacy
`/v1/connectors` (which alone has `/force`), because peer packages still call them.
"""

from conn_shared.sim.fivetran import account, connections, schemas, syncs, trust
from conn_shared.sim.fivetran.store import FivetranStore
from conn_shared.sim.fivetran.wire import FivetranHandler

__all__ = ["ROUTES"]

Row = tuple[str, str, FivetranHandler[FivetranStore], bool]

_ID = "/{connectionId}"
_S = _ID + "/schemas"
_COLUMN = _S + "/{schemaName}/tables/{tableName}/columns/{columnName}"
#: (path under a connections prefix, method, handler, whether it takes Accept: version=2)
_CONNECTION_ROUTES: list[Row] = [
    ("", "GET", connections.list_connections, True),
    ("", "POST", connections.create_connection, True),
    (_ID, "GET", connections.connection_details, True),
    (_ID, "PATCH", connections.modify_connection, True),
    (_ID, "DELETE", connections.delete_connection, True),
    (_ID + "/test", "POST", connections.run_setup_tests, True),
    (_ID + "/connect-card", "POST", connections.connect_card, True),
    (_ID + "/sync", "POST", syncs.sync_connection, True),
    (_ID + "/resync", "POST", syncs.resync_connection, True),
    (_ID + "/state", "GET", syncs.connection_state, True),
    (_ID + "/state", "PATCH", syncs.modify_connection_state, True),
    (_S + "/tables/resync", "POST", syncs.resync_tables, False),
    (_S, "GET", schemas.schemas_details, False),
    (_S, "POST", schemas.precreate_schemas, False),
    (_S, "PATCH", schemas.modify_schemas, False),
    (_S + "/reload", "POST", schemas.reload_schemas, False),
    (_S + "/drop-columns", "POST", schemas.drop_columns, False),
    (_S + "/{schemaName}", "PATCH", schemas.modify_schema, False),
    (_S + "/{schemaName}/tables/{tableName}", "PATCH", schemas.modify_table, False),
    (_COLUMN, "PATCH", schemas.modify_column, False),
    (_COLUMN, "DELETE", schemas.drop_column, False),
    (_S + "/{schema}/tables/{table}/columns", "GET", schemas.table_columns, False),
    (_ID + "/certificates", "GET", trust.list_certificates, False),
    (_ID + "/certificates", "POST", trust.approve_certificate, False),
    (_ID + "/certificates/{hash}", "GET", trust.certificate_details, False),
    (_ID + "/certificates/{hash}", "DELETE", trust.revoke_certificate, False),
    (_ID + "/fingerprints", "GET", trust.list_fingerprints, False),
    (_ID + "/fingerprints", "POST", trust.approve_fingerprint, False),
    (_ID + "/fingerprints/{hash}", "GET", trust.fingerprint_details, False),
    (_ID + "/fingerprints/{hash}", "DELETE", trust.revoke_fingerprint, False),
]
_LEGACY_ONLY: list[Row] = [(_ID + "/force", "POST", syncs.force_sync, True)]
_ACCOUNT_ROUTES: list[Row] = [
    ("/v1/groups", "GET", account.list_groups, True),
    ("/v1/groups", "POST", account.create_group, True),
    ("/v1/groups/{groupId}", "GET", account.group_details, True),
    ("/v1/groups/{groupId}", "PATCH", account.modify_group, True),
    ("/v1/groups/{groupId}/connections", "GET", account.group_connections, True),
    ("/v1/groups/{groupId}/connectors", "GET", account.group_connections, True),
    ("/v1/destinations", "GET", account.list_destinations, True),
    ("/v1/destinations/{destinationId}", "GET", account.destination_details, True),
    ("/v1/users", "GET", account.list_users, True),
    ("/v1/users/{userId}", "GET", account.user_details, True),
]


def _under(prefix: str, rows: list[Row]) -> list[Row]:
    return [
        (prefix + path, method, handler, versioned) for path, method, handler, versioned in rows
    ]


#: (path, method, handler, whether the endpoint takes Accept: version=2)
ROUTES: list[Row] = [
    *_under("/v1/connections", _CONNECTION_ROUTES),
    *_under("/v1/connectors", _CONNECTION_ROUTES + _LEGACY_ONLY),
    *_ACCOUNT_ROUTES,
]
