"""Caller verification in the inbound flow: nothing about the customer is said, and no ticket is changed, until
the caller has typed their phone PIN. Real flow, real routing, verification and self-service handlers (moto).

The calling number only says who the caller claims to be (it can be spoofed): it may still route the call (a
VIP's number reaches the VIP queue) but the IVR neither names the customer nor reads or changes a ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter.calls import CallRequest, place_call
from flowlang.simulator import GLOBAL_COVERAGE
from functions.common.ticket_overview import Status
from functions.profiles.pin import LOCKOUT, MAX_FAILED_ATTEMPTS, hash_pin
from functions.profiles.store import pin_record, set_pin
from functions.routing.policy import load_policy
from functions.tickets import store as tickets
from functions.tickets.service import TicketService
from functions.tickets.ticket import Actor, ActorKind

NY = ZoneInfo("America/New_York")
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 30, tzinfo=NY)
EDSGER, UNKNOWN, ADA_VIP = "+16175550111", "+16175550199", "+14155550100"
PIN, WRONG = "2468", "1357"
AGENT = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
ASK_PIN = "please enter your phone PIN"
REFUSED = "Sorry, we could not verify that PIN."


def call(backend, caller, *keys, at=TUESDAY_MORNING):
    return place_call(backend, CallRequest(caller=caller, at=at, keys=tuple(keys)), GLOBAL_COVERAGE)


def resolved_ticket(customer_id="cust-edsger"):
    service = TicketService(load_policy().queues, clock=lambda: TUESDAY_MORNING - timedelta(hours=2))
    ticket = service.create(AGENT, customer_id=customer_id, subject="Charged twice", category="billing",
                            team="billing").ticket
    return service.change_status(AGENT, ticket.ticket_id, Status.RESOLVED, expected_version=ticket.version)


def says_anything_about_tickets(result):
    return any("ticket ending in" in p or "could not find an open ticket" in p for p in result.prompts)


@pytest.fixture
def with_pin(demo_backend):
    set_pin("cust-edsger", hash_pin(PIN), TUESDAY_MORNING)
    return demo_backend


def test_the_routing_answer_never_carries_the_customers_name(demo_backend):
    # When a known VIP calls (routed by her number, no menu)
    result = call(demo_backend, ADA_VIP)
    # Then she is routed by number, but the name is neither returned by routing nor heard
    assert (result.outcome, result.queue) == ("queued", "vip")
    assert "customer_name" not in result.lambda_calls[0]["response"]
    assert "customer_name" not in result.attributes
    assert not any("Ada" in prompt or "Lovelace" in prompt for prompt in result.prompts)


def test_the_right_pin_reads_the_ticket_and_lets_the_caller_close_it(with_pin):
    # Given Edsger's ticket was resolved
    ticket = resolved_ticket()
    # When he presses 4, types his PIN, then 1 (fixed), then nothing
    result = call(with_pin, EDSGER, "4", PIN, "1", None)
    # Then he was asked for the PIN before hearing anything about the ticket, and the ticket is closed
    asked = next(i for i, p in enumerate(result.prompts) if ASK_PIN in p)
    first_ticket_word = next(i for i, p in enumerate(result.prompts) if "ticket ending in" in p)
    assert asked < first_ticket_word
    assert tickets.get_ticket(ticket.ticket_id).status is Status.CLOSED
    # And the agent's screen pop now shows the verified caller's name
    assert (result.attributes["caller_verified"], result.attributes["customer_name"]) == ("true", "Edsger Dijkstra")


def test_two_wrong_pins_reveal_nothing_change_nothing_and_reach_an_agent(with_pin):
    ticket = resolved_ticket()
    # When a caller on Edsger's number types a wrong PIN twice, then presses 1 as if to confirm
    result = call(with_pin, EDSGER, "4", WRONG, WRONG, "1")
    # Then he heard no name and nothing about the ticket, and is queued for an agent with the ticket unchanged
    assert not says_anything_about_tickets(result)
    assert result.prompts.count(REFUSED) == 2
    assert (result.outcome, result.queue) == ("queued", "general")
    assert tickets.get_ticket(ticket.ticket_id).status is Status.RESOLVED
    assert "caller_verified" not in result.attributes
    assert [r.function for r in with_pin.invocations] == ["routing", "caller-verification", "caller-verification",
                                                          "sentiment-context"]


def test_a_wrong_then_the_right_pin_is_accepted(with_pin):
    resolved_ticket()
    result = call(with_pin, EDSGER, "4", WRONG, PIN, None)
    assert REFUSED in result.prompts
    assert any("has been resolved" in p for p in result.prompts)


def test_an_unknown_number_and_a_customer_without_a_pin_hear_exactly_what_a_wrong_pin_hears(with_pin):
    # Given Edsger has a PIN and a resolved ticket; Grace (cust-grace) has none
    resolved_ticket()
    wrong = call(with_pin, EDSGER, "4", WRONG, WRONG)
    unknown = call(with_pin, UNKNOWN, "4", WRONG, WRONG)
    # Then a stranger cannot tell from what is said whether the number is a customer's, or has a PIN
    assert unknown.prompts == wrong.prompts
    assert (unknown.outcome, unknown.queue) == ("queued", "general")


def test_a_customer_without_a_pin_is_not_verified_whatever_is_typed(demo_backend):
    resolved_ticket()
    result = call(demo_backend, EDSGER, "4", "0000", "2468")
    assert not says_anything_about_tickets(result)
    assert (result.outcome, result.queue) == ("queued", "general")


def test_too_many_wrong_pins_lock_the_pin_even_against_the_right_one_until_the_lock_ends(with_pin):
    resolved_ticket()
    # Given MAX_FAILED_ATTEMPTS wrong PINs over several calls
    for _ in range(MAX_FAILED_ATTEMPTS // 2):
        call(with_pin, EDSGER, "4", WRONG, WRONG)
    if MAX_FAILED_ATTEMPTS % 2:
        call(with_pin, EDSGER, "4", WRONG, None)
    assert pin_record("cust-edsger").locked_until is not None
    # When the right PIN is typed during the lock
    locked = call(with_pin, EDSGER, "4", PIN, PIN, at=TUESDAY_MORNING + timedelta(minutes=1))
    # Then it is refused like any wrong PIN
    assert not says_anything_about_tickets(locked) and locked.prompts.count(REFUSED) == 2
    # And once the lock has ended it is accepted
    later = call(with_pin, EDSGER, "4", PIN, None, at=TUESDAY_MORNING + LOCKOUT + timedelta(minutes=2))
    assert any("has been resolved" in p for p in later.prompts)


def test_flow_logging_is_off_from_the_pin_prompt_until_the_check_has_answered(with_pin):
    result = call(with_pin, EDSGER, "4", WRONG, PIN, None)
    logging = None
    for step in result.steps:
        if step.action_type == "UpdateFlowLoggingBehavior":
            logging = step.data["flow_logging"]
        if step.action_id in ("ask-pin", "check-pin", "ask-pin-again", "check-pin-again"):
            assert logging == "Disabled", step.action_id
    assert result.flow_logging  # and back on afterwards


@pytest.mark.parametrize("fault", ["error", "timeout", "throttle"])
def test_a_failing_verification_apologises_and_queues_the_call_without_a_word_about_tickets(with_pin, fault):
    ticket = resolved_ticket()
    with_pin.faults = {"caller-verification": fault}
    result = call(with_pin, EDSGER, "4", PIN, "1")
    assert not says_anything_about_tickets(result)
    assert (result.outcome, result.queue) == ("queued", "general")
    assert result.flow_logging
    assert tickets.get_ticket(ticket.ticket_id).status is Status.RESOLVED


def test_silence_at_the_pin_prompt_reaches_an_agent(with_pin):
    result = call(with_pin, EDSGER, "4", None)
    assert (result.outcome, result.queue) == ("queued", "general")
    assert result.flow_logging
