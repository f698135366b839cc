"""Routing rules, in their documented order, as plain Python (no AWS)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.profiles.profile import TIERS, CustomerProfile
from functions.routing.decision import (
    CallContext,
    CallerStatus,
    after_hours_message,
    route_call,
)
from functions.routing.policy import PRIORITIES, load_policy

NY = ZoneInfo("America/New_York")
OPEN = datetime(2026, 11, 24, 11, 0, tzinfo=NY)  # Tuesday 11:00 New York
CLOSED = datetime(2026, 11, 24, 21, 30, tzinfo=NY)  # Tuesday 21:30 New York
MAIN, VIP_LINE = "+18005550100", "+18005550199"
POLICY = load_policy()


def profile(**overrides):
    values = dict(customer_id="c-1", phone="+14155550100", name="Ada Lovelace")
    values.update(overrides)
    return CustomerProfile(**values)


def call(caller="+14155550100", dialed=MAIN, now=OPEN, intent=None, channel="VOICE", method="INBOUND"):
    return CallContext(channel=channel, initiation_method=method, caller_e164=caller, dialed_e164=dialed,
                       now=now, intent=intent)


def test_vip_line_routes_even_an_unknown_caller_to_the_vip_queue():
    decision = route_call(POLICY, call(dialed=VIP_LINE), None, CallerStatus.UNKNOWN)
    assert (decision.queue, decision.priority, decision.reason) == ("vip", 1, "VIP_LINE")
    assert not decision.offer_menu


def test_vip_tier_outranks_complaints():
    decision = route_call(POLICY, call(), profile(tier="vip", recent_complaints=9), CallerStatus.KNOWN)
    assert (decision.queue, decision.reason, decision.rule_id) == ("vip", "VIP_TIER", "vip-tier")


def test_repeat_complainer_goes_to_senior_agents_ahead_of_the_line():
    decision = route_call(POLICY, call(), profile(recent_complaints=3), CallerStatus.KNOWN)
    assert (decision.queue, decision.priority, decision.reason) == ("senior", 2, "REPEAT_COMPLAINER")


def test_two_complaints_are_not_yet_repeat_complaints():
    decision = route_call(POLICY, call(), profile(recent_complaints=2), CallerStatus.KNOWN)
    assert decision.reason == "DEFAULT"


def test_language_match_sends_spanish_speakers_to_spanish_agents():
    decision = route_call(POLICY, call(), profile(language="es"), CallerStatus.KNOWN)
    assert (decision.queue, decision.reason) == ("spanish", "LANGUAGE_MATCH")


@pytest.mark.parametrize(("intent", "queue"), [("billing", "billing"), ("support", "support"), ("sales", "sales")])
def test_menu_choice_routes_by_skill(intent, queue):
    decision = route_call(POLICY, call(intent=intent), profile(), CallerStatus.KNOWN)
    assert (decision.queue, decision.reason, decision.offer_menu) == (queue, "SKILL_MATCH", False)


def test_default_route_offers_the_menu_once():
    first = route_call(POLICY, call(), profile(), CallerStatus.KNOWN)
    assert (first.queue, first.reason, first.offer_menu) == ("general", "DEFAULT", True)
    again = route_call(POLICY, call(intent="something-else"), profile(), CallerStatus.KNOWN)
    assert again.offer_menu is False


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (CallerStatus.UNKNOWN, "UNKNOWN_CALLER"),
        (CallerStatus.WITHHELD, "WITHHELD_NUMBER"),
        (CallerStatus.INVALID_NUMBER, "INVALID_NUMBER"),
        (CallerStatus.LOOKUP_FAILED, "PROFILE_UNAVAILABLE"),
    ],
)
def test_unidentified_callers_get_the_default_queue_with_a_reason(status, reason):
    decision = route_call(POLICY, call(caller=None), None, status)
    assert (decision.queue, decision.priority, decision.reason) == ("general", 5, reason)


def test_gold_tier_raises_priority_but_keeps_the_rule():
    decision = route_call(POLICY, call(intent="billing"), profile(tier="gold"), CallerStatus.KNOWN)
    assert (decision.queue, decision.priority, decision.reason) == ("billing", 3, "SKILL_MATCH")
    assert "priority raised to 3 for tier gold" in decision.explanation


def test_tier_never_lowers_a_rule_priority():
    decision = route_call(POLICY, call(), profile(tier="gold", recent_complaints=5), CallerStatus.KNOWN)
    assert decision.priority == 2


@pytest.mark.parametrize(("channel", "method", "reason"), [
    ("CHAT", "API", "NON_VOICE_CHANNEL"),
    ("TASK", "QUEUE_TRANSFER", "NON_VOICE_CHANNEL"),
    ("EMAIL", "INBOUND", "NON_VOICE_CHANNEL"),
    ("", "", "NON_VOICE_CHANNEL"),
    ("VOICE", "TRANSFER", "NON_INBOUND_CONTACT"),
    ("VOICE", "QUEUE_TRANSFER", "NON_INBOUND_CONTACT"),
    ("VOICE", "CALLBACK", "NON_INBOUND_CONTACT"),
])
def test_contacts_that_are_not_inbound_voice_get_the_default_queue_and_no_menu(channel, method, reason):
    decision = route_call(POLICY, call(channel=channel, method=method), profile(tier="vip"), CallerStatus.KNOWN)
    assert (decision.queue, decision.reason, decision.offer_menu) == ("general", reason, False)


def test_after_hours_names_the_next_opening_in_the_callers_own_time_zone():
    # Given a Los Angeles customer calling at 21:30 New York time (18:30 in Los Angeles)
    decision = route_call(POLICY, call(now=CLOSED), profile(time_zone="America/Los_Angeles"), CallerStatus.KNOWN)
    # Then the queue is closed, no menu is offered, and the message gives 05:00 Los Angeles time
    assert decision.after_hours and not decision.offer_menu
    assert decision.opens_at_local == datetime(2026, 11, 25, 5, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert "Wednesday at 5:00 AM, your time" in after_hours_message(decision)


def test_unknown_caller_time_zone_comes_from_the_number_when_unambiguous():
    decision = route_call(POLICY, call(caller="+13035550123", now=CLOSED), None, CallerStatus.UNKNOWN)
    assert decision.caller_time_zone == "America/Denver"


def test_vip_queue_is_open_around_the_clock():
    decision = route_call(POLICY, call(now=CLOSED), profile(tier="vip"), CallerStatus.KNOWN)
    assert not decision.after_hours


profiles = st.builds(
    CustomerProfile,
    customer_id=st.text(min_size=1, max_size=8),
    phone=st.just("+14155550100"),
    name=st.text(max_size=20),
    tier=st.sampled_from(TIERS),
    language=st.sampled_from(["en", "es", "fr", "xx"]),
    time_zone=st.sampled_from([None, "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"]),
    recent_complaints=st.integers(min_value=0, max_value=50),
)
contexts = st.builds(
    CallContext,
    channel=st.sampled_from(["VOICE", "CHAT", "TASK", "EMAIL", ""]),
    initiation_method=st.sampled_from(["INBOUND", "OUTBOUND", "TRANSFER", "QUEUE_TRANSFER", "API", ""]),
    caller_e164=st.sampled_from([None, "+14155550100", "+442079460000"]),
    dialed_e164=st.sampled_from([None, MAIN, VIP_LINE]),
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(NY)),
    intent=st.sampled_from([None, "billing", "support", "sales", "other"]),
)


@given(contexts, st.none() | profiles, st.sampled_from(list(CallerStatus)))
def test_every_decision_is_routable_and_explained(ctx, who, status):
    decision = route_call(POLICY, ctx, who, status)
    assert decision.queue in POLICY.queues
    assert decision.priority in PRIORITIES
    assert decision.reason and decision.explanation
    assert not (decision.offer_menu and decision.after_hours)
    assert decision.after_hours == (not POLICY.hours_for(decision.queue).is_open(ctx.now))


def test_a_customer_renewing_after_our_reminder_reaches_sales_ahead_of_the_line():
    decision = route_call(POLICY, call(intent="renewal"), profile(), CallerStatus.KNOWN)
    assert (decision.queue, decision.priority, decision.reason) == ("sales", 3, "OUTREACH_RENEWAL")


def test_a_customer_we_called_who_asks_to_renew_is_routed_by_the_rules():
    decision = route_call(POLICY, call(intent="renewal", method="OUTBOUND"), profile(tier="vip"), CallerStatus.KNOWN)
    assert (decision.queue, decision.reason) == ("vip", "VIP_TIER")  # a VIP still reaches the VIP queue
