"""Who gets a survey, when and how: every reason, quiet hours in the customer's own zone (DST too), cooldown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from msgspec.structs import replace

from functions.profiles.profile import CustomerProfile
from functions.surveys.contact_event import parse_contact_event
from functions.surveys.eligibility import Reason, Verdict, decide_survey, screen_event
from functions.surveys.policy import load_survey_policy
from tests.conftest import load_event

POLICY = load_survey_policy()
NEW_YORK, LOS_ANGELES = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")
# Tuesday 24 Nov 2026, 14:00 in New York, 11:00 in Los Angeles: daytime for both.
AFTERNOON = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
ATTRIBUTES = {"customer_id": "cust-ada", "queue": "vip"}
ADA = CustomerProfile(
    customer_id="cust-ada", phone="+14155550100", name="Ada Lovelace", time_zone="America/Los_Angeles",
    consent_voice=True, consent_sms=True, consent_surveys=True, preferred_channel="voice")


def answered(**detail_changes):
    envelope = load_event("connect_contact_disconnected_answered")
    envelope["detail"].update(detail_changes)
    return parse_contact_event(envelope)


def decide(event=None, attributes=ATTRIBUTES, profile=ADA, last=None, now=AFTERNOON, sms_enabled=True):
    return decide_survey(event or answered(), attributes, profile, last, now, POLICY, sms_enabled)


def test_an_answered_call_of_a_consenting_customer_gets_a_voice_survey_now():
    decision = decide()
    assert (decision.verdict, decision.reason, decision.channel) == (Verdict.SEND, Reason.ELIGIBLE, "voice")
    assert (decision.customer_id, decision.destination) == ("cust-ada", "+14155550100")


# --- what the event alone decides -------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "reason"), [
    ({"eventType": "QUEUED"}, Reason.NOT_DISCONNECTED),
    ({"eventType": "SOMETHING_NEW"}, Reason.NOT_DISCONNECTED),
    ({"channel": "CHAT"}, Reason.NOT_VOICE),
    ({"channel": "TASK"}, Reason.NOT_VOICE),
    ({"initiationMethod": "API"}, Reason.NOT_INBOUND),  # e.g. our own survey calls
    ({"initiationMethod": "OUTBOUND"}, Reason.NOT_INBOUND),
])
def test_contacts_we_never_survey_are_skipped_from_the_event_alone(changes, reason):
    event = answered(**changes)
    assert screen_event(event).reason is reason
    assert decide(event).verdict is Verdict.SKIP


@pytest.mark.parametrize("method", ["INBOUND", "CALLBACK", "TRANSFER", "QUEUE_TRANSFER"])
def test_customer_calls_of_every_kind_pass_the_event_screen(method):
    assert screen_event(answered(initiationMethod=method)) is None


def test_a_call_that_never_reached_an_agent_is_abandoned():
    event = parse_contact_event(load_event("connect_contact_disconnected_abandoned"))
    decision = decide(event)
    assert (decision.verdict, decision.reason) == (Verdict.SKIP, Reason.ABANDONED)


# --- who the customer is and what they allow -------------------------------------------------------

@pytest.mark.parametrize(("attributes", "profile"), [
    ({}, ADA),  # the inbound flow did not recognise the caller
    ({"customer_id": "  "}, ADA),
    ({"customer_id": "cust-gone"}, None),  # no such profile any more
])
def test_an_unknown_customer_is_not_surveyed(attributes, profile):
    assert decide(attributes=attributes, profile=profile).reason is Reason.UNKNOWN_CUSTOMER


@pytest.mark.parametrize(("changes", "reason"), [
    ({"opted_out": True}, Reason.OPTED_OUT),
    ({"opted_out": True, "consent_surveys": False}, Reason.OPTED_OUT),  # opting out is the stronger word
    ({"consent_surveys": False}, Reason.NO_CONSENT),
    ({"phone": "+1 555"}, Reason.NO_REACHABLE_NUMBER),
    ({"phone": ""}, Reason.NO_REACHABLE_NUMBER),
    ({"consent_voice": False, "consent_sms": False}, Reason.NO_CHANNEL),
])
def test_what_the_customer_allows_decides_before_anything_else(changes, reason):
    decision = decide(profile=replace(ADA, **changes))
    assert (decision.verdict, decision.reason, decision.customer_id) == (Verdict.SKIP, reason, "cust-ada")


def test_a_customer_who_prefers_sms_gets_an_sms():
    decision = decide(profile=replace(ADA, preferred_channel="sms"))
    assert (decision.verdict, decision.channel) == (Verdict.SEND, "sms")


@pytest.mark.parametrize(("profile_changes", "sms_enabled", "channel"), [
    ({"preferred_channel": "sms"}, False, "voice"),  # SMS switched off: voice, since consented
    ({"preferred_channel": "sms", "consent_sms": False}, True, "voice"),  # no SMS consent: voice
    ({"preferred_channel": "voice", "consent_voice": False}, True, "sms"),  # no voice consent: SMS
])
def test_the_other_channel_is_used_when_the_preferred_one_may_not_be(profile_changes, sms_enabled, channel):
    decision = decide(profile=replace(ADA, **profile_changes), sms_enabled=sms_enabled)
    assert (decision.verdict, decision.channel) == (Verdict.SEND, channel)


def test_no_usable_channel_at_all_is_skipped():
    profile = replace(ADA, preferred_channel="sms", consent_voice=False)
    assert decide(profile=profile, sms_enabled=False).reason is Reason.NO_CHANNEL


# --- cooldown ------------------------------------------------------------------------------------------

def test_a_customer_surveyed_within_the_cooldown_is_not_surveyed_again():
    last = AFTERNOON - timedelta(days=POLICY.cooldown_days) + timedelta(minutes=1)
    assert decide(last=last).reason is Reason.RECENTLY_SURVEYED


def test_once_the_cooldown_has_passed_the_customer_may_be_surveyed_again():
    last = AFTERNOON - timedelta(days=POLICY.cooldown_days)
    assert decide(last=last).verdict is Verdict.SEND


# --- quiet hours, in the customer's own zone --------------------------------------------------------

def at(local: datetime) -> datetime:
    return local.astimezone(UTC)


def test_a_call_ending_late_in_the_evening_is_delayed_to_nine_the_next_morning_local_time():
    # Given a call that ends at 21:30 in Los Angeles (already 00:30 the next day in New York)
    now = at(datetime(2026, 11, 24, 21, 30, tzinfo=LOS_ANGELES))
    decision = decide(now=now)
    # Then the survey waits for 09:00 in Los Angeles, not in New York
    assert (decision.verdict, decision.reason, decision.time_zone) == (
        Verdict.DELAY, Reason.QUIET_HOURS, "America/Los_Angeles")
    assert decision.not_before == at(datetime(2026, 11, 25, 9, 0, tzinfo=LOS_ANGELES))
    assert decision.channel == "voice"


def test_early_morning_waits_until_nine_the_same_day():
    decision = decide(now=at(datetime(2026, 11, 24, 6, 15, tzinfo=LOS_ANGELES)))
    assert decision.not_before == at(datetime(2026, 11, 24, 9, 0, tzinfo=LOS_ANGELES))


def test_the_same_moment_is_quiet_for_one_customer_and_daytime_for_another():
    # 19:30 in Los Angeles is 22:30 in New York
    now = at(datetime(2026, 11, 24, 19, 30, tzinfo=LOS_ANGELES))
    assert decide(now=now).verdict is Verdict.SEND
    new_yorker = replace(ADA, phone="+12125550175", time_zone="America/New_York")
    assert decide(now=now, profile=new_yorker).verdict is Verdict.DELAY


def test_quiet_hours_bounds_nine_is_open_and_eight_pm_is_quiet():
    assert decide(now=at(datetime(2026, 11, 24, 9, 0, tzinfo=LOS_ANGELES))).verdict is Verdict.SEND
    assert decide(now=at(datetime(2026, 11, 24, 19, 59, tzinfo=LOS_ANGELES))).verdict is Verdict.SEND
    assert decide(now=at(datetime(2026, 11, 24, 20, 0, tzinfo=LOS_ANGELES))).verdict is Verdict.DELAY
    assert decide(now=at(datetime(2026, 11, 24, 8, 59, tzinfo=LOS_ANGELES))).verdict is Verdict.DELAY


def test_across_the_spring_dst_change_the_survey_still_waits_for_nine_local_time():
    # Given a call ending at 23:00 EST on Saturday 7 March 2026; clocks go forward at 02:00 that night
    new_yorker = replace(ADA, phone="+12125550175", time_zone="America/New_York")
    decision = decide(now=at(datetime(2026, 3, 7, 23, 0, tzinfo=NEW_YORK)), profile=new_yorker)
    # Then it is due at 09:00 EDT, which is 13:00 UTC (14:00 UTC the day before the change)
    assert decision.not_before == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)


def test_across_the_autumn_dst_change_the_survey_still_waits_for_nine_local_time():
    new_yorker = replace(ADA, phone="+12125550175", time_zone="America/New_York")
    decision = decide(now=at(datetime(2026, 10, 31, 22, 0, tzinfo=NEW_YORK)), profile=new_yorker)
    assert decision.not_before == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)  # 09:00 EST


def test_without_a_profile_zone_the_numbers_zone_is_used_then_the_centers():
    # A Los Angeles number, no zone in the profile: 21:00 there is quiet even though New York is 00:00
    no_zone = replace(ADA, time_zone=None)
    decision = decide(now=at(datetime(2026, 11, 24, 10, 0, tzinfo=LOS_ANGELES)), profile=no_zone)
    assert (decision.verdict, decision.time_zone) == (Verdict.SEND, "America/Los_Angeles")
    # A number spanning several zones (a toll-free number) falls back to the center's zone
    toll_free = replace(ADA, time_zone=None, phone="+18005550123")
    decision = decide(now=at(datetime(2026, 11, 24, 21, 0, tzinfo=NEW_YORK)), profile=toll_free)
    assert (decision.verdict, decision.time_zone) == (Verdict.DELAY, "America/New_York")


def test_an_invalid_profile_zone_does_not_break_the_decision():
    decision = decide(profile=replace(ADA, time_zone="Mars/Olympus_Mons"))
    assert decision.time_zone == "America/Los_Angeles"  # the number's zone
