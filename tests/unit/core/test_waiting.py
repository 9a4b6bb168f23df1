"""The pure poll/deadline state machine, as a table."""

from typing import Any

import pytest

from conn_shared.calls import NOW, Flow, Sleep, value_flow
from conn_shared.waiting import (
    Finished,
    Observed,
    Paused,
    PollAgain,
    Probe,
    Rescheduled,
    TimedOut,
    WaitPolicy,
    WaitProgress,
    decide,
    decide_after_failure,
    poll_probes,
)

POLICY = WaitPolicy(poll_interval=10, max_poll_interval=40, backoff=2.0, timeout=100)
START = WaitProgress.start(POLICY, now=1000.0)


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        pytest.param(Observed.SUCCEEDED, Finished(succeeded=True, reason="r"), id="succeeded"),
        pytest.param(Observed.FAILED, Finished(succeeded=False, reason="r"), id="failed"),
    ],
)
def test_terminal_observations_finish(observed: Observed, expected: Finished) -> None:
    assert decide(POLICY, START, observed, 1001.0, reason="r") == expected


def test_pending_polls_with_growing_capped_interval() -> None:
    progress, waits, now = START, [], 1000.0
    for _ in range(5):
        decision = decide(POLICY, progress, Observed.PENDING, now)
        assert isinstance(decision, PollAgain)
        waits.append(decision.after)
        progress = decision.progress
        now += 1
    assert waits == [10, 20, 40, 40, 40]
    assert progress.polls == 5


def test_last_sleep_is_trimmed_to_the_deadline() -> None:
    decision = decide(POLICY, START, Observed.PENDING, 1095.0)
    assert isinstance(decision, PollAgain)
    assert decision.after == 5.0


def test_deadline_passed_times_out() -> None:
    decision = decide(POLICY, START, Observed.PENDING, 1100.0)
    assert isinstance(decision, TimedOut)
    assert "deadline" in decision.reason


def test_rescheduled_sleeps_towards_the_vendor_time_within_the_cap() -> None:
    near = decide(POLICY, START, Observed.RESCHEDULED, 1000.0, resume_at=1025.0)
    far = decide(POLICY, START, Observed.RESCHEDULED, 1000.0, resume_at=1090.0)
    assert isinstance(near, PollAgain)
    assert near.after == 25.0
    assert isinstance(far, PollAgain)
    assert far.after == 40.0  # capped: a manual restart is still noticed


def test_rescheduled_past_the_deadline_times_out_at_once() -> None:
    decision = decide(POLICY, START, Observed.RESCHEDULED, 1000.0, resume_at=5000.0)
    assert isinstance(decision, TimedOut)
    assert "rescheduled" in decision.reason


def test_no_timeout_waits_forever() -> None:
    policy = WaitPolicy(timeout=None, poll_interval=5, max_poll_interval=5)
    progress = WaitProgress.start(policy, now=0.0)
    decision = decide(policy, progress, Observed.PENDING, 10**9)
    assert isinstance(decision, PollAgain)
    assert progress.deadline is None


def test_progress_and_policy_round_trip_through_json() -> None:
    assert WaitPolicy.model_validate_json(POLICY.model_dump_json()) == POLICY
    assert WaitProgress.model_validate_json(START.model_dump_json()) == START


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"poll_interval": 0}, "poll_interval", id="zero-interval"),
        pytest.param({"backoff": 0.5}, "backoff", id="shrinking-backoff"),
        pytest.param({"poll_interval": 60, "max_poll_interval": 30}, "max_poll_interval", id="cap"),
        pytest.param({"timeout": -1}, "timeout", id="negative-timeout"),
        pytest.param({"pool_interval": 3}, "pool_interval", id="typo-is-rejected"),
    ],
)
def test_bad_policy_names_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        WaitPolicy(**kwargs)


@pytest.mark.parametrize(
    ("policy", "observed", "expected"),
    [
        pytest.param(POLICY, Observed.PAUSED, Paused("p"), id="paused-fails-by-default"),
        pytest.param(
            POLICY.model_copy(update={"on_rescheduled": "fail"}),
            Observed.RESCHEDULED,
            Rescheduled(1050.0, "p"),
            id="rescheduled-fails-when-asked",
        ),
    ],
)
def test_policies_that_refuse_to_wait(
    policy: WaitPolicy, observed: Observed, expected: object
) -> None:
    assert decide(policy, START, observed, 1001.0, reason="p", resume_at=1050.0) == expected


def test_a_paused_connection_is_waited_on_when_the_policy_says_so() -> None:
    waiting = POLICY.model_copy(update={"on_paused": "wait"})
    decision = decide(waiting, START, Observed.PAUSED, 1001.0)
    assert isinstance(decision, PollAgain)
    assert decision.after == 10.0


def test_failed_polls_back_off_and_count_until_a_poll_succeeds() -> None:
    progress, waits, now = START, [], 1000.0
    for n in range(3):
        decision = decide_after_failure(POLICY, progress, now, error=f"503 #{n}")
        assert isinstance(decision, PollAgain)
        waits.append(decision.after)
        progress, now = decision.progress, now + decision.after
    assert waits == [10, 20, 40]
    assert (progress.failed_polls, progress.last_error) == (3, "503 #2")
    assert decide(POLICY, progress, Observed.SUCCEEDED, now) == Finished(succeeded=True)


def test_a_retry_after_longer_than_the_interval_is_honoured() -> None:
    decision = decide_after_failure(POLICY, START, 1000.0, error="429", retry_after=30.0)
    assert isinstance(decision, PollAgain)
    assert decision.after == 30.0


def test_a_retry_after_beyond_the_deadline_times_out_at_once_naming_it() -> None:
    decision = decide_after_failure(POLICY, START, 1000.0, error="429", retry_after=400.0)
    assert isinstance(decision, TimedOut)
    assert "asked to wait 400 s" in decision.reason
    assert "the last with: 429" in decision.reason


def test_the_deadline_names_the_last_failed_poll() -> None:
    failing = decide_after_failure(POLICY, START, 1000.0, error="ServerError 503")
    assert isinstance(failing, PollAgain)
    late = decide(POLICY, failing.progress, Observed.PENDING, 1100.0)
    assert isinstance(late, TimedOut)
    assert "1 poll(s) failed, the last with: ServerError 503" in late.reason
    at_deadline = decide_after_failure(POLICY, failing.progress, 1100.0, error="dropped")
    assert isinstance(at_deadline, TimedOut)
    assert "the last with: dropped" in at_deadline.reason


def test_progress_with_failures_round_trips_as_json() -> None:
    decision = decide_after_failure(POLICY, START, 1000.0, error="503")
    assert isinstance(decision, PollAgain)
    text = decision.progress.model_dump_json()
    assert WaitProgress.model_validate_json(text) == decision.progress


def _drive_probes(probes: list[Probe[str]], policy: WaitPolicy) -> tuple[str, list[Any]]:
    """Run `poll_probes` over scripted probes on a clock that sleeps advance; log the steps."""
    asked: list[Any] = []
    script = iter(probes)

    def observe(max_age: float) -> Flow[Probe[str]]:
        asked.append(("max_age", max_age))
        return value_flow(next(script))

    now = 1000.0
    flow = poll_probes(observe, policy, None, what="toy", error_for=lambda end, last: ValueError())
    reply: Any = None
    try:
        while True:
            step = flow.send(reply)
            reply = None
            if step is NOW:
                reply = now
            elif isinstance(step, Sleep):
                asked.append(("sleep", step.seconds))
                now += step.seconds
    except StopIteration as done:
        return done.value, asked


def _probe(observed: Observed, *, age: float = 0.0, result: str = "") -> Probe[str]:
    return Probe(observed, observed.value, None, None, build=lambda: result, age=age)


def test_an_answer_older_than_its_poll_shortens_the_next_sleep_by_its_age() -> None:
    policy = WaitPolicy(poll_interval=10, backoff=1.0, timeout=600)
    probes = [
        _probe(Observed.PENDING),
        _probe(Observed.PENDING, age=4.0),  # a shared listing read it 4 s before this poll
        _probe(Observed.SUCCEEDED, age=1.0, result="built once, at the end"),
    ]
    result, steps = _drive_probes(probes, policy)
    assert result == "built once, at the end"
    # Observations stay one interval apart: 10 s, then 10 s minus the 4 s the answer was old.
    assert steps == [
        ("max_age", 5.0),
        ("sleep", 10.0),
        ("max_age", 5.0),
        ("sleep", 6.0),
        ("max_age", 5.0),
    ]


def test_a_probe_ending_in_failure_is_never_built() -> None:
    def unbuildable() -> str:
        raise AssertionError("a failed wait needs no full result")

    probe = Probe(Observed.FAILED, "failed", "broken", None, build=unbuildable)
    flow = poll_probes(
        lambda max_age: value_flow(probe),
        WaitPolicy(),
        None,
        what="toy",
        error_for=lambda end, last: RuntimeError(f"{type(end).__name__}: {last and last.reason}"),
    )
    assert flow.send(None) is NOW  # the start
    assert flow.send(1000.0) is NOW  # the decision
    with pytest.raises(RuntimeError, match="Finished: broken"):
        flow.send(1000.0)
