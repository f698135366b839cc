"""Identifying the caller and shaping the Connect response, with a fake profile store."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from functions.common.phone import time_zones_for
from functions.common.ticket_overview import Status, TicketsOverview, TicketSummary
from functions.profiles.profile import CustomerProfile
from functions.routing.contact import MalformedContactEvent, parse_contact
from functions.routing.decision import CallerStatus
from functions.routing.policy import load_policy
from functions.routing.service import ATTRIBUTE_KEYS, LookupFailed, chosen_language, decide, to_contact_attributes
from tests.conftest import load_event

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("America/New_York"))
ALAN = CustomerProfile("cust-alan", "+13125550123", "Alan Turing", tier="gold", time_zone="America/Chicago")
ARNS = {name: f"arn:queue/{name}" for name in load_policy().queues}


class FakeStore:
    def __init__(self, *profiles, fail=False):
        self.by_phone = {p.phone: p for p in profiles}
        self.fail = fail
        self.lookups = []

    def __call__(self, e164):
        self.lookups.append(e164)
        if self.fail:
            raise LookupFailed("throttled")
        return self.by_phone.get(e164)


def run(event, store):
    return decide(parse_contact(event), load_policy(), store, NOW)


def test_a_known_caller_is_looked_up_once_by_e164():
    event = load_event("connect_inbound_voice")
    event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = "(312) 555-0123"
    store = FakeStore(ALAN)
    decision, who = run(event, store)
    assert store.lookups == ["+13125550123"]
    assert who.status is CallerStatus.KNOWN and who.profile == ALAN
    assert decision.priority == 3  # gold


def test_withheld_and_invalid_numbers_are_not_looked_up():
    withheld = load_event("connect_withheld_number")
    invalid = load_event("connect_inbound_voice")
    invalid["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = "12345"
    store = FakeStore(ALAN)
    assert run(withheld, store)[1].status is CallerStatus.WITHHELD
    assert run(invalid, store)[1].status is CallerStatus.INVALID_NUMBER
    assert store.lookups == []


def test_a_failing_store_routes_without_a_profile():
    decision, who = run(load_event("connect_inbound_voice"), FakeStore(fail=True))
    assert who.status is CallerStatus.LOOKUP_FAILED
    assert (decision.queue, decision.reason) == ("general", "PROFILE_UNAVAILABLE")


def test_the_menu_choice_reuses_the_profile_from_contact_attributes_without_a_read():
    store = FakeStore()
    decision, who = run(load_event("connect_menu_choice"), store)
    assert store.lookups == []
    assert who.status is CallerStatus.KNOWN and who.profile.tier == "gold"
    assert (decision.queue, decision.reason, decision.priority) == ("billing", "SKILL_MATCH", 3)


def test_a_previous_lookup_failure_is_retried_on_the_menu_choice():
    event = load_event("connect_menu_choice")
    event["Details"]["ContactData"]["Attributes"] = {"caller_status": "lookup_failed"}
    event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = ALAN.phone
    store = FakeStore(ALAN)
    _, who = run(event, store)
    assert store.lookups == [ALAN.phone] and who.status is CallerStatus.KNOWN


def test_anonymous_chat_and_task_contacts_are_not_looked_up():
    store = FakeStore(ALAN)
    for name, reason in (("connect_chat_api", "ANONYMOUS_CHAT"), ("connect_task_queue_transfer", "NON_VOICE_CHANNEL")):
        decision, _ = run(load_event(name), store)
        assert decision.reason == reason
    assert store.lookups == []


def test_the_response_is_a_flat_string_map_with_every_key_well_under_32_kb():
    decision, who = run(load_event("connect_inbound_voice"), FakeStore(
        CustomerProfile("c", "+14155550100", "N" * 120, tier="vip")))
    attributes = to_contact_attributes(decision, who, ARNS)
    assert tuple(attributes) == ATTRIBUTE_KEYS
    assert all(isinstance(v, str) for v in attributes.values())
    assert len(json.dumps(attributes).encode()) < 32 * 1024
    assert attributes["queue_arn"] == "arn:queue/vip"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150)
@given(st.dictionaries(
    st.sampled_from(["Attributes", "Channel", "ContactId", "CustomerEndpoint", "InitiationMethod",
                     "SystemEndpoint", "Queue", "Unexpected"]), json_values))
def test_any_contact_data_either_parses_or_is_reported_as_malformed(contact_data):
    event = {"Details": {"ContactData": contact_data, "Parameters": {}}}
    try:
        contact = parse_contact(event)
    except MalformedContactEvent:
        return
    decision, _ = decide(contact, load_policy(), FakeStore(ALAN), NOW)
    assert decision.queue in load_policy().queues


# --- the caller's tickets ------------------------------------------------------------------------

EDSGER = CustomerProfile("cust-edsger", "+16175550111", "Edsger Dijkstra", time_zone="America/New_York")


def ticket(ticket_id, status, team="billing", priority=3, age_hours=1):
    created = NOW - timedelta(hours=age_hours)
    return TicketSummary(ticket_id, status, team, priority, created, created + timedelta(hours={1: 4, 3: 24}[priority]))


def with_tickets(*summaries):
    return replace(EDSGER, tickets=TicketsOverview(summaries))


def first_call(store):
    event = load_event("connect_inbound_voice")
    event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = EDSGER.phone
    decision, who = run(event, store)
    return to_contact_attributes(decision, who, ARNS)


def menu_choice(attributes, intent):
    event = load_event("connect_menu_choice")
    event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = EDSGER.phone
    event["Details"]["ContactData"]["Attributes"] = {**attributes, "intent": intent}
    event["Details"]["Parameters"] = {"stage": "intent", "intent": intent}
    return event


def test_the_screen_pop_carries_the_callers_tickets_from_the_one_lookup():
    # Given a caller with an older overdue ticket and a newer escalated one
    store = FakeStore(with_tickets(ticket("T261124AAAA", Status.OPEN, priority=1, age_hours=6),
                                   ticket("T261124F4F2A", Status.ESCALATED, team="support")))
    # When the call arrives
    attributes = first_call(store)
    # Then one lookup gave the agent (and the IVR) the whole ticket picture
    assert store.lookups == [EDSGER.phone]
    assert {key: attributes[key] for key in ATTRIBUTE_KEYS[-9:-2]} == {
        "open_ticket_count": "2", "overdue_ticket_count": "1", "latest_ticket_id": "T261124F4F2A",
        "latest_ticket_status": "escalated", "latest_ticket_team": "support", "latest_ticket_overdue": "false",
        "ticket_status_message": "Your ticket ending in 4 F 2 A has been passed to a specialist team."}
    assert attributes["priority"] == "2"  # the overdue ticket raised it


def test_a_resolved_latest_ticket_asks_the_caller_to_confirm():
    attributes = first_call(FakeStore(with_tickets(ticket("T261124B0B5", Status.RESOLVED))))
    assert attributes["latest_ticket_status"] == "resolved" and attributes["open_ticket_count"] == "0"
    assert attributes["ticket_status_message"] == (
        "Your ticket ending in B 0 B 5 has been resolved. If the problem is fixed, press 1. If it is not, press 2.")


def test_a_known_caller_without_tickets_has_every_ticket_key_with_nothing_in_it():
    attributes = first_call(FakeStore(EDSGER))
    assert (attributes["open_ticket_count"], attributes["latest_ticket_id"], attributes["latest_ticket_status"],
            attributes["latest_ticket_overdue"], attributes["ticket_status_message"]) == ("0", "", "", "false", "")


def test_an_unknown_caller_has_every_ticket_key_empty():
    attributes = first_call(FakeStore())
    assert tuple(attributes) == ATTRIBUTE_KEYS
    assert {attributes[key] for key in ATTRIBUTE_KEYS[-9:-2] if key != "latest_ticket_overdue"} == {""}


def test_the_ticket_follow_up_reads_the_team_from_the_attributes_without_a_lookup():
    # Given the first decision's attributes for a caller whose latest ticket is with support
    first = first_call(FakeStore(with_tickets(ticket("T261124F4F2A", Status.IN_PROGRESS, team="support"))))
    # When the caller asks for the team handling it, and the store would now say something else
    store = FakeStore(with_tickets(ticket("T261124F4F2A", Status.IN_PROGRESS, team="sales")))
    decision, who = run(menu_choice(first, "ticket"), store)
    second = to_contact_attributes(decision, who, ARNS)
    # Then nothing was read, the call goes to support, and the screen pop is unchanged
    assert store.lookups == []
    assert (second["queue"], second["reason"], second["priority"]) == ("support", "TICKET_FOLLOW_UP", "4")
    assert {k: second[k] for k in ATTRIBUTE_KEYS[-7:]} == {k: first[k] for k in ATTRIBUTE_KEYS[-7:]}


def test_an_overdue_ticket_keeps_raising_the_priority_of_the_menu_choice():
    first = first_call(FakeStore(with_tickets(ticket("T261124AAAA", Status.OPEN, priority=1, age_hours=6))))
    decision, _ = run(menu_choice(first, "sales"), FakeStore())
    assert (decision.queue, decision.priority) == ("sales", 2)


def test_tampered_ticket_attributes_are_read_as_no_ticket():
    first = first_call(FakeStore(EDSGER))
    tampered = {**first, "open_ticket_count": "lots", "latest_ticket_id": "T1", "latest_ticket_status": "lost",
                "latest_ticket_team": "support"}
    decision, _ = run(menu_choice(tampered, "ticket"), FakeStore())
    assert (decision.queue, decision.reason) == ("general", "DEFAULT")
    assert decision.tickets.open_count == 0 and not decision.tickets.has_latest


def test_ticket_attributes_stay_well_under_the_string_map_limit():
    # Given a caller with many tickets and the longest name and time zone we allow
    many = tuple(ticket(f"T261124{n:06X}", Status.WAITING_ON_CUSTOMER, priority=1, age_hours=8) for n in range(200))
    caller = replace(EDSGER, name="N" * 120, tickets=TicketsOverview(many),
                     time_zone="America/Argentina/ComodRivadavia")
    attributes = first_call(FakeStore(caller))
    # Then the answer is a few hundred bytes more than without tickets, far from Connect's 32 KB
    assert attributes["open_ticket_count"] == "200"
    assert all(isinstance(v, str) for v in attributes.values())
    assert len(json.dumps(attributes, ensure_ascii=False).encode()) < 2 * 1024


# --- what is read back from the contact is checked like input ----------------------------------------

def test_an_intent_the_policy_does_not_know_is_neither_used_nor_echoed():
    # Given a second routing call whose intent is 40 KB of text (another flow or the API set it)
    first = first_call(FakeStore(EDSGER))
    decision, who = run(menu_choice(first, "billing" + "x" * 40_000), FakeStore(EDSGER))
    attributes = to_contact_attributes(decision, who, ARNS)
    # Then it routes as "no known choice", without offering the menu again, and the answer stays small
    assert (attributes["intent"], attributes["queue"], attributes["offer_menu"]) == ("", "general", "false")
    assert len(json.dumps(attributes).encode()) < 4096  # Connect rejects answers over 32 KB


@pytest.mark.parametrize("intent", ["nonsense", "BILLING ", "renewal\n", ""])
def test_only_intents_named_by_a_rule_are_accepted(intent):
    decision, _ = run(menu_choice(first_call(FakeStore(EDSGER)), intent), FakeStore(EDSGER))
    known = intent.strip().lower() in load_policy().intents
    assert decision.intent == (intent.strip().lower() if known else None)


@pytest.mark.parametrize(("raw", "chosen"), [("es", "es"), (" ES ", "es"), ("es-US", "es"), ("", None),
                                             ("spanish please", None), ("x" * 40_000, None)])
def test_the_language_the_caller_chose_is_taken_only_when_it_looks_like_one(raw, chosen):
    assert chosen_language({"language": raw}) == chosen


def test_a_time_zone_from_the_attributes_that_is_not_a_zone_is_not_trusted():
    # Given attributes carrying a time zone that is no IANA name (or a huge one)
    first = first_call(FakeStore(EDSGER))
    for bogus in ("Mars/Olympus_Mons", "../../../etc/passwd", "America/" + "x" * 40_000):
        decision, who = run(menu_choice({**first, "time_zone": bogus}, "billing"), FakeStore(EDSGER))
        attributes = to_contact_attributes(decision, who, ARNS)
        # Then the decision uses (and returns) a real zone: the number's, else the center's
        assert attributes["time_zone"] in ("America/New_York", *time_zones_for(EDSGER.phone))
        assert attributes["queue"] == "billing"


def test_ticket_attributes_too_long_to_be_ids_are_not_carried_over():
    first = first_call(FakeStore(with_tickets(ticket("T261124F4F2A", Status.IN_PROGRESS, team="support"))))
    for key in ("latest_ticket_id", "latest_ticket_team"):
        decision, who = run(menu_choice({**first, key: "x" * 40_000}, "ticket"), FakeStore(EDSGER))
        attributes = to_contact_attributes(decision, who, ARNS)
        assert (attributes["latest_ticket_id"], attributes["latest_ticket_team"]) == ("", "")
        assert len(json.dumps(attributes).encode()) < 4096
