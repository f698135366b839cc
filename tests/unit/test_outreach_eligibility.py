"""Who may be contacted, when and how: consent, opt-out, quiet hours in the customer's own zone (DST too)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from functions.outreach.campaigns import load_campaigns
from functions.outreach.eligibility import Reason, Verdict, decide_contact, screen_profile
from functions.outreach.record import ContactCap
from tests.unit.test_outreach_fakes import NOON, WARRANTY_DUE, customer

WARRANTY = load_campaigns().campaign("warranty-expiry")  # quiet hours 20:00-09:00
PLAN = load_campaigns().campaign("plan-expiry")  # quiet hours 19:00-10:00
CYCLE = f"warranty-expiry#{WARRANTY_DUE.isoformat()}"


def decide(profile, at: datetime = NOON, campaign=WARRANTY, expires: date = WARRANTY_DUE, sms_enabled: bool = True):
    return decide_contact(profile, campaign, expires, at, sms_enabled)


# --- the planner's screening ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "reason"), [
    ({}, Reason.ELIGIBLE),
    ({"opted_out": True}, Reason.OPTED_OUT),
    ({"consent_voice": False, "consent_sms": False}, Reason.NO_CONSENT),
    ({"consent_voice": False}, Reason.ELIGIBLE),  # SMS is enough
    ({"phone": "+1 555 0100"}, Reason.NO_REACHABLE_NUMBER),
])
def test_the_planner_screens_consent_opt_out_and_the_number(fields, reason):
    assert screen_profile(customer(**fields), WARRANTY, None, CYCLE, NOON, 14) is reason


def test_the_planner_skips_a_customer_another_campaign_contacted_within_the_cap():
    # Given the plan campaign called Ada 10 days ago
    cap = ContactCap("cust-ada", NOON - timedelta(days=10), "plan-expiry#2026-11-21")
    # Then the warranty campaign may not, and may again once 14 days have passed
    assert screen_profile(customer(), WARRANTY, cap, CYCLE, NOON, 14) is Reason.FREQUENCY_CAP
    assert screen_profile(customer(), WARRANTY, cap, CYCLE, NOON + timedelta(days=4), 14) is Reason.ELIGIBLE
    # And the record that made the contact is never blocked by it (a retry, or a reminder the customer asked for)
    own = ContactCap("cust-ada", NOON - timedelta(days=1), CYCLE)
    assert screen_profile(customer(), WARRANTY, own, CYCLE, NOON, 14) is Reason.ELIGIBLE


# --- the sender's decision -----------------------------------------------------------------------------

def test_an_eligible_customer_is_called_on_the_preferred_channel_first():
    assert (decide(customer()).verdict, decide(customer()).channel) == (Verdict.SEND, "voice")
    texting = decide(customer(preferred_channel="sms"))
    assert (texting.verdict, texting.channel, texting.destination) == (Verdict.SEND, "sms", "+14155550100")


@pytest.mark.parametrize(("fields", "reason"), [
    ({"opted_out": True}, Reason.OPTED_OUT),
    ({"warranty_expires": WARRANTY_DUE + timedelta(days=365)}, Reason.EXPIRY_CHANGED),  # renewed meanwhile
    ({"warranty_expires": None}, Reason.EXPIRY_CHANGED),
    ({"phone": "not a number"}, Reason.NO_REACHABLE_NUMBER),
    ({"consent_voice": False, "consent_sms": False}, Reason.NO_CONSENT),
])
def test_at_send_time_the_fresh_profile_decides(fields, reason):
    decision = decide(customer(**fields))
    assert (decision.verdict, decision.reason) == (Verdict.SKIP, reason)


def test_a_missing_profile_is_skipped():
    assert decide(None).reason is Reason.UNKNOWN_CUSTOMER


def test_an_sms_only_customer_is_skipped_when_sms_is_not_enabled():
    decision = decide(customer(consent_voice=False), sms_enabled=False)
    assert (decision.verdict, decision.reason) == (Verdict.SKIP, Reason.NO_CHANNEL)


def test_a_date_that_has_passed_in_the_customers_zone_is_too_late():
    # 2026-12-24 00:30 in New York is still the 23rd in Los Angeles
    at = datetime(2026, 12, 24, 5, 30, tzinfo=UTC)
    assert decide(customer(), at=at).reason is Reason.EXPIRED
    assert decide(customer(time_zone="America/Los_Angeles"), at=at).reason is Reason.QUIET_HOURS


# --- quiet hours across time zones ---------------------------------------------------------------------

@pytest.mark.parametrize(("zone", "verdict", "resumes_utc"), [
    ("America/New_York", Verdict.SEND, None),  # 11:00
    ("America/Los_Angeles", Verdict.DELAY, datetime(2026, 11, 24, 17, 0, tzinfo=UTC)),  # 08:00 -> 09:00
    ("Europe/Berlin", Verdict.SEND, None),  # 17:00
    ("Asia/Tokyo", Verdict.DELAY, datetime(2026, 11, 25, 0, 0, tzinfo=UTC)),  # 01:00 -> 09:00
    ("Australia/Sydney", Verdict.DELAY, datetime(2026, 11, 24, 22, 0, tzinfo=UTC)),  # 03:00 -> 09:00 (AEDT)
])
def test_the_same_moment_is_day_for_some_customers_and_night_for_others(zone, verdict, resumes_utc):
    at = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    decision = decide(customer(time_zone=zone), at=at)
    assert (decision.verdict, decision.not_before, decision.time_zone) == (verdict, resumes_utc, zone)


def test_without_a_profile_zone_the_numbers_zone_decides():
    # A Honolulu number (one zone); 16:00 UTC is 06:00 there: quiet until 09:00 HST = 19:00 UTC
    decision = decide(customer(time_zone=None, phone="+18085550100"), at=datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    assert (decision.verdict, decision.time_zone) == (Verdict.DELAY, "Pacific/Honolulu")
    assert decision.not_before == datetime(2026, 11, 24, 19, 0, tzinfo=UTC)


def test_each_campaign_has_its_own_quiet_hours():
    # 09:30 in New York: the warranty campaign (from 09:00) may call, the plan campaign (from 10:00) waits
    at = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert decide(customer(), at=at).verdict is Verdict.SEND
    plan = decide(customer(plan_expires=date(2026, 12, 1)), at=at, campaign=PLAN, expires=date(2026, 12, 1))
    assert (plan.verdict, plan.not_before) == (Verdict.DELAY, datetime(2026, 11, 24, 15, 0, tzinfo=UTC))


@pytest.mark.parametrize(("at", "resumes"), [
    # DST starts in New York on 2026-03-08 (02:00 -> 03:00): 09:00 that morning is 13:00 UTC, not 14:00
    (datetime(2026, 3, 8, 2, 0, tzinfo=UTC), datetime(2026, 3, 8, 13, 0, tzinfo=UTC)),  # 21:00 EST on the 7th
    # DST ends on 2026-11-01 (02:00 -> 01:00): 09:00 that morning is 14:00 UTC, not 13:00
    (datetime(2026, 11, 1, 1, 0, tzinfo=UTC), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),  # 21:00 EDT on the 31st
])
def test_quiet_hours_end_at_nine_local_time_across_a_dst_change(at, resumes):
    expires = at.date() + timedelta(days=30)
    decision = decide(customer(warranty_expires=expires), at=at, expires=expires)
    assert (decision.verdict, decision.not_before) == (Verdict.DELAY, resumes)
