"""Ticket events Lambda: the tickets table's stream in, one TicketStatusChanged per stored status change out
(and one TicketEscalated per escalation, for ticket-tasks: status_changes.escalation_events).

Why the stream and not the API: a status change is announced if and only if it was stored. The writer
cannot publish after its transaction (a crash in between loses the event) nor before (a refused write
would be announced), and the stream carries every committed write exactly once per record, in order
per ticket. Each record's old and new images are read with the table's own model (TicketItem), and
every history entry after the old image's last one that changes the status is published
(status_changes.status_change_events); an INSERT publishes the creation (to `open`).

Failures: a record that cannot be read (a malformed image, REMOVE of an unknown shape) or whose events
EventBridge refused is reported in `batchItemFailures` (its sequence number): Lambda retries from it,
up to the mapping's max_retries, then sends the rest to the on-failure destination (a dead-letter
queue), so nothing is lost silently and one bad record never blocks the ticket stream for long. A
retry may publish a record's events again: consumers dedupe on (ticket_id, seq).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.batches import process_batch
from functions.common.events import EventBridgePublisher, EventPublisher, EventPublishError
from functions.common.observability import count_metric, logger, metrics
from functions.manifest import EVENT_BUS
from functions.tickets.status_changes import TICKET_ESCALATED, escalation_events, status_change_events
from functions.tickets.store import TicketItem, to_ticket
from functions.tickets.ticket import Ticket

HANDLED = ("INSERT", "MODIFY")


class MalformedStreamRecord(ValueError):
    """A stream record this function cannot read; retrying will not help, the on-failure destination keeps it."""


def _image(record: dict[str, Any], name: str) -> Ticket | None:
    raw = (record.get("dynamodb") or {}).get(name)
    if raw is None:
        return None
    try:
        return to_ticket(TicketItem.from_raw_data(raw))
    except Exception as exc:  # any attribute that does not fit the model: this record is unreadable
        raise MalformedStreamRecord(f"{name} is not a ticket ({type(exc).__name__})") from None


def handle_record(publisher: EventPublisher, record: DynamoDBRecord) -> int:
    """The number of events published for one stream record (raises to report it failed)."""
    raw = record.raw_event
    name = raw.get("eventName")
    sequence = (raw.get("dynamodb") or {}).get("SequenceNumber")
    if name not in HANDLED:
        return 0  # REMOVE: tickets are never deleted by the product; nothing to announce
    try:
        new = _image(raw, "NewImage")
        if new is None:
            raise MalformedStreamRecord("no NewImage (the stream must be NEW_AND_OLD_IMAGES)")
        old = _image(raw, "OldImage") if name == "MODIFY" else None
    except MalformedStreamRecord as exc:
        logger.error("unreadable ticket stream record", extra={"sequence_number": sequence, "event": name,
                                                               "problem": str(exc)})
        count_metric("MalformedTicketStreamRecord")
        raise
    events = status_change_events(old, new) + escalation_events(old, new)
    if not events:
        return 0
    try:
        publisher.publish(events)
    except EventPublishError as exc:
        logger.warning("TicketStatusChanged not published; the record will be retried", extra={
            "sequence_number": sequence, "ticket_id": new.ticket_id, "errors": exc.errors})
        count_metric("TicketEventsNotPublished")
        raise
    logger.info("ticket status changes published", extra={
        "sequence_number": sequence, "ticket_id": new.ticket_id,
        "changes": [f"{e.data['seq']}:{e.data.get('from_status')}->{e.data.get('to_status', e.name)}"
                    for e in events]})
    count_metric("TicketStatusChangesPublished", value=sum(e.name != TICKET_ESCALATED for e in events))
    return len(events)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    publisher = EventBridgePublisher.from_environment(EVENT_BUS.source)
    # Every record failing is still a partial-batch answer, not an exception: the mapping retries from the
    # first failure, then hands the records to the on-failure destination.
    return process_batch(event, context, lambda record: handle_record(publisher, record),
                         requests_metric="TicketStreamRecords", event_type=EventType.DynamoDBStreams,
                         raise_on_entire_batch_failure=False)
