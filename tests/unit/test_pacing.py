"""Pacing calls to Amazon Connect: the token bucket, the budget the manifest declares, and deferral delays."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from functions import manifest
from functions.common.pacing import (
    DEFER_BASE_SECONDS,
    DEFER_MAX_SECONDS,
    PacingDeferred,
    SimulatedClock,
    TokenBucket,
    deferral_seconds,
    pacer,
    per_instance_rate,
)
from functions.manifest import CONNECT_API_QUOTAS, FUNCTIONS, SqsSource, check_manifest


def test_a_bucket_spaces_calls_at_its_rate_after_its_burst(simulated_pacing: SimulatedClock) -> None:
    # Given a pace of 2 calls a second with a burst of 1, on the simulated clock
    bucket = TokenBucket("StartOutboundVoiceContact", rate=2.0, burst=1, max_wait_seconds=5)
    # When 7 calls are made one after another
    moments = []
    for _ in range(7):
        bucket.acquire()
        moments.append(simulated_pacing.now())
    # Then the first goes at once and each next one half a second later
    assert moments == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])


def test_a_bucket_saves_up_to_its_burst_while_idle(simulated_pacing: SimulatedClock) -> None:
    bucket = TokenBucket("GetContactAttributes", rate=1.0, burst=3, max_wait_seconds=5)
    bucket.acquire()
    simulated_pacing.advance_to(100.0)  # idle for long: the bucket fills up to its burst, no more
    waits = [bucket.acquire() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 1.0, 1.0])


def test_a_call_that_would_wait_too_long_is_deferred_not_made(simulated_pacing: SimulatedClock) -> None:
    bucket = TokenBucket("StartOutboundVoiceContact", rate=0.1, burst=1, max_wait_seconds=5)
    bucket.acquire()
    with pytest.raises(PacingDeferred) as refused:
        bucket.acquire()  # the next token is 10 s away
    assert refused.value.retry_after_seconds == 10
    assert simulated_pacing.now() == 0.0  # nothing slept
    simulated_pacing.advance_to(10.0)
    assert bucket.acquire() == 0.0  # the refused call took no token


def test_the_pace_of_each_instance_is_its_share_over_the_source_concurrency() -> None:
    dispatcher = FUNCTIONS["survey-dispatcher"]
    assert isinstance(dispatcher.source, SqsSource) and dispatcher.source.maximum_concurrency
    for action, share in dispatcher.connect_rates.items():
        assert per_instance_rate(dispatcher, action) * dispatcher.source.maximum_concurrency == pytest.approx(share)
        assert pacer("survey-dispatcher", action).rate == pytest.approx(per_instance_rate(dispatcher, action))


def test_the_shipped_budget_stays_within_connect_quotas() -> None:
    assert check_manifest() == []
    for action, quota in CONNECT_API_QUOTAS.items():
        shares = [spec.connect_rates.get(action, 0.0) for spec in FUNCTIONS.values()]
        assert 0 < sum(shares) <= quota.rate_per_second
    callers = [spec for spec in FUNCTIONS.values() if spec.connect_actions]
    assert {spec.name for spec in callers} == {"survey-dispatcher", "outreach-sender", "queue-metrics", "ticket-tasks",
                                               "sms-inbound", "chat-start"}
    for spec in callers:
        assert set(spec.connect_rates) == set(spec.connect_actions)


def test_a_budget_above_the_quota_is_a_manifest_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the outreach sender asking for the whole StartOutboundVoiceContact quota on top of the surveys' share
    greedy = replace(FUNCTIONS["outreach-sender"], connect_rates={"StartOutboundVoiceContact": 2.0})
    monkeypatch.setitem(manifest.FUNCTIONS, "outreach-sender", greedy)
    problems = check_manifest()
    assert any("connect:StartOutboundVoiceContact add up to 3/s" in problem for problem in problems)


def test_a_connect_caller_without_a_concurrency_cap_is_a_manifest_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    sender = FUNCTIONS["outreach-sender"]
    assert isinstance(sender.source, SqsSource)
    uncapped = replace(sender, source=replace(sender.source, maximum_concurrency=None))
    monkeypatch.setitem(manifest.FUNCTIONS, "outreach-sender", uncapped)
    assert any("outreach-sender" in p and "maximum_concurrency" in p for p in check_manifest())


def test_deferral_delays_are_spread_bounded_and_repeatable() -> None:
    delays = [deferral_seconds(f"message-{n}") for n in range(200)]
    assert all(DEFER_BASE_SECONDS <= d < 2 * DEFER_BASE_SECONDS for d in delays)
    assert len(set(delays)) > 10  # throttled together, not all back in the same second
    assert deferral_seconds("message-7") == deferral_seconds("message-7")
    assert deferral_seconds("m", retry_after_seconds=600) <= DEFER_MAX_SECONDS
    assert deferral_seconds("m", retry_after_seconds=120) >= 120
