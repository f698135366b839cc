"""A low survey score opens one follow-up ticket, with the team that took the call; repeats open nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from callcenter.backend import function_arn, queue_arn
from functions.common.ticket_overview import Status
from functions.tickets import store as ticket_store
from functions.tickets.followups import MalformedSurveyEvent, draft_ticket, parse_followup


def low_score_event(customer_id: str = "cust-ada", score: int | None = 1, queue: str | None = "billing",
                    followup_id: str = "survey-contact-1") -> dict[str, Any]:
    return {
        "version": "0", "id": "e1", "detail-type": "SurveyLowScore", "source": "callcenter",
        "account": "123456789012", "time": "2026-11-23T15:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"data": {"contact_id": "contact-1", "customer_id": customer_id, "followup_id": followup_id,
                            "reason": "LOW_SCORE" if score else "NOT_RESOLVED", "score": score,
                            "resolved": "no", "agent_arn": None, "queue_arn": queue_arn(queue) if queue else None,
                            "channel": "voice"},
                   "metadata": {"name": "SurveyLowScore", "version": "1", "source": "callcenter",
                                "correlation_id": "contact-1", "time": "2026-11-23T15:00:00+00:00"}},
    }


def sqs_batch(*bodies: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"r{i}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0", "SenderId": "local",
                       "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:callcenter-local-survey-followups",
        "awsRegion": "us-east-1"} for i, body in enumerate(bodies)]}


def invoke(backend: Any, *bodies: str) -> dict[str, Any]:
    return backend.invoke_lambda(function_arn("survey-followup-tickets"), sqs_batch(*bodies), 30)


def test_parse_and_draft_pick_team_priority_and_request_id() -> None:
    arns = {"general": "arn:general", "billing": "arn:billing"}
    request = parse_followup(json.dumps(low_score_event(queue=None)))
    draft = draft_ticket(request, arns, "general")
    assert (draft.team, draft.priority, draft.request_id, draft.category) == (
        "general", 2, "survey-contact-1", "complaint")
    event = low_score_event(score=None)
    event["detail"]["data"]["queue_arn"] = "arn:billing"
    draft = draft_ticket(parse_followup(json.dumps(event)), arns, "general")
    assert (draft.team, draft.priority) == ("billing", 3)
    assert "not resolved" in draft.subject


@pytest.mark.parametrize("body", ["not json", "{}", json.dumps({"detail-type": "Other", "detail": {"data": {}}}),
                                  json.dumps(low_score_event(customer_id=" "))])
def test_malformed_events_are_refused_with_a_reason(body: str) -> None:
    with pytest.raises(MalformedSurveyEvent):
        parse_followup(body)


def test_a_low_score_opens_one_ticket_for_the_call_s_team_even_when_delivered_twice(demo_backend: Any) -> None:
    body = json.dumps(low_score_event("cust-ada", score=1, queue="billing"))
    assert invoke(demo_backend, body, body) == {"batchItemFailures": []}
    assert invoke(demo_backend, body) == {"batchItemFailures": []}  # a redelivery
    tickets = ticket_store.tickets_of_customer("cust-ada")
    assert len(tickets) == 1
    ticket = tickets[0]
    assert (ticket.team, ticket.priority, ticket.status, ticket.category) == ("billing", 2, Status.OPEN, "complaint")
    assert ticket.contact_ids == ("contact-1",)
    assert ticket.history[0].actor == "system:survey-followup-tickets"


def test_an_agent_cannot_take_the_follow_up_s_request_id(demo_backend: Any) -> None:
    from functions.routing.policy import load_policy
    from functions.tickets.service import TicketService
    from functions.tickets.ticket import Actor, ActorKind

    # Given an agent who opened a ticket with the request id the follow-up of contact-1 will use
    agent = Actor("mallory", ActorKind.AGENT, frozenset({"billing"}))
    decoy = TicketService(load_policy().queues).create(
        agent, customer_id="cust-ada", subject="Nothing to see", category="other", team="billing",
        request_id="survey-contact-1").ticket
    # When the low score of contact-1 arrives
    assert invoke(demo_backend, json.dumps(low_score_event("cust-ada", score=1))) == {"batchItemFailures": []}
    # Then the follow-up opens its own ticket: the agent's key did not swallow it
    followups = [t for t in ticket_store.tickets_of_customer("cust-ada") if t.ticket_id != decoy.ticket_id]
    assert [(t.category, t.history[0].actor) for t in followups] == [("complaint", "system:survey-followup-tickets")]
    assert demo_backend.metric_total("FollowUpTickets") == 1


def test_poison_and_unknown_customer_do_not_block_the_batch(demo_backend: Any) -> None:
    good = json.dumps(low_score_event("cust-grace", followup_id="survey-contact-2"))
    unknown = json.dumps(low_score_event("C999", followup_id="survey-contact-3"))
    response = invoke(demo_backend, "poison", good, unknown)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert len(ticket_store.tickets_of_customer("cust-grace")) == 1
    assert ticket_store.tickets_of_customer("C999") == []
    assert demo_backend.metric_total("FollowUpTicketsSkipped") == 1
