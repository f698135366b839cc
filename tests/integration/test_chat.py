"""Chat: the same routing rules as a call, the signed identity, bad input, and the screen pop of the next contact.

Runs the real chat-start, routing and contact-history handlers and the chat flow file on the local backend
(callcenter/chats.py), with the demo profiles (demo/profiles.csv).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter.calls import CallRequest, place_call
from callcenter.chats import ChatRequest, run_chat, site_backend_claim
from functions.common.customer_claim import CustomerClaim, sign_claim
from functions.common.ticket_overview import Status

NEW_YORK = ZoneInfo("America/New_York")
OPEN = datetime(2026, 11, 24, 10, 30, tzinfo=NEW_YORK)  # a Tuesday in business hours
CLOSED = datetime(2026, 11, 24, 22, 30, tzinfo=NEW_YORK)
ADA, ALAN, MARIA = "cust-ada", "cust-alan", "cust-maria"  # vip, gold, Spanish-speaking (demo/profiles.csv)
ADA_PHONE, MARIA_PHONE = "+14155550100", "+17135550188"


def chat(backend, customer, at=OPEN, says=(), **options):
    return run_chat(backend, ChatRequest(customer, at, tuple(says), **options))


def call(backend, caller, at=OPEN):
    return place_call(backend, CallRequest(caller=caller, at=at))


# --- the same rules as a call --------------------------------------------------------------------------------

@pytest.mark.parametrize(("chat_from", "call_from", "queue", "reason"), [
    (ADA, ADA_PHONE, "vip", "VIP_TIER"),
    (MARIA, MARIA_PHONE, "spanish", "LANGUAGE_MATCH"),
])
def test_a_signed_in_chat_is_routed_by_the_same_rule_as_the_customers_call(demo_backend, chat_from, call_from,
                                                                            queue, reason):
    chatted = chat(demo_backend, chat_from)
    called = call(demo_backend, call_from)
    assert (chatted.flow.outcome, chatted.flow.queue, chatted.attributes["reason"]) == ("queued", queue, reason)
    assert (called.queue, called.attributes["reason"]) == (queue, reason)
    assert chatted.attributes["identity"] == "signed" and called.attributes["identity"] == "caller_id"


def test_a_chat_after_hours_is_told_when_the_center_opens_as_a_call_is(demo_backend):
    chatted = chat(demo_backend, "cust-grace", at=CLOSED)  # a New York customer, 10:30 pm
    called = call(demo_backend, "+12125550175", at=CLOSED)
    assert chatted.attributes["after_hours"] == called.attributes["after_hours"] == "true"
    assert chatted.flow.outcome == "disconnected" and chatted.flow.queue is None
    message = chatted.attributes["after_hours_message"]
    assert message.startswith("Thank you for your message.") and "Wednesday at 8:00 AM, your time" in message
    assert message in chatted.flow.prompts


def test_the_quick_reply_routes_by_skill_with_the_menu_rule_of_a_call(demo_backend):
    result = chat(demo_backend, "someone@example.org", says=["Technical support"])  # the reply's label
    assert (result.flow.queue, result.attributes["reason"], result.attributes["intent"]) == (
        "support", "SKILL_MATCH", "support")


def test_spanish_chat_reads_spanish_prompts(demo_backend):
    result = chat(demo_backend, MARIA)
    assert result.flow.prompts[0].startswith("Hola")


# --- identity --------------------------------------------------------------------------------------------------

def test_a_forged_customer_id_is_refused_and_shows_nobodys_data(demo_backend):
    genuine = site_backend_claim(ALAN, OPEN)
    forged = CustomerClaim(ADA, genuine.expires, genuine.signature)  # the browser swapped the id
    result = chat(demo_backend, ALAN, claim=forged)
    assert (result.start_status, result.start_body["reason"]) == (401, "CLAIM_NOT_VERIFIED")
    assert result.flow is None and not demo_backend.connect.started_chats


def test_a_claim_signed_with_another_secret_or_expired_is_refused(demo_backend):
    other = sign_claim(b"not-the-site-secret", ADA, OPEN + timedelta(minutes=5))
    expired = site_backend_claim(ADA, OPEN - timedelta(hours=1))
    for claim in (other, expired):
        assert chat(demo_backend, ADA, claim=claim).start_body["reason"] == "CLAIM_NOT_VERIFIED"


def test_routing_does_not_trust_a_claim_that_reached_it_unchecked(demo_backend):
    """A chat started some other way (the API, another flow) with a forged claim: routing checks it again."""
    from callcenter.backend import INSTANCE_ARN
    from callcenter.calls import local_flow, run_flow_at
    from flowlang.simulator import ContactStart

    genuine = site_backend_claim(ALAN, OPEN)
    forged = CustomerClaim(ADA, genuine.expires, genuine.signature)
    start = ContactStart(contact_id="chat-forged", channel="CHAT", initiation_method="API",
                         instance_arn=INSTANCE_ARN, attributes=forged.to_attributes(), now=OPEN)
    result = run_flow_at(demo_backend, local_flow("chat"), start, [], "chat")
    assert (result.queue, result.attributes["reason"], result.attributes["customer_id"]) == (
        "general", "CLAIM_NOT_VERIFIED", "")
    assert result.attributes["tier"] == "" and result.attributes["recent_contacts"] == ""


def test_a_typed_identity_routes_the_chat_but_says_nothing_about_the_account(demo_backend):
    typed = chat(demo_backend, "ada@example.com")
    assert (typed.flow.queue, typed.attributes["reason"], typed.attributes["identity"]) == ("vip", "VIP_TIER", "typed")
    said = " ".join(typed.flow.prompts)
    assert "Ada" not in said and "ticket" not in said.lower()


# --- bad input -------------------------------------------------------------------------------------------------

def test_an_empty_opening_message_is_refused_with_a_clear_answer(demo_backend):
    from callcenter.chats import call_chat_start

    status, body = call_chat_start(demo_backend, {"typed_identity": "+14155550100", "message": "   "}, OPEN)
    assert (status, body["reason"]) == (400, "EMPTY_MESSAGE") and "empty" in body["message"]


def test_a_ten_thousand_character_message_with_emoji_and_rtl_text_reaches_the_agent_whole(demo_backend):
    long = ("שלום 🙂 مرحبا " * 800)[:10_000]
    result = chat(demo_backend, ALAN, says=["agent", long])
    assert result.flow.outcome == "queued"
    assert result.for_agent == [long]


def test_an_over_long_opening_message_is_refused_not_cut(demo_backend):
    from callcenter.chats import call_chat_start

    status, body = call_chat_start(demo_backend, {"typed_identity": "", "message": "🙂" * 5000}, OPEN)
    assert (status, body["reason"]) == (400, "MESSAGE_TOO_LONG")


def test_a_customer_who_abandons_the_menu_still_reaches_an_agent(demo_backend):
    result = chat(demo_backend, "someone@example.org", says=[])  # never answers the quick replies
    assert (result.flow.outcome, result.flow.queue) == ("queued", "general")
    assert any(step.branch == "error:TimeLimitExceeded" for step in result.flow.steps)


def test_routing_failure_sends_the_chat_to_the_default_queue(demo_backend):
    demo_backend.faults["routing"] = "error"
    result = chat(demo_backend, ADA)
    assert (result.flow.queue, result.attributes["reason"]) == ("general", "ROUTING_FALLBACK")


# --- continuity ------------------------------------------------------------------------------------------------

def test_the_screen_pop_of_a_call_that_follows_a_chat_names_that_chat(demo_backend):
    chatted = chat(demo_backend, ALAN, says=["billing"])
    called = call(demo_backend, "+13125550123", at=OPEN + timedelta(hours=1))
    latest = called.attributes["recent_contacts"].split(";")[0].split("|")
    assert latest == ["CHAT", "2026-11-24T15:30Z", "billing", "SKILL_MATCH", "", chatted.contact_id, "signed"]
    assert called.attributes["identity"] == "caller_id"


def test_a_redelivered_contact_record_is_kept_once(demo_backend):
    from callcenter.chats import deliver_contact_records

    chatted = chat(demo_backend, ALAN)
    deliver_contact_records(demo_backend, [chatted.record, chatted.record], OPEN + timedelta(minutes=5))
    called = call(demo_backend, "+13125550123", at=OPEN + timedelta(hours=1))
    assert called.attributes["recent_contacts"].count(chatted.contact_id) == 1


def test_the_history_is_bounded_and_newest_first(demo_backend):
    ids = [chat(demo_backend, ALAN, at=OPEN + timedelta(minutes=i)).contact_id for i in range(7)]
    from functions.profiles.store import get_profile

    history = get_profile(ALAN).recent_contacts
    assert [entry.contact_id for entry in history] == ids[::-1][:5]


def test_the_ticket_a_contact_was_about_is_named(demo_backend):
    """A follow-up about the latest ticket (the IVR's ticket intent) names it in the history."""
    from functions.continuity.history import recent_contact_of

    record = {"ContactId": "c-1", "Channel": "VOICE", "InitiationTimestamp": "2026-11-24T15:30:00Z",
              "Queue": {"Name": "support"},
              "Attributes": {"customer_id": ALAN, "reason": "TICKET_FOLLOW_UP", "intent": "ticket",
                             "latest_ticket_id": "T261124F4F2A", "latest_ticket_status": Status.OPEN.value}}
    customer, entry = recent_contact_of(record)
    assert (customer, entry.ticket_id, entry.queue) == (ALAN, "T261124F4F2A", "support")
