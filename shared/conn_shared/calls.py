"""Requests described as data, and multi-step flows written once for sync and async.

A backend method never sends anything: it returns a `Call`, the description of
one HTTP request plus the parser of its answer. Multi-step logic (look up then
create, poll then sleep) is a generator, a *flow*, that yields `Call`, `Sleep`
and `NOW` instructions and receives their results. The executors in `executors.py`
run the same call or flow with `httpx.Client` or `httpx.AsyncClient`:

    def ensure(spec):
        found = yield backend.find(spec)          # the parsed result comes back
        if found is None:
            found = yield backend.create(spec)
        return found

    connection = executor.run(ensure(spec))          # SyncExecutor
    connection = await aexecutor.run(ensure(spec))   # AsyncExecutor

Errors raised by a call are thrown into the flow at its `yield`, so a flow can
recover (a create whose response was lost is looked up again).
"""

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

if TYPE_CHECKING:
    from conn_shared.coalesce import Coalesce

__all__ = ["NOW", "Call", "Flow", "Instruction", "Now", "Sleep", "call_flow", "value_flow"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

QueryValue = str | int | float | bool | None
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True, slots=True)
class Call(Generic[T_co]):
    """One HTTP request against a backend and the parser of its successful answer.

    Attributes:
        operation: a stable name for logs and counters, e.g. "fivetran.connection_details".
        method: HTTP method, upper case.
        path: path relative to the backend's base URL, already filled in and quoted.
        parse: turns a 2xx response into the result; raising ValueError (or a pydantic
            ValidationError) marks the body as unexpected.
        params: query parameters; None values are left out.
        json: the JSON body, or None for no body.
        headers: extra headers for this call only.
        idempotent: whether sending it twice is harmless; by default true for
            GET, HEAD, OPTIONS, PUT and DELETE.
        coalesce: for a read, how concurrent reads on the same account may be
            answered by one shared listing instead (`conn_shared.coalesce`); an
            executor may use it, any other driver sends the call as described.
    """

    operation: str
    method: str
    path: str
    parse: Callable[[httpx.Response], T_co] = field(repr=False)
    params: Mapping[str, QueryValue] | None = None
    json: Any = field(default=None, repr=False)
    headers: Mapping[str, str] | None = None
    idempotent: bool | None = None
    coalesce: "Coalesce[T_co] | None" = field(default=None, repr=False, compare=False)

    @property
    def is_idempotent(self) -> bool:
        """Whether the transport may resend this call after an ambiguous failure."""
        if self.idempotent is not None:
            return self.idempotent
        return self.method in _IDEMPOTENT_METHODS

    def query(self) -> dict[str, str | int | float | bool]:
        """The query parameters with None values left out."""
        return {k: v for k, v in (self.params or {}).items() if v is not None}


@dataclass(frozen=True, slots=True)
class Sleep:
    """Flow instruction: wait this many seconds (the executor sleeps, sync or async)."""

    seconds: float


class Now:
    """Flow instruction: send back the current time in epoch seconds."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOW"


NOW = Now()

Instruction = Call[Any] | Sleep | Now
Flow = Generator[Instruction, Any, T]


def call_flow(call: Call[T]) -> Flow[T]:
    """A flow of exactly one call, for APIs that take flows."""
    result: T = yield call
    return result


def value_flow(value: T) -> Flow[T]:
    """A flow that sends nothing and returns `value`, where an API wants a flow but
    everything needed is already known."""
    return value
    yield  # unreachable: its presence makes this function a generator
