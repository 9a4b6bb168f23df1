"""create_once: a lost or conflicting create is looked up, never repeated blindly."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conn_shared.calls import Call, Flow
from conn_shared.create_once import create_once
from conn_shared.errors import ConflictError, InvalidRequestError, RateLimitedError, ServerError
from conn_shared.executors import SyncExecutor
from conn_shared.http import ApiProfile, build_api_error

CREATE = Call(operation="demo.create", method="POST", path="/things", parse=lambda r: r.json())
LOOKUP = Call(operation="demo.find", method="GET", path="/things", parse=lambda r: r.json())


def _find() -> Flow[dict[str, Any] | None]:
    items: list[dict[str, Any]] = yield LOOKUP
    return items[0] if items else None


class Store:
    """A tiny server: POST creates (its answer may be lost or refused), GET lists."""

    def __init__(self, *, lose: int = 0, refuse: int = 0, conflict: bool = False) -> None:
        self.items: list[dict[str, Any]] = []
        self.lose, self.refuse, self.conflict = lose, refuse, conflict
        self.posts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=self.items)
        self.posts += 1
        if self.conflict:
            self.items.append({"id": "theirs"})
            return httpx.Response(409, json={"message": "exists"})
        if self.refuse:
            self.refuse -= 1
            return httpx.Response(503, json={"message": "busy"})
        self.items.append({"id": f"t{self.posts}"})
        if self.lose:
            self.lose -= 1
            raise httpx.ReadTimeout("answer lost")
        return httpx.Response(201, json=self.items[-1])


def _run(store: Store, flow: Callable[[], Flow[Any]]) -> Any:
    profile = ApiProfile(
        backend="demo",
        base_url="https://x.test",
        map_error=lambda r: build_api_error(r, backend="demo", message=r.json()["message"]),
    )
    with SyncExecutor(profile, transport=httpx.MockTransport(store), sleep=lambda s: None) as ex:
        return ex.run(flow())


def test_plain_create() -> None:
    store = Store()
    assert _run(store, lambda: create_once(CREATE, _find, what="thing")) == ({"id": "t1"}, True)


def test_a_lost_answer_is_found_not_created_twice() -> None:
    store = Store(lose=1)
    result = _run(store, lambda: create_once(CREATE, _find, what="thing"))
    assert result == ({"id": "t1"}, True)
    assert store.posts == 1
    assert len(store.items) == 1


def test_a_refused_create_is_sent_again_once_the_lookup_proves_it_absent() -> None:
    store = Store(refuse=1)
    result = _run(store, lambda: create_once(CREATE, _find, what="thing"))
    assert result == ({"id": "t2"}, True)
    assert store.posts == 2
    assert len(store.items) == 1


def test_a_409_adopts_the_existing_resource() -> None:
    store = Store(conflict=True)
    result = _run(store, lambda: create_once(CREATE, _find, what="thing"))
    assert result == ({"id": "theirs"}, False)


def test_a_409_with_nothing_to_adopt_is_raised() -> None:
    def nothing() -> Flow[None]:
        yield LOOKUP
        return None

    with pytest.raises(ConflictError):
        _run(Store(conflict=True), lambda: create_once(CREATE, nothing, what="thing"))


def test_gives_up_after_the_attempt_cap() -> None:
    store = Store(refuse=5)
    with pytest.raises(ServerError):
        _run(store, lambda: create_once(CREATE, _find, what="thing", attempts=2))
    assert store.posts == 2


def test_a_rejected_create_is_neither_retried_nor_looked_up() -> None:
    requests: list[str] = []

    def reject(request: httpx.Request) -> httpx.Response:
        requests.append(request.method)
        return httpx.Response(400, json={"message": "name: required"})

    profile = ApiProfile(
        backend="demo",
        base_url="https://x.test",
        map_error=lambda r: build_api_error(r, backend="demo", message=r.json()["message"]),
    )
    with (
        SyncExecutor(profile, transport=httpx.MockTransport(reject)) as ex,
        pytest.raises(InvalidRequestError),
    ):
        ex.run(create_once(CREATE, _find, what="thing"))
    assert requests == ["POST"]


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="attempts"):
        next(create_once(CREATE, _find, what="thing", attempts=0))


@pytest.mark.parametrize(
    ("retry_after", "posts", "slept"),
    [
        pytest.param("400", 1, [], id="longer-than-the-budget-raises-at-once"),
        pytest.param("2", 2, [2.0], id="within-the-budget-waits-then-resends"),
    ],
)
def test_a_rate_limited_create_waits_the_retry_after_or_raises_without_resending(
    retry_after: str, posts: int, slept: list[float]
) -> None:
    sent: list[str] = []
    sleeps: list[float] = []

    def limited_once(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if request.method == "POST" and sent.count("POST") == 1:
            return httpx.Response(
                429, headers={"Retry-After": retry_after}, json={"message": "slow"}
            )
        return httpx.Response(201, json={"id": "t1"})

    profile = ApiProfile(
        backend="demo",
        base_url="https://x.test",
        map_error=lambda r: build_api_error(r, backend="demo", message=r.json()["message"]),
    )
    with SyncExecutor(
        profile, transport=httpx.MockTransport(limited_once), sleep=sleeps.append
    ) as ex:
        if posts == 1:
            with pytest.raises(RateLimitedError, match="slow") as caught:
                ex.run(create_once(CREATE, _find, what="thing"))
            assert caught.value.retry_after == 400.0
        else:
            assert ex.run(create_once(CREATE, _find, what="thing")) == ({"id": "t1"}, True)
    assert sent == ["POST"] * posts  # never looked up, never re-sent early
    assert sleeps == pytest.approx(slept, abs=0.05)
