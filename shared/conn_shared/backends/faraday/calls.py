"""Faraday v1 connection endpoints as `Call`s: one method per endpoint, no I/O.

`FaradayCalls` is the request half of `FaradayBackend` (mixed into it):
each method validates its input (raising ValueError naming the field before any
request), quotes ids into the path and returns a `Call` whose parser builds the
models of `models.py`. Faraday's listings are not paginated,
so they come back as a single `Page`.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from conn_shared.backends.faraday.models import (
    LIST_PLACEHOLDERS,
    Connection,
    ConnectionView,
    Dataset,
    RotateCredentialsType,
    Target,
)
from conn_shared.backends.wire import path_id
from conn_shared.calls import Call
from conn_shared.coalesce import Coalesce, Reading
from conn_shared.pagination import Page, parse_items

__all__ = ["MERGE_PATCH", "FaradayCalls"]

MERGE_PATCH = "application/merge-patch+json"
M = TypeVar("M", bound=BaseModel)


def _json(response: httpx.Response) -> Any:
    return response.json()


def _page(
    model: type[M], placeholders: Mapping[str, Any], what: str
) -> Callable[[httpx.Response], Page[M]]:
    def parse(response: httpx.Response) -> Page[M]:
        body = _json(response)
        if not isinstance(body, list):
            raise ValueError(f"expected a JSON array, got {type(body).__name__}")
        items, problems = parse_items(model, body, placeholders=placeholders, what=what)
        return Page(items=items, problems=problems)

    return parse


def _connection(response: httpx.Response) -> Connection:
    return Connection.model_validate(_json(response))


def _no_body(response: httpx.Response) -> None:
    return None


def _check_options(options: Mapping[str, Any], *, field: str = "options") -> dict[str, Any]:
    if not isinstance(options, Mapping):
        raise ValueError(f"{field}: must be a mapping of connection options")
    kind = options.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise ValueError(f"{field}.type: required, a connection type such as 'postgres'")
    return dict(options)


#: Ids per shared listing request: keeps the query string short.
_IDS_PER_LISTING = 100


def _rows(response: httpx.Response) -> Page[Mapping[str, Any]]:
    body = _json(response)
    if not isinstance(body, list):
        raise ValueError(f"expected a JSON array, got {type(body).__name__}")
    return Page(items=[item for item in body if isinstance(item, dict)])


def _row_reading(row: Mapping[str, Any], asked_at: float) -> Reading[ConnectionView]:
    return Reading(ConnectionView.model_validate(row), row, asked_at)


def _reading(response: httpx.Response) -> Reading[ConnectionView]:
    data = _json(response)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return Reading(ConnectionView.model_validate(data), data)


class FaradayCalls:
    """Every `/connections` endpoint of Faraday v1, as calls."""

    def connection_rows(self, ids: Sequence[str] | None = None) -> Call[Page[Mapping[str, Any]]]:
        """GET /connections (only `ids`, when given): the connections as received.

        The cheap listing: each item is the vendor's object as parsed JSON, not
        validated and not redacted (never show it as is). Faraday does not
        paginate, so this is one page.
        """
        call = self.list_connections(ids)
        return Call("faraday.connection_rows", call.method, call.path, _rows, params=call.params)

    def _rows_by_chunk(self, ids: tuple[str, ...]) -> Call[Page[Mapping[str, Any]]]:
        first = self.connection_rows(ids[:_IDS_PER_LISTING])
        rest = ids[_IDS_PER_LISTING:]
        if not rest:
            return first

        def parse(response: httpx.Response) -> Page[Mapping[str, Any]]:
            return Page(items=_rows(response).items, next=self._rows_by_chunk(rest))

        return Call(first.operation, first.method, first.path, parse, params=first.params)

    def connection_reading(
        self, connection_id: str, *, max_age: float | None = None
    ) -> Call[Reading[ConnectionView]]:
        """GET /connections/{connection_id}, parsing only the status (`ConnectionView`).

        With `max_age` (seconds) the read may be answered by a listing of the
        polled connections (`GET /connections?ids=...`, 100 ids a request) shared
        with concurrent reads, asked for at most that long ago
        (see `conn_shared.coalesce`).
        """
        path = f"/connections/{path_id('connection_id', connection_id)}"
        coalesce = None
        if max_age is not None:
            coalesce = Coalesce(
                key="faraday.connections",
                item_id=connection_id,
                listing=self._rows_by_chunk,
                answer=_row_reading,
                max_age=max_age,
                filtered=True,
            )
        return Call("faraday.connection_reading", "GET", path, _reading, coalesce=coalesce)

    def list_connections(self, ids: Sequence[str] | None = None) -> Call[Page[Connection]]:
        """GET /connections, optionally only `ids` (sent comma-separated, as the spec says)."""
        params: dict[str, str | None] = {"ids": None}
        if ids is not None:
            if isinstance(ids, str) or not ids:
                raise ValueError("ids: must be a non-empty sequence of connection ids")
            for item in ids:
                path_id("ids[]", item)
            params["ids"] = ",".join(ids)
        return Call(
            "faraday.list_connections",
            "GET",
            "/connections",
            _page(Connection, LIST_PLACEHOLDERS, "faraday connection list"),
            params=params,
        )

    def create_connection(self, name: str, options: Mapping[str, Any]) -> Call[Connection]:
        """POST /connections (not idempotent: never resent by the transport)."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("name: must contain a non-blank character")
        body = {"name": name, "options": _check_options(options)}
        return Call("faraday.create_connection", "POST", "/connections", _connection, json=body)

    def get_connection(self, connection_id: str) -> Call[Connection]:
        """GET /connections/{connection_id}."""
        path = f"/connections/{path_id('connection_id', connection_id)}"
        return Call("faraday.get_connection", "GET", path, _connection)

    def update_connection(
        self,
        connection_id: str,
        *,
        name: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Call[Connection]:
        """PATCH /connections/{connection_id} as a JSON merge patch.

        `options` must include `type`; an option set to None is removed (merge-patch null).
        """
        path = f"/connections/{path_id('connection_id', connection_id)}"
        body: dict[str, Any] = {}
        if name is not None:
            if not name.strip():
                raise ValueError("name: must contain a non-blank character")
            body["name"] = name
        if options is not None:
            body["options"] = _check_options(options)
        if not body:
            raise ValueError("update_connection: give name and/or options to change")
        return Call(
            "faraday.update_connection",
            "PATCH",
            path,
            _connection,
            json=body,
            headers={"Content-Type": MERGE_PATCH},
            # A merge patch sets fields to given values: sending it twice is harmless.
            idempotent=True,
        )

    def delete_connection(self, connection_id: str) -> Call[None]:
        """DELETE /connections/{connection_id} (204). Prefer `delete_flow`, which checks users."""
        path = f"/connections/{path_id('connection_id', connection_id)}"
        return Call("faraday.delete_connection", "DELETE", path, _no_body)

    def list_connection_datasets(self, connection_id: str) -> Call[Page[Dataset]]:
        """GET /connections/{connection_id}/datasets: datasets reading from the connection."""
        path = f"/connections/{path_id('connection_id', connection_id)}/datasets"
        return Call(
            "faraday.list_connection_datasets",
            "GET",
            path,
            _page(Dataset, {}, "faraday dataset list"),
        )

    def list_connection_targets(self, connection_id: str) -> Call[Page[Target]]:
        """GET /connections/{connection_id}/targets: targets writing to the connection."""
        path = f"/connections/{path_id('connection_id', connection_id)}/targets"
        return Call(
            "faraday.list_connection_targets", "GET", path, _page(Target, {}, "faraday target list")
        )

    def force_update_connection(self, connection_id: str) -> Call[None]:
        """POST /connections/{connection_id}/force_update (202): queue a rerun."""
        path = f"/connections/{path_id('connection_id', connection_id)}/force_update"
        # Queuing a second rerun is harmless, so a lost 202 may be resent.
        return Call("faraday.force_update_connection", "POST", path, _no_body, idempotent=True)

    def archive_connection(
        self,
        connection_id: str,
        *,
        cascade_to: Sequence[str] | None = None,
        cascade_to_all: bool | None = None,
    ) -> Call[None]:
        """POST /connections/{connection_id}/archive with an ArchiveConfig body.

        `cascade_to_all` also archives every downstream dataset and target;
        `cascade_to` lists the only resources allowed to be archived with it.
        """
        return self._archive_call("archive", connection_id, cascade_to, cascade_to_all)

    def unarchive_connection(
        self,
        connection_id: str,
        *,
        cascade_to: Sequence[str] | None = None,
        cascade_to_all: bool | None = None,
    ) -> Call[None]:
        """POST /connections/{connection_id}/unarchive (cascades go upstream)."""
        return self._archive_call("unarchive", connection_id, cascade_to, cascade_to_all)

    def _archive_call(
        self,
        action: str,
        connection_id: str,
        cascade_to: Sequence[str] | None,
        cascade_to_all: bool | None,
    ) -> Call[None]:
        path = f"/connections/{path_id('connection_id', connection_id)}/{action}"
        body: dict[str, Any] = {}
        if cascade_to is not None:
            if isinstance(cascade_to, str):
                raise ValueError("cascade_to: must be a sequence of resource ids, not a string")
            body["cascade_to"] = [str(item) for item in cascade_to]
        if cascade_to_all is not None:
            body["cascade_to_all"] = bool(cascade_to_all)
        # The spec requires a body, even an empty ArchiveConfig.
        return Call(f"faraday.{action}_connection", "POST", path, _no_body, json=body)

    def rotate_credentials(self, connection_id: str, type: str) -> Call[Connection]:
        """POST /connections/{connection_id}/rotate_credentials: new keypair.

        `type` is "snowflake" or "clickhouse"; the connection's new public key is in the
        returned options (`rsa_public_key` / `ssh_public_key`).
        """
        if type not in RotateCredentialsType.known:
            allowed = ", ".join(sorted(RotateCredentialsType.known))
            raise ValueError(f"type: must be one of {allowed}, got {type!r}")
        path = f"/connections/{path_id('connection_id', connection_id)}/rotate_credentials"
        return Call("faraday.rotate_credentials", "POST", path, _connection, json={"type": type})
