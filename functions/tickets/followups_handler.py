"""Survey follow-up tickets Lambda: consumes `survey-followups` (SurveyLowScore events), opens one ticket each.

Thin: parse the event (followups.py), open the ticket through TicketService with the follow-up id as
the request id (a redelivered event finds its ticket: nothing is opened twice), log and count. A
malformed event or an unavailable table fails the record (retried, then the dead-letter queue); an
unknown customer is logged and dropped with a metric, since no retry can make them exist.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.batches import parse_body, process_batch
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds, routing_settings
from functions.profiles.store import ProfileItem
from functions.routing.policy import load_policy
from functions.storage.tables import configure_data_access
from functions.tickets.followups import FOLLOWUP_ACTOR, MalformedSurveyEvent, describe, draft_ticket, parse_followup
from functions.tickets.service import TicketService
from functions.tickets.store import TicketItem
from functions.tickets.ticket import CustomerNotFound

DDB_BOUNDS = ClientBounds(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=3)


def handle_record(service: TicketService, queue_arns: dict[str, str], default_team: str, record: SQSRecord) -> str:
    request = parse_body(record, parse_followup, MalformedSurveyEvent,
                         what="survey follow-up event", metric="MalformedFollowUpEvent")
    draft = draft_ticket(request, queue_arns, default_team)
    try:
        created = service.create(
            FOLLOWUP_ACTOR, customer_id=draft.customer_id, subject=draft.subject, category=draft.category,
            team=draft.team, priority=draft.priority, contact_id=draft.contact_id, note=draft.note,
            request_id=draft.request_id)
    except CustomerNotFound:
        logger.warning("survey follow-up for a customer without a profile; no ticket",
                       extra={"message_id": record.message_id, "followup_id": request.followup_id})
        count_metric("FollowUpTicketsSkipped", reason="UNKNOWN_CUSTOMER")
        return "skipped"
    outcome = "opened" if created.created else "already_open"
    logger.info("survey follow-up ticket", extra={"ticket_id": created.ticket.ticket_id, "outcome": outcome,
                                                  "followup_id": request.followup_id, **describe(draft)})
    count_metric("FollowUpTickets", outcome=outcome)
    return outcome


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure_data_access((TicketItem, ProfileItem), DDB_BOUNDS)
    policy = load_policy()
    service = TicketService(tuple(policy.queues))
    queue_arns = routing_settings().queue_arns
    return process_batch(event, context,
                         lambda record: handle_record(service, queue_arns, policy.default_queue, record),
                         requests_metric="SurveyFollowUpEvents")
