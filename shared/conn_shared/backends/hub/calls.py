"""The hub's connection endpoints as `Call`s, and the wire helpers they share.

Every connection endpoint of the hub's document has one method returning a
`Call`: list, create, get, get by slug, update, delete, disable, reactivate,
set-default, verify, edit-settings. Files and schema browsing are in
`browse.py`. Nothing here sends a request; input that cannot succeed raises
ValueError naming the field first.

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
from typing import Any

import httpx
from pydantic import SecretStr

from conn_shared.backends.hub.models import (
    LIST_PLACEHOLDERS,
    EditSettings,
    HubConnection,
    HubConnectionList,
    HubConnectionView,
    Provider,
    Visibility,
)
from conn_shared.backends.wire import check_limit, path_id, reveal
from conn_shared.calls import Call
from conn_shared.coalesce import Coalesce, Reading
from conn_shared.pagination import Page, parse_items

__all__ = [
    "NAME_MAX",
    "SORT_DIRECTIONS",
    "SORT_FIELDS",
    "HubCalls",
    "check_choice",
    "check_name",
    "check_visibility",
    "connection_path",
]

NAME_MAX = 255
#: Page size of listings shared by waits (a smaller page decodes in a shorter stall).
SHARED_PAGE = 250
SORT_FIELDS = ("name", "created_at", "updated_at", "last_verified_at", "status", "provider")
SORT_DIRECTIONS = ("asc", "desc")


def connection_path(connection_id: str, *suffix: str) -> str:
    """`/connections/{id}[/suffix...]` with the id quoted; an empty id is a ValueError."""
    return "/".join(("/connections", path_id("connection_id", connection_id), *suffix))


def check_choice(field: str, value: str | None, allowed: tuple[str, ...]) -> None:
    """ValueError naming `field` and the allowed values unless `value` is None or allowed."""
    if value is not None and value not in allowed:
        raise ValueError(f"{field}: must be one of {', '.join(allowed)}, got {value!r}")


def check_name(name: str) -> None:
    """ValueError unless `name` has 1..255 characters."""
    if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX:
        raise ValueError(f"name: length must be 1..{NAME_MAX} characters")


def check_visibility(visibility: str | None) -> None:
    """ValueError unless `visibility` is None or a documented value (private, global)."""
    check_choice("visibility", visibility, tuple(sorted(Visibility.known)))


def _connection(response: httpx.Response) -> HubConnection:
    return HubConnection.model_validate(response.json())


def _row_reading(row: Mapping[str, Any], asked_at: float) -> Reading[HubConnectionView]:
    return Reading(HubConnectionView.model_validate(row), row, asked_at)


def _reading(response: httpx.Response) -> Reading[HubConnectionView]:
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return Reading(HubConnectionView.model_validate(data), data)


class HubCalls:
    """Every connection endpoint of the hub's document, as calls (mixed into `HubBackend`)."""

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

        def following(listing: HubConnectionList, count: int) -> Call[Page[HubConnection]] | None:
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
            step = listing.limit or limit or count
            start = listing.offset if listing.offset is not None else (offset or 0)
            if step <= 0:
                return None  # nothing to advance by: stop instead of looping on one page
            return self.list_connections(
                search=search, sort=sort, direction=direction, limit=limit, offset=start + step
            )

        def parse(response: httpx.Response) -> Page[HubConnection]:
            body = response.json()
            if not isinstance(body, dict) or not isinstance(body.get("connections"), list):
                raise ValueError("expected an object whose 'connections' is a list")
            items, problems = parse_items(
                HubConnection,
                body["connections"],
                placeholders=LIST_PLACEHOLDERS,
                what="hub connection list",
            )
            listing = HubConnectionList.model_validate({**body, "connections": []})
            count = len(body["connections"])  # skipped items still take their place in paging
            return Page(items=items, next=following(listing, count), problems=problems)

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

    def connection_rows(
        self, *, offset: int | None = None, limit: int | None = 1000
    ) -> Call[Page[Mapping[str, Any]]]:
        """GET /connections: one page of the connections as received (offsets).

        The cheap listing: each item is the vendor's object as parsed JSON, not
        validated and not redacted (never show it as is); `Page.next` fetches the
        following page while the hub says `hasNext`.
        """
        check_limit(limit)

        def parse(response: httpx.Response) -> Page[Mapping[str, Any]]:
            body = response.json()
            rows = body.get("connections") if isinstance(body, dict) else None
            if not isinstance(rows, list):
                raise ValueError("expected an object whose 'connections' is a list")
            follow = None
            if body.get("hasNext") and rows:
                follow = self.connection_rows(offset=(offset or 0) + len(rows), limit=limit)
            return Page(items=[row for row in rows if isinstance(row, dict)], next=follow)

        return Call(
            operation="hub.connection_rows",
            method="GET",
            path="/connections",
            parse=parse,
            params={"limit": limit, "offset": offset},
        )

    def connection_reading(
        self, connection_id: str, *, max_age: float | None = None
    ) -> Call[Reading[HubConnectionView]]:
        """GET /connections/{id}, parsing only the status (`HubConnectionView`).

        With `max_age` (seconds) the read may be answered by a listing of the
        hub's connections shared with concurrent reads, asked for at most that
        long ago (see `conn_shared.coalesce`).
        """
        coalesce = None
        if max_age is not None:
            coalesce = Coalesce(
                key="hub.connections",
                item_id=connection_id,
                listing=lambda ids: self.connection_rows(limit=SHARED_PAGE),
                answer=_row_reading,
                max_age=max_age,
            )
        return Call(
            operation="hub.connection_reading",
            method="GET",
            path=connection_path(connection_id),
            parse=_reading,
            coalesce=coalesce,
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
            body["credentials"] = reveal(dict(credentials))
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
        return Call(
            operation="hub.get_connection_by_slug",
            method="GET",
            path=f"/connections/slug/{path_id('slug', slug)}",
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
            body["credentials"] = reveal(dict(credentials))
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
