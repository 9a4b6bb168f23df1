"""The connections hub backend: a self-hosted, FastAPI-style `{base}/api/v1` API.

    from conn_shared import HubBackend, HubConnectionSpec, SyncExecutor, ensure_connection

    backend = HubBackend(base_url="https://hub.example.com", token=SecretStr("..."))
    with SyncExecutor(backend.profile()) as executor:
        ensured = executor.run(ensure_connection(backend, HubConnectionSpec(...)))
        executor.run(wait_until_ready(backend, ensured.connection.connection_id))

Auth is `Authorization: Bearer <token>`. The connection endpoints are in
`calls.py`, files and schema browsing in `browse.py`, the objects in
`models.py`, desired state and drift in `spec.py`, the error mapping in
`errors.py` and the status table in `states.py`.

Lifecycle mapping
-----------------
- ensure: identity = the spec's slug when given (`GET /connections/slug/{slug}`,
  404 = absent), otherwise an exact name match with the same provider, found by
  paging `GET /connections?search=<name>`; two or more matches are an error that
  names them. A connection under the identity with another provider raises
  IdentityConflictError. Decisions the hub's document leaves open:
  - a slug lookup that answers 404 is followed by a name + provider search; a hit
    under another slug raises instead of creating, because a hub that ignores the
    requested slug would otherwise get a new duplicate on every run;
  - a created connection whose slug is not the requested one raises (naming its
    id and slug) for the same reason;
  - a create that fails ambiguously (network error, 5xx, 429, unreadable success
    body) is looked up again and re-sent only when truly absent, at most once.
  Drift (`spec.py`): name, visibility, config key by key, and credentials the
  hub reports unconfigured (`GET .../edit-settings`); PATCHed in one request.
  `resend_secrets` sends every credential again without asking edit-settings.
- readiness: "verified" -> ready; "error" -> failed; "disabled" -> paused;
  "needs_verification", "verifying" and unknown statuses -> pending (`states.py`).
- verify: POST /verify, then the readiness of the returned connection.
- pause: POST /disable; resume: POST /reactivate; ConnectionInfo.paused is
  status == "disabled".
- delete: DELETE; a 404 returns False when missing_ok.
- health: GET the connection (`states.health_of`). catalog: GET schema/tables,
  then GET schema/columns per table; a provider without schema browsing (400)
  or a disabled connection (409) gives a catalog without tables, saying why.
- sync: not supported: the hub has no sync, resync or sync-status endpoint, so
  SYNC, RESYNC, RESYNC_TABLES and SYNC_OUTCOME are absent from capabilities.
- connection_url: `{base}/connections/{id}` (the hub's own server, without
  `/api/v1`), or `{ui_base_url}/connections/{id}`.
"""

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import httpx

from conn_shared.backends.base import BaseBackend
from conn_shared.backends.ensure import Drift, plan_value
from conn_shared.backends.hub.browse import ColumnList, HubBrowseCalls, TableList
from conn_shared.backends.hub.calls import HubCalls
from conn_shared.backends.hub.errors import map_hub_error
from conn_shared.backends.hub.models import BACKEND, EditSettings, HubConnection
from conn_shared.backends.hub.settings import HubSettings, api_root, site_root
from conn_shared.backends.hub.spec import HubConnectionSpec
from conn_shared.backends.hub.states import (
    connection_info,
    health_of,
    readiness_of,
    readiness_probe,
    table_info,
)
from conn_shared.backends.wire import BearerAuth, delete_if_present
from conn_shared.calls import Call, Flow
from conn_shared.create_once import create_once
from conn_shared.errors import (
    ConflictError,
    IdentityConflictError,
    InvalidRequestError,
    LifecycleError,
    NotFoundError,
)
from conn_shared.http import ErrorMapper
from conn_shared.pagination import find_in_pages
from conn_shared.redaction import REDACTED
from conn_shared.states import (
    ConnectionCatalog,
    ConnectionHealth,
    ConnectionInfo,
    Readiness,
    Step,
    TableInfo,
)
from conn_shared.waiting import Probe

__all__ = ["HubBackend"]

SEARCH_PAGE_SIZE = 100
CREATE_ATTEMPTS = 2


def _describe(connections: list[HubConnection]) -> str:
    return ", ".join(f"{c.id} (slug {c.slug!r})" for c in connections)


def _same_name(spec: HubConnectionSpec) -> Callable[[HubConnection], bool]:
    def matches(connection: HubConnection) -> bool:
        return connection.name == spec.name and connection.provider == spec.provider

    return matches


class HubBackend(
    BaseBackend[HubSettings, HubConnectionSpec, HubConnection],
    HubCalls,
    HubBrowseCalls,
):
    """One hub account; builds calls and flows, does no I/O itself.

    Pass `HubSettings` or its fields as keyword arguments
    (`HubBackend(base_url=..., token=SecretStr(...))`).
    """

    name: ClassVar[str] = BACKEND
    capabilities: ClassVar[frozenset[Step]] = frozenset(
        {Step.ENSURE, Step.VERIFY, Step.READINESS, Step.PAUSE, Step.RESUME, Step.DELETE}
    )
    settings_class: ClassVar[type[HubSettings]] = HubSettings
    spec_class: ClassVar[type[HubConnectionSpec]] = HubConnectionSpec

    # --- profile hooks ---------------------------------------------------------------

    def api_root(self) -> str:
        """`{base}/api/v1` (ValueError for an empty base URL: the hub has no default)."""
        return api_root(self.settings.base_url)

    def auth(self) -> httpx.Auth:
        """Bearer auth with the token."""
        return BearerAuth(self.settings.token)

    def error_mapper(self) -> ErrorMapper:
        """`map_hub_error`."""
        return map_hub_error

    def scrubbed_secrets(self) -> tuple[str, ...]:
        """The token."""
        return (self.settings.token.get_secret_value(),)

    def default_ui_root(self) -> str:
        """The hub's own server, `{base}` (`base_url` without `/api/v1`)."""
        return site_root(self.settings.base_url)

    # --- ensure ----------------------------------------------------------------------

    def _by_slug(self, slug: str) -> Flow[HubConnection | None]:
        try:
            connection: HubConnection = yield self.get_connection_by_slug(slug)
        except NotFoundError:
            return None
        return connection

    def find_flow(self, spec: HubConnectionSpec) -> Flow[HubConnection | None]:
        """The connection `spec` identifies (by slug, else name + provider), or None."""
        if spec.slug is not None:
            connection = yield from self._by_slug(spec.slug)
            if connection is not None:
                return connection
        first = self.list_connections(search=spec.name, limit=SEARCH_PAGE_SIZE)
        matches: list[HubConnection] = yield from find_in_pages(first, _same_name(spec))
        if spec.slug is not None and matches:
            raise LifecycleError(
                f"no connection has slug {spec.slug!r}, but {spec.name!r} ({spec.provider}) "
                f"exists as {_describe(matches)}; use its slug in the spec or rename one",
                connection_id=matches[0].id if len(matches) == 1 else None,
                backend=BACKEND,
            )
        if len(matches) > 1:
            raise LifecycleError(
                f"{len(matches)} connections are named {spec.name!r} with provider "
                f"{str(spec.provider)!r}: {_describe(matches)}; give the spec a slug",
                backend=BACKEND,
            )
        return matches[0] if matches else None

    def check_kind(self, spec: HubConnectionSpec, live: HubConnection) -> None:
        """IdentityConflictError when the connection has another provider."""
        if live.provider != spec.provider:
            which = f"slug {spec.slug!r}" if spec.slug is not None else f"name {spec.name!r}"
            raise IdentityConflictError(
                f"{which} is connection {live.id} with provider "
                f"{str(live.provider)!r}, not {str(spec.provider)!r}",
                connection_id=live.id,
                expected=str(spec.provider),
                found=str(live.provider),
                backend=BACKEND,
            )

    def drift_flow(
        self, spec: HubConnectionSpec, live: HubConnection, *, resend_secrets: bool
    ) -> Flow[Drift[HubConnection]]:
        """Name, visibility, config and credentials to PATCH (GET edit-settings when needed)."""
        settings: EditSettings | None = None
        if spec.credentials and not resend_secrets:
            settings = yield self.get_edit_settings(live.id)
        return spec.drift(live, edit_settings=settings, resend_secrets=resend_secrets)

    def planned_settings(self, spec: HubConnectionSpec) -> dict[str, Any]:
        """The create body: name, provider, slug, visibility, config, credentials as `***`."""
        body: dict[str, Any] = {"name": spec.name, "provider": str(spec.provider)}
        if spec.slug is not None:
            body["slug"] = spec.slug
        if spec.visibility is not None:
            body["visibility"] = str(spec.visibility)
        body["config"] = plan_value(spec.config)
        if spec.credentials:
            body["credentials"] = dict.fromkeys(spec.credentials, REDACTED)
        return body

    def create_flow(self, spec: HubConnectionSpec) -> Flow[tuple[HubConnection, bool]]:
        """(connection, created by us) without ever a duplicate; insist on the requested slug."""
        call = self.create_connection(
            name=spec.name,
            provider=spec.provider,
            visibility=spec.visibility,
            credentials=spec.credentials,
            config=spec.config,
            slug=spec.slug,
        )
        created, by_us = yield from create_once(
            call,
            lambda: self.find_flow(spec),
            what=f"hub connection {spec.name!r}",
            attempts=CREATE_ATTEMPTS,
        )
        if by_us and spec.slug is not None and created.slug != spec.slug:
            raise LifecycleError(
                f"created connection {created.id} got slug {created.slug!r}, not "
                f"{spec.slug!r}: this hub does not take the requested slug; "
                f"put {created.slug!r} in the spec or leave the slug out",
                connection_id=created.id,
                backend=BACKEND,
            )
        return created, by_us

    def update_call(self, live: HubConnection, patch: Mapping[str, Any]) -> Call[HubConnection]:
        """PATCH /connections/{id} with the drifted fields."""
        return self.update_connection(live.id, **patch)

    def info_of(self, live: HubConnection, spec: HubConnectionSpec | None = None) -> ConnectionInfo:
        """The neutral view; the spec's credentials are scrubbed from `raw` too."""
        return connection_info(live, hide=spec.secret_values() if spec else ())

    # --- readiness, pause, resume, delete --------------------------------------------

    def verify_flow(self, connection_id: str) -> Flow[Readiness]:
        """POST /verify, then map the returned status."""
        connection: HubConnection = yield self.verify_connection(connection_id)
        return readiness_of(connection)

    def readiness_flow(self, connection_id: str) -> Flow[Readiness]:
        """GET the connection and map its status."""
        probe = yield from self.readiness_probe_flow(connection_id)
        return probe.build()

    def readiness_probe_flow(
        self, connection_id: str, *, max_age: float | None = None
    ) -> Flow[Probe[Readiness]]:
        """A wait's poll of readiness: only the status is parsed (`connection_reading`).

        With `max_age` (seconds) a listing of the hub's connections shared with
        concurrent polls, asked for at most that long ago, may answer it.
        """
        reading = yield self.connection_reading(connection_id, max_age=max_age)
        return readiness_probe(reading)

    def health_flow(self, connection_id: str) -> Flow[ConnectionHealth]:
        """GET the connection: readiness and whether it is disabled."""
        connection: HubConnection = yield self.get_connection(connection_id)
        return health_of(connection)

    def catalog_flow(self, connection_id: str, *, columns: bool = True) -> Flow[ConnectionCatalog]:
        """GET schema/tables, then, with `columns`, each table's columns (one GET each)."""
        try:
            listed: TableList = yield self.list_tables(connection_id)
        except (InvalidRequestError, ConflictError) as exc:
            # 400: the provider has no schema browsing; 409: the connection is disabled.
            return ConnectionCatalog(
                backend=BACKEND, connection_id=connection_id, reason=exc.message
            )
        tables: list[TableInfo] = []
        for table in listed.tables:
            found: ColumnList = ColumnList()
            if columns:
                found = yield self.list_columns(
                    connection_id, schema=table.schema_name, table=table.table
                )
            tables.append(table_info(table, found.columns))
        return ConnectionCatalog(backend=BACKEND, connection_id=connection_id, tables=tuple(tables))

    def pause_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """POST /disable."""
        connection: HubConnection = yield self.disable_connection(connection_id)
        return connection_info(connection)

    def resume_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """POST /reactivate."""
        connection: HubConnection = yield self.reactivate_connection(connection_id)
        return connection_info(connection)

    def delete_flow(self, connection_id: str, *, missing_ok: bool) -> Flow[bool]:
        """DELETE; a 404 gives False when `missing_ok`, NotFoundError otherwise."""
        return delete_if_present(self.delete_connection(connection_id), missing_ok=missing_ok)
