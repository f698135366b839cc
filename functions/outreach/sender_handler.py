"""Outreach sender Lambda: consumes the `outreach-requests` queue (batches, partial batch failures).

Thin: each SQS record's body is parsed and handed to the OutreachSender (sender.py, where the states
and the frequency cap are explained); here are only the AWS wiring, logs and metrics. A record that
fails (unparseable body, DynamoDB unavailable, a channel failure) is reported in `batchItemFailures`:
SQS delivers it again, and after max_receive_count deliveries moves it to the dead-letter queue,
while the rest of its batch is done.

Amazon Connect's quota (functions/common/pacing.py): every StartOutboundVoiceContact takes a token of
this function's pace first. A call Connect still throttles (after botocore's bounded retries), or one
the pace would make wait too long, is not a failure: the message goes back on the queue as a new
message with a delay (`OutreachRequestsDeferred`), so throttling never counts towards maxReceiveCount
and never sends a contact to the dead-letter queue. The record it left `failed` (its cap given back)
is claimed again by the deferred copy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.batches import parse_body, process_batch
from functions.common.claims import ClaimHeld
from functions.common.clock import utc_now
from functions.common.observability import count_metric, describe_error, logger, metrics
from functions.common.pacing import THROTTLING_CODES, deferral_seconds, pacer
from functions.common.phone import mask_phone
from functions.common.settings import ClientBounds
from functions.manifest import claim_lease
from functions.outreach import store as outreach_data
from functions.outreach.adapters import (
    DynamoDBContactCaps,
    DynamoDBOutreachStore,
    SmsOutreachSender,
    SqsOutreachQueue,
    VoiceOutreachCaller,
)
from functions.outreach.campaigns import load_campaigns
from functions.outreach.record import OutreachStoreUnavailable
from functions.outreach.requests import MalformedOutreachRequest, parse_outreach_message
from functions.outreach.sender import Outcome, OutreachChannel, OutreachSender, OutreachSendFailed, SendResult
from functions.outreach.settings import sender_settings
from functions.profiles import store as profiles
from functions.storage.tables import configure_data_access

DDB_BOUNDS = ClientBounds(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=3)
SENDER_FUNCTION = "outreach-sender"  # its name in functions/manifest.py
DEFERRED = "deferred"

DATA_MODELS = (profiles.ProfileItem, *outreach_data.OUTREACH_MODELS)


def _configure_data_access() -> None:
    configure_data_access(DATA_MODELS, DDB_BOUNDS)


def _claim_expiry() -> timedelta:
    """A claim older than its lease belongs to a sender that is gone (functions/common/claims.py)."""
    return claim_lease(SENDER_FUNCTION)


def build_sender() -> OutreachSender:
    settings = sender_settings()
    channels: dict[str, OutreachChannel] = {
        "voice": VoiceOutreachCaller(settings.instance_id, settings.outreach_flow_id, settings.caller_queue_arn,
                                     pacer(SENDER_FUNCTION, "StartOutboundVoiceContact"))}
    if settings.sms_origination_identity:
        channels["sms"] = SmsOutreachSender(settings.sms_origination_identity)
    return OutreachSender(
        policy=load_campaigns(),
        store=DynamoDBOutreachStore(),
        caps=DynamoDBContactCaps(),
        profiles=outreach_data.fresh_profile,
        channels=channels,
        queue=SqsOutreachQueue(settings.queue_url),
        claim_expiry=_claim_expiry(),
        clock=utc_now,
    )


def _observe(result: SendResult, record: SQSRecord) -> None:
    logger.info("outreach request handled", extra={
        "message_id": record.message_id,
        "customer_id": result.customer_id,
        "cycle": result.cycle,
        "outcome": result.outcome.value,
        "reason": result.reason,
        "channel": result.channel,
        "destination": mask_phone(result.destination),
        "not_before": result.not_before.isoformat() if result.not_before else None,
        "stale_claim": result.stale_claim,
    })
    if result.stale_claim:
        count_metric("StaleClaimsTakenOver")
    if result.outcome is Outcome.CONTACTED:
        count_metric("OutreachContacted", channel=result.channel or "unknown")
    elif result.outcome is Outcome.DELAYED:
        count_metric("OutreachDelayed")
    elif result.outcome in (Outcome.SKIPPED, Outcome.IGNORED):
        count_metric("OutreachSkippedAtSend", reason=result.reason or "UNKNOWN")
    elif result.outcome is Outcome.DUPLICATE:
        count_metric("OutreachDuplicates")


def defer(queue: SqsOutreachQueue, record: SQSRecord, exc: OutreachSendFailed) -> str:
    """Put the record's body back on the queue as a new message, a little later; the record is done."""
    delay = deferral_seconds(record.message_id)
    queue.send_again(record.body, delay)
    logger.info("outreach request deferred: Amazon Connect's rate", extra={
        "message_id": record.message_id, "customer_id": exc.customer_id, "cycle": exc.cycle, "error": exc.code,
        "delay_seconds": delay})
    count_metric("OutreachRequestsDeferred")  # the error code is in the log line
    return DEFERRED


def handle_record(sender: OutreachSender, record: SQSRecord, requeue: SqsOutreachQueue | None = None) -> str:
    """One SQS record: the outcome, or an exception that makes it a batch item failure."""
    message = parse_body(record, parse_outreach_message, MalformedOutreachRequest,
                         what="outreach request", metric="MalformedOutreachRequest")
    try:
        result = sender.send(message)
    except OutreachSendFailed as exc:
        if exc.code in THROTTLING_CODES and requeue is not None:
            return defer(requeue, record, exc)
        logger.warning("outreach contact failed; the message will be retried", extra={
            "message_id": record.message_id, "customer_id": exc.customer_id, "cycle": exc.cycle,
            "channel": exc.channel, "error": exc.code, "receive_count": record.attributes.approximate_receive_count})
        count_metric("OutreachSendFailed", channel=exc.channel)
        raise
    except Exception as exc:
        error = describe_error(exc, (OutreachStoreUnavailable, ClaimHeld))
        logger.warning("outreach request failed; the message will be retried", extra={
            "message_id": record.message_id, "customer_id": message.customer_id, "cycle": message.cycle,
            "error": error, "receive_count": record.attributes.approximate_receive_count})
        raise
    _observe(result, record)
    return result.outcome.value


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _configure_data_access()
    sender = build_sender()
    requeue = SqsOutreachQueue(sender_settings().queue_url)
    return process_batch(event, context, lambda record: handle_record(sender, record, requeue),
                         requests_metric="OutreachRequests")
