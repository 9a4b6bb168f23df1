"""Faraday v1 (`https://api.faraday.ai/v1`): connection calls and the lifecycle mapping.

    backend = FaradayBackend(api_key="...")
    with SyncExecutor(backend.profile()) as executor:
        spec = FaradayConnectionSpec(name="Warehouse", options={"type": "postgres", ...})
        ensured = executor.run(ensure_connection(backend, spec))
        executor.run(wait_until_ready(backend, ensured.connection.connection_id))

Auth is `Authorization: Bearer <API key>`. Every endpoint under `/connections` has a
method returning a `Call` (inherited from `FaradayCalls` in faraday_calls.py); listings
are not paginated by Faraday and come back as one `Page`. Models live in
faraday_models.py, the error mapping in faraday_errors.py and the pure state mapping
below in faraday_lifecycle.py.

Lifecycle mapping
-----------------
- identity: the connection `name`. Faraday does not enforce unique names, so when the
  listing holds several connections with the name, `ensure` raises LifecycleError
  naming their ids rather than guess. A create whose answer was lost (network error,
  5xx, 429) is looked up by name again and only re-created when truly absent. An
  archived connection found by name is returned as it is (ensure does not unarchive).
- drift: only non-secret options that differ from the spec are sent, as a JSON merge
  patch (`application/merge-patch+json`) with the `type` the spec requires. Secret
  options are write-only and never count as drift. A managed connection is read-only
  and is not patched (a warning is logged); a different connection `type` under the
  same name raises LifecycleError (Faraday cannot change a connection's type).
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
- delete: safe by default. The datasets and targets using the connection (archived
  ones included) are listed first; if any remain, ConnectionInUseError names them and
  no DELETE is sent. A 409
  from the DELETE is a ConnectionInUseError too; a 404 returns False with `missing_ok`.
"""

import logging
from collections.abc import Generator, Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr

from conn_shared.backends.base import BackendSettings
from conn_shared.backends.faraday.calls import MERGE_PATCH, FaradayCalls
from conn_shared.backends.faraday.errors import map_faraday_error
from conn_shared.backends.faraday.models import (
    Connection,
    FaradayConnectionSpec,
)
from conn_shared.backends.faraday.states import (
    BACKEND_NAME,
    connection_info,
    option_drift,
    readiness_of,
    sync_before,
    sync_outcome_of,
)
from conn_shared.calls import NOW, Flow
from conn_shared.create_once import create_once
from conn_shared.errors import (
    ConnectionInUseError,
    ConnError,
    LifecycleError,
    NotFoundError,
    UnsupportedStepError,
)
from conn_shared.http import ApiProfile
from conn_shared.lifecycle import (
    ConnectionInfo,
    EnsureResult,
    Readiness,
    Step,
    SyncHandle,
    SyncKind,
    SyncOutcome,
    TableRef,
)
from conn_shared.pagination import find_in_pages

__all__ = [
    "DEFAULT_BASE_URL",
    "MERGE_PATCH",
    "BearerAuth",
    "FaradayBackend",
    "FaradayConnectionSpec",
    "FaradaySettings",
]

logger = logging.getLogger("conn_shared.backends.faraday")

DEFAULT_BASE_URL = "https://api.faraday.ai/v1"
# Lost create answers are looked up, then re-created at most this many times in all.
_CREATE_ATTEMPTS = 2


class FaradaySettings(BackendSettings):
    """One Faraday account: its API key (from the dashboard's Settings page) and transport."""

    api_key: SecretStr
    base_url: str = DEFAULT_BASE_URL
    extra_headers: Mapping[str, str] = Field(default_factory=dict, repr=False)


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <key>`; the key never appears in repr."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header and send the request once."""
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(token='***')"


class FaradayBackend(FaradayCalls):
    """The Faraday v1 connections API; holds settings only, its methods return calls and flows.

    Construct with `FaradayBackend(FaradaySettings(...))` or `FaradayBackend(api_key=...)`.
    """

    name: ClassVar[str] = BACKEND_NAME
    capabilities: ClassVar[frozenset[Step]] = frozenset(
        {Step.ENSURE, Step.READINESS, Step.SYNC, Step.SYNC_OUTCOME, Step.DELETE}
    )

    def __init__(self, settings: FaradaySettings | None = None, **kwargs: Any) -> None:
        if settings is not None and kwargs:
            raise ValueError("pass either settings or keyword arguments, not both")
        self.settings = settings or FaradaySettings(**kwargs)

    def __repr__(self) -> str:
        return f"FaradayBackend(base_url={self.settings.base_url!r})"

    def profile(self) -> ApiProfile:
        """Bearer auth, JSON Accept header, the Faraday error mapper and the key to scrub."""
        settings = self.settings
        return ApiProfile(
            backend=self.name,
            base_url=settings.base_url,
            map_error=map_faraday_error,
            auth=BearerAuth(settings.api_key),
            headers={"Accept": "application/json", **settings.extra_headers},
            timeouts=settings.timeouts,
            retry=settings.retry,
            max_connections=settings.max_connections,
            secrets=(settings.api_key.get_secret_value(),),
        )

    # --- lifecycle flows (the calls are inherited from FaradayCalls) ------------------

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

    def ensure_flow(self, spec: Any, *, update: bool) -> Flow[EnsureResult]:
        """Find the connection named `spec.name` or create it; patch drifted options."""
        if not isinstance(spec, FaradayConnectionSpec):
            raise TypeError(f"spec: expected FaradayConnectionSpec, got {type(spec).__name__}")
        existing = yield from self.find_by_name_flow(spec.name)
        if existing is None:
            existing, created = yield from create_once(
                self.create_connection(spec.name, spec.options),
                lambda: self.find_by_name_flow(spec.name),
                what=f"faraday connection {spec.name!r}",
                attempts=_CREATE_ATTEMPTS,
            )
            if created:
                return EnsureResult(connection=connection_info(existing), created=True)
        if existing.options.type != spec.type:
            raise LifecycleError(
                f"connection {existing.id} named {spec.name!r} has type "
                f"{str(existing.options.type)!r}, the spec asks for {str(spec.type)!r}; "
                "Faraday cannot change a connection's type: delete it or pick another name",
                backend=self.name,
            )
        drift = option_drift(existing.options.as_dict(), spec.options)
        if not (update and drift):
            return EnsureResult(connection=connection_info(existing), created=False)
        if existing.managed:
            logger.warning(
                "faraday connection %s is managed (read-only); not updating options %s",
                existing.id,
                ", ".join(sorted(drift)),
            )
            return EnsureResult(connection=connection_info(existing), created=False)
        logger.info(
            "faraday connection %s: updating drifted options %s",
            existing.id,
            ", ".join(sorted(drift)),
        )
        patch = {"type": str(spec.type), **drift}
        updated: Connection = yield self.update_connection(existing.id, options=patch)
        return EnsureResult(connection=connection_info(updated), created=False, updated=True)

    def verify_flow(self, connection_id: str) -> Flow[Readiness]:
        """Not supported: Faraday has no connection test endpoint (see the module docstring)."""
        raise self._unsupported(Step.VERIFY)

    def readiness_flow(self, connection_id: str) -> Flow[Readiness]:
        """GET the connection and map its status (see the module docstring)."""
        connection: Connection = yield self.get_connection(connection_id)
        return readiness_of(connection)

    def trigger_sync_flow(
        self,
        connection_id: str,
        *,
        kind: SyncKind,
        tables: tuple[TableRef, ...] | None,
        force: bool,
    ) -> Flow[SyncHandle]:
        """Record the before-state, POST force_update, return the handle."""
        if kind is not SyncKind.SYNC:
            raise self._unsupported(Step.RESYNC)
        if tables:
            raise self._unsupported(Step.RESYNC_TABLES)
        return self._sync_flow(connection_id)

    def _sync_flow(self, connection_id: str) -> Flow[SyncHandle]:
        before: Connection = yield self.get_connection(connection_id)
        yield self.force_update_connection(connection_id)
        now: float = yield NOW
        return SyncHandle(
            backend=self.name,
            connection_id=connection_id,
            kind=SyncKind.SYNC,
            requested_at=datetime.fromtimestamp(now, tz=timezone.utc),
            before=sync_before(before),
        )

    def sync_outcome_flow(self, handle: SyncHandle) -> Flow[SyncOutcome]:
        """GET the connection and compare it with `handle.before`."""
        connection: Connection = yield self.get_connection(handle.connection_id)
        return sync_outcome_of(connection, handle.before)

    def pause_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """Not supported: archive is not a pause (see the module docstring)."""
        raise self._unsupported(Step.PAUSE)

    def resume_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """Not supported: unarchive does not undo a cascaded archive."""
        raise self._unsupported(Step.RESUME)

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
            yield self.delete_connection(connection_id)
        except NotFoundError:
            if missing_ok:
                return False
            raise
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
        return True

    def _unsupported(self, step: Step) -> UnsupportedStepError:
        return UnsupportedStepError(
            backend=self.name,
            step=step.value,
            supported=tuple(s.value for s in Step if s in self.capabilities),
        )
