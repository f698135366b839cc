"""The ticket self-service Lambda on the local backend: real TicketService, real tables (moto).

Every answer is a flat string map the flow can play; bad input and a failing store are polite answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from callcenter.backend import DynamoDBTraffic, LocalBackend, function_arn
from functions.common.ticket_overview import Status, spoken_id
from functions.manifest import FUNCTIONS
from functions.routing.policy import load_policy
from functions.storage.tables import reset_data_access
from functions.tickets import store as store
from functions.tickets.service import TicketService
from functions.tickets.ticket import Actor, ActorKind, Ticket
from tests.conftest import load_event

SELF_SERVICE = FUNCTIONS["ticket-self-service"]
OPENED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
CALL_AT = OPENED + timedelta(days=1)
AGENT = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
ANSWER_KEYS = ("result", "message", "ticket_id", "ticket_status")


@pytest.fixture
def local(backend: LocalBackend) -> LocalBackend:
    """The backend with the demo profiles; clients configured afresh with this function's own settings."""
    from functions.profiles.importer import import_profile_file
    from tests.conftest import DEMO_PROFILES

    backend.load_profiles(import_profile_file(DEMO_PROFILES).accepted)
    reset_data_access()
    return backend


def invoke(backend: LocalBackend, event: Any) -> dict[str, str]:
    """As the flow does: the function's own environment, the clock at the call, an exception is a failure."""
    backend.now = CALL_AT
    try:
        return backend.invoke_lambda(function_arn(SELF_SERVICE.name), event, 5)
    finally:
        backend.now = None


def request(action: str, ticket_id: str, customer_id: str = "cust-alan") -> dict[str, Any]:
    event = load_event("connect_ticket_self_service")
    event["Details"]["Parameters"] = {"action": action, "customer_id": customer_id, "ticket_id": ticket_id}
    return event


def open_ticket(customer_id: str = "cust-alan", resolved: bool = True) -> Ticket:
    service = TicketService(load_policy().queues, clock=lambda: OPENED)
    ticket = service.create(AGENT, customer_id=customer_id, subject="Charged twice", category="billing",
                            team="billing").ticket
    if resolved:
        ticket = service.change_status(AGENT, ticket.ticket_id, Status.RESOLVED, expected_version=ticket.version)
    return ticket


def test_the_sample_event_is_a_well_formed_request_for_an_unknown_ticket(local):
    answer = invoke(local, load_event("connect_ticket_self_service"))
    assert tuple(answer) == ANSWER_KEYS
    assert answer["result"] == "not_found"


def test_confirming_a_resolved_ticket_closes_it_and_records_the_call(local):
    # Given Alan's billing ticket was resolved
    ticket = open_ticket()
    # When he says in the IVR that it is fixed
    answer = invoke(local, request("confirm", ticket.ticket_id))
    # Then it is closed, by him, with this call on its record, and he hears so
    assert (answer["result"], answer["ticket_status"], answer["ticket_id"]) == ("closed", "closed", ticket.ticket_id)
    assert answer["message"] == (
        f"Thank you for confirming. Your ticket ending in {spoken_id(ticket.ticket_id)} is now closed.")
    stored = store.get_ticket(ticket.ticket_id)
    assert stored.status is Status.CLOSED
    assert (stored.history[-1].actor, stored.history[-1].at) == ("customer:cust-alan", CALL_AT)
    assert "0b6f3a52-9d0e-4c1b-8f0e-2d8c3f3c7a11" in stored.contact_ids
    # And the screen-pop entry is gone from his profile
    assert store.customer_overview("cust-alan").latest is None


def test_saying_it_is_not_fixed_reopens_the_ticket_with_its_team(local):
    ticket = open_ticket()
    answer = invoke(local, request("reopen", ticket.ticket_id))
    assert (answer["result"], answer["ticket_status"]) == ("reopened", "in_progress")
    assert "has been reopened and is back with the billing team" in answer["message"]
    assert store.get_ticket(ticket.ticket_id).status is Status.IN_PROGRESS
    assert store.customer_overview("cust-alan").open_count == 1


def test_a_repeated_confirm_gets_the_same_answer_and_changes_nothing(local):
    # Given Connect retried the invocation after the first one had closed the ticket
    ticket = open_ticket()
    first = invoke(local, request("confirm", ticket.ticket_id))
    closed = store.get_ticket(ticket.ticket_id)
    # When the same request arrives again
    again = invoke(local, request("confirm", ticket.ticket_id))
    # Then the caller hears the same thing and the ticket has no second change
    assert again == first
    assert store.get_ticket(ticket.ticket_id).version == closed.version


def test_a_ticket_an_agent_reopened_meanwhile_has_nothing_to_confirm(local):
    ticket = open_ticket()
    TicketService(load_policy().queues, clock=lambda: OPENED).change_status(
        AGENT, ticket.ticket_id, Status.IN_PROGRESS, expected_version=ticket.version)
    answer = invoke(local, request("confirm", ticket.ticket_id))
    assert (answer["result"], answer["ticket_status"]) == ("not_resolved", "in_progress")
    assert answer["message"].endswith("is being worked on. There is nothing to confirm.")
    assert store.get_ticket(ticket.ticket_id).status is Status.IN_PROGRESS


def test_someone_elses_ticket_is_not_found_and_untouched(local):
    # Given a resolved ticket of Ada's
    ticket = open_ticket("cust-ada")
    # When Alan's call tries to confirm it
    answer = invoke(local, request("confirm", ticket.ticket_id))
    # Then he is told it cannot be found (not that it exists) and it stays resolved
    assert (answer["result"], answer["ticket_status"]) == ("not_found", "")
    assert store.get_ticket(ticket.ticket_id).status is Status.RESOLVED


def test_the_status_action_reads_the_current_status(local):
    ticket = open_ticket(resolved=False)
    answer = invoke(local, request("status", ticket.ticket_id))
    assert (answer["result"], answer["ticket_status"]) == ("status", "open")
    assert answer["message"] == (
        f"Your ticket ending in {spoken_id(ticket.ticket_id)} has been received and is waiting for an agent.")


@pytest.mark.parametrize(("parameters", "result"), [
    ({"action": "confirm", "customer_id": "", "ticket_id": "T1"}, "no_customer"),
    ({"action": "confirm", "customer_id": "cust-alan", "ticket_id": ""}, "not_found"),
    ({"action": "confirm", "customer_id": "cust-alan", "ticket_id": "T" * 500}, "not_found"),
    ({"action": "delete", "customer_id": "cust-alan", "ticket_id": "T1"}, "bad_request"),
    ({"customer_id": "cust-alan", "ticket_id": "T1"}, "bad_request"),
    ({"action": ["confirm"], "customer_id": {"x": 1}, "ticket_id": 5}, "bad_request"),
])
def test_bad_parameters_get_a_polite_answer(local, parameters, result):
    event = load_event("connect_ticket_self_service")
    event["Details"]["Parameters"] = parameters
    answer = invoke(local, event)
    assert tuple(answer) == ANSWER_KEYS and answer["result"] == result
    assert answer["message"].startswith("Sorry")


@pytest.mark.parametrize("event", [None, [], "text", {}, {"Details": {}}, {"Details": {"Parameters": "x"}}])
def test_a_malformed_event_gets_a_polite_answer(local, event):
    answer = invoke(local, event)
    assert (tuple(answer), answer["result"]) == (ANSWER_KEYS, "bad_request")


def test_a_throttled_store_is_a_polite_answer_within_the_time_limit(local):
    # Given a resolved ticket and a table that throttles every request
    ticket = open_ticket()
    DynamoDBTraffic.reset()
    local.faults = {SELF_SERVICE.name: "throttle"}
    answer = invoke(local, request("confirm", ticket.ticket_id))
    # Then the caller hears an apology, the ticket is unchanged, and the attempts were bounded
    assert (answer["result"], answer["message"]) == ("unavailable", "Sorry, we cannot update your ticket right now.")
    assert DynamoDBTraffic.calls == {"GetItem": 1}
    assert DynamoDBTraffic.attempts == int(SELF_SERVICE.environment["DDB_MAX_ATTEMPTS"])
    assert store.get_ticket(ticket.ticket_id).status is Status.RESOLVED


@pytest.mark.parametrize("verified", [None, "false", "TRUE "])
def test_a_caller_who_has_not_typed_their_pin_can_neither_hear_nor_change_a_ticket(local, verified):
    # Given a resolved ticket and a contact on which the flow never recorded a verified PIN
    ticket = open_ticket()
    for action in ("confirm", "reopen", "status"):
        event = request(action, ticket.ticket_id)
        attributes = event["Details"]["ContactData"]["Attributes"]
        attributes.pop("caller_verified")
        if verified is not None:
            attributes["caller_verified"] = verified
        # When the self-service Lambda is asked anyway (a flow edited wrongly, another flow)
        answer = invoke(local, event)
        # Then it refuses, says nothing about the ticket, and the ticket is unchanged
        assert (answer["result"], answer["ticket_status"]) == ("not_verified", "")
        assert "resolved" not in answer["message"]
    assert store.get_ticket(ticket.ticket_id).status is Status.RESOLVED
