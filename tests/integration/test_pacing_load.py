"""The local path under Amazon Connect's default quotas (2 requests/s, burst 5, per API), in simulated time:
more work arrives than Connect may take, and the pacing holds. Figures at larger sizes: benchmarks/pacing_benchmark.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from callcenter.load import enforce_connect_quotas, outreach_load, survey_load

MORNING = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in New York, where the load customers live


def test_a_burst_of_disconnects_is_surveyed_within_the_quota_and_nothing_is_lost(backend: Any) -> None:
    # Given Connect enforcing its default quotas, and 20 answered calls ending within 4 seconds (5/s, two and a half
    # times what GetContactAttributes allows)
    enforce_connect_quotas(backend)
    # When the dispatcher takes the survey queue
    report = survey_load(backend, per_second=5, seconds=4, start=MORNING, deadline=timedelta(minutes=30))
    # Then every contact got its survey call, none late, and Connect never had to refuse a request
    assert report.messages_in == 20
    assert report.outcomes == {"dispatched": 20}
    assert report.calls == 20
    assert report.late == 0
    assert report.dead_letters == 0 and report.waiting == 0
    assert report.throttled == {}
    assert report.requests == {"GetContactAttributes": 20, "StartOutboundVoiceContact": 20}
    assert report.within_quota()
    # and the paced calls took the time the pace says: 20 survey calls at one instance's 0.5/s
    assert report.simulated_s >= 19 / 0.5


def test_a_throttled_survey_call_is_deferred_not_dead_lettered(backend: Any) -> None:
    # Given another caller using most of StartOutboundVoiceContact: Connect admits only one call every 5 s here,
    # below this dispatcher's own pace
    enforce_connect_quotas(backend, {"GetContactAttributes": (2.0, 5), "StartOutboundVoiceContact": (0.2, 1)})
    # When 8 answered calls end at once
    report = survey_load(backend, per_second=8, seconds=1, start=MORNING, deadline=timedelta(hours=1))
    # Then Connect refused some calls, their messages came back later, and every contact was still surveyed
    assert report.throttled.get("StartOutboundVoiceContact", 0) > 0
    assert report.deferred >= report.throttled["StartOutboundVoiceContact"]
    assert report.outcomes == {"dispatched": 8}
    assert report.calls == 8
    assert report.dead_letters == 0 and report.waiting == 0
    assert report.late == 0


def test_an_outreach_day_is_spread_at_the_senders_pace(backend: Any) -> None:
    # Given 40 customers due for the warranty campaign (eight times the burst of 5) and Connect's default quotas
    enforce_connect_quotas(backend)
    # When the campaign's run fires (11:00 New York) and the sender takes the queue
    report = outreach_load(backend, due=40, day=date(2026, 11, 24), deadline=timedelta(hours=8))
    # Then every customer was called the same day, within the quota, with nothing lost or refused
    assert report.messages_in == 40
    assert report.outcomes == {"contacted": 40}
    assert report.calls == 40
    assert report.throttled == {}
    assert report.within_quota()
    assert report.dead_letters == 0 and report.waiting == 0
    assert report.late == 0


def test_a_throttled_reminder_call_is_deferred_not_dead_lettered(backend: Any) -> None:
    # Given Connect admitting one outbound call every 5 s (another caller uses the rest of the quota)
    enforce_connect_quotas(backend, {"GetContactAttributes": (2.0, 5), "StartOutboundVoiceContact": (0.2, 1)})
    # When 6 customers are due
    report = outreach_load(backend, due=6, day=date(2026, 11, 24), deadline=timedelta(hours=8))
    # Then some calls were refused and deferred, and still every customer was called, nothing dead-lettered
    assert report.throttled.get("StartOutboundVoiceContact", 0) > 0
    assert report.deferred >= report.throttled["StartOutboundVoiceContact"]
    assert report.outcomes == {"contacted": 6}
    assert report.calls == 6
    assert report.dead_letters == 0 and report.waiting == 0


def test_the_sender_alone_keeps_the_quota_when_the_planner_does_not_spread(backend: Any) -> None:
    # Given the planner enqueues every due customer at once (its spreading off), so only the sender's own pace
    # stands between 40 calls and Connect's quota
    backend.function_env["outreach-planner"]["OUTREACH_SENDS_PER_SECOND"] = "0"
    enforce_connect_quotas(backend)
    # When the campaign runs
    report = outreach_load(backend, due=40, day=date(2026, 11, 24), deadline=timedelta(hours=8))
    # Then the sender still calls everyone within the quota, nothing refused or lost
    assert report.outcomes == {"contacted": 40} and report.calls == 40
    assert report.throttled == {} and report.within_quota()
    assert report.dead_letters == 0 and report.waiting == 0 and report.late == 0


def test_without_either_pace_the_same_run_breaks_the_quota(backend: Any, monkeypatch: Any) -> None:
    # The control of the test above: the planner not spreading and the sender not pacing (a bucket far above the
    # quota) send faster than Connect allows, which the load test must see
    from functions.common.pacing import TokenBucket
    from functions.outreach import sender_handler

    backend.function_env["outreach-planner"]["OUTREACH_SENDS_PER_SECOND"] = "0"
    monkeypatch.setattr(sender_handler, "pacer", lambda function, action: TokenBucket(action, 1000.0, burst=1000,
                                                                                      max_wait_seconds=1.0))
    enforce_connect_quotas(backend)
    report = outreach_load(backend, due=40, day=date(2026, 11, 24), deadline=timedelta(hours=8))
    assert report.throttled.get("StartOutboundVoiceContact", 0) > 0 or not report.within_quota()
