"""Fivetran v1 connection endpoints as `Call`s, and the wire format they share.

One method per endpoint, with every documented request field and query
parameter; nothing here sends a request. Endpoints the definition marks
`Accept: application/json;version=2` get that header, the others
`application/json`. Schema-config, certificate and fingerprint endpoints live
in `schemas.py`; both are mixed into `FivetranBackend`.

Wire format: every answer is the envelope `{"code", "message", "data"}`
(`envelope`, `data_of`, `action_of` parse it); request bodies leave out None
fields and reveal `SecretStr` values (`body_of`). Input that cannot succeed (an
empty id, `limit` outside 1..1000, a sync frequency Fivetran does not offer)
raises `ValueError` naming the field before any request.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from conn_shared.backends.fivetran.models import (
    LIST_PLACEHOLDERS,
    PERSISTENT_PATCH_FIELDS,
    ActionResult,
    ConnectCardConfig,
    ConnectCardResult,
    Connection,
    ConnectionState,
    ConnectionView,
)
from conn_shared.backends.fivetran.spec import check_schedule
from conn_shared.backends.wire import check_limit, path_id, reveal
from conn_shared.calls import Call
from conn_shared.coalesce import Coalesce, Reading
from conn_shared.pagination import Page, parse_items

__all__ = [
    "ACCEPT_V1",
    "ACCEPT_V2",
    "FivetranCalls",
    "action_of",
    "body_of",
    "data_of",
    "envelope",
    "table_scope",
]

M = TypeVar("M", bound=BaseModel)

ACCEPT_V2 = "application/json;version=2"
#: Page size of listings shared by waits: a 1,000-item page takes some 20 ms to decode,
#: all in one go on the event loop, a quarter of it leaves room between pages.
SHARED_PAGE = 250
ACCEPT_V1 = "application/json"


def envelope(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object; ValueError (an unexpected response) for anything else."""
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object, got {type(body).__name__}")
    return body


def data_of(model: type[M]) -> Callable[[httpx.Response], M]:
    """A parser that validates the envelope's `data` as `model`."""

    def parse(response: httpx.Response) -> M:
        body = envelope(response)
        # One documented answer (fingerprint approval, 201) is the object without envelope.
        data = body.get("data", body)
        return model.model_validate(data)

    return parse


def action_of(response: httpx.Response) -> ActionResult:
    """Parse the `{code, message}` answer of an action."""
    return ActionResult.model_validate(envelope(response))


def table_scope(field: str, tables: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """`{schema: [table, ...]}` checked non-empty, with duplicate table names dropped."""
    if not tables:
        raise ValueError(f"{field}: must name at least one schema")
    scope: dict[str, list[str]] = {}
    for schema, names in tables.items():
        if isinstance(names, str):
            raise ValueError(f"{field}[{schema!r}]: must be a list of table names, not a string")
        unique = list(dict.fromkeys(names))  # the API declares the table list uniqueItems
        if not schema or not unique or not all(unique):
            raise ValueError(f"{field}[{schema!r}]: needs a schema name and non-empty table names")
        scope[schema] = unique
    return scope


def _row_reading(row: Mapping[str, Any], asked_at: float) -> Reading[ConnectionView]:
    return Reading(ConnectionView.model_validate(row), row, asked_at)


def body_of(**fields: Any) -> dict[str, Any]:
    """A JSON body of the fields that are not None, with `SecretStr` values revealed."""
    return {k: reveal(v) for k, v in fields.items() if v is not None}


class FivetranCalls:
    """The connection endpoints of the Fivetran REST API, one method per endpoint.

    Mixed into `FivetranBackend`: methods return `Call`s; run them with
    `SyncExecutor(backend.profile())` or the async twin. Nothing here sends a request.
    """

    # --- connections -----------------------------------------------------------------

    def list_connections(
        self,
        *,
        group_id: str | None = None,
        schema: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Call[Page[Connection]]:
        """GET /v1/connections: one page; `Page.next` fetches the following one.

        `schema` matches the connection's name exactly (no partial matches).
        """
        params = {
            "group_id": group_id,
            "schema": schema,
            "cursor": cursor,
            "limit": check_limit(limit),
        }

        def parse(response: httpx.Response) -> Page[Connection]:
            data = envelope(response).get("data")
            if not isinstance(data, dict) or not isinstance(data.get("items") or [], list):
                raise ValueError("expected data.items to be a list of connections")
            items, problems = parse_items(
                Connection,
                data.get("items") or [],
                placeholders=LIST_PLACEHOLDERS,
                what="fivetran connection list",
            )
            nxt = data.get("next_cursor")
            follow = (
                self.list_connections(group_id=group_id, schema=schema, cursor=nxt, limit=limit)
                if isinstance(nxt, str) and nxt
                else None
            )
            return Page(items=items, next=follow, problems=problems)

        return Call(
            operation="fivetran.list_connections",
            method="GET",
            path="/v1/connections",
            parse=parse,
            params=params,
            headers={"Accept": ACCEPT_V2},
        )

    def connection_rows(
        self,
        *,
        group_id: str | None = None,
        cursor: str | None = None,
        limit: int | None = 1000,
    ) -> Call[Page[Mapping[str, Any]]]:
        """GET /v1/connections (or the group's): one page of the connections as received.

        The cheap listing: each item is the vendor's object as parsed JSON, not
        validated and not redacted (never show it as is); `Page.next` fetches the
        following page. Items that are not JSON objects are skipped.
        """
        params = {"group_id": group_id, "cursor": cursor, "limit": check_limit(limit)}

        def parse(response: httpx.Response) -> Page[Mapping[str, Any]]:
            data = envelope(response).get("data")
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise ValueError("expected data.items to be a list of connections")
            nxt = data.get("next_cursor") if isinstance(data, dict) else None
            follow = (
                self.connection_rows(group_id=group_id, cursor=nxt, limit=limit)
                if isinstance(nxt, str) and nxt
                else None
            )
            return Page(items=[item for item in items if isinstance(item, dict)], next=follow)

        return Call(
            operation="fivetran.connection_rows",
            method="GET",
            path="/v1/connections",
            parse=parse,
            params=params,
            headers={"Accept": ACCEPT_V2},
        )

    def connection_reading(
        self,
        connection_id: str,
        *,
        group_id: str | None = None,
        max_age: float | None = None,
    ) -> Call[Reading[ConnectionView]]:
        """GET /v1/connections/{id}, parsing only the state (`ConnectionView`).

        With `max_age` (seconds) the read may be answered by a listing of the
        account (of `group_id`, when given) shared with concurrent reads, asked
        for at most that long ago (see `conn_shared.coalesce`); the reading then
        has the listing's form of the object, without `config`.
        """
        path = f"/v1/connections/{path_id('connection_id', connection_id)}"

        def parse(response: httpx.Response) -> Reading[ConnectionView]:
            body = envelope(response)
            data = body.get("data", body)
            if not isinstance(data, dict):
                raise ValueError("expected data to be a connection object")
            return Reading(ConnectionView.model_validate(data), data)

        coalesce = None
        if max_age is not None:
            coalesce = Coalesce(
                key=("fivetran.connections", group_id),
                item_id=connection_id,
                listing=lambda ids: self.connection_rows(group_id=group_id, limit=SHARED_PAGE),
                answer=_row_reading,
                max_age=max_age,
            )
        return Call(
            operation="fivetran.connection_reading",
            method="GET",
            path=path,
            parse=parse,
            headers={"Accept": ACCEPT_V2},
            coalesce=coalesce,
        )

    def connection_details(self, connection_id: str) -> Call[Connection]:
        """GET /v1/connections/{id}: configuration, status and setup-test results."""
        return Call(
            operation="fivetran.connection_details",
            method="GET",
            path=f"/v1/connections/{path_id('connection_id', connection_id)}",
            parse=data_of(Connection),
            headers={"Accept": ACCEPT_V2},
        )

    def create_connection(
        self,
        *,
        group_id: str,
        service: str,
        config: Mapping[str, Any] | None = None,
        auth: Mapping[str, Any] | None = None,
        run_setup_tests: bool | None = None,
        trust_certificates: bool | None = None,
        trust_fingerprints: bool | None = None,
        paused: bool | None = None,
        pause_after_trial: bool | None = None,
        sync_frequency: int | None = None,
        data_delay_sensitivity: str | None = None,
        data_delay_threshold: int | None = None,
        daily_sync_time: str | None = None,
        schedule_type: str | None = None,
        connect_card_config: ConnectCardConfig | Mapping[str, Any] | None = None,
        proxy_agent_id: str | None = None,
        private_link_id: str | None = None,
        networking_method: str | None = None,
        hybrid_deployment_agent_id: str | None = None,
        destination_configuration: Mapping[str, Any] | None = None,
        destination_schema_names: str | None = None,
        external_secrets_manager_id: str | None = None,
        external_secrets_keys_config: Mapping[str, str] | None = None,
    ) -> Call[Connection]:
        """POST /v1/connections. Not idempotent: the transport never resends it.

        `config` carries the destination schema name (`schema`, `schema` + `table`
        or `schema_prefix`, by service); values may be `SecretStr`.
        """
        path_id("group_id", group_id)
        path_id("service", service)
        check_schedule(sync_frequency, daily_sync_time)
        body = body_of(
            group_id=group_id,
            service=service,
            config=config,
            auth=auth,
            run_setup_tests=run_setup_tests,
            trust_certificates=trust_certificates,
            trust_fingerprints=trust_fingerprints,
            paused=paused,
            pause_after_trial=pause_after_trial,
            sync_frequency=sync_frequency,
            data_delay_sensitivity=data_delay_sensitivity,
            data_delay_threshold=data_delay_threshold,
            daily_sync_time=daily_sync_time,
            schedule_type=schedule_type,
            connect_card_config=connect_card_config,
            proxy_agent_id=proxy_agent_id,
            private_link_id=private_link_id,
            networking_method=networking_method,
            hybrid_deployment_agent_id=hybrid_deployment_agent_id,
            destination_configuration=destination_configuration,
            destination_schema_names=destination_schema_names,
            external_secrets_manager_id=external_secrets_manager_id,
            external_secrets_keys_config=external_secrets_keys_config,
        )
        return Call(
            operation="fivetran.create_connection",
            method="POST",
            path="/v1/connections",
            parse=data_of(Connection),
            json=body,
            headers={"Accept": ACCEPT_V2},
        )

    def modify_connection(
        self,
        connection_id: str,
        *,
        config: Mapping[str, Any] | None = None,
        auth: Mapping[str, Any] | None = None,
        paused: bool | None = None,
        is_historical_sync: bool | None = None,
        run_setup_tests: bool | None = None,
        trust_certificates: bool | None = None,
        trust_fingerprints: bool | None = None,
        sync_frequency: int | None = None,
        schedule_type: str | None = None,
        daily_sync_time: str | None = None,
        pause_after_trial: bool | None = None,
        data_delay_sensitivity: str | None = None,
        data_delay_threshold: int | None = None,
        schema_status: str | None = None,
        networking_method: str | None = None,
        hybrid_deployment_agent_id: str | None = None,
        proxy_agent_id: str | None = None,
        private_link_id: str | None = None,
        destination_configuration: Mapping[str, Any] | None = None,
        external_secrets_manager_id: str | None = None,
        external_secrets_keys_config: Mapping[str, str] | None = None,
    ) -> Call[Connection]:
        """PATCH /v1/connections/{id}: change only the fields given.

        Fivetran requires at least one persistent field; `run_setup_tests` and the
        trust flags only steer the setup tests of this update, and the trust flags
        need `run_setup_tests=True`. Retried like a GET, except when it starts a
        historical sync (`is_historical_sync=True` restarts a running one).
        """
        path = f"/v1/connections/{path_id('connection_id', connection_id)}"
        check_schedule(sync_frequency, daily_sync_time)
        body = body_of(
            config=config,
            auth=auth,
            paused=paused,
            is_historical_sync=is_historical_sync,
            run_setup_tests=run_setup_tests,
            trust_certificates=trust_certificates,
            trust_fingerprints=trust_fingerprints,
            sync_frequency=sync_frequency,
            schedule_type=schedule_type,
            daily_sync_time=daily_sync_time,
            pause_after_trial=pause_after_trial,
            data_delay_sensitivity=data_delay_sensitivity,
            data_delay_threshold=data_delay_threshold,
            schema_status=schema_status,
            networking_method=networking_method,
            hybrid_deployment_agent_id=hybrid_deployment_agent_id,
            proxy_agent_id=proxy_agent_id,
            private_link_id=private_link_id,
            destination_configuration=destination_configuration,
            external_secrets_manager_id=external_secrets_manager_id,
            external_secrets_keys_config=external_secrets_keys_config,
        )
        if not PERSISTENT_PATCH_FIELDS & body.keys():
            raise ValueError(
                "modify_connection: give at least one persistent field "
                f"({', '.join(sorted(PERSISTENT_PATCH_FIELDS))}); to only run setup tests "
                "use run_setup_tests()"
            )
        if (trust_certificates or trust_fingerprints) and run_setup_tests is not True:
            raise ValueError(
                "trust_certificates / trust_fingerprints: need run_setup_tests=True on update"
            )
        return Call(
            operation="fivetran.modify_connection",
            method="PATCH",
            path=path,
            parse=data_of(Connection),
            json=body,
            headers={"Accept": ACCEPT_V2},
            idempotent=is_historical_sync is not True,
        )

    def delete_connection(self, connection_id: str) -> Call[ActionResult]:
        """DELETE /v1/connections/{id}; a missing connection raises NotFoundError."""
        return Call(
            operation="fivetran.delete_connection",
            method="DELETE",
            path=f"/v1/connections/{path_id('connection_id', connection_id)}",
            parse=action_of,
            headers={"Accept": ACCEPT_V2},
        )

    def run_setup_tests(
        self,
        connection_id: str,
        *,
        trust_certificates: bool | None = None,
        trust_fingerprints: bool | None = None,
    ) -> Call[Connection]:
        """POST /v1/connections/{id}/test: run the setup tests, answer with the connection.

        The body is always sent (`{}` at least): the API refuses a missing one.
        Running tests twice is harmless, so a lost answer is retried.
        """
        return Call(
            operation="fivetran.run_setup_tests",
            method="POST",
            path=f"/v1/connections/{path_id('connection_id', connection_id)}/test",
            parse=data_of(Connection),
            json=body_of(
                trust_certificates=trust_certificates, trust_fingerprints=trust_fingerprints
            ),
            headers={"Accept": ACCEPT_V2},
            idempotent=True,
        )

    def sync_connection(
        self, connection_id: str, *, force: bool | None = None
    ) -> Call[ActionResult]:
        """POST /v1/connections/{id}/sync; `force` stops a running sync and starts over.

        Without `force` a second trigger does nothing while a sync runs, so the
        transport may resend it; with `force` it may not.
        """
        return Call(
            operation="fivetran.sync_connection",
            method="POST",
            path=f"/v1/connections/{path_id('connection_id', connection_id)}/sync",
            parse=action_of,
            json=body_of(force=force),
            headers={"Accept": ACCEPT_V2},
            idempotent=not force,
        )

    def resync_connection(
        self, connection_id: str, *, scope: Mapping[str, Sequence[str]] | None = None
    ) -> Call[ActionResult]:
        """POST /v1/connections/{id}/resync: a historical sync of everything, or of `scope`.

        `scope` maps schema names to non-empty lists of table names (table-level
        resync is supported by database-style connectors only; others answer 400).
        A 409 means a running sync could not be completed first.
        """
        path = f"/v1/connections/{path_id('connection_id', connection_id)}/resync"
        body = {} if scope is None else {"scope": table_scope("scope", scope)}
        return Call(
            operation="fivetran.resync_connection",
            method="POST",
            path=path,
            parse=action_of,
            json=body,
            headers={"Accept": ACCEPT_V2},
        )

    def connect_card(
        self,
        connection_id: str,
        *,
        redirect_uri: str,
        hide_setup_guide: bool | None = None,
        all_fields: bool | None = None,
    ) -> Call[ConnectCardResult]:
        """POST /v1/connections/{id}/connect-card: a URI where a user finishes the setup."""
        path = f"/v1/connections/{path_id('connection_id', connection_id)}/connect-card"
        if not redirect_uri.startswith(("https://", "http://")):
            raise ValueError(
                f"redirect_uri: must start with https:// or http://, got {redirect_uri!r}"
            )
        card = body_of(
            redirect_uri=redirect_uri, hide_setup_guide=hide_setup_guide, all_fields=all_fields
        )
        return Call(
            operation="fivetran.connect_card",
            method="POST",
            path=path,
            parse=data_of(ConnectCardResult),
            json={"connect_card_config": card},
            headers={"Accept": ACCEPT_V2},
            idempotent=True,
        )

    def connection_state(self, connection_id: str) -> Call[ConnectionState]:
        """GET /v1/connections/{id}/state (Function and Connector SDK connections only)."""
        return Call(
            operation="fivetran.connection_state",
            method="GET",
            path=f"/v1/connections/{path_id('connection_id', connection_id)}/state",
            parse=data_of(ConnectionState),
            headers={"Accept": ACCEPT_V2},
        )

    def modify_connection_state(
        self, connection_id: str, state: Mapping[str, Any]
    ) -> Call[ConnectionState]:
        """PATCH /v1/connections/{id}/state; Fivetran wants the connection paused first."""
        return Call(
            operation="fivetran.modify_connection_state",
            method="PATCH",
            path=f"/v1/connections/{path_id('connection_id', connection_id)}/state",
            parse=data_of(ConnectionState),
            json={"state": dict(state)},
            headers={"Accept": ACCEPT_V2},
            idempotent=True,
        )
