"""Faraday v1 (`https://api.faraday.ai/v1`): connection calls and the lifecycle mapping.

    from conn_shared import FaradayBackend, FaradayConnectionSpec, SyncExecutor

    backend = FaradayBackend(api_key="...")
    with SyncExecutor(backend.profile()) as executor:
        spec = FaradayConnectionSpec(name="Warehouse", options={"type": "postgres", ...})
        ensured = executor.run(ensure_connection(backend, spec))
        executor.run(wait_until_ready(backend, ensured.connection.connection_id))

Auth is `Authorization: Bearer <API key>`. Every endpoint under `/connections` has a
method returning a `Call` (`calls.py`); listings are not paginated by Faraday and come
back as one `Page`. Objects are in `models.py`, desired state and drift in `spec.py`,
the error mapping in `errors.py` and the state table in `states.py`.

Lifecycle mapping
-----------------
- identity: the connection `name`. Faraday does not enforce unique names, so when the
  listing holds several connections with the name, `ensure` raises LifecycleError
  naming their ids rather than guess. A create whose answer was lost (network error,
  5xx, 429) is looked up by name again and only re-created when truly absent. An
  archived connection found by name is returned as it is (ensure does not unarchive).
  A connection of another `type` under the name raises IdentityConflictError
  (Faraday cannot change a connection's type).
- drift: only non-secret options that differ from the spec are sent, as a JSON merge
  patch (`application/merge-patch+json`) with the `type` the spec requires. Secret
  options are write-only and never count as drift; `resend_secrets` sends them again.
  A managed connection is read-only and is not patched (a warning is logged and the
  plan says so in its notes).
- readiness: ready <- status "ready"; failed <- "error" (reason: `status_error`, else
  `contents_error`); pending <- "new", "starting", "running" and unknown statuses.
- sync: POST `/connections/{id}/force_update` (202). The before-state is
  `last_updated_output_at`, `status_changed_at` and `status`. Outcome: succeeded once
  the status is "ready" and `last_updated_output_at` moved past the before-state;
  failed once the status is "error" and `status_changed_at` moved past it; running
  otherwise. `force` changes nothing: force_update always queues a rerun.
- verify: not supported. Faraday has no test endpoint; a connection's connectivity is
  only reported asynchronously (`status`, `contents_error`), which readiness reads.
- resync: not supported. force_update reruns the connection itself; it does not reset
  the incremental state of the datasets reading from it, so calling it a historical
  resync would promise what it does not do. Per-table resync does not exist either.
- pause/resume: not supported. Archive is Faraday's retirement state, not a pause:
  archiving a connection that datasets or targets use fails unless it cascades to all
  of them, and unarchive cascades upstream only, so "resume" would not undo the
  cascade. Faraday has no sync schedule to stop. `archive_connection` and
  `unarchive_connection` remain available as plain calls.
- health: GET the connection (`states.health_of`). catalog: GET the connection
  (its `contents`) and GET /connections/{id}/datasets (`states.catalog_of`).
- delete: safe by default. The datasets and targets using the connection (archived
  ones included) are listed first; if any remain, ConnectionInUseError names them and
  no DELETE is sent. A 409 from the DELETE is a ConnectionInUseError too; a 404
  returns False with `missing_ok`.
- connection_url: `{app}/connections/{id}`, where the app is derived from `base_url`
  (`https://api.faraday.ai/v1` -> `https://app.faraday.ai`, see `settings.app_root`)
  unless `ui_base_url` is set.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

import httpx

from conn_shared.backends.base import BaseBackend, sync_step
from conn_shared.backends.ensure import Drift, plan_value
from conn_shared.backends.faraday.calls import FaradayCalls
from conn_shared.backends.faraday.errors import map_faraday_error
from conn_shared.backends.faraday.models import BACKEND, Connection
from conn_shared.backends.faraday.settings import FaradaySettings, app_root
from conn_shared.backends.faraday.spec import FaradayConnectionSpec, option_changes, option_drift
from conn_shared.backends.faraday.states import (
    catalog_of,
    connection_info,
    health_of,
    readiness_probe,
    sync_before,
    sync_probe,
)
from conn_shared.backends.wire import BearerAuth, delete_if_present
from conn_shared.calls import NOW, Call, Flow, value_flow
from conn_shared.create_once import create_once
from conn_shared.errors import (
    ConnectionInUseError,
    ConnError,
    IdentityConflictError,
    LifecycleError,
    NotFoundError,
)
from conn_shared.http import ErrorMapper
from conn_shared.pagination import find_in_pages
from conn_shared.states import (
    ConnectionCatalog,
    ConnectionHealth,
    ConnectionInfo,
    Readiness,
    Step,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    TableRef,
)
from conn_shared.waiting import Probe

__all__ = ["FaradayBackend"]

logger = logging.getLogger("conn_shared.backends.faraday")

# Lost create answers are looked up, then re-created at most this many times in all.
_CREATE_ATTEMPTS = 2


class FaradayBackend(
    BaseBackend[FaradaySettings, FaradayConnectionSpec, Connection],
    FaradayCalls,
):
    """The Faraday v1 connections API; holds settings only, its methods return calls and flows.

    Construct with `FaradayBackend(FaradaySettings(...))` or `FaradayBackend(api_key=...)`.
    """

    name: ClassVar[str] = BACKEND
    capabilities: ClassVar[frozenset[Step]] = frozenset(
        {Step.ENSURE, Step.READINESS, Step.SYNC, Step.SYNC_OUTCOME, Step.DELETE}
    )
    settings_class: ClassVar[type[FaradaySettings]] = FaradaySettings
    spec_class: ClassVar[type[FaradayConnectionSpec]] = FaradayConnectionSpec

    # --- profile hooks ---------------------------------------------------------------

    def auth(self) -> httpx.Auth:
        """Bearer auth with the API key."""
        return BearerAuth(self.settings.api_key)

    def error_mapper(self) -> ErrorMapper:
        """`map_faraday_error`."""
        return map_faraday_error

    def scrubbed_secrets(self) -> tuple[str, ...]:
        """The API key."""
        return (self.settings.api_key.get_secret_value(),)

    def default_ui_root(self) -> str:
        """The app that `base_url` belongs to (`settings.app_root`)."""
        return app_root(self.settings.base_url)

    # --- ensure ----------------------------------------------------------------------

    def find_by_name_flow(self, name: str) -> Flow[Connection | None]:
        """The one connection named `name`, or None; LifecycleError when several share it."""
        found = yield from find_in_pages(self.list_connections(), lambda c: c.name == name)
        if len(found) > 1:
            described = ", ".join(f"{c.id} (archived)" if c.archived else c.id for c in found)
            raise LifecycleError(
                f"{len(found)} Faraday connections are named {name!r}: {described}; "
                "Faraday does not enforce unique names, so rename or delete all but one "
                "(or address the connection by id)",
                backend=self.name,
            )
        return found[0] if found else None

    def find_flow(self, spec: FaradayConnectionSpec) -> Flow[Connection | None]:
        """GET /connections: the one connection named `spec.name`."""
        return self.find_by_name_flow(spec.name)

    def check_kind(self, spec: FaradayConnectionSpec, live: Connection) -> None:
        """IdentityConflictError when the named connection has another `type`."""
        if live.options.type != spec.type:
            raise IdentityConflictError(
                f"connection {live.id} named {spec.name!r} has type "
                f"{str(live.options.type)!r}, the spec asks for {str(spec.type)!r}; "
                "Faraday cannot change a connection's type: delete it or pick another name",
                connection_id=live.id,
                expected=str(spec.type),
                found=str(live.options.type),
                backend=self.name,
            )

    def drift_flow(
        self, spec: FaradayConnectionSpec, live: Connection, *, resend_secrets: bool
    ) -> Flow[Drift[Connection]]:
        """The merge patch of drifted (and, if asked, secret) options; sends nothing.

        The listing already holds the options, so no request is needed.
        """
        current = live.options.as_dict()
        drift = option_drift(current, spec.options)
        if resend_secrets:
            drift.update(spec.secret_options())
        if not drift:
            return value_flow(Drift())
        if live.managed:
            keys = ", ".join(sorted(drift))
            logger.warning(
                "faraday connection %s is managed (read-only); not updating options %s",
                live.id,
                keys,
            )
            note = f"connection {live.id} is managed (read-only): options {keys} are left as is"
            return value_flow(Drift(notes=(note,)))
        return value_flow(
            Drift(
                changes=option_changes(current, spec, resend_secrets=resend_secrets),
                patch={"type": str(spec.type), **drift},
            )
        )

    def planned_settings(self, spec: FaradayConnectionSpec) -> dict[str, Any]:
        """`name` and `options`, secret options only as `***`."""
        settings: dict[str, Any] = plan_value({"name": spec.name, "options": spec.options})
        return settings

    def create_flow(self, spec: FaradayConnectionSpec) -> Flow[tuple[Connection, bool]]:
        """POST /connections, looked up by name again after a lost answer."""
        return create_once(
            self.create_connection(spec.name, spec.options),
            lambda: self.find_by_name_flow(spec.name),
            what=f"faraday connection {spec.name!r}",
            attempts=_CREATE_ATTEMPTS,
        )

    def update_call(self, live: Connection, patch: Mapping[str, Any]) -> Call[Connection]:
        """PATCH /connections/{id} with the options merge patch."""
        return self.update_connection(live.id, options=patch)

    def info_of(
        self, live: Connection, spec: FaradayConnectionSpec | None = None
    ) -> ConnectionInfo:
        """The neutral view; the spec's secrets are scrubbed from `raw` too."""
        return connection_info(live, hide=spec.secret_values() if spec else ())

    # --- readiness and syncs ---------------------------------------------------------

    def readiness_flow(self, connection_id: str) -> Flow[Readiness]:
        """GET the connection and map its status (see the module docstring)."""
        probe = yield from self.readiness_probe_flow(connection_id)
        return probe.build()

    def readiness_probe_flow(
        self, connection_id: str, *, max_age: float | None = None
    ) -> Flow[Probe[Readiness]]:
        """A wait's poll of readiness: only the status is parsed (`connection_reading`).

        With `max_age` (seconds) a listing of the polled connections shared with
        concurrent polls, asked for at most that long ago, may answer it.
        """
        reading = yield self.connection_reading(connection_id, max_age=max_age)
        return readiness_probe(reading)

    def health_flow(self, connection_id: str) -> Flow[ConnectionHealth]:
        """GET the connection: readiness and the last build times."""
        connection: Connection = yield self.get_connection(connection_id)
        return health_of(connection)

    def catalog_flow(self, connection_id: str, *, columns: bool = True) -> Flow[ConnectionCatalog]:
        """GET the connection (its contents) and the datasets reading from it.

        `columns` changes nothing: the datasets' columns come with the listing.
        """
        connection: Connection = yield self.get_connection(connection_id)
        datasets = yield from find_in_pages(
            self.list_connection_datasets(connection_id), lambda _: True
        )
        return catalog_of(connection, datasets)

    def prepare_sync_flow(
        self, connection_id: str, *, kind: SyncKind, tables: tuple[TableRef, ...] | None
    ) -> Flow[SyncHandle]:
        """GET the connection and record its before-state (syncs only; sends no write)."""
        self.require(sync_step(kind, tables))
        before: Connection = yield self.get_connection(connection_id)
        now: float = yield NOW
        return SyncHandle(
            backend=self.name,
            connection_id=connection_id,
            kind=SyncKind.SYNC,
            requested_at=datetime.fromtimestamp(now, tz=timezone.utc),
            before=sync_before(before),
        )

    def request_sync_flow(self, handle: SyncHandle, *, force: bool) -> Flow[None]:
        """POST /connections/{id}/force_update (202); `force` changes nothing here."""
        yield self.force_update_connection(handle.connection_id)

    def sync_outcome_flow(self, handle: SyncHandle) -> Flow[SyncOutcome]:
        """GET the connection and compare it with `handle.before`."""
        probe = yield from self.sync_probe_flow(handle)
        return probe.build()

    def sync_probe_flow(
        self, handle: SyncHandle, *, max_age: float | None = None
    ) -> Flow[Probe[SyncOutcome]]:
        """A wait's poll of `sync_outcome_flow`: only the status is parsed.

        With `max_age` (seconds) a listing of the polled connections shared with
        concurrent polls, asked for at most that long ago, may answer it.
        """
        reading = yield self.connection_reading(handle.connection_id, max_age=max_age)
        return sync_probe(reading, handle.before)

    # --- delete ----------------------------------------------------------------------

    def users_flow(self, connection_id: str) -> Flow[tuple[str, ...]]:
        """The datasets and targets using the connection, as "dataset 'name' (id)" strings."""
        datasets = yield from find_in_pages(
            self.list_connection_datasets(connection_id), lambda _: True
        )
        targets = yield from find_in_pages(
            self.list_connection_targets(connection_id), lambda _: True
        )
        return tuple(
            [f"dataset {d.name!r} ({d.id})" for d in datasets]
            + [f"target {t.name!r} ({t.id})" for t in targets]
        )

    def delete_flow(self, connection_id: str, *, missing_ok: bool) -> Flow[bool]:
        """Refuse while datasets or targets use it; otherwise DELETE. False if already gone."""
        try:
            users = yield from self.users_flow(connection_id)
        except NotFoundError:
            if missing_ok:
                return False
            raise
        if users:
            raise ConnectionInUseError(
                f"connection {connection_id} is still used by {len(users)} resource(s): "
                f"{'; '.join(users)}; delete them or move them to another connection first",
                users=users,
                backend=self.name,
            )
        try:
            deleted = yield from delete_if_present(
                self.delete_connection(connection_id), missing_ok=missing_ok
            )
        except ConnectionInUseError as exc:
            # Something started using it after our check: name it if we can.
            try:
                users = yield from self.users_flow(connection_id)
            except ConnError:
                users = ()
            named = f": {'; '.join(users)}" if users else ""
            raise ConnectionInUseError(
                f"connection {connection_id} is still in use{named} ({exc.message})",
                users=users,
                backend=exc.backend,
                status=exc.status,
                code=exc.code,
                request_id=exc.request_id,
                method=exc.method,
                path=exc.path,
            ) from exc
        return deleted
