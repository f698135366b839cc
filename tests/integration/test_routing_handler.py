"""The routing Lambda handler on the local backend: real PynamoDB, real tables (moto)."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from callcenter.backend import DynamoDBTraffic, LocalLambdaContext
from functions.common import clock
from functions.common.observability import logger
from functions.common.ticket_overview import Status, spoken_id
from functions.manifest import FUNCTIONS
from functions.routing.policy import load_policy
from functions.routing.service import ATTRIBUTE_KEYS
from functions.tickets.service import TicketService
from functions.tickets.ticket import Actor, ActorKind
from tests.conftest import load_event

ROUTING = FUNCTIONS["routing"]


def invoke(event):
    context = LocalLambdaContext("routing", "arn:aws:lambda:us-east-1:123456789012:function:routing",
                                 ROUTING.memory_mb, ROUTING.timeout_seconds)
    return ROUTING.load_handler()(event, context)


def caller(event, number):
    event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = number
    return event


def test_a_vip_caller_is_recognised_and_routed_with_screen_pop_attributes(demo_backend):
    DynamoDBTraffic.reset()
    attributes = invoke(load_event("connect_inbound_voice"))  # +14155550100, Ada Lovelace, vip
    assert attributes["customer_id"] == "cust-ada"
    assert "customer_name" not in attributes  # routed by number, but not named: the number may be spoofed
    assert (attributes["queue"], attributes["priority"], attributes["reason"]) == ("vip", "1", "VIP_TIER")
    assert attributes["queue_arn"].endswith("/queue/vip")
    assert DynamoDBTraffic.calls == {"Query": 1}


def test_a_repeat_complainer_goes_to_senior_agents(demo_backend):
    attributes = invoke(caller(load_event("connect_inbound_voice"), "+1 212 555 0175"))
    assert (attributes["queue"], attributes["reason"], attributes["recent_complaints"]) == (
        "senior", "REPEAT_COMPLAINER", "4")


def test_an_unknown_caller_gets_the_default_queue_and_the_menu(demo_backend):
    attributes = invoke(caller(load_event("connect_inbound_voice"), "+16175550199"))
    assert (attributes["queue"], attributes["reason"], attributes["caller_status"]) == (
        "general", "UNKNOWN_CALLER", "unknown")
    assert attributes["customer_id"] == ""


@pytest.mark.parametrize(("event_name", "reason"), [
    ("connect_withheld_number", "WITHHELD_NUMBER"),
    ("connect_chat_api", "ANONYMOUS_CHAT"),
    ("connect_task_queue_transfer", "NON_VOICE_CHANNEL"),
])
def test_contacts_without_a_usable_number_are_routed_without_a_read(demo_backend, event_name, reason):
    DynamoDBTraffic.reset()
    attributes = invoke(load_event(event_name))
    assert (attributes["queue"], attributes["reason"]) == ("general", reason)
    assert DynamoDBTraffic.total_calls() == 0


def test_the_menu_choice_makes_no_dynamodb_request(demo_backend):
    DynamoDBTraffic.reset()
    attributes = invoke(load_event("connect_menu_choice"))
    assert (attributes["queue"], attributes["reason"], attributes["intent"]) == ("billing", "SKILL_MATCH", "billing")
    assert DynamoDBTraffic.total_calls() == 0


@pytest.mark.parametrize("event", [None, [], "text", {}, {"Details": {}}, {"Details": {"ContactData": "x"}},
                                   {"Details": {"ContactData": {"Channel": "VOICE"}}}])
def test_a_malformed_event_still_gets_a_routable_answer(backend, event):
    attributes = invoke(event)
    assert tuple(attributes) == ATTRIBUTE_KEYS
    assert (attributes["queue"], attributes["reason"]) == ("general", "MALFORMED_EVENT")


def test_unknown_fields_and_new_enum_values_are_ignored(demo_backend):
    event = load_event("connect_inbound_voice")
    data = event["Details"]["ContactData"]
    data.update(Channel="VOICE", InitiationMethod="INBOUND", SegmentAttributes={"x": {"ValueString": "y"}},
                Tags={"team": "a"}, Name="contact", LanguageCode="en-US")
    event["Details"]["Parameters"]["unexpected"] = "value"
    assert invoke(event)["reason"] == "VIP_TIER"


def test_a_throttled_table_still_gets_a_decision_within_bounded_time(demo_backend):
    # Given DynamoDB answers every request with a throttling error
    DynamoDBTraffic.reset()
    DynamoDBTraffic.throttle = True
    try:
        started = time.perf_counter()
        attributes = invoke(load_event("connect_inbound_voice"))
        elapsed = time.perf_counter() - started
    finally:
        DynamoDBTraffic.throttle = False
    # Then the call is routed without a profile, after a bounded number of attempts
    assert (attributes["queue"], attributes["reason"], attributes["caller_status"]) == (
        "general", "PROFILE_UNAVAILABLE", "lookup_failed")
    assert DynamoDBTraffic.calls == {"Query": 1}
    assert DynamoDBTraffic.attempts == int(ROUTING.environment["DDB_MAX_ATTEMPTS"])
    assert elapsed < ROUTING.timeout_seconds


def test_logs_carry_the_decision_but_never_the_full_number_or_the_name(demo_backend, caplog):
    caplog.set_level("INFO")  # the deployed level (POWERTOOLS_LOG_LEVEL defaults to INFO)
    invoke(load_event("connect_inbound_voice"))
    invoke(caller(load_event("connect_inbound_voice"), "+1 212 555 0175"))
    DynamoDBTraffic.throttle = True
    try:
        invoke(load_event("connect_inbound_voice"))
    finally:
        DynamoDBTraffic.throttle = False
    # Format every record exactly as the Lambda writes it (Powertools' JSON formatter)
    formatter = logger.registered_formatter
    output = "\n".join(formatter.format(record) for record in caplog.records)
    records = [json.loads(line) for line in output.splitlines()]
    assert any(r.get("message") == "routing decision" and r.get("reason") == "VIP_TIER" for r in records)
    for secret in ("4155550100", "2125550175", "555 0175", "Ada", "Lovelace", "Grace", "Hopper"):
        assert secret not in output


# --- the caller's tickets on the screen pop --------------------------------------------------------

EDSGER = "+16175550111"  # cust-edsger, standard tier, no complaints: no rule pins his calls
CALL_AT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # Tuesday 10:30 in New York
AGENT = Actor("ana", ActorKind.AGENT, frozenset({"billing", "support"}))


def tickets_at(moment):
    return TicketService(load_policy().queues, clock=lambda: moment)


def invoke_at(event, moment=CALL_AT):
    with clock.pinned(moment):
        return invoke(event)


def test_a_caller_with_tickets_gets_them_on_the_screen_pop_from_one_query(demo_backend):
    # Given Edsger has a billing ticket and, newer, a support ticket that was escalated
    tickets_at(CALL_AT - timedelta(hours=3)).create(
        AGENT, customer_id="cust-edsger", subject="Charged twice", category="billing", team="billing")
    service = tickets_at(CALL_AT - timedelta(hours=1))
    newer = service.create(AGENT, customer_id="cust-edsger", subject="No signal", category="technical",
                           team="support").ticket
    service.escalate(AGENT, newer.ticket_id, "senior", "needs a specialist", expected_version=newer.version)
    # When he calls
    DynamoDBTraffic.reset()
    attributes = invoke_at(caller(load_event("connect_inbound_voice"), EDSGER))
    # Then one Query recognised him and brought his tickets along
    assert DynamoDBTraffic.calls == {"Query": 1}
    assert (attributes["open_ticket_count"], attributes["overdue_ticket_count"]) == ("2", "0")
    assert (attributes["latest_ticket_id"], attributes["latest_ticket_status"], attributes["latest_ticket_team"],
            attributes["latest_ticket_overdue"]) == (newer.ticket_id, "escalated", "senior", "false")
    assert attributes["ticket_status_message"] == (
        f"Your ticket ending in {spoken_id(newer.ticket_id)} has been passed to a specialist team.")
    assert (attributes["queue"], attributes["priority"], attributes["offer_menu"]) == ("general", "5", "true")


def test_a_caller_without_tickets_has_empty_ticket_attributes(demo_backend):
    attributes = invoke_at(caller(load_event("connect_inbound_voice"), EDSGER))
    assert tuple(attributes) == ATTRIBUTE_KEYS
    assert (attributes["open_ticket_count"], attributes["latest_ticket_id"], attributes["latest_ticket_status"],
            attributes["ticket_status_message"]) == ("0", "", "", "")


def test_a_ticket_past_its_sla_raises_the_priority_of_the_call(demo_backend):
    # Given a priority-1 ticket (4 hours to answer) opened 5 hours before the call
    tickets_at(CALL_AT - timedelta(hours=5)).create(
        AGENT, customer_id="cust-edsger", subject="Line dead", category="technical", team="support", priority=1)
    # When he calls
    attributes = invoke_at(caller(load_event("connect_inbound_voice"), EDSGER))
    # Then he is queued ahead of the line, and the note says why
    assert (attributes["priority"], attributes["overdue_ticket_count"], attributes["latest_ticket_overdue"]) == (
        "2", "1", "true")
    assert "past SLA" in attributes["routing_note"]


def test_the_ticket_follow_up_goes_to_the_tickets_team_without_a_dynamodb_request(demo_backend):
    # Given the first decision for a caller whose open ticket is with billing
    tickets_at(CALL_AT - timedelta(hours=1)).create(
        AGENT, customer_id="cust-edsger", subject="Refund", category="billing", team="billing")
    first = invoke_at(caller(load_event("connect_inbound_voice"), EDSGER))
    # When he asks, from the IVR, to speak to the team handling it
    event = caller(load_event("connect_menu_choice"), EDSGER)
    event["Details"]["ContactData"]["Attributes"] = {**first, "intent": "ticket"}
    event["Details"]["Parameters"] = {"stage": "intent", "intent": "ticket"}
    DynamoDBTraffic.reset()
    second = invoke_at(event)
    # Then the call goes to billing, decided from the attributes alone
    assert DynamoDBTraffic.total_calls() == 0
    assert (second["queue"], second["reason"], second["priority"]) == ("billing", "TICKET_FOLLOW_UP", "4")
    assert second["queue_arn"].endswith("/queue/billing")
    assert second["latest_ticket_id"] == first["latest_ticket_id"]


def test_a_resolved_ticket_is_announced_with_the_confirm_prompt(demo_backend):
    service = tickets_at(CALL_AT - timedelta(hours=2))
    ticket = service.create(AGENT, customer_id="cust-edsger", subject="Refund", category="billing",
                            team="billing").ticket
    service.change_status(AGENT, ticket.ticket_id, Status.RESOLVED, expected_version=ticket.version)
    attributes = invoke_at(caller(load_event("connect_inbound_voice"), EDSGER))
    assert (attributes["open_ticket_count"], attributes["latest_ticket_status"]) == ("0", "resolved")
    assert attributes["ticket_status_message"].endswith("If the problem is fixed, press 1. If it is not, press 2.")


def test_the_menu_choice_of_an_unknown_caller_makes_no_dynamodb_request(demo_backend):
    # Given the first decision for a caller whose number is on no profile (one Query, nothing found)
    DynamoDBTraffic.reset()
    first = invoke(caller(load_event("connect_inbound_voice"), "+16175550199"))
    assert (first["caller_status"], DynamoDBTraffic.calls) == ("unknown", {"Query": 1})
    # When the caller picks billing from the menu (the flow passes back the first decision's attributes)
    event = caller(load_event("connect_menu_choice"), "+16175550199")
    event["Details"]["ContactData"]["Attributes"] = {**first, "intent": "billing"}
    DynamoDBTraffic.reset()
    second = invoke(event)
    # Then the second decision is made from the attributes alone: no second read for the same unknown number
    assert DynamoDBTraffic.total_calls() == 0
    assert (second["queue"], second["reason"], second["caller_status"]) == ("billing", "SKILL_MATCH", "unknown")
