"""Rate limiting: the token bucket on an injected clock, and 429s through a real server."""

import httpx
import pytest

from conn_shared.sim.ratelimit import RateLimit, RateLimiter
from conn_shared.sim.server import SimServer
from tests.sim.conftest import FivetranApi


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refuses_until_refilled() -> None:
    time = FakeTime()
    limiter = RateLimiter(RateLimit(rate=2.0, burst=3), now=time)
    decisions = [limiter.take("fivetran", "k") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[3].headers() == {
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "2",
        "Retry-After": "1",
    }
    time.now += 0.5  # one token back at 2 per second
    assert limiter.take("fivetran", "k").allowed is True
    assert limiter.take("fivetran", "k").allowed is False


def test_buckets_are_per_backend_and_key() -> None:
    limiter = RateLimiter(RateLimit(rate=1.0, burst=1), now=FakeTime())
    assert limiter.take("fivetran", "a").allowed
    assert not limiter.take("fivetran", "a").allowed
    assert limiter.take("fivetran", "b").allowed
    assert limiter.take("faraday", "a").allowed
    assert limiter.take("fivetran", None).allowed
    limiter.reset()
    assert limiter.take("fivetran", "a").allowed


@pytest.mark.parametrize(
    ("rate", "burst"),
    [pytest.param(0.0, 1, id="zero-rate"), pytest.param(1.0, 0, id="zero-burst")],
)
def test_rate_limit_rejects_nonsense(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        RateLimit(rate=rate, burst=burst)


def test_server_answers_429_with_headers_in_the_vendor_format(fivetran: FivetranApi) -> None:
    # A slow refill keeps the test independent of how fast it runs.
    fivetran.sim.set_rate_limit(RateLimit(rate=0.01, burst=2))
    try:
        ok = [fivetran.request("GET", "/v1/connections") for _ in range(2)]
        limited = fivetran.request("GET", "/v1/connections")
        other_key = fivetran.request("GET", "/v1/connections", auth=("someone-else", "x"))
    finally:
        fivetran.sim.set_rate_limit(None)
    assert [r.status_code for r in ok] == [200, 200]
    assert ok[0].headers["x-ratelimit-limit"] == "2"
    assert [r.headers["x-ratelimit-remaining"] for r in ok] == ["1", "0"]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == "TooManyRequests"
    assert other_key.status_code == 401  # its own bucket: reaches the auth check
    assert fivetran.sim.count("fivetran", "GET", "/v1/connections", 429) == 1


def test_reset_restores_the_starting_rate_limit() -> None:
    with SimServer(names=["fivetran"], rate_limit=RateLimit(rate=0.01, burst=1)) as sim:
        url = sim.base_url("fivetran") + "/v1/connections"
        assert [httpx.get(url).status_code for _ in range(2)] == [401, 429]
        sim.set_rate_limit(None)
        assert httpx.get(url).status_code == 401
        sim.reset()
        assert [httpx.get(url).status_code for _ in range(2)] == [401, 429]
        assert sim.state()["rate_limit"] == {"rate": 0.01, "burst": 1}
