"""Ticket notifier Lambda: consumes `ticket-notifications` (TicketStatusChanged events; batches, partial failures).

Thin: each SQS record's body (the EventBridge event, or a delayed one the notifier sent back) is parsed
and handed to the TicketNotifier (notifier.py and notifications.py, where "once per change, never at night" is
explained); here are the AWS wiring, the channel adapters, logs and metrics. A record that fails
(unparseable body, DynamoDB unavailable, a channel failure) is reported in `batchItemFailures`: SQS
delivers it again and after max_receive_count deliveries moves it to the dead-letter queue, while the
rest of its batch is done. Logs carry ids, statuses and reasons; the destination only masked, never the
customer's name or the message text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.aws import aws_client
from functions.common.batches import parse_body, process_batch
from functions.common.claims import ClaimHeld
from functions.common.observability import count_metric, describe_error, logger, metrics
from functions.common.outbound import EmailSender, TextSender
from functions.common.phone import mask_phone
from functions.common.settings import ClientBounds, optional_env, require_env
from functions.manifest import QUEUES, claim_lease
from functions.profiles.store import ProfileItem
from functions.storage.tables import configure_data_access
from functions.tickets import notification_store as store
from functions.tickets.notifications import Message, load_notification_settings
from functions.tickets.notifier import (
    NotificationChannel,
    NotificationFailed,
    NotificationStoreUnavailable,
    NotifyResult,
    Outcome,
    TicketNotifier,
)
from functions.tickets.status_changes import MalformedNotification, StatusChange, parse_notification_request
from functions.tickets.store import TicketItem

DDB_BOUNDS = ClientBounds(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=3)
NOTIFIER_FUNCTION = "ticket-notifier"  # its name in functions/manifest.py
#: A progress update about the customer's own request: a transactional message, not a promotion.
SMS_MESSAGE_TYPE = "TRANSACTIONAL"


# --- adapters --------------------------------------------------------------------------------------

class SmsNotifications:
    def __init__(self, origination_identity: str) -> None:
        self.sender = TextSender(origination_identity, SMS_MESSAGE_TYPE)

    def send(self, destination: str, message: Message, change: StatusChange) -> str:
        return self.sender.text(destination, message.body, {"ticket_id": change.ticket_id, "seq": str(change.seq)})


class EmailNotifications:
    def __init__(self, from_identity: str) -> None:
        self.sender = EmailSender(from_identity)

    def send(self, destination: str, message: Message, change: StatusChange) -> str:
        return self.sender.email(destination, message.subject, message.body,
                                 {"ticket_id": change.ticket_id, "seq": str(change.seq)})


class SqsNotificationQueue:
    """The ticket-notifications queue: the notifier's own delayed messages (quiet hours)."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send_later(self, body: str, delay_seconds: int) -> None:
        aws_client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=delay_seconds)


# --- wiring ----------------------------------------------------------------------------------------

def _claim_expiry() -> timedelta:
    """A claim older than its lease belongs to a notifier that is gone (functions/common/claims.py)."""
    return claim_lease(NOTIFIER_FUNCTION)


def build_notifier() -> TicketNotifier:
    """Channels as configured: '' (or unset) SMS_ORIGINATION_IDENTITY / EMAIL_FROM_IDENTITY disables one."""
    channels: dict[str, NotificationChannel] = {}
    sms_identity = optional_env("SMS_ORIGINATION_IDENTITY")
    if sms_identity:
        channels["sms"] = SmsNotifications(sms_identity)
    email_identity = optional_env("EMAIL_FROM_IDENTITY")
    if email_identity:
        channels["email"] = EmailNotifications(email_identity)
    queue_env = QUEUES["ticket-notifications"].env_var
    return TicketNotifier(
        settings=load_notification_settings(),
        store=store.DynamoDBNotificationStore(),
        profiles=store.customer_profile,
        changes=store.stored_change,
        channels=channels,
        queue=SqsNotificationQueue(require_env(queue_env)),
        claim_expiry=_claim_expiry(),
    )


def _mask(channel: str | None, destination: str | None) -> str | None:
    if destination is None:
        return None
    if channel == "email":
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_phone(destination)


def _observe(result: NotifyResult, record: SQSRecord) -> None:
    logger.info("ticket notification handled", extra={
        "message_id": record.message_id,
        "ticket_id": result.ticket_id,
        "seq": result.seq,
        "to_status": result.to_status,
        "outcome": result.outcome.value,
        "reason": result.reason,
        "channel": result.channel,
        "destination": _mask(result.channel, result.destination),
        "not_before": result.not_before.isoformat() if result.not_before else None,
        "stale_claim": result.stale_claim,
    })
    if result.stale_claim:
        count_metric("StaleClaimsTakenOver")
    if result.outcome is Outcome.SENT:
        count_metric("TicketNotificationsSent", channel=result.channel or "unknown")
    elif result.outcome is Outcome.DELAYED:
        count_metric("TicketNotificationsDelayed")
    elif result.outcome is Outcome.SKIPPED:
        count_metric("TicketNotificationsSkipped", reason=result.reason or "UNKNOWN")
    elif result.outcome is Outcome.DUPLICATE:
        count_metric("TicketNotificationDuplicates")
    elif result.outcome is Outcome.REJECTED:
        count_metric("UnverifiedTicketChanges")


def handle_record(notifier: TicketNotifier, record: SQSRecord) -> str:
    """One SQS record: the outcome, or an exception that makes it a batch item failure."""
    request = parse_body(record, parse_notification_request, MalformedNotification,
                         what="ticket notification", metric="MalformedTicketNotification")
    change = request.change
    try:
        result = notifier.notify(request)
    except NotificationFailed as exc:
        logger.warning("ticket notification failed; the message will be retried", extra={
            "message_id": record.message_id, "ticket_id": exc.ticket_id, "seq": exc.seq, "channel": exc.channel,
            "error": exc.code, "receive_count": record.attributes.approximate_receive_count})
        count_metric("TicketNotificationFailed", channel=exc.channel)
        raise
    except Exception as exc:
        error = describe_error(exc, (NotificationStoreUnavailable, ClaimHeld))
        logger.warning("ticket notification failed; the message will be retried", extra={
            "message_id": record.message_id, "ticket_id": change.ticket_id, "seq": change.seq, "error": error,
            "receive_count": record.attributes.approximate_receive_count})
        raise
    _observe(result, record)
    return result.outcome.value


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure_data_access((store.TicketNotificationItem, ProfileItem, TicketItem), DDB_BOUNDS)
    notifier = build_notifier()
    return process_batch(event, context, lambda record: handle_record(notifier, record),
                         requests_metric="TicketNotificationRequests")
