"""The Amazon Connect contact APIs, the Participant Service and End User Messaging SMS, which moto does not
implement, answered from the local backend's own record of contacts (a ServiceEmulator, callcenter/emulators.py):
GetContactAttributes, StartOutboundVoiceContact, StartChatContact, StartTaskContact, StopContact,
StartContactStreaming, CreateParticipantConnection, SendMessage, SendTextMessage. Given `quotas` and a clock, it
enforces Connect's per-API rate quotas as AWS does (token buckets: rate, burst) and answers 429
TooManyRequestsException beyond them, recording when each request came.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from botocore.awsrequest import AWSResponse

from callcenter.emulators import ServiceEmulator, _error, _ok


@dataclass(frozen=True)
class OutboundCall:
    """A call placed with StartOutboundVoiceContact, waiting for the local runtime to run its flow."""

    contact_id: str
    destination: str
    flow_id: str
    queue_id: str | None
    attributes: dict[str, str]


@dataclass
class TaskContact:
    """A task started with StartTaskContact; `ended_at` once stopped (StopContact) or completed by an agent."""

    contact_id: str
    template_id: str
    name: str
    attributes: dict[str, str]
    references: dict[str, dict[str, str]]
    ended_by: str | None = None  # "stop_contact" | "agent"
    client_token: str | None = None


@dataclass(frozen=True)
class StartedChat:
    """A chat started with StartChatContact, waiting for the local runtime to run its flow."""

    contact_id: str
    flow_id: str
    attributes: dict[str, str]
    display_name: str
    initial_message: str | None


@dataclass
class StreamedChat:
    """A chat contact whose messages and events Connect streams (StartContactStreaming) to a topic."""

    contact_id: str
    topic_arn: str
    ended: bool = False


@dataclass(frozen=True)
class SentText:
    message_id: str
    destination: str
    origination: str
    body: str



@dataclass
class RateQuota:
    """One API's quota as AWS applies it: a token bucket of `rate` a second holding at most `burst`."""

    rate: float
    burst: int
    tokens: float = -1.0  # full on first use
    updated: float | None = None

    def admit(self, now: float) -> bool:
        if self.updated is None:
            self.tokens = float(self.burst)
        else:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class ContactAttributes(Mapping[str, str]):
    """A contact's attributes as Connect keeps them, compactly: a simulated day keeps one per contact, and a
    dict of some twenty attributes costs about four times these two tuples (the names' tuple is shared by
    every contact with the same names)."""

    __slots__ = ("_names", "_values")
    _shared_names: ClassVar[dict[tuple[str, ...], tuple[str, ...]]] = {}

    def __init__(self, attributes: Mapping[str, str]) -> None:
        names = tuple(attributes)
        self._names = ContactAttributes._shared_names.setdefault(names, names)
        self._values = tuple(attributes.values())

    def __getitem__(self, name: str) -> str:
        try:
            return self._values[self._names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass
class ConnectEmulator(ServiceEmulator):
    """The Connect contact APIs and SMS sending, answered from what the local backend recorded."""

    contact_attributes: dict[str, Mapping[str, str]] = field(default_factory=dict)  # by initial contact id
    outbound_calls: list[OutboundCall] = field(default_factory=list)
    texts: list[SentText] = field(default_factory=list)
    started_chats: list[StartedChat] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)  # e.g. {"StartOutboundVoiceContact"}
    # Connect API name -> its quota, enforced on `clock` (seconds); empty: no quota (the default locally).
    quotas: dict[str, RateQuota] = field(default_factory=dict)
    clock: Callable[[], float] | None = None
    requests: dict[str, list[float]] = field(default_factory=dict)  # API -> when each admitted request came
    throttled: Counter[str] = field(default_factory=Counter)  # API -> requests answered 429
    _client_tokens: dict[str, str] = field(default_factory=dict)
    _posted: int = 0
    tasks: dict[str, TaskContact] = field(default_factory=dict)  # by contact id
    chats: list[StartedChat] = field(default_factory=list)  # started, not yet taken by a runner (take_chats)
    # Task contacts that ended and whose DISCONNECTED contact event the local runtime has yet to publish.
    ended_tasks: list[str] = field(default_factory=list)
    streamed: dict[str, StreamedChat] = field(default_factory=dict)  # chats streamed to a topic, by contact id
    # Items streamed chats published (SNS's envelope, as the sms-chat-stream queue receives it), not yet delivered.
    stream_items: list[str] = field(default_factory=list)
    chat_messages: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # contact -> (role, text)

    OPERATIONS: ClassVar[dict[str, str]] = {
        "connect.GetContactAttributes": "get_contact_attributes",
        "connect.StartOutboundVoiceContact": "start_outbound_voice_contact",
        "connect.StartTaskContact": "start_task_contact",
        "connect.StopContact": "stop_contact",
        "connect.StartChatContact": "start_chat_contact",
        "pinpoint-sms-voice-v2.SendTextMessage": "send_text_message",
        "connect.StartContactStreaming": "start_contact_streaming",
        "connectparticipant.CreateParticipantConnection": "create_participant_connection",
        "connectparticipant.SendMessage": "send_participant_message",
    }

    def enforce(self, quotas: dict[str, tuple[float, int]], clock: Callable[[], float]) -> None:
        """Apply Connect's rate quotas ({api: (rate, burst)}) on `clock` from now on."""
        self.quotas = {api: RateQuota(rate, burst) for api, (rate, burst) in quotas.items()}
        self.clock = clock

    def _over_quota(self, api: str) -> tuple[AWSResponse, dict[str, Any]] | None:
        quota = self.quotas.get(api)
        if quota is None or self.clock is None:
            return None
        now = self.clock()
        if not quota.admit(now):
            self.throttled[api] += 1
            return _error(429, "TooManyRequestsException", f"{api}: rate exceeded")
        self.requests.setdefault(api, []).append(now)
        return None

    def get_contact_attributes(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        refused = self._over_quota("GetContactAttributes")
        if refused:
            return refused
        contact_id = params.get("InitialContactId", "")
        if contact_id not in self.contact_attributes:
            return _error(404, "ResourceNotFoundException", f"contact {contact_id} not found")
        return _ok(Attributes=dict(self.contact_attributes[contact_id]))

    def start_outbound_voice_contact(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        refused = self._over_quota("StartOutboundVoiceContact")
        if refused:
            return refused
        token = params.get("ClientToken")
        if token and token in self._client_tokens:  # Connect's own idempotency: same token, same contact
            return _ok(ContactId=self._client_tokens[token])
        call = OutboundCall(
            # From the token when there is one (ours always send one), so a simulated day's contact ids, and the
            # contact records keyed by them, are the same on every run.
            contact_id=f"outbound-{uuid.uuid5(uuid.NAMESPACE_URL, token) if token else uuid.uuid4()}",
            destination=params.get("DestinationPhoneNumber", ""),
            flow_id=params.get("ContactFlowId", ""),
            queue_id=params.get("QueueId"),
            attributes=dict(params.get("Attributes") or {}),
        )
        self.outbound_calls.append(call)
        if token:
            self._client_tokens[token] = call.contact_id
        return _ok(ContactId=call.contact_id)

    def start_task_contact(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        """A task contact: the same ClientToken is the same task (Connect's idempotency, as for calls)."""
        refused = self._over_quota("StartTaskContact")
        if refused:
            return refused
        if not params.get("Name") or not (params.get("TaskTemplateId") or params.get("ContactFlowId")):
            return _error(400, "InvalidRequestException", "a task needs a Name and a template or flow")
        token = params.get("ClientToken")
        if token and token in self._client_tokens:
            return _ok(ContactId=self._client_tokens[token])
        contact_id = f"task-{uuid.uuid5(uuid.NAMESPACE_URL, token) if token else uuid.uuid4()}"
        self.tasks[contact_id] = TaskContact(
            contact_id, params.get("TaskTemplateId") or params.get("ContactFlowId") or "", params["Name"],
            dict(params.get("Attributes") or {}), {k: dict(v) for k, v in (params.get("References") or {}).items()},
            client_token=token)
        self.contact_attributes[contact_id] = dict(params.get("Attributes") or {})
        if token:
            self._client_tokens[token] = contact_id
        return _ok(ContactId=contact_id, ContactArn=f"contact/{contact_id}")

    def start_chat_contact(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        """A chat on a flow, which the local runtime then runs (callcenter/chats.py for web chats,
        callcenter/sms_local.py for SMS contacts); the same ClientToken is the same contact. InitialMessage is
        optional, as in Connect, and limited as Connect limits it."""
        refused = self._over_quota("StartChatContact")
        if refused:
            return refused
        initial = params.get("InitialMessage")
        if not params.get("ContactFlowId") or not (params.get("ParticipantDetails") or {}).get("DisplayName"):
            return _error(400, "InvalidRequestException", "a chat needs a flow and a display name")
        if initial is not None and not 1 <= len(initial.get("Content") or "") <= 1024:
            return _error(400, "InvalidRequestException", "InitialMessage.Content must be 1 to 1024 characters")
        token = params.get("ClientToken")
        if token and token in self._client_tokens:
            chat = next(c for c in self.started_chats if c.contact_id == self._client_tokens[token])
        else:
            chat = StartedChat(
                contact_id=f"chat-{uuid.uuid5(uuid.NAMESPACE_URL, token) if token else uuid.uuid4()}",
                flow_id=params["ContactFlowId"], attributes=dict(params.get("Attributes") or {}),
                display_name=params["ParticipantDetails"]["DisplayName"],
                initial_message=initial.get("Content") if initial else None)
            self.started_chats.append(chat)
            self.chats.append(chat)
            self.chat_messages.setdefault(chat.contact_id, []).extend(
                [("CUSTOMER", chat.initial_message)] if chat.initial_message else [])
            if token:
                self._client_tokens[token] = chat.contact_id
        return _ok(ContactId=chat.contact_id, ParticipantId=f"participant-{chat.contact_id}",
                   ParticipantToken=f"local-token-{chat.contact_id}")

    # --- chat streaming and the customer's participant connection (the SMS bridge) -------------------------

    def start_contact_streaming(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        refused = self._over_quota("StartContactStreaming")
        if refused:
            return refused
        contact_id = params.get("ContactId", "")
        topic = (params.get("ChatStreamingConfiguration") or {}).get("StreamingEndpointArn", "")
        if contact_id not in self.chat_messages or not topic:
            return _error(400, "InvalidRequestException", "no such chat contact, or no streaming endpoint")
        self.streamed.setdefault(contact_id, StreamedChat(contact_id, topic))
        return _ok(StreamingId=f"stream-{contact_id}")

    def create_participant_connection(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        """The connection token of the participant token's chat (the tokens say which contact: locally only)."""
        contact_id = str(params.get("ParticipantToken", "")).removeprefix("local-token-")
        if contact_id not in self.chat_messages or "CONNECTION_CREDENTIALS" not in (params.get("Type") or []):
            return _error(403, "AccessDeniedException", "invalid participant token")
        return _ok(ConnectionCredentials={"ConnectionToken": f"connection:{contact_id}"})

    def send_participant_message(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        """The customer's message into their chat; the same ClientToken is the same message. An ended chat (or an
        unknown token) answers AccessDeniedException, as the participant service does for a dead connection."""
        token_value = str(params.get("ConnectionToken", ""))
        contact_id = token_value.removeprefix("connection:")
        stream = self.streamed.get(contact_id)
        # A chat of an earlier local run (`callcenter sms` again) is still open here: its token is accepted.
        if not token_value.startswith("connection:") or (stream is not None and stream.ended):
            return _error(403, "AccessDeniedException", "the connection is no longer valid")
        content = params.get("Content", "")
        if not 1 <= len(content) <= 1024:
            return _error(400, "ValidationException", "Content must be 1 to 1024 characters")
        token = params.get("ClientToken")
        key = f"message:{token}"
        if token and key in self._client_tokens:
            return _ok(Id=self._client_tokens[key])
        message_id = self.post_chat_item(contact_id, "CUSTOMER", content)
        if token:
            self._client_tokens[key] = message_id
        return _ok(Id=message_id)

    def post_chat_item(self, contact_id: str, role: str, content: str | None, *, item_type: str = "MESSAGE",
                       content_type: str = "text/plain", visibility: str = "ALL") -> str:
        """A message (or an event) in a chat, published on its stream if it is streamed; the item's id."""
        item_id = f"item-{uuid.uuid5(uuid.NAMESPACE_URL, f'{contact_id}:{self._posted}')}"
        self._posted += 1
        if item_type == "MESSAGE":
            self.chat_messages.setdefault(contact_id, []).append((role, content or ""))
        stream = self.streamed.get(contact_id)
        if stream is not None and not stream.ended:
            self.stream_items.append(stream_envelope(stream.topic_arn, {
                "Id": item_id, "Type": item_type, "ContentType": content_type, "Content": content,
                "ParticipantRole": role, "ContactId": contact_id, "InitialContactId": contact_id}, visibility))
        return item_id

    def end_chat(self, contact_id: str) -> None:
        """The chat ends (the agent disconnected): its chat.ended event is streamed, then nothing more."""
        self.post_chat_item(contact_id, "SYSTEM", None, item_type="EVENT",
                            content_type="application/vnd.amazonaws.connect.event.chat.ended")
        if contact_id in self.streamed:
            self.streamed[contact_id].ended = True

    def take_stream_items(self) -> list[str]:
        items, self.stream_items = self.stream_items, []
        return items

    def take_chats(self) -> list[StartedChat]:
        """The chats started since the last call, for a runner to play through their flow."""
        chats, self.chats = self.chats, []
        return chats

    def stop_contact(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        refused = self._over_quota("StopContact")
        if refused:
            return refused
        task = self.tasks.get(params.get("ContactId", ""))
        if task is None or task.ended_by is not None:
            return _error(400, "ContactNotFoundException", "the contact does not exist or has ended")
        self.end_task(task.contact_id, "stop_contact")
        return _ok()

    def end_task(self, contact_id: str, by: str) -> TaskContact:
        """End a task (StopContact, or an agent completing it); its DISCONNECTED event is then due."""
        task = self.tasks[contact_id]
        task.ended_by = by
        self.ended_tasks.append(contact_id)
        return task

    def restore_task(self, task: TaskContact) -> None:
        """A task kept from an earlier local run (callcenter/local_state.py)."""
        self.tasks[task.contact_id] = task
        self.contact_attributes[task.contact_id] = dict(task.attributes)
        if task.client_token:
            self._client_tokens[task.client_token] = task.contact_id

    def take_ended_tasks(self) -> list[str]:
        ended, self.ended_tasks = self.ended_tasks, []
        return ended

    def send_text_message(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        text = SentText(f"sms-{uuid.uuid4()}", params.get("DestinationPhoneNumber", ""),
                        params.get("OriginationIdentity", ""), params.get("MessageBody", ""))
        self.texts.append(text)
        return _ok(MessageId=text.message_id)

    def take_outbound_calls(self) -> list[OutboundCall]:
        calls, self.outbound_calls = self.outbound_calls, []
        return calls


def stream_envelope(topic_arn: str, item: dict[str, Any], visibility: str = "ALL") -> str:
    """A streamed chat item as SNS delivers it to a queue (not raw): the envelope with the message attributes."""
    names = ("InitialContactId", "ContactId", "ParticipantRole", "Type", "ContentType")
    attributes = {name: {"Type": "String", "Value": str(item[name])} for name in names if item.get(name)}
    attributes["MessageVisibility"] = {"Type": "String", "Value": visibility}
    message_id = str(uuid.uuid5(uuid.NAMESPACE_URL, str(item["Id"])))
    return json.dumps({"Type": "Notification", "MessageId": message_id, "TopicArn": topic_arn,
                       "Message": json.dumps(item, ensure_ascii=False), "MessageAttributes": attributes},
                      ensure_ascii=False)
