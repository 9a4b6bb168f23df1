"""Pages as data, streamed one at a time by a sync or an async iterator.

A page's parser builds the `Call` for the next page, so the iterators below know
nothing about cursors, offsets or tokens, and hold one page in memory at a time.

One malformed item must not cost the whole page, nor the look-up that `ensure`
runs over it: `parse_items` keeps an item whose identity fields parse, with
placeholders for the fields that did not, and reports what it could not read in
`Page.problems` (and the log).
"""

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from conn_shared.calls import Call, Flow

if TYPE_CHECKING:
    from conn_shared.executors import AsyncExecutor, SyncExecutor

__all__ = [
    "Page",
    "aiter_items",
    "aiter_pages",
    "find_in_pages",
    "iter_items",
    "iter_pages",
    "parse_items",
]

logger = logging.getLogger("conn_shared.pagination")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results and the call that fetches the next one (None on the last page).

    `problems` says, item by item, what could not be read (an item kept with
    placeholders, or one skipped because even its identity was unreadable).
    """

    items: list[T]
    next: "Call[Page[T]] | None" = field(default=None, repr=False)
    problems: tuple[str, ...] = ()


def parse_items(
    model: type[M],
    items: Iterable[Any],
    *,
    placeholders: Mapping[str, Any],
    what: str,
) -> tuple[list[M], tuple[str, ...]]:
    """Validate each item as `model`; keep partly readable ones, report the rest.

    A field that fails validation is replaced by its entry in `placeholders`
    (e.g. an unknown status) or, when it has none, dropped so that the model's
    default applies; an item still invalid after that (its identity is
    unreadable) is skipped. Problems name the item's position, its `id` when
    readable, and the fields with pydantic's message, never the values.
    """
    parsed: list[M] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        try:
            parsed.append(model.model_validate(item))
            continue
        except ValidationError as exc:
            broken = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        label = f"{what} item {index}"
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            label += f" (id {item['id']!r})"
        if isinstance(item, Mapping):
            repaired = {k: v for k, v in item.items() if k not in broken}
            repaired.update({k: placeholders[k] for k in broken if k in placeholders})
            try:
                parsed.append(model.model_validate(repaired))
            except ValidationError:
                problems.append(f"{label} skipped, unreadable: {detail}")
            else:
                problems.append(f"{label} kept with placeholders: {detail}")
        else:
            problems.append(f"{label} skipped: not a JSON object")
    for problem in problems:
        logger.warning("%s", problem)
    return parsed, tuple(problems)


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
