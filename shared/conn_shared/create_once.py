"""Create a resource at most once, even when the answer to the create is lost.

Creates are not idempotent, so the transport never re-sends one. Instead this
flow, shared by every backend's `ensure`, reacts to the two signs that the
resource may already exist:

- an ambiguous failure (dropped connection, timeout, 5xx, unreadable
  answer): the create may have been applied, so look it up; create again only
  when the look-up proves it absent;
- a conflict (409): someone, perhaps our own lost attempt, created it; adopt
  what the look-up finds, or re-raise when it finds nothing.

A 429 is not ambiguous: the vendor did not process the request. The attempt
loop already waited out a Retry-After that fits the retry policy's
`max_retry_after`; a longer one reaches here as RateLimitedError (with
`retry_after`) and is raised at once, never re-sent before that time.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from conn_shared.calls import Call, Flow
from conn_shared.errors import (
    ConflictError,
    NetworkError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)

__all__ = ["AMBIGUOUS_FAILURES", "create_once"]

logger = logging.getLogger("conn_shared.lifecycle")

T = TypeVar("T")

#: Failures after which a create may or may not have been applied.
AMBIGUOUS_FAILURES = (NetworkError, ServerError, UnexpectedResponseError)


def create_once(
    create: Call[T],
    find: Callable[[], Flow[T | None]],
    *,
    what: str,
    attempts: int = 3,
    find_after_conflict: Callable[[], Flow[T | None]] | None = None,
) -> Flow[tuple[T, bool]]:
    """Send `create` and return `(resource, created)`; never leaves a duplicate.

    `find` looks the resource up by its identity (None when absent); `what`
    names it in logs ("fivetran connection 'shop'"). `attempts` caps the creates
    sent. `created` is False only when a 409 on the first attempt showed that
    someone else had created it. `find_after_conflict` may widen the look-up
    after a 409 (default: `find`).
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            created: T = yield create
        except RateLimitedError:
            raise  # refused, not applied: re-sending now would only be refused again
        except ConflictError:
            found = yield from (find_after_conflict or find)()
            if found is None:
                raise
            logger.info("%s already existed (409 on create); adopting it", what)
            return found, attempt > 1
        except AMBIGUOUS_FAILURES as exc:
            logger.warning(
                "create of %s may or may not have been applied (%s); looking it up",
                what,
                type(exc).__name__,
            )
            found = yield from find()
            if found is not None:
                return found, True
            if attempt == attempts:
                raise
            continue
        return created, True
    raise AssertionError("unreachable: the loop returns or raises")
