"""The retry policy's decisions, as a table: no I/O, no sleeping."""

import random
from datetime import datetime, timedelta, timezone

import pytest

from conn_shared.retry import (
    FailureKind,
    RetryPolicy,
    exhausted_quota_wait,
    parse_retry_after,
    rate_limit_wait,
)

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=timezone.utc)
NO_JITTER = RetryPolicy(jitter=0.0, backoff_initial=1.0, backoff_multiplier=2.0, backoff_max=10.0)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"status": 503, "idempotent": True}, 1.0, id="503-get-retried"),
        pytest.param({"status": 502, "idempotent": True}, 1.0, id="502-get-retried"),
        pytest.param({"status": 504, "idempotent": True}, 1.0, id="504-get-retried"),
        pytest.param({"status": 503, "idempotent": False}, None, id="503-post-not-retried"),
        pytest.param({"status": 500, "idempotent": True}, None, id="500-off-by-default"),
        pytest.param({"status": 400, "idempotent": True}, None, id="400-never"),
        pytest.param({"status": 401, "idempotent": True}, None, id="401-never"),
        pytest.param({"status": 404, "idempotent": True}, None, id="404-never"),
        pytest.param({"status": 409, "idempotent": False}, None, id="409-never"),
        pytest.param(
            {"status": 429, "idempotent": False, "headers": {"Retry-After": "7"}},
            7.0,
            id="429-post-waits-retry-after",
        ),
        pytest.param(
            {"failure": FailureKind.NOT_SENT, "idempotent": False}, 1.0, id="connect-error-post"
        ),
        pytest.param(
            {"failure": FailureKind.MAYBE_APPLIED, "idempotent": True}, 1.0, id="read-timeout-get"
        ),
        pytest.param(
            {"failure": FailureKind.MAYBE_APPLIED, "idempotent": False},
            None,
            id="read-timeout-post-not-retried",
        ),
    ],
)
def test_first_retry_decision(kwargs: dict, expected: float | None) -> None:
    assert NO_JITTER.delay_before_retry(attempt=1, elapsed=0.0, now=NOW, **kwargs) == expected


def test_500_is_retried_when_configured() -> None:
    policy = RetryPolicy(retry_500=True, jitter=0.0, backoff_initial=2.0)
    assert policy.delay_before_retry(attempt=1, idempotent=True, elapsed=0, status=500) == 2.0


def test_backoff_grows_and_is_capped() -> None:
    delays = [
        NO_JITTER.delay_before_retry(attempt=n, idempotent=True, elapsed=0, status=503)
        for n in range(1, 5)
    ]
    assert delays == [1.0, 2.0, 4.0, 8.0]
    capped = RetryPolicy(jitter=0.0, backoff_initial=8.0, backoff_max=10.0, max_attempts=9)
    assert capped.delay_before_retry(attempt=3, idempotent=True, elapsed=0, status=503) == 10.0


def test_jitter_stays_within_its_band() -> None:
    policy = RetryPolicy(jitter=0.5, backoff_initial=4.0)
    rng = random.Random(7)
    draws = [policy.backoff(1, rng) for _ in range(200)]
    assert min(draws) >= 2.0
    assert max(draws) <= 4.0
    assert len(set(draws)) > 100


def test_gives_up_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3, jitter=0.0)
    assert policy.delay_before_retry(attempt=2, idempotent=True, elapsed=0, status=503) is not None
    assert policy.delay_before_retry(attempt=3, idempotent=True, elapsed=0, status=503) is None


def test_deadline_stops_a_wait_that_would_pass_it() -> None:
    policy = RetryPolicy(deadline=10.0, jitter=0.0, backoff_initial=4.0)
    assert policy.delay_before_retry(attempt=1, idempotent=True, elapsed=5.0, status=503) == 4.0
    assert policy.delay_before_retry(attempt=1, idempotent=True, elapsed=7.0, status=503) is None


def test_a_retry_after_beyond_the_cap_is_raised_not_waited() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    decision = policy.delay_before_retry(
        attempt=1, idempotent=True, elapsed=0, status=429, headers={"Retry-After": "3600"}
    )
    assert decision is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("12", 12.0, id="seconds"),
        pytest.param("1.5", 1.5, id="fractional-seconds"),
        pytest.param("-3", 0.0, id="negative-clamped"),
        pytest.param(
            (NOW + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT"),
            30.0,
            id="http-date",
        ),
        pytest.param(
            (NOW - timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT"),
            0.0,
            id="http-date-in-the-past",
        ),
        pytest.param("soon", None, id="garbage"),
        pytest.param("nan", None, id="not-a-number"),
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"Retry-After": "5", "X-RateLimit-Reset": "99"}, 5.0, id="retry-after-wins"),
        pytest.param({"X-RateLimit-Reset": "20"}, 20.0, id="reset-in-seconds"),
        pytest.param(
            {"X-RateLimit-Reset": str(int(NOW.timestamp()) + 45)}, 45.0, id="reset-as-epoch"
        ),
        pytest.param({"RateLimit-Reset": "3"}, 3.0, id="ietf-draft-header"),
        pytest.param({}, None, id="nothing"),
    ],
)
def test_rate_limit_wait(headers: dict[str, str], expected: float | None) -> None:
    assert rate_limit_wait(headers, now=NOW) == expected


def test_429_without_hints_backs_off() -> None:
    assert NO_JITTER.delay_before_retry(attempt=2, idempotent=True, elapsed=0, status=429) == 2.0


def test_exhausted_quota_asks_for_a_pause_only_when_nothing_is_left() -> None:
    assert exhausted_quota_wait({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "9"}) is None
    assert exhausted_quota_wait({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9"}) == 9.0


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"max_attempts": 0}, id="attempts"),
        pytest.param({"jitter": 1.5}, id="jitter"),
        pytest.param({"backoff_initial": -1.0}, id="backoff"),
    ],
)
def test_invalid_policy_is_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs)).split("_")[0]):
        RetryPolicy(**kwargs)
