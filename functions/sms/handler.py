"""SMS inbound Lambda: consumes `sms-inbound` (End User Messaging two-way SMS, through its SNS topic; batches,
partial batch failures). Thin: parse (inbound.py), decide (inbox.py: STOP, a survey reply, or a text for an
agent: into the sender's open conversation or a new chat contact, conversations.py), text the answer back from
the center's number, log and count.

Failures: a body that is not an inbound SMS fails its record (retried, then the dead-letter queue, which keeps
it). DynamoDB or Connect unavailable fails it too (retried). StartChatContact, StartContactStreaming,
CreateParticipantConnection or SendMessage paced or throttled: the message
goes back on the queue as a new, delayed message (SmsInboundDeferred), never towards the DLQ. A reply that
cannot be texted is logged and counted (SmsRepliesNotSent), the message is done: what it asked is recorded, and
texting again on a redelivery could answer twice. Logs carry message ids, reasons and the masked sender, never
the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.aws import aws_client
from functions.common.batches import parse_body, process_batch
from functions.common.clock import utc_now
from functions.common.events import EventBridgePublisher
from functions.common.observability import count_metric, describe_error, logger, metrics
from functions.common.outbound import ChannelFailure, TextSender
from functions.common.pacing import THROTTLING_CODES, deferral_seconds, pacer
from functions.common.phone import mask_phone
from functions.common.settings import ClientBounds, optional_env, require_env
from functions.manifest import EVENT_BUS, QUEUES
from functions.outreach import store as outreach_store
from functions.profiles import store as profiles
from functions.sms import conversation_store
from functions.sms.connect_chat import ChatStartFailed, ConnectSmsChats
from functions.sms.conversation_store import SmsConversationItem
from functions.sms.conversations import SmsConversations
from functions.sms.inbound import InboundSms, MalformedSms, parse_inbound
from functions.sms.inbox import SmsInbox, SmsResult
from functions.storage.tables import configure_data_access
from functions.surveys import store as survey_store
from functions.surveys.policy import load_survey_policy
from functions.surveys.record import FollowUp, SurveyRecord
from functions.surveys.sms_replies import SmsSurveyReplies
from functions.surveys.store import FollowUpItem, SurveyItem

DDB_BOUNDS = ClientBounds(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=3)
SMS_FUNCTION = "sms-inbound"  # its name in functions/manifest.py
DEFERRED = "deferred"
#: The Connect and participant APIs this function paces (functions/manifest.py: connect_rates, participant_rates).
PACED_ACTIONS = ("StartChatContact", "StartContactStreaming", "CreateParticipantConnection", "SendMessage")


class DynamoDBSmsSurveys:
    """The SmsSurveyStore port on the surveys and followups tables."""

    def sms_surveys_of(self, customer_id: str, since: datetime) -> list[SurveyRecord]:
        return survey_store.sms_surveys_of(customer_id, since)

    def record_answers(self, survey: SurveyRecord, *, score: int | None, resolved: str | None,
                       answered_at: datetime, followup: FollowUp | None) -> bool:
        return survey_store.record_answers(survey, score=score, resolved=resolved, answered_at=answered_at,
                                           followup=followup)

    def record_resolution(self, survey: SurveyRecord, *, resolved: str, answered_at: datetime,
                          followup: FollowUp | None) -> bool:
        return survey_store.record_resolution(survey, resolved=resolved, answered_at=answered_at, followup=followup)


class SqsSmsQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send_again(self, body: str, delay_seconds: int) -> None:
        aws_client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=delay_seconds)


def build_inbox() -> SmsInbox:
    surveys = SmsSurveyReplies(store=DynamoDBSmsSurveys(), publisher=EventBridgePublisher.from_environment(
        EVENT_BUS.source), policy=load_survey_policy(), clock=utc_now)
    chats = ConnectSmsChats(require_env("CONNECT_INSTANCE_ID"), require_env("SMS_FLOW_ID"),
                            require_env("CHAT_STREAM_TOPIC_ARN"),
                            {action: pacer(SMS_FUNCTION, action) for action in PACED_ACTIONS})
    contacts = SmsConversations(chats=chats, store=conversation_store, clock=utc_now)
    return SmsInbox(profiles=profiles.lookup_by_phone, opt_out=outreach_store.opt_out, surveys=surveys,
                    contacts=contacts, clock=utc_now)


def _observe(record: SQSRecord, sms: InboundSms, result: SmsResult, replied: bool | None) -> None:
    logger.info("inbound SMS", extra={
        "message_id": record.message_id, "inbound_message_id": sms.message_id, "sender": mask_phone(sms.sender),
        "reason": result.reason.value, "survey_reason": result.survey_reason, "customer_id": result.customer_id,
        "survey_contact_id": result.survey_contact_id, "contact_id": result.contact_id, "replied": replied,
        "characters": len(sms.text)})
    count_metric("InboundSms", reason=result.reason.value)
    if result.survey_reason:
        count_metric("SmsSurveyReplies", reason=result.survey_reason)
    if result.followup_unpublished:
        logger.error("SurveyLowScore event not published; the follow-up is stored",
                     extra={"survey_contact_id": result.survey_contact_id})
        count_metric("SurveyEventPublishFailed")


def _reply(sender: TextSender | None, sms: InboundSms, result: SmsResult) -> bool | None:
    """Text the answer back; None when there is none to send, False when it could not be sent."""
    if result.reply is None or sms.sender is None:
        return None
    if sender is None:
        logger.warning("SMS reply not sent: no origination identity", extra={"inbound_message_id": sms.message_id})
        count_metric("SmsRepliesNotSent")
        return False
    try:
        sender.text(sms.sender, result.reply, {"inbound_message_id": sms.message_id[:100]})
    except ChannelFailure as exc:
        logger.warning("SMS reply not sent", extra={"inbound_message_id": sms.message_id, "error": exc.code})
        count_metric("SmsRepliesNotSent")  # the code is in the log line
        return False
    return True


def handle_record(inbox: SmsInbox, sender: TextSender | None, record: SQSRecord,
                  requeue: SqsSmsQueue | None = None) -> str:
    sms = parse_body(record, parse_inbound, MalformedSms,
                     what="inbound SMS", metric="MalformedInboundSms")
    try:
        result = inbox.receive(sms)
    except ChatStartFailed as exc:
        if exc.code in THROTTLING_CODES and requeue is not None:
            delay = deferral_seconds(record.message_id)
            requeue.send_again(record.body, delay)
            logger.info("inbound SMS deferred: Amazon Connect's rate", extra={
                "message_id": record.message_id, "error": exc.code, "delay_seconds": delay})
            count_metric("SmsInboundDeferred")
            return DEFERRED
        raise
    except Exception as exc:
        logger.warning("inbound SMS failed; the message will be retried", extra={
            "message_id": record.message_id, "error": describe_error(exc, (ChatStartFailed,)),
            "receive_count": record.attributes.approximate_receive_count})
        raise
    _observe(record, sms, result, _reply(sender, sms, result))
    return result.reason.value


def _sender() -> TextSender | None:
    identity = optional_env("SMS_ORIGINATION_IDENTITY")
    return TextSender(identity, "TRANSACTIONAL") if identity else None


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure_data_access((profiles.ProfileItem, SurveyItem, FollowUpItem, SmsConversationItem), DDB_BOUNDS)
    inbox, sender = build_inbox(), _sender()
    requeue = SqsSmsQueue(require_env(QUEUES["sms-inbound"].env_var))
    return process_batch(dict(event), context, lambda record: handle_record(inbox, sender, record, requeue),
                         requests_metric="InboundSmsMessages")
