"""Campaigns as data: the shipped file is valid, every mistake is reported with where it is."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from functions.outreach.campaigns import (
    CAMPAIGNS_PATH,
    SCHEDULED_TIME,
    CampaignError,
    UnknownCampaign,
    load_campaigns,
    parse_campaigns,
    spoken_date,
)

SHIPPED = json.loads(CAMPAIGNS_PATH.read_text(encoding="utf-8"))


def with_campaign(**changes: object) -> dict:
    document = copy.deepcopy(SHIPPED)
    document["campaigns"][0].update(changes)
    return document


def test_the_shipped_campaigns_are_valid_and_watch_warranty_and_plan_dates():
    policy = load_campaigns()
    assert {c.id: (c.watches, c.days_before) for c in policy.campaigns} == {
        "warranty-expiry": ("warranty_expires", 30), "plan-expiry": ("plan_expires", 7)}
    assert policy.frequency_cap_days == 14
    assert all(c.quiet_hours.start and c.schedule.time_zone for c in policy.campaigns)


def test_a_run_looks_at_the_due_day_then_the_catch_up_days():
    warranty = load_campaigns().campaign("warranty-expiry")
    assert warranty.due_dates(date(2026, 11, 24)) == (date(2026, 12, 24), date(2026, 12, 23), date(2026, 12, 22))
    assert warranty.lookback_dates(date(2026, 11, 24)) == (date(2026, 11, 24), date(2026, 11, 23), date(2026, 11, 22))


def test_the_message_says_what_expires_and_when():
    warranty = load_campaigns().campaign("warranty-expiry")
    text = warranty.message("voice", date(2026, 12, 24), today=date(2026, 11, 24))
    assert "warranty expires on Thursday, December 24, 2026, in 30 days" in text
    assert spoken_date(date(2027, 1, 1)) == "Friday, January 1, 2027"


def test_the_preferred_channel_goes_first_when_the_campaign_uses_it():
    warranty = load_campaigns().campaign("warranty-expiry")
    assert warranty.channel_order("sms") == ("sms", "voice")
    assert warranty.channel_order("voice") == ("voice", "sms")
    assert warranty.channel_order("carrier-pigeon") == ("voice", "sms")


def test_the_scheduler_input_names_the_campaign_and_asks_for_the_scheduled_time():
    assert load_campaigns().campaign("plan-expiry").schedule_input() == {
        "campaign_id": "plan-expiry", "scheduled_time": SCHEDULED_TIME}


def test_an_unknown_campaign_is_a_lookup_error():
    with pytest.raises(UnknownCampaign):
        load_campaigns().campaign("no-such-campaign")


@pytest.mark.parametrize(("changes", "where", "why"), [
    ({"watches": "birthday"}, "`$.campaigns[0].watches`", "Invalid enum value 'birthday'"),
    ({"days_before": 0}, "`$.campaigns[0].days_before`", ">= 1"),
    ({"window_days": 40}, "`$.campaigns[0].window_days`", "<= 31"),
    ({"days_before": 2, "window_days": 3, "remind_after_days": 1}, "`$.campaigns[0]`", "window_days must not exceed"),
    ({"remind_after_days": 30}, "`$.campaigns[0]`", "remind_after_days must be less than days_before"),
    ({"channels": []}, "`$.campaigns[0].channels`", "length >= 1"),
    ({"channels": ["voice", "voice"]}, "`$.campaigns[0]`", "channels must not repeat"),
    ({"channels": ["fax"]}, "`$.campaigns[0].channels[0]`", "Invalid enum value 'fax'"),
    ({"voice_message": "Your {product} expires"}, "`$.campaigns[0]`", "voice_message: unknown placeholder"),
    ({"sms_message": "Expires {expires"}, "`$.campaigns[0]`", "sms_message: the message is not a valid template"),
    ({"sms_message": "x" * 400}, "`$.campaigns[0]`", "sms_message: the message has 400 characters; at most 320"),
    ({"quiet_hours": {"start": "25:00", "end": "09:00"}}, "`$.campaigns[0].quiet_hours`", "start must be HH:MM"),
    ({"schedule": {"expression": "rate(1 day)", "time_zone": "UTC"}}, "`$.campaigns[0].schedule`",
     "expression must be an EventBridge Scheduler cron"),
    ({"schedule": {"expression": "cron(0 11 * * ? *)", "time_zone": "Mars/Olympus"}},
     "`$.campaigns[0].schedule`", "time_zone: unknown IANA time zone"),
    ({"id": "Warranty#1"}, "`$.campaigns[0].id`", "matching regex"),
    ({"surprise": True}, "`$.campaigns[0]`", "unknown field `surprise`"),
])
def test_every_mistake_in_a_campaign_is_reported_with_its_location(changes, where, why):
    with pytest.raises(CampaignError) as raised:
        parse_campaigns(with_campaign(**changes))
    assert where in str(raised.value)
    assert why in str(raised.value)


def test_two_campaigns_may_not_share_an_id():
    document = copy.deepcopy(SHIPPED)
    document["campaigns"][1]["id"] = document["campaigns"][0]["id"]
    with pytest.raises(CampaignError, match="used twice"):
        parse_campaigns(document)


@pytest.mark.parametrize(("field", "value"), [("frequency_cap_days", -1), ("max_delay_seconds", 901),
                                              ("requeue_after_minutes", 1)])
def test_top_level_limits_are_checked(field, value):
    with pytest.raises(CampaignError, match=field):
        parse_campaigns({**SHIPPED, field: value})


def test_a_file_that_is_not_json_says_so():
    with pytest.raises(CampaignError, match="not valid JSON"):
        parse_campaigns("{campaigns: }")
