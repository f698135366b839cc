"""A low survey score becomes a ticket: plain Python, no AWS.

The survey answers Lambda stores a follow-up record and publishes SurveyLowScore on our bus; a rule
sends it to the `survey-followups` queue and the survey-followup-tickets function opens a ticket here.
The ticket id is derived from the follow-up id (`new_ticket_id(request_id=followup_id)`), so a repeated
or redelivered event finds the ticket it already opened instead of opening a second one.

Which team: the queue that took the surveyed call (its ARN mapped back to the policy's queue name),
so the people who handled the call see how it went; if that queue is unknown, the default queue.
Priority: the lowest score (1) is urgent (2); any other low score or "not resolved" is normal (3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgspec

from functions.tickets.ticket import Actor, ActorKind

FOLLOWUP_ACTOR = Actor("survey-followup-tickets", ActorKind.SYSTEM)
URGENT_SCORE = 1


class MalformedSurveyEvent(ValueError):
    pass


class FollowUpRequest(msgspec.Struct, frozen=True):
    followup_id: str
    customer_id: str
    contact_id: str
    reason: str  # LOW_SCORE | NOT_RESOLVED
    score: int | None
    queue_arn: str | None


class TicketDraft(msgspec.Struct, frozen=True):
    customer_id: str
    subject: str
    category: str
    team: str
    priority: int
    contact_id: str
    note: str
    request_id: str


def parse_followup(body: str) -> FollowUpRequest:
    """The SQS body is the EventBridge event; our envelope puts the fields under detail.data."""
    try:
        event = json.loads(body)
        data = event["detail"]["data"]
        if event.get("detail-type") != "SurveyLowScore":
            raise MalformedSurveyEvent(f"not a SurveyLowScore event: {event.get('detail-type')!r}")
        followup_id, customer_id, contact_id = (str(data[k]).strip() for k in ("followup_id", "customer_id",
                                                                                "contact_id"))
        score = data.get("score")
        score = int(score) if score is not None else None
    except MalformedSurveyEvent:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise MalformedSurveyEvent(f"unreadable SurveyLowScore event ({type(exc).__name__})") from exc
    if not (followup_id and customer_id and contact_id):
        raise MalformedSurveyEvent("SurveyLowScore event without followup_id, customer_id or contact_id")
    return FollowUpRequest(followup_id, customer_id, contact_id, str(data.get("reason") or "LOW_SCORE"), score,
                           data.get("queue_arn") or None)


def team_for(queue_arn: str | None, queue_arns: Mapping[str, str], default_team: str) -> str:
    by_arn = {arn: name for name, arn in queue_arns.items()}
    return by_arn.get(queue_arn or "", default_team)


def draft_ticket(request: FollowUpRequest, queue_arns: Mapping[str, str], default_team: str) -> TicketDraft:
    if request.score is not None:
        subject = f"Survey follow-up: scored {request.score} out of 5"
        note = f"The customer scored the call {request.score} out of 5 in the post-call survey."
    else:
        subject = "Survey follow-up: problem not resolved"
        note = "The customer said in the post-call survey that the problem was not resolved."
    return TicketDraft(
        customer_id=request.customer_id,
        subject=subject,
        category="complaint",
        team=team_for(request.queue_arn, queue_arns, default_team),
        priority=2 if request.score == URGENT_SCORE else 3,
        contact_id=request.contact_id,
        note=note + " Call the customer back.",
        request_id=request.followup_id,
    )


def describe(draft: TicketDraft) -> dict[str, Any]:
    """What may be logged: no subject text beyond the score, no customer data."""
    return {"team": draft.team, "priority": draft.priority, "contact_id": draft.contact_id}
