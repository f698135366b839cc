"""Two-way SMS on the local backend: a customer's text, as End User Messaging delivers it, through the real
sms-inbound function; an SMS contact it starts runs the SMS flow in the simulator, as Connect would run it.

`receive_sms` puts End User Messaging's inbound document on the `sms-inbound` queue (what the topic's raw
subscription delivers), `deliver`s it (as many times as `deliveries`: the carrier or SNS delivering the same
message again), runs the chats the function started through infra/flows/sms.json (channel CHAT, the attributes
StartChatContact gave), then what AWS runs after: survey follow-ups to tickets, tickets to tasks. What was texted
back to the sender is read from the Connect/SMS emulator.

SMS conversations (functions/sms/conversations.py): the emulator streams the chats sms-inbound started; what they
publish (the customer's forwarded texts, an agent's reply `agent_reply`, the chat's end `end_chat`) goes to the
`sms-chat-stream` queue as SNS would deliver it, and the real sms-chat-replies function texts the agent's replies.

`send_sms_survey` ends an answered call by the customer and runs the survey dispatcher, which texts the survey
when the customer prefers SMS (or calls them: then no SMS survey waits for a reply).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from callcenter.backend import CHAT_STREAM_TOPIC, INSTANCE_ARN, SMS_ORIGINATION, LocalBackend, local_client
from callcenter.calls import local_flow, run_flow_at
from flowlang.simulator import CallResult, ContactStart
from functions.sms.conversation_store import conversation_of

SMS_FLOW = "sms"


@dataclass
class SmsRun:
    sender: str
    deliveries: int
    reasons: list[str] = field(default_factory=list)  # per delivery handled: the function's reason (its metric)
    survey_reasons: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)  # texted back to the sender
    contacts: list[tuple[str, CallResult]] = field(default_factory=list)  # the SMS contacts' ids and flow runs
    first_messages: list[str] = field(default_factory=list)  # each SMS contact's first chat message, as started
    failed: int = 0  # deliveries the function reported as failed (retried by SQS)
    stream_reasons: list[str] = field(default_factory=list)  # sms-chat-replies' reason per streamed chat item
    conversation: str | None = None  # the contact of the sender's open SMS conversation afterwards

    def to_json(self) -> dict[str, Any]:
        return {"from": self.sender, "deliveries": self.deliveries, "reasons": self.reasons,
                "survey_reasons": self.survey_reasons, "replies": self.replies, "failed_deliveries": self.failed,
                "first_messages": self.first_messages, "stream_reasons": self.stream_reasons,
                "conversation": self.conversation,
                "contacts": [{"contact_id": contact_id, **result.to_json()} for contact_id, result in self.contacts]}


def inbound_document(sender: str, text: str, message_id: str, recipient: str = SMS_ORIGINATION) -> dict[str, Any]:
    """What End User Messaging publishes for an SMS to a two-way number."""
    return {"originationNumber": sender, "destinationNumber": recipient, "messageKeyword": "KEYWORD_LOCAL",
            "messageBody": text, "inboundMessageId": message_id, "previousPublishedMessageId": ""}


def _counted(backend: LocalBackend, before: Counter[Any], metric: str) -> list[str]:
    """The `reason` dimension of each `metric` the function emitted since `before` (one per message handled)."""
    reasons: list[str] = []
    for (name, dimensions), count in (backend.metrics - before).items():
        if name == metric:
            reasons += [dict(dimensions).get("reason", "?")] * count
    return sorted(reasons)


def receive_sms(backend: LocalBackend, sender: str, text: str, at: datetime, *, deliveries: int = 1,
                message_id: str | None = None) -> SmsRun:
    from callcenter.event_sources import deliver
    from callcenter.ticket_tasks import sync_tasks

    message_id = message_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"sms:{sender}:{at.isoformat()}:{text}"))
    body = json.dumps(inbound_document(sender, text, message_id), ensure_ascii=False)
    run = SmsRun(sender, deliveries)
    texts_before = len(backend.connect.texts)
    metrics_before = Counter(backend.metrics)
    sqs = local_client("sqs")
    backend.now = at
    try:
        for _ in range(deliveries):
            sqs.send_message(QueueUrl=backend.queue_urls["sms-inbound"], MessageBody=body)
            report = deliver(backend, "sms-inbound")
            run.failed += report.failed
        deliver(backend, "survey-followups")
        sync_tasks(backend)
        deliver_chat_stream(backend)
    finally:
        backend.now = None
    run.stream_reasons = _counted(backend, metrics_before, "SmsChatReplies")
    conversation = conversation_of(sender)
    run.conversation = conversation.contact_id if conversation is not None and conversation.is_open(at) else None
    run.reasons = _counted(backend, metrics_before, "InboundSms")
    run.survey_reasons = _counted(backend, metrics_before, "SmsSurveyReplies")
    run.replies = [t.body for t in backend.connect.texts[texts_before:] if t.destination == sender]
    for chat in backend.connect.take_chats():
        start = ContactStart(contact_id=chat.contact_id, channel="CHAT", initiation_method="API",
                             customer_address=None, system_address=None, instance_arn=INSTANCE_ARN,
                             attributes=dict(chat.attributes), now=at)
        run.first_messages.append(chat.initial_message)
        run.contacts.append((chat.contact_id, run_flow_at(backend, local_flow(SMS_FLOW), start, [], SMS_FLOW)))
    return run


def deliver_chat_stream(backend: LocalBackend, *, deliveries: int = 1) -> int:
    """What streamed chats published since the last call, onto `sms-chat-stream` (each item `deliveries` times:
    SNS delivers at least once), and through sms-chat-replies; the number of failed deliveries."""
    from callcenter.event_sources import deliver

    sqs = local_client("sqs")
    for body in backend.connect.take_stream_items():
        for _ in range(deliveries):
            sqs.send_message(QueueUrl=backend.queue_urls["sms-chat-stream"], MessageBody=body)
    return deliver(backend, "sms-chat-stream").failed


@dataclass
class ChatReplyRun:
    contact_id: str
    stream_reasons: list[str]  # sms-chat-replies' reason per streamed item delivered
    texts: list[tuple[str, str]]  # (destination, body) texted meanwhile
    failed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"contact_id": self.contact_id, "stream_reasons": self.stream_reasons, "failed_deliveries": self.failed,
                "texted": [{"to": to, "body": body} for to, body in self.texts]}


def _streamed(backend: LocalBackend, contact_id: str, at: datetime, deliveries: int, post: Any) -> ChatReplyRun:
    from callcenter.connect_emulator import StreamedChat

    # A chat of an earlier local run (`callcenter sms --agent-reply`): streamed to the same topic again.
    backend.connect.streamed.setdefault(contact_id, StreamedChat(contact_id, CHAT_STREAM_TOPIC))
    texts_before = len(backend.connect.texts)
    metrics_before = Counter(backend.metrics)
    backend.now = at
    try:
        post()
        failed = deliver_chat_stream(backend, deliveries=deliveries)
    finally:
        backend.now = None
    return ChatReplyRun(contact_id, _counted(backend, metrics_before, "SmsChatReplies"),
                        [(t.destination, t.body) for t in backend.connect.texts[texts_before:]], failed)


def agent_reply(backend: LocalBackend, contact_id: str, text: str, at: datetime, *, deliveries: int = 1,
                role: str = "AGENT") -> ChatReplyRun:
    """An agent's message in the chat `contact_id`, streamed (`deliveries` times) and texted to the customer."""
    return _streamed(backend, contact_id, at, deliveries,
                     lambda: backend.connect.post_chat_item(contact_id, role, text))


def end_chat(backend: LocalBackend, contact_id: str, at: datetime) -> ChatReplyRun:
    """The agent ends the chat: its chat.ended event closes the SMS conversation."""
    return _streamed(backend, contact_id, at, 1, lambda: backend.connect.end_chat(contact_id))


def send_sms_survey(backend: LocalBackend, sender: str, at: datetime) -> str:
    """An answered call from `sender` ends at `at`; the dispatcher surveys it (by SMS if the customer prefers).
    The call's contact id."""
    from callcenter.calls import CallRequest, place_call
    from callcenter.event_sources import deliver
    from callcenter.post_call import AgentOutcome, contact_event_detail, publish_contact_event

    contact_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sms-survey-call:{sender}:{at.isoformat()}"))
    call = place_call(backend, CallRequest(caller=sender, at=at, contact_id=contact_id, keys=("0",)))
    outcome = AgentOutcome(answered=True, agent="agent-01", waited=timedelta(seconds=30),
                           talked=timedelta(minutes=5))
    detail, ended = contact_event_detail(call, contact_id, at, outcome)
    publish_contact_event(detail, ended)
    backend.now = ended
    try:
        deliver(backend, "survey-requests")
    finally:
        backend.now = None
    backend.connect.take_outbound_calls()  # a voice survey instead (the customer prefers calls): not answered here
    return contact_id
