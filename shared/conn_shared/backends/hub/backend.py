"""The hub's lifecycle flows and its state mapping (summarised in `conn_shared.backends.hub`).

Identity for ensure: the spec's slug when given (`GET /connections/slug/{slug}`,
404 = absent), otherwise an exact name match with the same provider, found by
paging `GET /connections?search=<name>`; two or more matches are an error that
names them. Decisions the hub's document leaves open:

- a slug lookup that answers 404 is followed by a name + provider search; a hit
  under another slug raises instead of creating, because a hub that ignores the
  requested slug would otherwise get a new duplicate on every run;
- a created connection whose slug is not the requested one raises (naming its
  id and slug) for the same reason;
- a create that fails ambiguously (network error, 5xx, 429, unreadable success
  body) is looked up again and re-sent only when truly absent, at most once;
- drift: name, visibility (when the spec sets it) and config key by key; the
  PATCH sends the hub's config with the spec's keys laid over it, so keys the
  spec omits survive whether the hub merges or replaces. Credentials are
  write-only: `edit-settings` says which secret fields are configured; a spec
  credential whose field is missing or unconfigured is drift (all the spec's
  credentials are then sent), a configured one is not.
"""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from conn_shared.backends.hub.models import (
    ConnectionStatus,
    EditSettings,
    HubConnection,
    HubConnectionSpec,
)
from conn_shared.calls import Flow
from conn_shared.create_once import create_once
from conn_shared.errors import (
    LifecycleError,
    NotFoundError,
)
from conn_shared.lifecycle import ConnectionInfo, EnsureResult, Readiness, ReadinessState
from conn_shared.pagination import find_in_pages
from conn_shared.redaction import redact

if TYPE_CHECKING:
    from conn_shared.backends.hub.calls import HubBackend

__all__ = ["connection_info", "delete_flow", "ensure_flow", "readiness_of"]

logger = logging.getLogger("conn_shared.backends.hub")

BACKEND = "hub"
SEARCH_PAGE_SIZE = 100
CREATE_ATTEMPTS = 2
_MISSING = object()


def _raw(connection: HubConnection) -> dict[str, Any]:
    dumped: dict[str, Any] = redact(connection.model_dump(mode="json", by_alias=True))
    return dumped


def readiness_of(connection: HubConnection) -> Readiness:
    """Map a hub connection's status onto `Readiness` (table in `conn_shared.backends.hub`)."""
    status = connection.status
    reason: str | None
    if status == ConnectionStatus.VERIFIED:
        state, reason = ReadinessState.READY, None
    elif status == ConnectionStatus.ERROR:
        state, reason = ReadinessState.FAILED, _verification_failure(connection)
    elif status == ConnectionStatus.DISABLED:
        state, reason = ReadinessState.FAILED, "disabled (reactivate it to use it)"
    elif status in (ConnectionStatus.NEEDS_VERIFICATION, ConnectionStatus.VERIFYING):
        state, reason = ReadinessState.PENDING, str(status)
    else:
        state, reason = ReadinessState.PENDING, f"unknown status {str(status)!r}"
    return Readiness(
        backend=BACKEND,
        connection_id=connection.id,
        state=state,
        reason=reason,
        raw=_raw(connection),
    )


def _verification_failure(connection: HubConnection) -> str:
    message = connection.verificationError or "verification failed"
    if connection.verificationErrorCode:
        return f"{message} [{connection.verificationErrorCode}]"
    return message


def connection_info(connection: HubConnection) -> ConnectionInfo:
    """The backend-neutral view; `paused` is true while the hub has it disabled."""
    return ConnectionInfo(
        backend=BACKEND,
        connection_id=connection.id,
        name=connection.name,
        paused=connection.status == ConnectionStatus.DISABLED,
        raw=_raw(connection),
    )


def _describe(connections: list[HubConnection]) -> str:
    return ", ".join(f"{c.id} (slug {c.slug!r})" for c in connections)


def _same_name(spec: HubConnectionSpec) -> Callable[[HubConnection], bool]:
    def matches(connection: HubConnection) -> bool:
        return connection.name == spec.name and connection.provider == spec.provider

    return matches


def _by_slug(backend: "HubBackend", slug: str) -> Flow[HubConnection | None]:
    try:
        connection: HubConnection = yield backend.get_connection_by_slug(slug)
    except NotFoundError:
        return None
    return connection


def _find(backend: "HubBackend", spec: HubConnectionSpec) -> Flow[HubConnection | None]:
    """The connection `spec` identifies, or None."""
    if spec.slug is not None:
        connection = yield from _by_slug(backend, spec.slug)
        if connection is not None:
            if connection.provider != spec.provider:
                raise LifecycleError(
                    f"slug {spec.slug!r} is connection {connection.id} with provider "
                    f"{str(connection.provider)!r}, not {str(spec.provider)!r}",
                    backend=BACKEND,
                )
            return connection
    first = backend.list_connections(search=spec.name, limit=SEARCH_PAGE_SIZE)
    matches: list[HubConnection] = yield from find_in_pages(first, _same_name(spec))
    if spec.slug is not None and matches:
        raise LifecycleError(
            f"no connection has slug {spec.slug!r}, but {spec.name!r} ({spec.provider}) "
            f"exists as {_describe(matches)}; use its slug in the spec or rename one",
            backend=BACKEND,
        )
    if len(matches) > 1:
        raise LifecycleError(
            f"{len(matches)} connections are named {spec.name!r} with provider "
            f"{str(spec.provider)!r}: {_describe(matches)}; give the spec a slug",
            backend=BACKEND,
        )
    return matches[0] if matches else None


def _create(backend: "HubBackend", spec: HubConnectionSpec) -> Flow[tuple[HubConnection, bool]]:
    """(connection, created by us) without ever a duplicate; insist on the requested slug."""
    call = backend.create_connection(
        name=spec.name,
        provider=spec.provider,
        visibility=spec.visibility,
        credentials=spec.credentials,
        config=spec.config,
        slug=spec.slug,
    )
    created, by_us = yield from create_once(
        call,
        lambda: _find(backend, spec),
        what=f"hub connection {spec.name!r}",
        attempts=CREATE_ATTEMPTS,
    )
    if by_us and spec.slug is not None and created.slug != spec.slug:
        raise LifecycleError(
            f"created connection {created.id} got slug {created.slug!r}, not "
            f"{spec.slug!r}: this hub does not take the requested slug; "
            f"put {created.slug!r} in the spec or leave the slug out",
            backend=BACKEND,
        )
    return created, by_us


def _reconcile(
    backend: "HubBackend", connection: HubConnection, spec: HubConnectionSpec
) -> Flow[tuple[HubConnection, bool]]:
    """(connection, updated) after PATCHing whatever drifted from `spec`."""
    changes: dict[str, Any] = {}
    if connection.name != spec.name:
        changes["name"] = spec.name
    if spec.visibility is not None and connection.visibility != spec.visibility:
        changes["visibility"] = spec.visibility
    if any(connection.config.get(k, _MISSING) != v for k, v in spec.config.items()):
        changes["config"] = {**connection.config, **spec.config}
    if spec.credentials:
        settings: EditSettings = yield backend.get_edit_settings(connection.id)
        if settings.unconfigured(list(spec.credentials)):
            changes["credentials"] = spec.credentials
    if not changes:
        return connection, False
    logger.info("hub connection %s drifted in %s; updating", connection.id, sorted(changes))
    updated: HubConnection = yield backend.update_connection(connection.id, **changes)
    return updated, True


def ensure_flow(
    backend: "HubBackend", spec: HubConnectionSpec, *, update: bool
) -> Flow[EnsureResult]:
    """Find or create the connection `spec` declares, never a duplicate."""
    found = yield from _find(backend, spec)
    if found is None:
        found, created = yield from _create(backend, spec)
        if created:
            return EnsureResult(connection=connection_info(found), created=True)
    updated = False
    if update:
        found, updated = yield from _reconcile(backend, found, spec)
    return EnsureResult(connection=connection_info(found), created=False, updated=updated)


def delete_flow(backend: "HubBackend", connection_id: str, *, missing_ok: bool) -> Flow[bool]:
    """True when deleted now, False when already gone and `missing_ok`."""
    call = backend.delete_connection(connection_id)
    try:
        yield call
    except NotFoundError:
        if missing_ok:
            return False
        raise
    return True
