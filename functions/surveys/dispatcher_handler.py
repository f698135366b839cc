"""Survey dispatcher Lambda: consumes the `survey-requests` queue (batches, partial batch failures).

Thin: each SQS record's body is parsed and handed to the SurveyDispatcher (dispatcher.py, where
"at most one survey per contact" is explained); here are only the AWS wiring, logs and metrics.
A record that fails (unparseable body, Connect or DynamoDB unavailable, a channel failure) is
reported in `batchItemFailures`: SQS delivers it again, and after max_receive_count deliveries
moves it to the dead-letter queue, while the rest of its batch is done.

Amazon Connect's quotas (functions/common/pacing.py): every GetContactAttributes and
StartOutboundVoiceContact takes a token of this function's pace first. A request Connect still
throttles (after botocore's bounded retries), or one the pace would make wait too long, is not a
failure: the message goes back on the queue as a new message with a delay (`SurveyRequestsDeferred`),
so throttling never counts towards maxReceiveCount and never sends a survey to the dead-letter queue.
A claim taken before the throttled call is left `failed`, which the deferred copy may claim again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.batches import parse_body, process_batch
from functions.common.claims import ClaimHeld
from functions.common.observability import count_metric, describe_error, logger, metrics
from functions.common.pacing import THROTTLING_CODES, deferral_seconds, pacer
from functions.common.phone import mask_phone
from functions.common.settings import ClientBounds
from functions.manifest import claim_lease
from functions.profiles import store as profiles
from functions.storage.tables import configure_data_access
from functions.surveys.adapters import (
    ConnectContactAttributes,
    DynamoDBSurveyStore,
    SmsSurveySender,
    SqsSurveyQueue,
    VoiceSurveyCaller,
)
from functions.surveys.contact_event import MalformedContactEvent
from functions.surveys.dispatcher import (
    ContactAttributesUnavailable,
    DispatchResult,
    Outcome,
    SurveyChannel,
    SurveyDispatcher,
    SurveyDispatchFailed,
)
from functions.surveys.policy import load_survey_policy
from functions.surveys.record import SurveyStoreUnavailable
from functions.surveys.requests import parse_survey_request
from functions.surveys.settings import dispatcher_settings
from functions.surveys.store import SurveyItem

DDB_BOUNDS = ClientBounds(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=3)
DISPATCHER_FUNCTION = "survey-dispatcher"  # its name in functions/manifest.py
DEFERRED = "deferred"

DATA_MODELS = (SurveyItem, profiles.ProfileItem)


def _configure_data_access() -> None:
    configure_data_access(DATA_MODELS, DDB_BOUNDS)


def _claim_expiry() -> timedelta:
    """A claim older than its lease belongs to a dispatcher that is gone (functions/common/claims.py)."""
    return claim_lease("survey-dispatcher")


def build_dispatcher() -> SurveyDispatcher:
    settings = dispatcher_settings()
    channels: dict[str, SurveyChannel] = {
        "voice": VoiceSurveyCaller(settings.instance_id, settings.survey_flow_id, settings.survey_queue_arn,
                                   pacer(DISPATCHER_FUNCTION, "StartOutboundVoiceContact"))}
    if settings.sms_origination_identity:
        channels["sms"] = SmsSurveySender(settings.sms_origination_identity)
    return SurveyDispatcher(
        policy=load_survey_policy(),
        store=DynamoDBSurveyStore(),
        contact_attributes=ConnectContactAttributes(settings.instance_id,
                                                    pacer(DISPATCHER_FUNCTION, "GetContactAttributes")),
        profiles=profiles.get_profile,
        channels=channels,
        queue=SqsSurveyQueue(settings.requests_queue_url),
        claim_expiry=_claim_expiry(),
    )


def _observe(result: DispatchResult, record: SQSRecord) -> None:
    logger.info("survey request handled", extra={
        "message_id": record.message_id,
        "contact_id": result.contact_id,
        "outcome": result.outcome.value,
        "reason": result.reason,
        "channel": result.channel,
        "destination": mask_phone(result.destination),
        "not_before": result.not_before.isoformat() if result.not_before else None,
        "stale_claim": result.stale_claim,
    })
    if result.stale_claim:
        count_metric("StaleClaimsTakenOver")
    if result.outcome is Outcome.DISPATCHED:
        count_metric("SurveysDispatched")
    elif result.outcome is Outcome.DELAYED:
        count_metric("SurveysDelayed")
    elif result.outcome in (Outcome.SKIPPED, Outcome.ABANDONED, Outcome.IGNORED):
        count_metric("SurveysSkipped", reason=result.reason or "UNKNOWN")
    elif result.outcome is Outcome.DUPLICATE:
        count_metric("SurveyDuplicates")


def throttled_code(exc: Exception) -> str | None:
    """The error code when `exc` is Amazon Connect (or our pace) refusing a request for its rate, else None."""
    if isinstance(exc, SurveyDispatchFailed):
        code = exc.code
    elif isinstance(exc, ContactAttributesUnavailable):
        code = str(exc)
    else:
        return None
    return code if code in THROTTLING_CODES else None


def defer(queue: SqsSurveyQueue, record: SQSRecord, contact_id: str, code: str) -> str:
    """Put the record's body back on the queue as a new message, a little later; the record is done."""
    delay = deferral_seconds(record.message_id)
    queue.send_again(record.body, delay)
    logger.info("survey request deferred: Amazon Connect's rate", extra={
        "message_id": record.message_id, "contact_id": contact_id, "error": code, "delay_seconds": delay})
    count_metric("SurveyRequestsDeferred")  # the error code is in the log line
    return DEFERRED


def _log_failure(exc: Exception, record: SQSRecord, contact_id: str) -> None:
    if isinstance(exc, SurveyDispatchFailed):
        logger.warning("survey dispatch failed; the message will be retried", extra={
            "message_id": record.message_id, "contact_id": exc.contact_id, "channel": exc.channel,
            "error": exc.code, "receive_count": record.attributes.approximate_receive_count})
        count_metric("SurveyDispatchFailed")
        return
    logger.warning("survey request failed; the message will be retried", extra={
        "message_id": record.message_id, "contact_id": contact_id,
        "error": describe_error(exc, (ContactAttributesUnavailable, SurveyStoreUnavailable, ClaimHeld)),
        "receive_count": record.attributes.approximate_receive_count})


def handle_record(dispatcher: SurveyDispatcher, record: SQSRecord, requeue: SqsSurveyQueue | None = None) -> str:
    """One SQS record: the outcome, or an exception that makes it a batch item failure."""
    request = parse_body(record, parse_survey_request, MalformedContactEvent,
                         what="survey request", metric="MalformedSurveyRequest")
    try:
        result = dispatcher.dispatch(request)
    except Exception as exc:
        code = throttled_code(exc)
        if code is not None and requeue is not None:
            return defer(requeue, record, request.event.contact_id, code)
        _log_failure(exc, record, request.event.contact_id)
        raise
    _observe(result, record)
    return result.outcome.value


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _configure_data_access()
    dispatcher = build_dispatcher()
    requeue = SqsSurveyQueue(dispatcher_settings().requests_queue_url)
    return process_batch(event, context, lambda record: handle_record(dispatcher, record, requeue),
                         requests_metric="SurveyRequests")
