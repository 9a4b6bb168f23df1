"""The connections hub backend: a self-hosted, FastAPI-style `{base}/api/v1` API.

    backend = HubBackend(base_url="https://hub.example.com", token=SecretStr("..."))
    with SyncExecutor(backend.profile()) as executor:
        ensured = executor.run(ensure_connection(backend, HubConnectionSpec(...)))
        executor.run(wait_until_ready(backend, ensured.connection.connection_id))

Every endpoint of the hub's document has one method returning a `Call`:
connections (list, create, get, get by slug, update, delete, disable,
reactivate, set-default, verify, edit-settings) here, files and schema browsing
in `hub_schema`. The lifecycle flows and the state mapping are in
`hub_lifecycle`:

    readiness   "verified" -> ready; "error" -> failed (reason: verificationError
                and verificationErrorCode); "needs_verification" and "verifying" -> pending;
                "disabled" -> failed with reason "disabled" (it never becomes
                ready on its own, so a wait fails at once instead of timing out);
                any other status -> pending, its name in the reason.
    verify      POST /verify, then the readiness of the returned connection.
    pause       POST /disable; resume: POST /reactivate; ConnectionInfo.paused is
                status == "disabled".
    delete      DELETE; a 404 returns False when missing_ok.
    sync        not supported: the hub has no sync, resync or sync-status endpoint, so
                SYNC, RESYNC, RESYNC_TABLES and SYNC_OUTCOME are absent from capabilities.

Listing: offset mode by default (`Page.next` from `hasNext` + offset/limit); with
`cursor`, cursor mode, following a `nextCursor`/`next_cursor` field when the hub
sends one (the document shows none) and otherwise falling back to offsets.
The listing's query parameter names (search, sort, direction, limit, offset,
cursor) are not in the document either.

Verify, disable, reactivate, set-default and update (PATCH with absolute
values) are marked idempotent, so the transport may resend them after a
dropped answer; create and query are not.
"""

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from conn_shared.backends.hub.backend import (
    connection_info,
    delete_flow,
    ensure_flow,
    readiness_of,
)
from conn_shared.backends.hub.browse import (
    ColumnList,
    FileItem,
    FileKind,
    FileListing,
    FileSelectionValidation,
    HubBrowseCalls,
    QueryResult,
    QueryTableRef,
    SampleResult,
    SchemaColumn,
    SchemaTable,
    TableList,
)
from conn_shared.backends.hub.errors import (
    BearerAuth,
    HubSettings,
    api_root,
    check_choice,
    check_limit,
    check_name,
    check_visibility,
    connection_path,
    map_hub_error,
    secret_values,
)
from conn_shared.backends.hub.models import (
    ConnectionStatus,
    EditSettings,
    HubConnection,
    HubConnectionList,
    HubConnectionSpec,
    OpenEnum,
    Provider,
    SecretFieldState,
    Visibility,
)
from conn_shared.calls import Call, Flow
from conn_shared.errors import UnsupportedStepError
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
from conn_shared.pagination import Page

__all__ = [
    "SORT_DIRECTIONS",
    "SORT_FIELDS",
    "ColumnList",
    "ConnectionStatus",
    "EditSettings",
    "FileItem",
    "FileKind",
    "FileListing",
    "FileSelectionValidation",
    "HubBackend",
    "HubConnection",
    "HubConnectionList",
    "HubConnectionSpec",
    "HubSettings",
    "OpenEnum",
    "Provider",
    "QueryResult",
    "QueryTableRef",
    "SampleResult",
    "SchemaColumn",
    "SchemaTable",
    "SecretFieldState",
    "TableList",
    "Visibility",
    "map_hub_error",
]

SORT_FIELDS = ("name", "created_at", "updated_at", "last_verified_at", "status", "provider")
SORT_DIRECTIONS = ("asc", "desc")


def _connection(response: httpx.Response) -> HubConnection:
    return HubConnection.model_validate(response.json())


class HubBackend(HubBrowseCalls):
    """One hub account; builds calls and flows, does no I/O itself.

    Pass `HubSettings` or its fields as keyword arguments
    (`HubBackend(base_url=..., token=SecretStr(...))`).
    """

    name: ClassVar[str] = "hub"
    capabilities: ClassVar[frozenset[Step]] = frozenset(
        {Step.ENSURE, Step.VERIFY, Step.READINESS, Step.PAUSE, Step.RESUME, Step.DELETE}
    )

    def __init__(self, settings: HubSettings | None = None, /, **fields: Any) -> None:
        if settings is not None and fields:
            raise TypeError("pass either HubSettings or its fields as keywords, not both")
        self.settings = settings if settings is not None else HubSettings(**fields)
        self._root = api_root(self.settings.base_url)

    def __repr__(self) -> str:
        return f"HubBackend(base_url={self._root!r})"

    def profile(self) -> ApiProfile:
        """Base URL `{base}/api/v1`, bearer auth, the FastAPI error mapper, the retry policy."""
        return ApiProfile(
            backend=self.name,
            base_url=self._root,
            map_error=map_hub_error,
            auth=BearerAuth(self.settings.token),
            headers={**self.settings.extra_headers, "Accept": "application/json"},
            timeouts=self.settings.timeouts,
            retry=self.settings.retry,
            max_connections=self.settings.max_connections,
            secrets=(self.settings.token.get_secret_value(),),
        )

    # -- connections --------------------------------------------------------------------

    def list_connections(
        self,
        *,
        search: str | None = None,
        sort: str | None = None,
        direction: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[HubConnection]]:
        """One page of connections; `search` matches name or slug.

        `sort` is one of SORT_FIELDS, `direction` "asc" or "desc", `limit` 1..1000
        (hub default 50), `offset` >= 0. Giving `cursor` switches to cursor mode;
        an empty cursor asks for the first page in that mode.
        """
        check_choice("sort", sort, SORT_FIELDS)
        check_choice("direction", direction, SORT_DIRECTIONS)
        check_limit(limit)
        if offset is not None and (isinstance(offset, bool) or offset < 0):
            raise ValueError(f"offset: must be >= 0, got {offset!r}")

        def following(listing: HubConnectionList) -> Call[Page[HubConnection]] | None:
            if cursor is not None and listing.next_cursor:
                return self.list_connections(
                    search=search,
                    sort=sort,
                    direction=direction,
                    limit=limit,
                    cursor=listing.next_cursor,
                )
            if not listing.hasNext:
                return None
            step = listing.limit or limit or len(listing.connections)
            start = listing.offset if listing.offset is not None else (offset or 0)
            if step <= 0:
                return None  # nothing to advance by: stop instead of looping on one page
            return self.list_connections(
                search=search, sort=sort, direction=direction, limit=limit, offset=start + step
            )

        def parse(response: httpx.Response) -> Page[HubConnection]:
            listing = HubConnectionList.model_validate(response.json())
            return Page(items=listing.connections, next=following(listing))

        params: dict[str, str | int | None] = {
            "search": search,
            "sort": sort,
            "direction": direction,
            "limit": limit,
        }
        if cursor is not None:
            params["cursor"] = cursor
        else:
            params["offset"] = offset
        return Call(
            operation="hub.list_connections",
            method="GET",
            path="/connections",
            parse=parse,
            params=params,
        )

    def create_connection(
        self,
        *,
        name: str,
        provider: str,
        visibility: str | None = None,
        credentials: Mapping[str, str | SecretStr] | None = None,
        config: Mapping[str, Any] | None = None,
        slug: str | None = None,
    ) -> Call[HubConnection]:
        """Create a connection. Not idempotent: never resent by the transport.

        `slug` is not in the document's create body; it is sent only when given,
        so a hub that honours it keeps the caller's stable identity.
        """
        check_name(name)
        if not isinstance(provider, str) or not provider:
            raise ValueError("provider: must be a non-empty string, e.g. " + Provider.POSTGRES)
        check_visibility(visibility)
        body: dict[str, Any] = {"name": name, "provider": str(provider)}
        if slug is not None:
            if not slug:
                raise ValueError("slug: must be a non-empty string when given")
            body["slug"] = slug
        if visibility is not None:
            body["visibility"] = str(visibility)
        if credentials:
            body["credentials"] = secret_values(credentials)
        if config is not None:
            body["config"] = dict(config)
        return Call(
            operation="hub.create_connection",
            method="POST",
            path="/connections",
            parse=_connection,
            json=body,
        )

    def get_connection(self, connection_id: str) -> Call[HubConnection]:
        """One connection by id."""
        return Call(
            operation="hub.get_connection",
            method="GET",
            path=connection_path(connection_id),
            parse=_connection,
        )

    def get_connection_by_slug(self, slug: str) -> Call[HubConnection]:
        """One connection by slug (`GET /connections/slug/{slug}`)."""
        if not isinstance(slug, str) or not slug.strip():
            raise ValueError("slug: must be a non-empty string")
        return Call(
            operation="hub.get_connection_by_slug",
            method="GET",
            path=f"/connections/slug/{quote(slug, safe='')}",
            parse=_connection,
        )

    def update_connection(
        self,
        connection_id: str,
        *,
        name: str | None = None,
        visibility: str | None = None,
        config: Mapping[str, Any] | None = None,
        credentials: Mapping[str, str | SecretStr] | None = None,
    ) -> Call[HubConnection]:
        """PATCH the given fields only (the document's example body is `{}`)."""
        body: dict[str, Any] = {}
        if name is not None:
            check_name(name)
            body["name"] = name
        if visibility is not None:
            check_visibility(visibility)
            body["visibility"] = str(visibility)
        if config is not None:
            body["config"] = dict(config)
        if credentials is not None:
            body["credentials"] = secret_values(credentials)
        return Call(
            operation="hub.update_connection",
            method="PATCH",
            path=connection_path(connection_id),
            parse=_connection,
            json=body,
            idempotent=True,  # absolute values: sending twice gives the same connection
        )

    def delete_connection(self, connection_id: str) -> Call[None]:
        """Delete a connection (any success status; the body is ignored)."""
        return Call(
            operation="hub.delete_connection",
            method="DELETE",
            path=connection_path(connection_id),
            parse=lambda r: None,
        )

    def _action(self, connection_id: str, action: str) -> Call[HubConnection]:
        return Call(
            operation=f"hub.{action.replace('-', '_')}",
            method="POST",
            path=connection_path(connection_id, action),
            parse=_connection,
            idempotent=True,  # each sets a state; repeating it changes nothing more
        )

    def disable_connection(self, connection_id: str) -> Call[HubConnection]:
        """Disable a connection (the lifecycle's pause)."""
        return self._action(connection_id, "disable")

    def reactivate_connection(self, connection_id: str) -> Call[HubConnection]:
        """Re-enable a disabled connection (the lifecycle's resume)."""
        return self._action(connection_id, "reactivate")

    def set_default_connection(self, connection_id: str) -> Call[HubConnection]:
        """Make this the default connection of its provider."""
        return self._action(connection_id, "set-default")

    def verify_connection(self, connection_id: str) -> Call[HubConnection]:
        """Check the connection's credentials; the answer carries the new status."""
        return self._action(connection_id, "verify")

    def get_edit_settings(self, connection_id: str) -> Call[EditSettings]:
        """The editable config and which secret fields are configured."""
        return Call(
            operation="hub.get_edit_settings",
            method="GET",
            path=connection_path(connection_id, "edit-settings"),
            parse=lambda r: EditSettings.model_validate(r.json()),
        )

    # -- lifecycle ----------------------------------------------------------------------

    def ensure_flow(self, spec: Any, *, update: bool) -> Flow[EnsureResult]:
        """Find by slug (or name + provider) or create; fix drifted settings when `update`."""
        if not isinstance(spec, HubConnectionSpec):
            raise TypeError(f"spec: expected HubConnectionSpec, got {type(spec).__name__}")
        return ensure_flow(self, spec, update=update)

    def verify_flow(self, connection_id: str) -> Flow[Readiness]:
        """POST /verify, then map the returned status."""
        connection: HubConnection = yield self.verify_connection(connection_id)
        return readiness_of(connection)

    def readiness_flow(self, connection_id: str) -> Flow[Readiness]:
        """GET the connection and map its status."""
        connection: HubConnection = yield self.get_connection(connection_id)
        return readiness_of(connection)

    def trigger_sync_flow(
        self,
        connection_id: str,
        *,
        kind: SyncKind,
        tables: tuple[TableRef, ...] | None,
        force: bool,
    ) -> Flow[SyncHandle]:
        """Refused: the hub has no sync endpoint (the lifecycle checks this before calling)."""
        raise self._unsupported(Step.RESYNC if kind is SyncKind.RESYNC else Step.SYNC)

    def sync_outcome_flow(self, handle: SyncHandle) -> Flow[SyncOutcome]:
        """Refused: the hub reports no syncs (the lifecycle checks this before calling)."""
        raise self._unsupported(Step.SYNC_OUTCOME)

    def _unsupported(self, step: Step) -> UnsupportedStepError:
        supported = tuple(s.value for s in Step if s in self.capabilities)
        return UnsupportedStepError(backend=self.name, step=step.value, supported=supported)

    def pause_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """Disable the connection."""
        connection: HubConnection = yield self.disable_connection(connection_id)
        return connection_info(connection)

    def resume_flow(self, connection_id: str) -> Flow[ConnectionInfo]:
        """Reactivate the connection."""
        connection: HubConnection = yield self.reactivate_connection(connection_id)
        return connection_info(connection)

    def delete_flow(self, connection_id: str, *, missing_ok: bool) -> Flow[bool]:
        """Delete; a 404 gives False when `missing_ok`, NotFoundError otherwise."""
        return delete_flow(self, connection_id, missing_ok=missing_ok)
