"""Routing rules, in their documented order, as plain Python (no AWS)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.common.ticket_overview import Status, TicketsOverview, TicketSummary
from functions.profiles.profile import TIERS, CustomerProfile
from functions.routing.decision import (
    CallContext,
    CallerStatus,
    CallerTickets,
    after_hours_message,
    route_call,
)
from functions.routing.policy import PRIORITIES, PolicyError, load_policy, parse_policy, policy_document
from functions.tickets.ticket import SLA_HOURS

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
    assert (decision.queue, decision.reason, decision.language) == ("spanish", "LANGUAGE_MATCH", "es")


def test_a_caller_who_chose_spanish_in_the_ivr_reaches_spanish_agents_with_or_without_a_profile():
    # Given an unknown caller, and a customer whose profile says English, who both pressed 9 for Spanish
    chose = CallContext(channel="VOICE", initiation_method="INBOUND", caller_e164="+16175550199", dialed_e164=MAIN,
                        now=OPEN, chosen_language="es")
    unknown = route_call(POLICY, chose, None, CallerStatus.UNKNOWN)
    english_profile = route_call(POLICY, chose, profile(language="en"), CallerStatus.KNOWN)
    # Then the choice decides, and is echoed to the flow; without it an unknown caller has no language
    for decision in (unknown, english_profile):
        assert (decision.queue, decision.reason, decision.language, decision.offer_menu) == (
            "spanish", "LANGUAGE_MATCH", "es", False)
    assert route_call(POLICY, call(caller="+16175550199"), None, CallerStatus.UNKNOWN).language == ""


def test_the_after_hours_message_is_in_the_callers_language():
    chose = CallContext(channel="VOICE", initiation_method="INBOUND", caller_e164="+16175550199", dialed_e164=MAIN,
                        now=CLOSED, chosen_language="es")
    decision = route_call(POLICY, chose, profile(time_zone="America/Los_Angeles"), CallerStatus.KNOWN)
    assert after_hours_message(decision) == (
        "Gracias por llamar. En este momento estamos cerrados. "
        "Abrimos de nuevo el miércoles a las 05:00, su hora local. Adiós.")


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


def test_a_number_whose_region_spans_several_zones_hears_the_centers_time_not_the_first_zones():
    # Given an unknown caller on a toll-free number (every North American zone, the first being America/Adak)
    decision = route_call(POLICY, call(caller="+18005550123", now=CLOSED), None, CallerStatus.UNKNOWN)
    # Then the number tells nothing: the center's zone, and the opening time in it
    assert decision.caller_time_zone == POLICY.center_time_zone == "America/New_York"
    assert decision.opens_at_local == datetime(2026, 11, 25, 8, 0, tzinfo=NY)
    # And so for a known caller whose profile has no zone
    known = route_call(POLICY, call(caller="+18005550123", now=CLOSED), profile(phone="+18005550123"),
                       CallerStatus.KNOWN)
    assert known.caller_time_zone == "America/New_York"


def test_a_zone_that_is_not_an_iana_name_is_not_trusted():
    decision = route_call(POLICY, call(caller="+13035550123", now=CLOSED),
                          profile(time_zone="../../etc/passwd"), CallerStatus.KNOWN)
    assert decision.caller_time_zone == "America/Denver"  # the number's zone
    assert "your time" in after_hours_message(decision)


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
    intent=st.sampled_from([None, "billing", "support", "sales", "ticket", "other"]),
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


# --- tickets: follow-up rule and past-SLA priority ------------------------------------------------

def summary(ticket_id="T261124AAAA", status=Status.IN_PROGRESS, team="billing", priority=3, age_hours=1.0):
    created = OPEN - timedelta(hours=age_hours)
    return TicketSummary(ticket_id, status, team, priority, created, created + timedelta(hours=SLA_HOURS[priority]))


def with_tickets(*summaries, **overrides):
    return profile(tickets=TicketsOverview(tuple(summaries)), **overrides)


def test_the_callers_tickets_are_counted_at_the_moment_of_the_call():
    # Given an open ticket past its SLA, a newer resolved one, and an escalated one still in time
    overview = TicketsOverview((
        summary("T1", Status.OPEN, priority=1, age_hours=5),
        summary("T2", Status.ESCALATED, team="support", age_hours=3),
        summary("T3", Status.RESOLVED, priority=1, age_hours=2),
    ))
    tickets = CallerTickets.from_overview(overview, OPEN)
    # Then a resolved ticket is the latest (it waits for the caller's confirm) but neither open nor overdue
    assert (tickets.open_count, tickets.overdue_count) == (2, 1)
    assert (tickets.latest_id, tickets.latest_status, tickets.latest_team, tickets.latest_overdue) == (
        "T3", Status.RESOLVED, "billing", False)


def test_a_ticket_past_its_sla_raises_the_priority_and_says_why():
    decision = route_call(POLICY, call(), with_tickets(summary(priority=1, age_hours=5)), CallerStatus.KNOWN)
    assert (decision.queue, decision.reason, decision.priority) == ("general", "DEFAULT", 2)
    assert POLICY.overdue_ticket_priority == 2
    assert "priority raised to 2: 1 open ticket(s) past SLA" in decision.explanation
    assert decision.offer_menu  # the raise does not pin the call: the caller still chooses


def test_a_ticket_within_its_sla_leaves_the_priority_alone():
    decision = route_call(POLICY, call(), with_tickets(summary(priority=3, age_hours=5)), CallerStatus.KNOWN)
    assert decision.priority == 5
    assert "past SLA" not in decision.explanation


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_a_late_ticket_that_is_no_longer_open_raises_nothing(status):
    decision = route_call(POLICY, call(), with_tickets(summary(status=status, priority=1, age_hours=9)),
                          CallerStatus.KNOWN)
    assert decision.priority == 5


def test_a_past_sla_ticket_never_lowers_a_higher_priority():
    decision = route_call(POLICY, call(), with_tickets(summary(priority=1, age_hours=5), tier="vip"),
                          CallerStatus.KNOWN)
    assert (decision.queue, decision.priority) == ("vip", 1)
    assert "past SLA" not in decision.explanation


def test_asking_for_the_ticket_team_routes_to_the_latest_tickets_team():
    # Given a caller whose latest ticket was escalated to support (an older one is with billing)
    caller = with_tickets(summary("T1", team="billing", age_hours=3), summary("T2", Status.ESCALATED, "support"))
    # When they choose "speak to the team handling it"
    decision = route_call(POLICY, call(intent="ticket"), caller, CallerStatus.KNOWN)
    # Then the call goes to that team's queue, ahead of plain menu choices
    assert (decision.queue, decision.reason, decision.rule_id, decision.priority) == (
        "support", "TICKET_FOLLOW_UP", "ticket-follow-up", 4)
    assert decision.offer_menu is False


def test_the_ticket_team_of_a_later_decision_comes_from_the_carried_tickets_not_the_profile():
    carried = CallerTickets(open_count=1, latest_id="T9", latest_status=Status.IN_PROGRESS, latest_team="sales")
    decision = route_call(POLICY, call(intent="ticket"), profile(), CallerStatus.KNOWN, carried)
    assert (decision.queue, decision.reason) == ("sales", "TICKET_FOLLOW_UP")
    assert decision.tickets == carried


def test_a_follow_up_of_an_overdue_ticket_is_raised_to_the_overdue_priority():
    caller = with_tickets(summary(priority=1, age_hours=6))
    decision = route_call(POLICY, call(intent="ticket"), caller, CallerStatus.KNOWN)
    assert (decision.queue, decision.priority) == ("billing", 2)


@pytest.mark.parametrize("tickets", [
    CallerTickets(),
    CallerTickets(open_count=1, latest_id="T9", latest_status=Status.OPEN, latest_team="no_such_team"),
])
def test_asking_for_a_ticket_team_without_a_routable_ticket_gets_the_default_queue(tickets):
    decision = route_call(POLICY, call(intent="ticket"), profile(), CallerStatus.KNOWN, tickets)
    assert (decision.queue, decision.reason, decision.offer_menu) == ("general", "DEFAULT", False)


def test_higher_rules_still_win_over_the_ticket_follow_up():
    caller = with_tickets(summary(team="billing"), recent_complaints=4)
    decision = route_call(POLICY, call(intent="ticket"), caller, CallerStatus.KNOWN)
    assert (decision.queue, decision.reason) == ("senior", "REPEAT_COMPLAINER")


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda rule: rule["route"].update(queue="billing"), "exactly one of queue or queue_from"),
    (lambda rule: rule["route"].pop("queue_from"), "exactly one of queue or queue_from"),
    (lambda rule: rule["when"].pop("has_ticket"), "needs when.has_ticket: true"),
])
def test_a_ticket_team_route_must_be_well_formed(mutate, expected):
    document = policy_document(POLICY)
    mutate(next(rule for rule in document["rules"] if rule["id"] == "ticket-follow-up"))
    with pytest.raises(PolicyError, match=expected):
        parse_policy(document)


def test_the_overdue_priority_is_a_known_priority():
    document = {**policy_document(POLICY), "overdue_ticket_priority": 7}
    with pytest.raises(PolicyError, match="overdue_ticket_priority must be one of"):
        parse_policy(document)
