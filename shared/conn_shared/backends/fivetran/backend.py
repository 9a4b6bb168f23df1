"""The Fivetran v1 backend: every connection endpoint as a `Call`, and the lifecycle flows.

    from conn_shared.backends.fivetran import FivetranBackend, FivetranSettings
    from conn_shared.executors import SyncExecutor

    backend = FivetranBackend(FivetranSettings(api_key="key", api_secret="secret"))
    with SyncExecutor(backend.profile()) as executor:
        connection = executor.call(backend.connection_details("id"))

Auth is HTTP Basic with key:secret against `https://api.fivetran.com`. Errors
arrive as `{"code": "NotFound_Connection", "message": ...}` and map onto
`conn_shared.errors` with the vendor code.

Lifecycle mapping (details in `fivetran_state`):

- ensure: identity = (group_id, connection name = the API's `schema` field);
  looked up with GET /v1/connections?group_id=&schema=, created with POST if
  absent. A 409 on create, or a create whose answer was lost (network error,
  5xx, 429), is followed by a new look-up; only a connection that is truly
  absent is created again. Drifted non-secret settings are PATCHed (only the
  drifted fields; masked secrets never count as drift). Config is compared with
  GET details when the list item lacks a key the spec sets (list items may
  leave `config` out).
- verify: POST /v1/connections/{id}/test, then readiness of the answer.
- readiness: ready = setup_state "connected"; failed = "broken" or any setup
  test FAILED / JOB_FAILED (reason: their titles and messages); else pending.
- sync: before-state = succeeded_at, failed_at, sync_state, is_historical_sync
  from GET details; then POST /sync (with `force`). Resync: POST /resync, with
  `scope` {schema: [tables]} for tables. Outcome: succeeded when succeeded_at
  moved past both before-values and the connection is not syncing (a resync
  also needs is_historical_sync false again); failed when failed_at moved past
  them and is the later one; rescheduled when sync_state is "rescheduled"
  (until status.rescheduled_for; a `manual` connection's sync is triggered
  again once that time has passed, as Fivetran expects); running otherwise.
- pause / resume: PATCH paused true / false. delete: DELETE (404 -> False when
  missing_ok).
"""

from datetime import datetime, timezone
from typing import Any, ClassVar

from conn_shared.backends.fivetran.calls import FivetranApi, FivetranSettings
from conn_shared.backends.fivetran.errors import BACKEND, map_fivetran_error
from conn_shared.backends.fivetran.models import Connection, ScheduleType
from conn_shared.backends.fivetran.spec import FivetranConnectionSpec
from conn_shared.backends.fivetran.states import (
    connection_info,
    readiness_of,
    sync_marker,
    sync_outcome_of,
)
from conn_shared.calls import NOW, Flow
from conn_shared.create_once import create_once
from conn_shared.errors import ConflictError, LifecycleError, NotFoundError
from conn_shared.lifecycle import (
    ConnectionInfo,
    EnsureResult,
    Readiness,
    Step,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    SyncState,
    TableRef,
)
from conn_shared.pagination import find_in_pages

__all__ = [
    "FivetranBackend",
    "FivetranConnectionSpec",
    "FivetranSettings",
    "map_fivetran_error",
]


class FivetranBackend(FivetranApi):
    """Fivetran as the lifecycle sees it; also every connection endpoint as a `Call`.

    Build it from `FivetranSettings` or the same fields as keyword arguments
    (`FivetranBackend(api_key=..., api_secret=...)`). It holds no connection
    and does no I/O: run its calls and flows with `SyncExecutor(backend.profile())`
    or `AsyncExecutor(backend.profile())`.
    """

    name: ClassVar[str] = BACKEND
    capabilities: ClassVar[frozenset[Step]] = frozenset(Step)
    #: Creates attempted at most, counting those whose answer was lost.
    max_create_attempts: ClassVar[int] = 3
    #: Page size of ensure's look-up.
    lookup_page_size: ClassVar[int] = 100

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

    def ensure_flow(self, spec: Any, *, update: bool) -> Flow[EnsureResult]:
        """Find the connection `spec` names or create it; PATCH drifted settings if `update`."""
        if not isinstance(spec, FivetranConnectionSpec):
            raise TypeError(f"spec: expected FivetranConnectionSpec, got {type(spec).__name__}")
        name = spec.connection_name
        live = yield from self.find_connection(spec.group_id, name)
        if live is None:
            live, created = yield from self._create(spec)
            if created:
                info = connection_info(live, hide=spec.secret_values())
                return EnsureResult(connection=info, created=True)
        if str(live.service) != spec.service:
            raise ConflictError(
                f"connection {live.id} named {name!r} in group {spec.group_id} is a "
                f"{live.service} connection, not {spec.service}",
                backend=BACKEND,
            )
        if update and any(key not in live.config for key in spec.compared_config_keys()):
            # A list item may leave `config` out (the definition marks it optional and
            # types every value an object); the details answer carries the real values.
            live = yield self.connection_details(live.id)
        patch = spec.drift(live) if update else {}
        if patch:
            live = yield self.modify_connection(live.id, **patch)
        info = connection_info(live, hide=spec.secret_values())
        return EnsureResult(connection=info, created=False, updated=bool(patch))

    def _create(self, spec: FivetranConnectionSpec) -> Flow[tuple[Connection, bool]]:
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
        connection = yield self.connection_details(connection_id)
        return readiness_of(connection)

    # --- syncs -----------------------------------------------------------------------

    def trigger_sync_flow(
        self,
        connection_id: str,
        *,
        kind: SyncKind,
        tables: tuple[TableRef, ...] | None,
        force: bool,
    ) -> Flow[SyncHandle]:
        """Record the before-state, then POST /sync (or /resync, scoped to `tables`).

        A sync of a paused connection raises LifecycleError before the POST.
        """
        if tables and kind is not SyncKind.RESYNC:
            raise ValueError("tables: only a resync can be limited to tables")
        before = yield self.connection_details(connection_id)
        if kind is SyncKind.SYNC and before.paused:
            # Fivetran answers 200 and runs nothing: waiting would only end in a timeout.
            raise LifecycleError(
                f"connection {connection_id} is paused: Fivetran accepts the sync request "
                "but runs nothing until the connection is resumed; resume it first",
                backend=BACKEND,
            )
        requested_at = datetime.fromtimestamp((yield NOW), tz=timezone.utc)
        if kind is SyncKind.SYNC:
            yield self.sync_connection(connection_id, force=force or None)
        else:
            scope: dict[str, list[str]] | None = None
            if tables:
                scope = {}
                for ref in tables:
                    scope.setdefault(ref.schema_name, []).append(ref.table)
            yield self.resync_connection(connection_id, scope=scope)
        return SyncHandle(
            backend=BACKEND,
            connection_id=connection_id,
            kind=kind,
            requested_at=requested_at,
            before=sync_marker(before),
            tables=tables or None,
        )

    def sync_outcome_flow(self, handle: SyncHandle) -> Flow[SyncOutcome]:
        """Read the connection once and compare it with the handle's before-state.

        A rescheduled sync of a `manual` connection does not restart by itself:
        Fivetran expects it to be triggered again once `rescheduled_for` has
        passed, so this flow does that (POST /sync) and reads the connection again.
        """
        connection = yield self.connection_details(handle.connection_id)
        outcome = sync_outcome_of(handle, connection)
        due = outcome.rescheduled_until
        if (
            outcome.state is SyncState.RESCHEDULED
            and connection.schedule_type == ScheduleType.MANUAL
            and due is not None
            and due.timestamp() <= (yield NOW)
        ):
            yield self.sync_connection(handle.connection_id)
            connection = yield self.connection_details(handle.connection_id)
            outcome = sync_outcome_of(handle, connection)
        return outcome

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
        try:
            yield self.delete_connection(connection_id)
        except NotFoundError:
            if missing_ok:
                return False
            raise
        return True
