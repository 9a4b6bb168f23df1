"""Coalesced reads over a scripted transport: who lists, who reads alone, what each gets."""

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conn_shared.calls import Call, Flow
from conn_shared.coalesce import Coalesce, Reading
from conn_shared.errors import ApiError, NotFoundError, ServerError
from conn_shared.executors import AsyncExecutor, SyncExecutor
from conn_shared.http import ApiProfile, build_api_error
from conn_shared.pagination import Page
from conn_shared.retry import RetryPolicy

Row = dict[str, Any]
ONCE = RetryPolicy(max_attempts=1)


def _map(response: httpx.Response) -> ApiError:
    return build_api_error(response, backend="toy", message="failed")


def _profile() -> ApiProfile:
    return ApiProfile(backend="toy", base_url="https://toy.test", map_error=_map, retry=ONCE)


class Api:
    """`GET /items` (pages of `page_size`) and `GET /items/{id}`, both over `items`."""

    def __init__(self, items: dict[str, Row], *, page_size: int = 1000) -> None:
        self.items = items
        self.page_size = page_size
        self.requests: list[str] = []
        self.list_status = 200
        self.before_list: Callable[[], None] = lambda: None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append(f"{path}?{request.url.query.decode()}".rstrip("?"))
        if path == "/items":
            self.before_list()
            if self.list_status != 200:
                return httpx.Response(self.list_status, json={})
            start = int(request.url.params.get("offset", "0"))
            rows = list(self.items.values())[start : start + self.page_size]
            more = start + self.page_size < len(self.items)
            return httpx.Response(200, json={"rows": rows, "more": more})
        item = self.items.get(path.rsplit("/", 1)[-1])
        if item is None:
            return httpx.Response(404, json={})
        return httpx.Response(200, json=item)

    @property
    def listings(self) -> int:
        return sum(1 for r in self.requests if r.startswith("/items?") or r == "/items")

    @property
    def singles(self) -> list[str]:
        return [r for r in self.requests if r.startswith("/items/")]


def _listing(offset: int = 0) -> Call[Page[Row]]:
    def parse(response: httpx.Response) -> Page[Row]:
        body = response.json()
        follow = _listing(offset + len(body["rows"])) if body["more"] else None
        return Page(items=body["rows"], next=follow)

    return Call("toy.list", "GET", "/items", parse, params={"offset": offset or None})


def _view(row: Row) -> str:
    if not isinstance(row.get("state"), str):
        raise ValueError("state: not a string")
    return str(row["state"])


def read(item_id: str, *, max_age: float = 0.0) -> Call[Reading[str]]:
    """A coalesced read of one item's `state`."""
    return Call(
        "toy.item",
        "GET",
        f"/items/{item_id}",
        lambda r: Reading(_view(r.json()), r.json()),
        coalesce=Coalesce(
            key="items",
            item_id=item_id,
            listing=lambda ids: _listing(),
            answer=lambda row, at: Reading(_view(row), row, at),
            max_age=max_age,
        ),
    )


def one(call: Call[Reading[str]]) -> Flow[Reading[str]]:
    reading: Reading[str] = yield call
    return reading


def _items(*ids: str) -> dict[str, Row]:
    return {i: {"id": i, "state": f"state-{i}"} for i in ids}


def gather(api: Api, *calls: Call[Reading[str]], now: float = 1000.0) -> list[Any]:
    """Run one flow per call concurrently on one async executor; errors come back as values."""

    async def main() -> list[Any]:
        async with AsyncExecutor(
            _profile(), transport=httpx.MockTransport(api), monotonic=lambda: now
        ) as executor:
            flows = [executor.run(one(call)) for call in calls]
            return list(await asyncio.gather(*flows, return_exceptions=True))

    return asyncio.run(main())


def test_a_read_alone_sends_its_own_request_and_no_listing() -> None:
    api = Api(_items("a", "b"))
    [reading] = gather(api, read("a"))
    assert reading == Reading("state-a", {"id": "a", "state": "state-a"}, 0.0)
    assert api.requests == ["/items/a"]


def test_concurrent_reads_share_one_listing() -> None:
    api = Api(_items("a", "b", "c", "d"))
    readings = gather(api, read("a"), read("b"), read("c"), now=1234.0)
    assert [r.view for r in readings] == ["state-a", "state-b", "state-c"]
    assert all(r.age == 0.0 for r in readings)
    assert api.requests == ["/items"]


def test_the_listing_stops_paging_once_every_member_is_found() -> None:
    api = Api(_items("a", "b", "c", "d", "e", "f"), page_size=2)
    readings = gather(api, read("a"), read("c"))
    assert [r.view for r in readings] == ["state-a", "state-c"]
    assert api.requests == ["/items", "/items?offset=2"]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(
            {"a": {"id": "a", "state": "ok"}},
            ["/items", "/items/gone"],
            id="member-missing-from-the-listing",
        ),
        pytest.param(
            {"a": {"id": "a", "state": "ok"}, "b": {"id": "b", "state": 7}},
            ["/items", "/items/b"],
            id="member-row-unreadable",
        ),
    ],
)
def test_a_member_the_listing_cannot_answer_reads_alone(
    items: dict[str, Row], expected: list[str]
) -> None:
    api = Api(items)
    other = "gone" if "b" not in items else "b"
    results = gather(api, read("a"), read(other))
    assert results[0].view == "ok"
    assert sorted(api.requests) == sorted(expected)
    second = results[1]
    if other == "gone":
        assert isinstance(second, NotFoundError)
    else:
        assert "could not read" in str(second)


def test_a_transient_listing_error_is_every_members_failed_poll() -> None:
    api = Api(_items("a", "b"))
    api.list_status = 503
    results = gather(api, read("a"), read("b"))
    assert all(isinstance(r, ServerError) for r in results)
    assert results[0] is not results[1]  # each member raises its own copy
    assert api.requests == ["/items"]


def test_a_refused_listing_sends_members_alone_from_then_on() -> None:
    api = Api(_items("a", "b"))
    api.list_status = 403

    async def main() -> list[Any]:
        async with AsyncExecutor(_profile(), transport=httpx.MockTransport(api)) as executor:
            first = await asyncio.gather(executor.run(one(read("a"))), executor.run(one(read("b"))))
            second = await asyncio.gather(
                executor.run(one(read("a"))), executor.run(one(read("b")))
            )
            return [*first, *second]

    results = asyncio.run(main())
    assert [r.view for r in results] == ["state-a", "state-b"] * 2
    assert api.requests == ["/items", "/items/a", "/items/b", "/items/a", "/items/b"]


def test_a_recent_listing_answers_later_reads_within_their_max_age() -> None:
    api = Api(_items("a", "b"))
    now = [1000.0]

    async def main() -> list[Reading[str]]:
        async with AsyncExecutor(
            _profile(), transport=httpx.MockTransport(api), monotonic=lambda: now[0]
        ) as executor:
            await asyncio.gather(executor.run(one(read("a"))), executor.run(one(read("b"))))
            now[0] = 1004.0
            fresh_enough = await executor.run(one(read("a", max_age=5.0)))
            too_old = await executor.run(one(read("b", max_age=3.0)))
            return [fresh_enough, too_old]

    fresh_enough, too_old = asyncio.run(main())
    assert fresh_enough.age == 4.0
    assert too_old.age == 0.0  # listed afresh: two waits poll this key
    assert api.requests == ["/items", "/items"]


def test_more_members_than_the_listing_had_pages_are_needed_to_list() -> None:
    api = Api(_items("a", "b", "c", "d"), page_size=1)

    async def main() -> None:
        async with AsyncExecutor(_profile(), transport=httpx.MockTransport(api)) as executor:
            # The first round learns that listing everything takes 4 pages.
            await asyncio.gather(*(executor.run(one(read(i))) for i in "abcd"))
            api.requests.clear()
            await asyncio.gather(*(executor.run(one(read(i))) for i in "ab"))

    asyncio.run(main())
    assert sorted(api.requests) == ["/items/a", "/items/b"]


def test_a_cancelled_leader_hands_its_members_back() -> None:
    api = Api(_items("a", "b"))

    async def main() -> Any:
        held = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/items":
                held.set()
                await asyncio.sleep(3600)  # until cancelled
            return api(request)

        async with AsyncExecutor(_profile(), transport=httpx.MockTransport(handler)) as executor:
            leader = asyncio.ensure_future(executor.run(one(read("a"))))
            member = asyncio.ensure_future(executor.run(one(read("b"))))
            await held.wait()
            leader.cancel()
            return await member

    reading = asyncio.run(main())
    assert reading.view == "state-b"
    assert api.requests == ["/items/b"]


def test_reads_spread_in_time_are_answered_by_one_listing() -> None:
    api = Api(_items("a", "b", "c"))
    now = [1000.0]
    executor = SyncExecutor(
        _profile(), transport=httpx.MockTransport(api), monotonic=lambda: now[0]
    )
    first_a = executor.run(one(read("a", max_age=10)))  # alone: no other wait is known yet
    first_b = executor.run(one(read("b", max_age=10)))  # two waits known: list, keep every row
    now[0] = 1005.0
    again_a = executor.run(one(read("a", max_age=10)))  # the listing is recent enough
    assert [first_a.age, first_b.age, again_a.age] == [0.0, 0.0, 5.0]
    assert api.requests == ["/items/a", "/items"]


def test_sync_executors_in_threads_join_a_listing_in_flight() -> None:
    api = Api(_items("a", "b"))
    now = [1000.0]
    executor = SyncExecutor(
        _profile(), transport=httpx.MockTransport(api), monotonic=lambda: now[0]
    )
    for item_id in "ab":  # both waits are known now
        executor.run(one(read(item_id, max_age=10)))
    api.requests.clear()
    now[0] = 1015.0  # the listing is too old to answer
    coalescer = executor._coalescer  # to hold the listing until both joined

    def until_both_joined() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            current = coalescer._keys["items"].current
            if current is not None and len(current.members) == 2:
                return
            time.sleep(0.005)

    api.before_list = until_both_joined
    results: dict[str, Reading[str]] = {}

    def run(item_id: str) -> None:
        results[item_id] = executor.run(one(read(item_id, max_age=10)))

    first = threading.Thread(target=run, args=("a",))
    first.start()
    while not api.requests and first.is_alive():
        time.sleep(0.001)
    run("b")
    first.join()
    assert {k: r.age for k, r in results.items()} == {"a": 0.0, "b": 0.0}
    assert api.requests == ["/items"]


def test_a_driver_that_ignores_coalescing_sends_the_call_itself() -> None:
    api = Api(_items("a"))
    call = read("a")
    with httpx.Client(transport=httpx.MockTransport(api), base_url="https://toy.test") as client:
        reading = call.parse(client.get(call.path))
    assert reading.view == "state-a"
    assert api.requests == ["/items/a"]


def test_flows_that_wake_together_resume_a_batch_per_turn_of_the_loop() -> None:
    started: list[int] = []

    def flow(index: int) -> Flow[int]:
        started.append(index)
        return index
        yield  # a flow: a generator

    async def main() -> list[int]:
        async with AsyncExecutor(_profile(), transport=httpx.MockTransport(Api({}))) as executor:
            runs = [asyncio.ensure_future(executor.run(flow(i))) for i in range(120)]
            seen = []
            for _ in range(4):
                await asyncio.sleep(0)
                seen.append(len(started))
            await asyncio.gather(*runs)
            return seen

    seen = asyncio.run(main())
    assert seen[0] <= 50, seen  # never the 120 in one turn
    assert seen == sorted(seen)
    assert seen[-1] < 120  # still some to go after four turns
    assert started == list(range(120))  # all ran, in the order they started
