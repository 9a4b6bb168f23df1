"""The Fivetran v1 backend: every connection endpoint as a `Call`, and the lifecycle flows.

    from conn_shared import FivetranBackend, SyncExecutor

    backend = FivetranBackend(api_key="key", api_secret="secret")
    with SyncExecutor(backend.profile()) as executor:
        connection = executor.call(backend.connection_details("id"))

Auth is HTTP Basic with key:secret against `https://api.fivetran.com`; errors
map onto `conn_shared.errors` with the vendor code (`errors.py`). The endpoints
are in `calls.py` and `schemas.py`, the objects in `models.py`, desired state
and drift in `spec.py`, the state table in `states.py`.

Lifecycle mapping:

- ensure: identity = (group_id, connection name = the API's `schema` field);
  looked up with GET /v1/connections?group_id=&schema=, created with POST if
  absent. A 409 on create, or a create whose answer was lost (network error,
  5xx, 429), is followed by a new look-up; only a connection that is truly
  absent is created again. A connection of another `service` under the name
  raises IdentityConflictError. Drifted non-secret settings are PATCHed (only
  the drifted fields; masked secrets never count as drift; `resend_secrets`
  adds the secret config keys and `auth`). Config is compared with GET details
  when the list item lacks a key the spec sets (list items may leave `config`
  out). The plan (`plan_connection`) makes the same GETs and sends nothing else.
- verify: POST /v1/connections/{id}/test, then readiness of the answer.
- readiness: ready = setup_state "connected"; failed = "broken" or any setup
  test FAILED / JOB_FAILED (reason: their titles and messages); else pending.
- sync: before-state = succeeded_at, failed_at, sync_state, is_historical_sync
  from GET details; then POST /sync (with `force`); a paused connection raises
  ConnectionPausedError before the POST (Fivetran would accept it and run
  nothing). Resync: POST /resync, with `scope` {schema: [tables]} for tables.
  Outcome: succeeded when succeeded_at moved past both before-values and the
  connection is not syncing (a resync also needs is_historical_sync false
  again); failed when failed_at moved past them and is the later one;
  rescheduled when sync_state is "rescheduled" (until status.rescheduled_for; a
  `manual` connection's sync is triggered again once that time has passed, as
  Fivetran expects); running otherwise.
- health: GET details (`states.health_of`). catalog: GET /schemas; a 404
  `NotFound_SchemaConfig` (no schema captured yet: Fivetran captures it with the
  first passing setup tests or sync) gives a catalog without tables.
- pause / resume: PATCH paused true / false. delete: DELETE (404 -> False when
  missing_ok).
- connection_url: `https://fivetran.com/dashboard/connections/{id}` (the form
  Fivetran's dashboard and dagster-fivetran use), or `{ui_base_url}/connections/{id}`.
"""

import base64
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

import httpx

from conn_shared.backends.base import BaseBackend
from conn_shared.backends.ensure import Drift, plan_value
from conn_shared.backends.fivetran.calls import FivetranCalls
from conn_shared.backends.fivetran.errors import map_fivetran_error
from conn_shared.backends.fivetran.models import BACKEND, Connection, ScheduleType
from conn_shared.backends.fivetran.schemas import SchemaAndTrustCalls
from conn_shared.backends.fivetran.settings import DEFAULT_UI_BASE_URL, FivetranSettings
from conn_shared.backends.fivetran.spec import FivetranConnectionSpec
from conn_shared.backends.fivetran.states import (
    connection_info,
    enabled_tables,
    health_of,
    readiness_of,
    readiness_probe,
    sync_marker,
    sync_probe,
    with_columns,
)
from conn_shared.backends.wire import delete_if_present
from conn_shared.calls import NOW, Call, Flow
from conn_shared.create_once import create_once
from conn_shared.errors import ConnectionPausedError, IdentityConflictError, NotFoundError
from conn_shared.http import ErrorMapper
from conn_shared.pagination import find_in_pages
from conn_shared.redaction import REDACTED
from conn_shared.states import (
    ConnectionCatalog,
    ConnectionHealth,
    ConnectionInfo,
    Readiness,
    Step,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    SyncState,
    TableInfo,
    TableRef,
)
from conn_shared.waiting import Probe

__all__ = ["FivetranBackend"]

#: The code of the 404 Fivetran answers for a connection whose schema is not captured yet.
NO_SCHEMA_CONFIG = "NotFound_SchemaConfig"


class FivetranBackend(
    BaseBackend[FivetranSettings, FivetranConnectionSpec, Connection],
    FivetranCalls,
    SchemaAndTrustCalls,
):
    """Fivetran as the lifecycle sees it; also every connection endpoint as a `Call`.

    Build it from `FivetranSettings` or the same fields as keyword arguments
    (`FivetranBackend(api_key=..., api_secret=...)`). It holds no connection
    and does no I/O: run its calls and flows with `SyncExecutor(backend.profile())`
    or `AsyncExecutor(backend.profile())`.
    """

    name: ClassVar[str] = BACKEND
    capabilities: ClassVar[frozenset[Step]] = frozenset(Step)
    settings_class: ClassVar[type[FivetranSettings]] = FivetranSettings
    spec_class: ClassVar[type[FivetranConnectionSpec]] = FivetranConnectionSpec
    #: Creates attempted at most, counting those whose answer was lost.
    max_create_attempts: ClassVar[int] = 3
    #: Page size of ensure's look-up.
    lookup_page_size: ClassVar[int] = 100

    # --- profile hooks ---------------------------------------------------------------

    def auth(self) -> httpx.Auth:
        """HTTP Basic with the API key and secret."""
        return httpx.BasicAuth(
            self.settings.api_key.get_secret_value(), self.settings.api_secret.get_secret_value()
        )

    def error_mapper(self) -> ErrorMapper:
        """`map_fivetran_error`."""
        return map_fivetran_error

    def default_headers(self) -> Mapping[str, str]:
        """None: each call sets the `Accept` version its endpoint is documented with."""
        return {}

    def scrubbed_secrets(self) -> tuple[str, ...]:
        """The key, the secret and their Basic-auth encoding."""
        key = self.settings.api_key.get_secret_value()
        secret = self.settings.api_secret.get_secret_value()
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
        return (key, secret, basic)

    def default_ui_root(self) -> str:
        """Fivetran's dashboard, whatever `base_url` is (see `FivetranSettings`)."""
        return DEFAULT_UI_BASE_URL

    # --- ensure ----------------------------------------------------------------------

    def find_connection(
        self, group_id: str, name: str, *, use_filter: bool = True
    ) -> Flow[Connection | None]:
        """The connection named `name` in `group_id`, or None (a flow of list calls).

        Matches are checked here too, so a server that ignores the `schema`
        filter cannot make us adopt another connection.
        """
        first = self.list_connections(
            group_id=group_id,
            schema=name if use_filter else None,
            limit=self.lookup_page_size,
        )
        found = yield from find_in_pages(
            first, lambda c: c.group_id == group_id and c.schema_name == name
        )
        return found[0] if found else None

    def find_flow(self, spec: FivetranConnectionSpec) -> Flow[Connection | None]:
        """GET /v1/connections?group_id=&schema=: the connection named in the group."""
        return self.find_connection(spec.group_id, spec.connection_name)

    def check_kind(self, spec: FivetranConnectionSpec, live: Connection) -> None:
        """IdentityConflictError when the named connection has another `service`."""
        if str(live.service) != spec.service:
            raise IdentityConflictError(
                f"connection {live.id} named {spec.connection_name!r} in group "
                f"{spec.group_id} is a {live.service} connection, not {spec.service}; "
                "Fivetran cannot change a connection's service: delete it or pick another name",
                connection_id=live.id,
                expected=spec.service,
                found=str(live.service),
                backend=BACKEND,
            )

    def drift_flow(
        self, spec: FivetranConnectionSpec, live: Connection, *, resend_secrets: bool
    ) -> Flow[Drift[Connection]]:
        """The PATCH fields that bring `live` back to `spec` (GET details first if needed)."""
        refreshed: Connection | None = None
        if any(key not in live.config for key in spec.compared_config_keys()):
            # A list item may leave `config` out (the definition marks it optional and
            # types every value an object); the details answer carries the real values.
            refreshed = yield self.connection_details(live.id)
            live = refreshed
        return Drift(
            changes=spec.changes(live, resend_secrets=resend_secrets),
            patch=spec.drift(live, resend_secrets=resend_secrets),
            live=refreshed,
        )

    def planned_settings(self, spec: FivetranConnectionSpec) -> dict[str, Any]:
        """The create's fields; `auth` and secret config values only as `***`."""
        fields = spec.create_fields()
        if fields.get("auth") is not None:
            fields["auth"] = REDACTED
        settings: dict[str, Any] = plan_value(fields)
        return settings

    def create_flow(self, spec: FivetranConnectionSpec) -> Flow[tuple[Connection, bool]]:
        """POST /v1/connections at most `max_create_attempts` times, never a duplicate."""
        name = spec.connection_name
        return create_once(
            self.create_connection(**spec.create_fields()),
            lambda: self.find_connection(spec.group_id, name),
            what=f"fivetran connection {name!r} in group {spec.group_id}",
            attempts=self.max_create_attempts,
            # The `schema` filter's exact semantics are loosely documented: after a
            # 409 list the whole group rather than trust it.
            find_after_conflict=lambda: self.find_connection(spec.group_id, name, use_filter=False),
        )

    def update_call(self, live: Connection, patch: Mapping[str, Any]) -> Call[Connection]:
        """PATCH /v1/connections/{id} with the drifted fields."""
        return self.modify_connection(live.id, **patch)

    def info_of(
        self, live: Connection, spec: FivetranConnectionSpec | None = None
    ) -> ConnectionInfo:
        """The neutral view; the spec's secrets are scrubbed from `raw` too."""
        return connection_info(live, hide=spec.secret_values() if spec else ())

    # --- readiness -------------------------------------------------------------------

    def verify_flow(
        self,
        connection_id: str,
        *,
        trust_certificates: bool | None = None,
        trust_fingerprints: bool | None = None,
    ) -> Flow[Readiness]:
        """Run the setup tests (POST /test) and map the answer onto `Readiness`."""
        tested = yield self.run_setup_tests(
            connection_id,
            trust_certificates=trust_certificates,
            trust_fingerprints=trust_fingerprints,
        )
        return readiness_of(tested)

    def readiness_flow(self, connection_id: str) -> Flow[Readiness]:
        """Read the connection once and map its setup state onto `Readiness`."""
        probe = yield from self.readiness_probe_flow(connection_id)
        return probe.build()

    def readiness_probe_flow(
        self, connection_id: str, *, max_age: float | None = None
    ) -> Flow[Probe[Readiness]]:
        """A wait's poll of readiness: only the state is parsed (`connection_reading`).

        With `max_age` (seconds) a listing of the account shared with concurrent
        polls, asked for at most that long ago, may answer it.
        """
        reading = yield self.connection_reading(connection_id, max_age=max_age)
        return readiness_probe(reading)

    def health_flow(self, connection_id: str) -> Flow[ConnectionHealth]:
        """GET details: readiness, `paused`, `succeeded_at` and `failed_at`."""
        connection = yield self.connection_details(connection_id)
        return health_of(connection)

    def catalog_flow(self, connection_id: str, *, columns: bool = True) -> Flow[ConnectionCatalog]:
        """GET /schemas: the enabled tables; none yet while the schema is not captured.

        With `columns`, a table the tree lists without columns costs one more GET
        (.../tables/{table}/columns); without, its columns stay empty.
        A 404 NotFound_SchemaConfig gives a catalog without tables.
        """
        try:
            config = yield self.connection_schemas(connection_id)
        except NotFoundError as exc:
            if exc.code != NO_SCHEMA_CONFIG:
                raise
            return ConnectionCatalog(
                backend=BACKEND,
                connection_id=connection_id,
                reason="no schema config yet: Fivetran captures it when the setup tests "
                "first pass or the first sync runs",
            )
        tables: list[TableInfo] = []
        for schema, table, listed in enabled_tables(config):
            if listed.columns or not columns:
                tables.append(listed)
            else:
                read = yield self.table_columns(connection_id, schema, table)
                tables.append(with_columns(listed, read))
        return ConnectionCatalog(backend=BACKEND, connection_id=connection_id, tables=tuple(tables))

    # --- syncs -----------------------------------------------------------------------

    def prepare_sync_flow(
        self, connection_id: str, *, kind: SyncKind, tables: tuple[TableRef, ...] | None
    ) -> Flow[SyncHandle]:
        """GET the connection and record its before-state; sends no write.

        A sync of a paused connection raises ConnectionPausedError: Fivetran would
        accept the request and run nothing. (A resync of a paused connection is
        accepted: Fivetran schedules it for when the connection is resumed.)
        """
        if tables and kind is not SyncKind.RESYNC:
            raise ValueError("tables: only a resync can be limited to tables")
        before = yield self.connection_details(connection_id)
        if kind is SyncKind.SYNC and before.paused:
            raise ConnectionPausedError(
                f"connection {connection_id} is paused: Fivetran accepts the sync request "
                "but runs nothing until the connection is resumed; resume it first",
                connection_id=connection_id,
                backend=BACKEND,
            )
        requested_at = datetime.fromtimestamp((yield NOW), tz=timezone.utc)
        return SyncHandle(
            backend=BACKEND,
            connection_id=connection_id,
            kind=kind,
            requested_at=requested_at,
            before=sync_marker(before),
            tables=tables or None,
        )

    def request_sync_flow(self, handle: SyncHandle, *, force: bool) -> Flow[None]:
        """POST /sync (with `force`), or /resync scoped to the handle's tables."""
        if handle.kind is SyncKind.SYNC:
            yield self.sync_connection(handle.connection_id, force=force or None)
            return
        scope: dict[str, list[str]] | None = None
        if handle.tables:
            scope = {}
            for ref in handle.tables:
                scope.setdefault(ref.schema_name, []).append(ref.table)
        yield self.resync_connection(handle.connection_id, scope=scope)

    def sync_outcome_flow(self, handle: SyncHandle) -> Flow[SyncOutcome]:
        """Read the connection once and compare it with the handle's before-state.

        A rescheduled sync of a `manual` connection does not restart by itself:
        Fivetran expects it to be triggered again once `rescheduled_for` has
        passed, so this flow does that (POST /sync) and reads the connection again.
        """
        probe = yield from self.sync_probe_flow(handle)
        return probe.build()

    def sync_probe_flow(
        self, handle: SyncHandle, *, max_age: float | None = None
    ) -> Flow[Probe[SyncOutcome]]:
        """A wait's poll of `sync_outcome_flow`: only the state is parsed.

        With `max_age` (seconds) a listing of the connection's group shared with
        concurrent polls, asked for at most that long ago, may answer it; the
        read after a re-trigger is always the connection's own.
        """
        connection_id = handle.connection_id
        group = handle.before.get("group_id")
        reading = yield self.connection_reading(
            connection_id, group_id=group if isinstance(group, str) else None, max_age=max_age
        )
        probe = sync_probe(handle, reading)
        due = probe.resume_at
        if (
            probe.state == SyncState.RESCHEDULED.value
            and reading.view.schedule_type == ScheduleType.MANUAL
            and due is not None
            and due <= (yield NOW)
        ):
            yield self.sync_connection(connection_id)
            reading = yield self.connection_reading(connection_id)
            probe = sync_probe(handle, reading)
        return probe

    # --- pause, resume, delete -------------------------------------------------------

    def pause_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """PATCH paused=true."""
        connection = yield self.modify_connection(connection_id, paused=True)
        return connection_info(connection)

    def resume_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """PATCH paused=false."""
        connection = yield self.modify_connection(connection_id, paused=False)
        return connection_info(connection)

    def delete_flow(self, connection_id: str, *, missing_ok: bool) -> Flow[bool]:
        """DELETE the connection; a 404 gives False when `missing_ok`, else NotFoundError."""
        return delete_if_present(self.delete_connection(connection_id), missing_ok=missing_ok)
