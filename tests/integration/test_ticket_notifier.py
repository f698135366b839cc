"""Progress updates end to end on the local backend (moto): a ticket changed through TicketService, the tickets
table's stream played into ticket-events (deliver_stream), TicketStatusChanged on the domain bus routed by the
manifest's rule into ticket-notifications, and the notifier consuming it as Lambda would (deliver): SMS through
the local End User Messaging emulation, email through moto's SES."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from callcenter import event_sources
from callcenter.backend import LOCAL_EVENT_BUS, LocalBackend
from callcenter.event_sources import deliver, deliver_stream
from functions.common.observability import logger
from functions.common.ticket_overview import Status
from functions.manifest import QUEUES
from functions.profiles.profile import CustomerProfile
from functions.routing.policy import load_policy
from functions.tickets import notifier_handler
from functions.tickets.notification_store import notifications_of_ticket
from functions.tickets.notifier import NotificationStatus
from functions.tickets.service import TicketService
from functions.tickets.ticket import Actor, ActorKind, Ticket

AFTERNOON = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # 11:00 Los Angeles, 14:00 New York
NIGHT = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 22:00 Los Angeles
LA_MORNING = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 09:00 Los Angeles
VISIBILITY_TIMEOUT = timedelta(seconds=QUEUES["ticket-notifications"].visibility_timeout_seconds)
AGENT = Actor("agent-1", ActorKind.AGENT, frozenset({"support"}))

ADA = CustomerProfile("cust-ada", "+14155550100", "Ada Lovelace", time_zone="America/Los_Angeles",
                      consent_sms=True, preferred_channel="sms")
GRACE = CustomerProfile("cust-grace", "+12125550175", "Grace Hopper", time_zone="America/New_York",
                        preferred_channel="email", email="grace@example.com")
SILENT = CustomerProfile("cust-silent", "+13125550123", "Alan Turing", time_zone="America/Chicago")


class Desk:
    """The agents' side (TicketService at a chosen moment) and the platform between them and the customer."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.now = AFTERNOON
        self.service = TicketService(load_policy().queues, clock=lambda: self.now)

    def open(self, customer: str, at: datetime = AFTERNOON) -> Ticket:
        self.now = at
        return self.service.create(AGENT, customer_id=customer, subject="Router drops calls", category="technical",
                                   team="support").ticket

    def move(self, ticket: Ticket, status: Status) -> Ticket:
        return self.service.change_status(AGENT, ticket.ticket_id, status, ticket.version)

    def publish(self) -> event_sources.DeliveryReport:
        self.backend.now = self.now
        try:
            return deliver_stream(self.backend, "tickets")
        finally:
            self.backend.now = None

    def notify(self, at: datetime | None = None) -> event_sources.DeliveryReport:
        self.backend.now = at or self.now
        try:
            return deliver(self.backend, "ticket-notifications")
        finally:
            self.backend.now = None

    def texts(self, phone: str = ADA.phone) -> list[str]:
        return [t.body for t in self.backend.connect.texts if t.destination == phone]


@pytest.fixture
def desk(backend: LocalBackend) -> Desk:
    backend.load_profiles([ADA, GRACE, SILENT])
    return Desk(backend)


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the functions log (Powertools' handler writes to the stream it was given at import)."""
    handler = logger.registered_handler
    captured = io.StringIO()
    previous = handler.setStream(captured)
    level = logger.log_level
    logger.setLevel("INFO")
    yield captured
    logger.setLevel(level)
    handler.setStream(previous)


def test_every_status_change_is_told_once_and_notes_or_assignments_are_not(desk, logs):
    # Given a ticket opened, worked on, noted, assigned and resolved
    ticket = desk.open("cust-ada")
    ticket = desk.move(ticket, Status.IN_PROGRESS)
    ticket = desk.service.add_note(AGENT, ticket.ticket_id, "called the customer back")
    ticket = desk.service.assign(AGENT, ticket.ticket_id, "agent-2", ticket.version)
    desk.move(ticket, Status.RESOLVED)
    # When the stream is played and the queue delivered
    published = desk.publish()
    delivered = desk.notify()
    # Then 5 writes gave 3 events and 3 texts: received, being worked on, resolved (asking to confirm)
    assert (published.messages, published.failed, delivered.messages, delivered.failed) == (5, 0, 3, 0)
    texts = desk.texts()
    assert len(texts) == 3
    assert "has been received" in texts[0] and "is being worked on" in texts[1]
    assert "has been resolved" in texts[2] and "press 4 to confirm" in texts[2] and "not fixed" in texts[2]
    records = notifications_of_ticket(ticket.ticket_id)
    assert [(r.seq, r.to_status, r.status, r.channel) for r in records] == [
        (1, "open", NotificationStatus.SENT, "sms"), (2, "in_progress", NotificationStatus.SENT, "sms"),
        (5, "resolved", NotificationStatus.SENT, "sms")]
    # And the logs say what happened without the number, the name or the text
    output = logs.getvalue()
    assert "ticket notification handled" in output and ticket.ticket_id in output
    assert ADA.phone not in output and "Ada" not in output and "Router drops calls" not in output


def test_a_customer_who_prefers_email_gets_an_email_from_the_configured_identity(desk, logs):
    ticket = desk.open("cust-grace")
    desk.move(ticket, Status.WAITING_ON_CUSTOMER)
    desk.publish()
    desk.notify()
    emails = desk.backend.sent_emails()
    assert [e["to"] for e in emails] == [[GRACE.email], [GRACE.email]]
    assert {e["source"] for e in emails} == {"updates@callcenter.example"}
    assert "is waiting for information from you" in emails[1]["body"] and ticket.ticket_id in emails[1]["subject"]
    assert desk.backend.connect.texts == []
    assert GRACE.email not in logs.getvalue() and "Grace" not in logs.getvalue()


def test_a_duplicated_event_and_a_replayed_stream_batch_still_send_once(desk):
    # Given Ada's ticket opened and told
    desk.open("cust-ada")
    desk.publish()
    sqs = boto3.client("sqs")
    url = desk.backend.queue_urls["ticket-notifications"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    sqs.send_message(QueueUrl=url, MessageBody=message["Body"])  # EventBridge delivered it twice
    first = desk.notify()
    # When the stream consumer's batch is replayed (a retry after a timeout) and delivered again
    event_sources._stream_positions[desk.backend].clear()
    assert desk.publish().messages == 1
    second = desk.notify()
    # Then three deliveries of the same change made one text
    assert (first.messages, second.messages) == (2, 1)
    assert len(desk.texts()) == 1


def test_a_change_at_night_is_held_and_told_when_the_customers_morning_comes(desk):
    # Given Ada's ticket resolved at 22:00 her time
    ticket = desk.open("cust-ada", at=NIGHT)
    desk.move(ticket, Status.RESOLVED)
    desk.publish()
    # When the notifier runs at once
    assert desk.notify().failed == 0
    # Then nothing is sent; both messages are held on the queue with the longest SQS delay
    assert desk.texts() == []
    held = desk.backend.sqs_delays.held
    assert len(held) == 2 and {m.visible_at for m in held} == {NIGHT + timedelta(seconds=900)}
    assert {r.status for r in notifications_of_ticket(ticket.ticket_id)} == {NotificationStatus.DELAYED}
    # When the simulated night passes, delivering each held message when it becomes visible
    hops = 0
    while (moment := desk.backend.sqs_delays.next_visible_at()) is not None and hops < 200:
        desk.notify(at=moment)
        hops += 1
    # Then both are told once, at 09:00 in Los Angeles
    texts = desk.texts()
    assert len(texts) == 2 and "press 4 to confirm" in texts[1]
    assert moment is None and hops == 44  # 11 hours of 15-minute hops (both messages travel together)
    sent_at = {r.updated_at for r in notifications_of_ticket(ticket.ticket_id)}
    assert sent_at == {LA_MORNING}


def test_no_channel_means_no_message_and_a_record_saying_why(desk):
    ticket = desk.open("cust-silent")
    desk.publish()
    assert desk.notify().failed == 0
    assert desk.backend.connect.texts == [] and desk.backend.sent_emails() == []
    [record] = notifications_of_ticket(ticket.ticket_id)
    assert (record.status, record.reason) == (NotificationStatus.SKIPPED, "NO_CHANNEL")


def test_a_failing_channel_is_retried_then_dead_lettered_while_the_rest_of_the_batch_is_told(desk, logs):
    # Given SMS sending fails, and Ada (SMS) and Grace (email) each have a new ticket
    desk.backend.connect.failing.add("SendTextMessage")
    ada_ticket = desk.open("cust-ada")
    desk.open("cust-grace")
    desk.publish()
    # When the queue is delivered
    report = desk.notify()
    # Then Grace's email went out; Ada's message was tried max_receive_count times and sits in the DLQ
    assert len(desk.backend.sent_emails()) == 1
    tries = QUEUES["ticket-notifications"].max_receive_count
    assert report.in_dead_letter_queue == 1 and report.failed == tries
    [record] = notifications_of_ticket(ada_ticket.ticket_id)
    assert (record.status, record.attempts) == (NotificationStatus.FAILED, tries)
    assert ADA.phone not in logs.getvalue()


def test_a_poison_message_goes_to_the_dead_letter_queue(desk):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=desk.backend.queue_urls["ticket-notifications"], MessageBody="{not json")
    desk.open("cust-ada")
    desk.publish()
    report = desk.notify()
    assert report.in_dead_letter_queue == 1 and len(desk.texts()) == 1


def test_an_unreadable_stream_record_goes_to_the_on_failure_destination_and_the_stream_moves_on(desk):
    # Given a ticket item that does not fit the model, written between two good ones
    desk.open("cust-ada")
    table = desk.backend.function_env["ticket-api"]["TICKETS_TABLE_NAME"]
    boto3.client("dynamodb").put_item(TableName=table, Item={"ticket_id": {"S": "T-broken"}, "status": {"N": "1"}})
    desk.open("cust-grace")
    # When the stream is played
    report = desk.publish()
    # Then the batch is retried from the broken record max_retries (5) times, then handed on from it (as Lambda
    # does: the retried batch holds Grace's record too), and the stream moves on
    assert (report.batches, report.messages, report.in_dead_letter_queue) == (6, 3 + 5 * 2, 2)
    assert report.dead_letters[0]["dynamodb"]["Keys"] == {"ticket_id": {"S": "T-broken"}}
    assert deliver_stream(desk.backend, "tickets").messages == 0
    # And nothing is lost or doubled: Grace's change was published on every retry and is told once
    assert desk.notify().messages == 1 + 6
    assert len(desk.texts()) == 1 and len(desk.backend.sent_emails()) == 1


def test_the_event_on_the_bus_carries_the_contract(desk):
    ticket = desk.open("cust-ada")
    desk.publish()
    sqs = boto3.client("sqs")
    [message] = sqs.receive_message(QueueUrl=desk.backend.queue_urls["ticket-notifications"])["Messages"]
    event: dict[str, Any] = json.loads(message["Body"])
    assert (event["source"], event["detail-type"]) == ("callcenter", "TicketStatusChanged")
    assert event["detail"]["metadata"]["correlation_id"] == f"{ticket.ticket_id}#1"
    assert {k: event["detail"]["data"][k] for k in ("ticket_id", "customer_id", "seq", "from_status", "to_status",
                                                   "team", "subject", "at")} == {
        "ticket_id": ticket.ticket_id, "customer_id": "cust-ada", "seq": 1, "from_status": None,
        "to_status": "open", "team": "support", "subject": "Router drops calls", "at": AFTERNOON.isoformat()}


class InvocationTimedOut(BaseException):
    """Lambda ended the invocation during the SMS request: none of the handler's own error handling runs."""


def test_a_notifier_that_dies_after_its_claim_is_followed_up_when_its_message_comes_back(desk, monkeypatch):
    # Given Ada's new ticket, its event received at AFTERNOON, and the notifier ended by Lambda's timeout 2 s
    # later, while End User Messaging was being asked for the text (which did not go out)
    ticket = desk.open("cust-ada")
    desk.publish()

    def hang(*_: Any, **__: Any) -> str:
        raise InvocationTimedOut("SendTextMessage")

    with monkeypatch.context() as patch:
        patch.setattr(notifier_handler.SmsNotifications, "send", hang)
        with pytest.raises(InvocationTimedOut):
            desk.notify(at=AFTERNOON + timedelta(seconds=2))
    [claim] = notifications_of_ticket(ticket.ticket_id)
    assert claim.status is NotificationStatus.SENDING
    # When the message comes back exactly one visibility timeout after its receive
    redelivery = desk.notify(at=AFTERNOON + VISIBILITY_TIMEOUT)
    # Then the claim is taken over and Ada is told, once
    assert (redelivery.messages, redelivery.failed) == (1, 0)
    assert len(desk.texts()) == 1
    [record] = notifications_of_ticket(ticket.ticket_id)
    assert (record.status, record.attempts) == (NotificationStatus.SENT, 1)
    assert desk.backend.metric_total("StaleClaimsTakenOver") == 1


def forged_event(ticket: Ticket, **data: Any) -> dict[str, Any]:
    detail = {"data": {"ticket_id": ticket.ticket_id, "customer_id": ticket.customer_id, "seq": ticket.last_seq + 1,
                       "from_status": "open", "to_status": "resolved", "team": "support",
                       "subject": "Your refund: confirm your card at evil.example", "at": AFTERNOON.isoformat(),
                       "changed_by": "agent", **data},
              "metadata": {"name": "TicketStatusChanged", "version": "1", "source": "callcenter",
                           "correlation_id": f"{ticket.ticket_id}#{ticket.last_seq + 1}",
                           "time": AFTERNOON.isoformat()}}
    return {"EventBusName": LOCAL_EVENT_BUS, "Source": "callcenter", "DetailType": "TicketStatusChanged",
            "Detail": json.dumps(detail)}


def test_a_forged_status_change_on_the_bus_texts_nobody_and_does_not_block_the_real_one(desk):
    # Given Ada's ticket, opened and told
    ticket = desk.open("cust-ada")
    desk.publish()
    desk.notify()
    # When someone allowed to put events on the bus announces a change the ticket never had (its next seq, and
    # one for another customer's ticket id that does not exist)
    boto3.client("events").put_events(Entries=[
        forged_event(ticket), forged_event(ticket, ticket_id="T-none", customer_id="cust-grace", seq=1)])
    forged = desk.notify()
    # Then both are delivered and dropped: no text, no email, no record, and a metric saying so
    assert (forged.messages, forged.failed) == (2, 0)
    assert len(desk.texts()) == 1 and desk.backend.sent_emails() == []
    assert [r.seq for r in notifications_of_ticket(ticket.ticket_id)] == [1]
    assert desk.backend.metric_total("UnverifiedTicketChanges") == 2
    # And when the ticket really is resolved (that seq), Ada is told what the tickets table says
    desk.move(ticket, Status.RESOLVED)
    desk.publish()
    assert desk.notify().failed == 0
    texts = desk.texts()
    assert len(texts) == 2 and "has been resolved" in texts[1] and "evil.example" not in texts[1]
