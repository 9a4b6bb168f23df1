"""Route tables for vendor simulators that answer every failure with one error type.

A vendor lists `(path, method, handler)` rows; each path becomes one Starlette
route whose endpoint authenticates, picks the handler for the method, and turns
the vendor's own error exception into that vendor's error body.
"""

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeAlias, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

__all__ = ["Handler", "StoreHandler", "bind_table", "routes_from_table"]

Handler: TypeAlias = Callable[[Request], Awaitable[Response]]
S = TypeVar("S")
#: A handler that reads and changes a vendor's state (`store`) to answer a request.
StoreHandler: TypeAlias = Callable[[S, Request], Awaitable[Response]]
E = TypeVar("E", bound=Exception)


def bind_table(
    table: Iterable[tuple[str, str, StoreHandler[S]]], store: S
) -> list[tuple[str, str, Handler]]:
    """A route table whose handlers take the vendor's state, bound to `store`."""

    def bound(handler: StoreHandler[S]) -> Handler:
        async def endpoint(request: Request) -> Response:
            return await handler(store, request)

        return endpoint

    return [(path, method, bound(handler)) for path, method, handler in table]


def routes_from_table(
    table: Iterable[tuple[str, str, Handler]],
    *,
    authenticate: Callable[[Request], None],
    error_type: type[E],
    render_error: Callable[[E], Response],
) -> list[BaseRoute]:
    """One route per path; `authenticate` runs first and raises `error_type` to refuse."""
    by_path: dict[str, dict[str, Handler]] = {}
    for path, method, handler in table:
        by_path.setdefault(path, {})[method] = handler

    def dispatch(handlers: dict[str, Handler]) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                authenticate(request)
                # Starlette answers HEAD through the GET route.
                handler = handlers.get(request.method) or handlers["GET"]
                return await handler(request)
            except error_type as err:
                return render_error(err)

        return endpoint

    return [
        Route(path, dispatch(handlers), methods=list(handlers))
        for path, handlers in by_path.items()
    ]
