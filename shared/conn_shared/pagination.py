"""Pages as data, streamed one at a time by a sync or an async iterator.

A page's parser builds the `Call` for the next page, so the iterators below know
nothing about cursors, offsets or tokens, and hold one page in memory at a time.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from conn_shared.calls import Call, Flow

if TYPE_CHECKING:
    from conn_shared.executors import AsyncExecutor, SyncExecutor

__all__ = ["Page", "aiter_items", "aiter_pages", "find_in_pages", "iter_items", "iter_pages"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results and the call that fetches the next one (None on the last page)."""

    items: list[T]
    next: "Call[Page[T]] | None" = field(default=None, repr=False)


def iter_pages(executor: "SyncExecutor", first: Call[Page[T]]) -> Iterator[Page[T]]:
    """Fetch pages lazily, starting from `first`, until a page has no next call."""
    call: Call[Page[T]] | None = first
    while call is not None:
        page = executor.call(call)
        yield page
        call = page.next


async def aiter_pages(executor: "AsyncExecutor", first: Call[Page[T]]) -> AsyncIterator[Page[T]]:
    """The async twin of `iter_pages`."""
    call: Call[Page[T]] | None = first
    while call is not None:
        page = await executor.call(call)
        yield page
        call = page.next


def iter_items(executor: "SyncExecutor", first: Call[Page[T]]) -> Iterator[T]:
    """Every item of every page, fetched lazily."""
    for page in iter_pages(executor, first):
        yield from page.items


async def aiter_items(executor: "AsyncExecutor", first: Call[Page[T]]) -> AsyncIterator[T]:
    """The async twin of `iter_items`."""
    async for page in aiter_pages(executor, first):
        for item in page.items:
            yield item


def find_in_pages(first: Call[Page[T]], matches: Callable[[T], bool]) -> Flow[list[T]]:
    """A flow that pages through results and returns every item that `matches`.

    Only matches are kept, so memory stays flat however long the listing is.
    """
    found: list[T] = []
    call: Call[Page[T]] | None = first
    while call is not None:
        page: Page[T] = yield call
        found.extend(item for item in page.items if matches(item))
        call = page.next
    return found
