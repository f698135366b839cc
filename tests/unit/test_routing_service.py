"""Identifying the caller and shaping the Connect response, with a fake profile store."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.profiles.profile import CustomerProfile
from functions.routing.contact import MalformedContactEvent, parse_contact
from functions.routing.decision import CallerStatus
from functions.routing.policy import load_policy
from functions.routing.service import ATTRIBUTE_KEYS, LookupFailed, decide, to_contact_attributes
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


def test_chat_and_task_contacts_are_not_looked_up():
    store = FakeStore(ALAN)
    for name in ("connect_chat_api", "connect_task_queue_transfer"):
        decision, _ = run(load_event(name), store)
        assert decision.reason == "NON_VOICE_CHANNEL"
    assert store.lookups == []


def test_the_response_is_a_flat_string_map_with_every_key_well_under_32_kb():
    decision, who = run(load_event("connect_inbound_voice"), FakeStore(
        CustomerProfile("c", "+14155550100", "N" * 120, tier="vip")))
    attributes = to_contact_attributes(decision, who, ARNS, None)
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
