"""SMS chat replies Lambda: consumes `sms-chat-stream` (the chat streaming topic of SMS conversations, through
SQS; batches, partial batch failures). Thin: parse (chat_stream.py), decide (conversations.py `ChatReplies`:
an agent's message texted once, the chat's end closing its conversation), log and count.

Failures: a body that is not a streamed chat item fails its record (retried, then the dead-letter queue keeps
it); DynamoDB unavailable, or End User Messaging refusing the text, fails it too (retried: a failed send's claim
is free again). Another delivery holding the message's claim: retried after the visibility timeout (ClaimHeld).
Logs carry the chat message id, contact id, reason and the masked number, never the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.batches import parse_body, process_batch
from functions.common.claims import ClaimHeld
from functions.common.clock import utc_now
from functions.common.observability import count_metric, describe_error, logger, metrics
from functions.common.outbound import ChannelFailure, TextSender
from functions.common.settings import ClientBounds, optional_env
from functions.manifest import claim_lease
from functions.sms import conversation_store
from functions.sms.chat_stream import MalformedStreamItem, parse_stream_item
from functions.sms.conversation_store import ConversationStoreUnavailable, SmsConversationItem
from functions.sms.conversations import ChatReplies, ReplyReason, TextPort
from functions.storage.tables import configure_data_access

DDB_BOUNDS = ClientBounds(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=3)
FUNCTION = "sms-chat-replies"  # its name in functions/manifest.py


def _text_port() -> TextPort | None:
    identity = optional_env("SMS_ORIGINATION_IDENTITY")
    if not identity:
        return None
    sender = TextSender(identity, "TRANSACTIONAL")

    def text(destination: str, body: str, message_id: str) -> None:
        sender.text(destination, body, {"chat_message_id": message_id[:100]})

    return text


def build_replies() -> ChatReplies:
    return ChatReplies(store=conversation_store, text=_text_port(), clock=utc_now, claim_lease=claim_lease(FUNCTION))


def handle_record(replies: ChatReplies, record: SQSRecord) -> str:
    event = parse_body(record, parse_stream_item, MalformedStreamItem,
                       what="chat stream item", metric="MalformedChatStreamItems")
    try:
        reason = replies.handle(event)
    except Exception as exc:
        logger.warning("chat stream item failed; the message will be retried", extra={
            "message_id": record.message_id, "chat_message_id": event.id, "contact_id": event.contact_id,
            "error": describe_error(exc, (ClaimHeld, ChannelFailure, ConversationStoreUnavailable)),
            "receive_count": record.attributes.approximate_receive_count})
        if isinstance(exc, ChannelFailure):
            count_metric("SmsChatRepliesNotSent")
        raise
    logger.info("chat stream item", extra={
        "message_id": record.message_id, "chat_message_id": event.id, "contact_id": event.contact_id,
        "type": event.type, "role": event.role, "reason": reason.value, "characters": len(event.content or "")})
    count_metric("SmsChatReplies", reason=reason.value)
    if reason is ReplyReason.SEND_UNCONFIRMED:
        count_metric("StaleClaimsTakenOver")  # alarmed: a sender died between claiming and confirming a text
    return reason.value


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure_data_access((SmsConversationItem,), DDB_BOUNDS)
    replies = build_replies()
    return process_batch(dict(event), context, lambda record: handle_record(replies, record),
                         requests_metric="ChatStreamItems")
