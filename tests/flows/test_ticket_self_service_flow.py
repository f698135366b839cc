"""IVR self-service through the real inbound flow, the real routing and self-service handlers and tables (moto).

Menu option 4 first asks for the caller's phone PIN (the calling number alone can be spoofed), then reads the
caller's latest ticket: a resolved one can be confirmed (closed) or reopened; an open
one can be followed up with the team handling it. Callers without a ticket are told so and get the menu
again. Every fault still ends in a queue or a polite message. Tickets are created with TicketService.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter.backend import function_arn
from callcenter.calls import CallRequest, place_call
from flowlang.simulator import GLOBAL_COVERAGE, LambdaInvocationError
from functions.common.ticket_overview import Status, spoken_id
from functions.profiles.pin import hash_pin
from functions.profiles.store import set_pin
from functions.routing.policy import load_policy
from functions.tickets import store as store
from functions.tickets.service import TicketService
from functions.tickets.ticket import Actor, ActorKind, Ticket

NY = ZoneInfo("America/New_York")
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 30, tzinfo=NY)
EDSGER, UNKNOWN, ADA_VIP = "+16175550111", "+16175550199", "+14155550100"  # Edsger: standard tier, no rule
AGENT = Actor("ana", ActorKind.AGENT, frozenset({"billing", "support"}))
MENU = "For the status of your latest ticket, press 4"
PIN = "2468"  # Edsger's phone PIN (set by the autouse fixture below)


@pytest.fixture(autouse=True)
def edsgers_pin(demo_backend):
    set_pin("cust-edsger", hash_pin(PIN), TUESDAY_MORNING)


def call(backend, caller, *keys, at=TUESDAY_MORNING):
    return place_call(backend, CallRequest(caller=caller, at=at, keys=tuple(keys)), GLOBAL_COVERAGE)


def played(result, text):
    return any(text in prompt for prompt in result.prompts)


def ticket_for(customer_id="cust-edsger", *, team="billing", priority=3, age_hours=2.0, resolved=False) -> Ticket:
    service = TicketService(load_policy().queues, clock=lambda: TUESDAY_MORNING - timedelta(hours=age_hours))
    ticket = service.create(AGENT, customer_id=customer_id, subject="Charged twice", category="billing",
                            team=team, priority=priority).ticket
    if resolved:
        ticket = service.change_status(AGENT, ticket.ticket_id, Status.RESOLVED, expected_version=ticket.version)
    return ticket


def lambdas(backend):
    return [record.function for record in backend.invocations]


# --- screen pop ----------------------------------------------------------------------------------

def test_the_agent_sees_the_callers_tickets_even_when_no_menu_is_played(demo_backend):
    # Given a VIP (routed without the menu) with an open ticket
    ticket = ticket_for("cust-ada", team="vip")
    # When she calls
    result = call(demo_backend, ADA_VIP)
    # Then her ticket is on the screen pop of the queued contact
    assert (result.outcome, result.queue) == ("queued", "vip")
    assert (result.attributes["open_ticket_count"], result.attributes["latest_ticket_id"],
            result.attributes["latest_ticket_status"], result.attributes["latest_ticket_team"]) == (
        "1", ticket.ticket_id, "open", "vip")


def test_a_caller_without_tickets_has_empty_ticket_attributes_on_the_screen_pop(demo_backend):
    result = call(demo_backend, EDSGER, "2")
    assert (result.queue, result.attributes["open_ticket_count"], result.attributes["latest_ticket_id"]) == (
        "support", "0", "")


def test_a_ticket_past_its_sla_queues_the_call_ahead(demo_backend):
    # Given a priority-1 ticket opened 5 hours ago (4 hours allowed)
    ticket_for(priority=1, age_hours=5)
    # When the caller chooses billing
    result = call(demo_backend, EDSGER, "1")
    # Then the call is queued at the overdue priority, not the default
    assert (result.queue, result.priority, result.attributes["latest_ticket_overdue"]) == ("billing", 2, "true")


# --- option 4 without a ticket -------------------------------------------------------------------

def test_without_a_ticket_the_caller_is_told_so_and_chooses_again(demo_backend):
    # When a caller without tickets presses 4, types his PIN, then presses 2
    result = call(demo_backend, EDSGER, "4", PIN, "2")
    # Then he hears the menu with option 4, that there is no ticket, then the menu without it, and gets support
    assert played(result, MENU) and played(result, "We could not find an open ticket")
    assert not any(MENU in prompt for prompt in result.prompts[result.prompts.index(
        "We could not find an open ticket for this phone number."):])
    assert (result.outcome, result.queue, result.attributes["intent"]) == ("queued", "support", "support")
    assert "ticket-self-service" not in lambdas(demo_backend)


def test_a_routing_answer_without_ticket_keys_still_routes_and_option_4_finds_no_ticket(demo_backend, monkeypatch):
    # Given a routing Lambda that does not know about tickets yet (a flow deployed before the function)
    ticket_for(team="support")
    real_invoke = demo_backend.invoke_lambda

    def without_ticket_keys(arn, event, limit):
        answer = real_invoke(arn, event, limit)
        return {key: value for key, value in answer.items() if "ticket" not in key}

    monkeypatch.setattr(demo_backend, "invoke_lambda", without_ticket_keys)
    # When the caller asks for his ticket, then billing
    result = call(demo_backend, EDSGER, "4", PIN, "1")
    # Then the call is still routed by the menu, not sent to the fallback
    assert played(result, "We could not find an open ticket")
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "billing", "SKILL_MATCH")


def test_without_a_ticket_silence_reaches_the_next_agent(demo_backend):
    result = call(demo_backend, EDSGER, "4", PIN, None)
    assert (result.outcome, result.queue) == ("queued", "general")


# --- an open ticket: its status, then its team ---------------------------------------------------

def test_an_open_ticket_is_read_out_and_1_connects_to_the_team_handling_it(demo_backend):
    # Given Edsger's ticket is with the support team
    ticket = ticket_for(team="support")
    # When he presses 4 for its status, then 1 to speak to the team
    result = call(demo_backend, EDSGER, "4", PIN, "1")
    # Then he heard its status and is queued with support, the reason saying why
    assert played(result, f"Your ticket ending in {spoken_id(ticket.ticket_id)} has been received and is waiting")
    assert (result.outcome, result.queue, result.priority) == ("queued", "support", 4)
    assert (result.attributes["reason"], result.attributes["intent"]) == ("TICKET_FOLLOW_UP", "ticket")
    assert lambdas(demo_backend) == ["routing", "caller-verification", "routing", "sentiment-context"]


@pytest.mark.parametrize(("status", "phrase"), [
    (Status.WAITING_ON_CUSTOMER, "is waiting for information from you"),
    (Status.ESCALATED, "has been passed to a specialist team"),
])
def test_every_open_status_is_read_out_and_offers_the_team(demo_backend, status, phrase):
    # Given a ticket that support moved on (escalated to the senior team, or waiting on the caller)
    ticket = ticket_for(team="support")
    service = TicketService(load_policy().queues, clock=lambda: TUESDAY_MORNING - timedelta(hours=1))
    if status is Status.ESCALATED:
        service.escalate(AGENT, ticket.ticket_id, "senior", "needs a specialist", expected_version=ticket.version)
    else:
        service.change_status(AGENT, ticket.ticket_id, status, expected_version=ticket.version)
    # When the caller picks 4 on the second try of the menu, then 1
    result = call(demo_backend, EDSGER, "8", "4", PIN, "1")
    # Then he heard the status and reached the team that has the ticket now
    assert played(result, f"Your ticket ending in {spoken_id(ticket.ticket_id)} {phrase}.")
    assert (result.outcome, result.queue) == ("queued", "senior" if status is Status.ESCALATED else "support")


def test_an_overdue_ticket_follow_up_is_queued_at_the_overdue_priority(demo_backend):
    ticket_for(team="support", priority=1, age_hours=6)
    result = call(demo_backend, EDSGER, "4", PIN, "1")
    assert (result.queue, result.priority) == ("support", 2)


@pytest.mark.parametrize(("keys", "queue"), [(("0",), "general"), ((None,), "general"), (("7", "1"), "billing"),
                                             (("7", "8"), "general")])
def test_after_the_status_the_caller_may_choose_an_agent_or_retry_once(demo_backend, keys, queue):
    ticket_for(team="billing")
    result = call(demo_backend, EDSGER, "4", PIN, *keys)
    assert (result.outcome, result.queue) == ("queued", queue)
    if keys[0] == "7":
        assert played(result, "not one of the options")


def test_a_failing_second_routing_call_keeps_the_general_queue(demo_backend, monkeypatch):
    # Given the routing Lambda answers the first call but fails on the follow-up
    ticket_for(team="support")
    real_invoke, stages = demo_backend.invoke_lambda, []

    def follow_up_fails(arn, event, limit):
        if arn == function_arn("routing"):
            stages.append(event["Details"]["Parameters"].get("stage"))
        if stages == ["identify", "intent"]:
            raise LambdaInvocationError("error", "boom")
        return real_invoke(arn, event, limit)

    monkeypatch.setattr(demo_backend, "invoke_lambda", follow_up_fails)
    result = call(demo_backend, EDSGER, "4", PIN, "1")
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "general", "DEFAULT")
    assert "first decision stands" in result.attributes["routing_note"]


def test_a_full_team_queue_overflows_to_the_general_queue(demo_backend):
    ticket_for(team="support")
    demo_backend.full_queues = {"support"}
    result = call(demo_backend, EDSGER, "4", PIN, "1")
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "general", "QUEUE_OVERFLOW")


# --- a resolved ticket: confirm or reopen --------------------------------------------------------

def test_a_resolved_ticket_confirmed_as_fixed_is_closed_and_the_caller_may_hang_up(demo_backend):
    # Given Edsger's ticket was resolved
    ticket = ticket_for(resolved=True)
    # When he presses 4, hears it was resolved, presses 1 (fixed), then says nothing more
    result = call(demo_backend, EDSGER, "4", PIN, "1", None)
    # Then the ticket is closed by him, he heard so, and the call ends politely
    assert played(result, "has been resolved. If the problem is fixed, press 1. If it is not, press 2.")
    assert played(result, "is now closed")
    assert result.outcome == "disconnected" and result.prompts[-1] == "Thank you for calling. Goodbye."
    stored = store.get_ticket(ticket.ticket_id)
    assert (stored.status, stored.history[-1].actor) == (Status.CLOSED, "customer:cust-edsger")
    assert (result.attributes["ticket_self_service"], result.attributes["latest_ticket_status"]) == (
        "closed", "closed")


def test_after_confirming_the_caller_can_still_reach_an_agent(demo_backend):
    ticket_for(resolved=True)
    result = call(demo_backend, EDSGER, "4", PIN, "1", "0")
    assert (result.outcome, result.queue) == ("queued", "general")


def test_a_resolved_ticket_that_is_not_fixed_is_reopened_and_the_caller_reaches_its_team(demo_backend):
    ticket = ticket_for(team="support", resolved=True)
    result = call(demo_backend, EDSGER, "4", PIN, "2")
    assert played(result, "has been reopened and is back with the support team")
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "support", "TICKET_FOLLOW_UP")
    assert result.attributes["latest_ticket_status"] == "in_progress"
    assert store.get_ticket(ticket.ticket_id).status is Status.IN_PROGRESS
    assert lambdas(demo_backend) == ["routing", "caller-verification", "ticket-self-service", "routing",
                                     "sentiment-context"]


def test_a_wrong_key_at_the_confirm_question_is_asked_once_more(demo_backend):
    ticket = ticket_for(resolved=True)
    result = call(demo_backend, EDSGER, "4", PIN, "5", "1", None)
    assert played(result, "not one of the options")
    assert store.get_ticket(ticket.ticket_id).status is Status.CLOSED


def test_two_wrong_keys_at_the_confirm_question_reach_an_agent_and_change_nothing(demo_backend):
    ticket = ticket_for(resolved=True)
    result = call(demo_backend, EDSGER, "4", PIN, "5", "6")
    assert (result.outcome, result.queue) == ("queued", "general")
    assert store.get_ticket(ticket.ticket_id).status is Status.RESOLVED


def test_a_ticket_an_agent_reopened_after_the_call_began_is_not_confirmed(demo_backend, monkeypatch):
    # Given the ticket is reopened by an agent between the routing decision and the caller's answer
    ticket = ticket_for(resolved=True)
    real_invoke = demo_backend.invoke_lambda

    def agent_acts_first(arn, event, limit):
        if arn.endswith("ticket-self-service"):
            current = store.get_ticket(ticket.ticket_id)
            TicketService(load_policy().queues).change_status(AGENT, ticket.ticket_id, Status.IN_PROGRESS,
                                                             expected_version=current.version)
        return real_invoke(arn, event, limit)

    monkeypatch.setattr(demo_backend, "invoke_lambda", agent_acts_first)
    result = call(demo_backend, EDSGER, "4", PIN, "1")
    # Then the caller hears where it stands and is queued for an agent
    assert played(result, "is being worked on. There is nothing to confirm.")
    assert (result.outcome, result.queue) == ("queued", "general")
    assert store.get_ticket(ticket.ticket_id).status is Status.IN_PROGRESS


@pytest.mark.parametrize("fault", ["error", "timeout", "throttle"])
def test_a_failing_self_service_lambda_apologises_and_queues_the_call(demo_backend, fault):
    ticket = ticket_for(resolved=True)
    demo_backend.faults = {"ticket-self-service": fault}
    result = call(demo_backend, EDSGER, "4", PIN, "1")
    assert played(result, "Sorry, we cannot update your ticket right now.")
    assert (result.outcome, result.queue) == ("queued", "general")
    assert store.get_ticket(ticket.ticket_id).status is Status.RESOLVED


def test_every_ticket_call_ends_queued_or_with_a_message_never_silently(demo_backend):
    ticket_for(resolved=True)
    for fault in (None, "error", "timeout", "throttle"):
        for keys in (("4", PIN, "1", None), ("4", PIN, "2"), ("4", PIN, "9", "9"), ("4", PIN, None)):
            demo_backend.faults = {"ticket-self-service": fault} if fault else {}
            result = call(demo_backend, EDSGER, *keys)
            if result.outcome != "queued":
                assert result.outcome == "disconnected"
                assert result.steps[-2].action_type == "MessageParticipant"
