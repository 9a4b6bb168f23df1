"""Coalesced reads: concurrent polls on one account answered by one listing per round.

A wait polls one connection; a thousand waits in one Airflow triggerer would
send a thousand GETs per interval. A vendor's connection listing carries the
fields a wait decides on, for up to 1,000 connections a page, so reads that
carry a `Coalesce` (see `Call.coalesce`) are answered together:

- a read joins the round being gathered or in flight for its key, or takes
  the last round's row when that listing was asked for at most
  `Coalesce.max_age` seconds before (the wait then sleeps that much less, so
  its detection lag stays within one interval, see `waiting.poll_probes`);
- otherwise it starts a round; after one turn of the event loop (so that polls
  woken together join) the round lists when that pays off in requests: the
  waits polling this key lately (its members, and every read with a `max_age`
  in the last four of them) number two or more, and more than the pages the
  listing took last time. Otherwise every member reads alone. The listing's
  rows then answer the other waits' next polls too, which brings waits started
  at different times onto one listing per interval;
- a member the listing did not hold (deleted, unreadable row, a later page
  never fetched) reads alone, as does every member after a listing refused
  with a non-transient error (401, 403, 404, 400); a transient listing error
  (5xx, 429, network) reaches every member as its poll's failure, so a
  thousand waits back off instead of falling back to a thousand GETs.

The rounds run through the executor that started them, so retries, the
shared rate-limit throttle and the in-flight cap apply to listings as to any
call. One `Coalescer` serves each pooled client (per process for sync
executors, per event loop for async ones); an executor with a private client or
a fake clock has its own. Drivers that know nothing of this (a test driving a
flow by hand) send the call itself: a coalesced call means the same thing
either way.
"""

import copy
import dataclasses
import threading
from collections.abc import Callable, Generator, Hashable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from conn_shared.calls import Call, Flow, Instruction
from conn_shared.errors import ConnError
from conn_shared.pagination import Page
from conn_shared.waiting import TRANSIENT_POLL_ERRORS

__all__ = [
    "LET_JOIN",
    "MONOTONIC",
    "AwaitRound",
    "Coalesce",
    "Coalescer",
    "LetJoin",
    "Reading",
    "Round",
    "RoundStep",
    "Ticket",
    "TicketKind",
    "read_flow",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
V = TypeVar("V")

Row = Mapping[str, Any]
RowsCall = Call[Page[Row]]


@dataclass(frozen=True, slots=True)
class Reading(Generic[V]):
    """A cheap reading of one vendor object: what decisions need, and the object itself.

    Attributes:
        view: the few fields a decision reads, validated (a small model).
        data: the vendor's object as received (unvalidated, unredacted: never show
            it; build the full, redacted result from it once, at the end).
        age: seconds between the request of the listing that answered and this
            answer (0 when the object was read just now, by its own request).
    """

    view: V
    data: Row = field(repr=False)
    age: float = 0.0


@dataclass(frozen=True, slots=True)
class Coalesce(Generic[T_co]):
    """How one read may be answered from a listing shared with concurrent reads.

    Attributes:
        key: reads with equal keys share a listing, e.g. ("fivetran", base URL, group).
        item_id: the item this read is about; listing rows are matched on their `id`.
        listing: the first page of the listing for the ids a round asks about (a
            vendor that filters by id lists only those, the others list everything).
        answer: the read's result from the item's row and the row's age (seconds since
            the listing was asked for); a ValueError makes the read go alone.
        max_age: seconds; a listing asked for that long before this read still answers it.
        filtered: True when `listing` returns only the ids asked for, so a read that
            joins a round already sent cannot be in it.
    """

    key: Hashable
    item_id: str
    listing: Callable[[tuple[str, ...]], RowsCall] = field(repr=False)
    answer: Callable[[Row, float], T_co] = field(repr=False)
    max_age: float = 0.0
    filtered: bool = False


class TicketKind(str, Enum):
    """What a read does next: take an answer, join a round (or wait for the one in flight
    to end, then begin again: NEXT), lead one, or go alone."""

    ANSWERED = "answered"
    JOIN = "join"
    NEXT = "next"
    LEAD = "lead"
    ALONE = "alone"


@dataclass(eq=False)
class Round:
    """One shared listing: its members, and once done its rows or its error."""

    first: Coalesce[Any]
    #: Member items -> their reads' `max_age`.
    members: dict[str, float] = field(default_factory=dict)
    #: The ids the listing is asked for (a filtered listing): members and recent waits.
    wanted: frozenset[str] = frozenset()
    sent: bool = False
    #: When the listing was asked for, on the executor's monotonic clock (seconds).
    asked_at: float = 0.0
    rows: dict[str, Row] = field(default_factory=dict)
    error: ConnError | None = None
    alone: bool = False
    done: bool = False
    waiters: list[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Ticket:
    """The coalescer's answer to `begin`: a row to answer from, or a round to join or lead."""

    kind: TicketKind
    round: Round | None = None
    row: Row | None = None
    asked_at: float = 0.0


#: A wait counts as polling a key for this many of its `max_age`s after its last read.
_RECENT_AGES = 4


@dataclass
class _KeyState:
    current: Round | None = None
    last: Round | None = None
    #: Pages the last listing of this key took: listing pays off above this many members.
    pages: int = 1
    #: The vendor refused the listing itself (401, 403, 404, 400): read alone from now on.
    refused: bool = False
    #: Items waits polled lately -> until when they count (monotonic seconds).
    recent: dict[str, float] = field(default_factory=dict)


class Coalescer:
    """Rounds of shared listings, per key; thread-safe, no I/O of its own.

    Executors drive it: `begin` for every coalesced read, then `plan` and
    `listing_flow` / `finish` / `fail` / `abandon` for a round they lead, and
    `outcome` once a round they joined is done.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[Hashable, _KeyState] = {}

    def begin(self, read: Coalesce[Any], now: float) -> Ticket:
        """Join, lead or skip a round for `read` at `now` (monotonic seconds)."""
        with self._lock:
            state = self._keys.setdefault(read.key, _KeyState())
            self._touch(state, read, now)
            if state.refused:
                return Ticket(TicketKind.ALONE)
            current = state.current
            busy = current is not None and not current.done
            # A filtered listing already sent holds only the ids it asked for.
            if (
                current is not None
                and busy
                and not (current.sent and read.filtered and read.item_id not in current.wanted)
            ):
                current.members[read.item_id] = read.max_age
                return Ticket(TicketKind.JOIN, current)
            last = state.last
            if last is not None and last.asked_at >= now - read.max_age:
                row = last.rows.get(read.item_id)
                if row is not None:
                    return Ticket(TicketKind.ANSWERED, row=row, asked_at=last.asked_at)
            if current is not None and busy:
                return Ticket(TicketKind.NEXT, current)
            fresh = Round(first=read, members={read.item_id: read.max_age})
            state.current = fresh
            return Ticket(TicketKind.LEAD, fresh)

    @staticmethod
    def _touch(state: _KeyState, read: Coalesce[Any], now: float) -> None:
        Coalescer._touch_item(state, read.item_id, read.max_age, now)

    @staticmethod
    def _touch_item(state: _KeyState, item_id: str, max_age: float, now: float) -> None:
        if max_age > 0:  # a wait's poll; a one-off read does not make a listing pay
            until = now + _RECENT_AGES * max_age
            state.recent[item_id] = max(state.recent.get(item_id, 0.0), until)

    def plan(self, led: Round, now: float) -> bool:
        """Whether the round lists (True) or lets every member read alone (False, done).

        `now` is monotonic seconds, as for `begin`.
        """
        with self._lock:
            state = self._keys[led.first.key]
            state.recent = {item: until for item, until in state.recent.items() if until >= now}
            polled = {**led.members, **dict.fromkeys(state.recent)}
            count = len(polled)
            if count >= 2 and (led.first.filtered or count > state.pages):
                led.sent, led.asked_at, led.wanted = True, now, frozenset(polled)
                return True
            led.alone = True
            self._close(state, led)
        self._wake(led)
        return False

    def listing_flow(self, led: Round) -> Flow[tuple[dict[str, Row], int]]:
        """The listing's pages until every member is found: (rows by id, pages fetched).

        Members may still join while it runs (unfiltered listings), so the
        members are read again after every page.
        """
        rows: dict[str, Row] = {}
        pages = 0
        call: RowsCall | None = led.first.listing(tuple(sorted(led.wanted)))
        while call is not None:
            page: Page[Row] = yield call
            pages += 1
            for row in page.items:
                item_id = row.get("id")
                if isinstance(item_id, str):
                    rows[item_id] = row
            with self._lock:
                missing = any(member not in rows for member in led.members)
            if not missing:
                break
            call = page.next
        return rows, pages

    def finish(self, led: Round, rows: dict[str, Row], pages: int, now: float) -> None:
        """The listing answered at `now`: keep its rows for the members and later reads."""
        with self._lock:
            state = self._keys[led.first.key]
            self._settle(state, led, now)
            led.rows = rows
            if not led.first.filtered:
                state.pages = max(pages, 1)
            state.last = led
            self._close(state, led)
        self._wake(led)

    def fail(self, led: Round, error: ConnError, now: float, *, transient: bool) -> None:
        """The listing failed: a transient error is every member's; any other sends them alone."""
        with self._lock:
            state = self._keys[led.first.key]
            self._settle(state, led, now)
            if transient:
                led.error = error
            else:
                state.refused = True
                led.alone = True
            self._close(state, led)
        self._wake(led)

    def abandon(self, led: Round) -> None:
        """The leader stopped (cancelled): every member reads alone."""
        with self._lock:
            led.alone = True
            self._close(self._keys[led.first.key], led)
        self._wake(led)

    def on_done(self, joined: Round, wake: Callable[[], None]) -> bool:
        """Call `wake` once `joined` is done; False (and no call) when it already is."""
        with self._lock:
            if joined.done:
                return False
            joined.waiters.append(wake)
            return True

    def outcome(self, done: Round, item_id: str) -> Ticket:
        """For a member of a finished round: its row, or ALONE; raises the round's error."""
        if done.error is not None:
            raise copy.copy(done.error)
        row = None if done.alone else done.rows.get(item_id)
        if row is None:
            return Ticket(TicketKind.ALONE)
        return Ticket(TicketKind.ANSWERED, row=row, asked_at=done.asked_at)

    @classmethod
    def _settle(cls, state: _KeyState, led: Round, now: float) -> None:
        # A slow round (retries, a long listing) must not make its members look idle.
        for item_id, max_age in led.members.items():
            cls._touch_item(state, item_id, max_age, now)

    @staticmethod
    def _close(state: _KeyState, led: Round) -> None:
        led.done = True
        if state.current is led:
            state.current = None

    @staticmethod
    def _wake(led: Round) -> None:
        waiters, led.waiters = led.waiters, []
        for wake in waiters:
            wake()


class RoundStep:
    """Base of the instructions a read flow yields besides a flow's own."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class AwaitRound(RoundStep):
    """Read-flow instruction: block (sync) or await (async) until `round` is done."""

    round: Round


class LetJoin(RoundStep):
    """Read-flow instruction: let reads that are ready now join the round (async: one
    turn of the event loop; sync: nothing, threads join while the listing runs)."""

    __slots__ = ()


LET_JOIN = LetJoin()


class Monotonic(RoundStep):
    """Read-flow instruction: send back the executor's monotonic time in seconds."""

    __slots__ = ()


MONOTONIC = Monotonic()


def read_flow(coalescer: Coalescer, call: Call[T]) -> Generator[Instruction | RoundStep, Any, T]:
    """Answer the coalesced `call` through `coalescer`, else send it alone; written once.

    Executors drive it like a flow, plus `MONOTONIC`, `LetJoin` and `AwaitRound`.
    Ages are measured on the executor's monotonic clock, the one its sleeps
    follow, so a wait can subtract them from its next sleep.
    """
    read = call.coalesce
    assert read is not None
    ticket = coalescer.begin(read, (yield MONOTONIC))
    if ticket.kind is TicketKind.NEXT and ticket.round is not None:
        yield AwaitRound(ticket.round)
        ticket = coalescer.begin(read, (yield MONOTONIC))
        if ticket.kind is TicketKind.NEXT:  # overtaken again: not worth a second wait
            ticket = Ticket(TicketKind.ALONE)
    led = ticket.round
    if ticket.kind is TicketKind.LEAD and led is not None:
        yield LET_JOIN
        ticket = Ticket(TicketKind.ALONE)
        if coalescer.plan(led, (yield MONOTONIC)):
            try:
                rows, pages = yield from coalescer.listing_flow(led)
            except ConnError as exc:
                transient = isinstance(exc, TRANSIENT_POLL_ERRORS)
                coalescer.fail(led, exc, (yield MONOTONIC), transient=transient)
                if transient:
                    raise
            except BaseException:
                coalescer.abandon(led)
                raise
            else:
                coalescer.finish(led, rows, pages, (yield MONOTONIC))
                ticket = coalescer.outcome(led, read.item_id)
    elif ticket.kind is TicketKind.JOIN and led is not None:
        yield AwaitRound(led)
        ticket = coalescer.outcome(led, read.item_id)
    if ticket.kind is TicketKind.ANSWERED and ticket.row is not None:
        age = max((yield MONOTONIC) - ticket.asked_at, 0.0)
        try:
            return read.answer(ticket.row, age)
        except ValueError:  # pydantic's ValidationError too: the item's own call says why
            pass
    result: T = yield dataclasses.replace(call, coalesce=None)
    return result
