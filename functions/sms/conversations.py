"""The SMS <-> chat bridge: a customer's texts go into one open chat contact, an agent's replies come back as
SMS. Plain Python; every port is passed in (the Connect/participant adapters are functions/sms/connect_chat.py,
the store functions/sms/conversation_store.py). The documented AWS pattern for SMS over Connect chat:

In (sms-inbound, `SmsConversations.deliver`): a text for an agent from a number with no open conversation
starts a chat (StartChatContact), asks Connect to stream the chat's messages and events to our chat-stream
topic (StartContactStreaming) and connects as the customer (CreateParticipantConnection, CONNECTION_CREDENTIALS:
the connection token, which authorizes SendMessage; no IAM is involved). The conversation record keeps the
contact and that token for CONVERSATION_HOURS (or until the connection's own expiry, or the chat's end). A
later text from the same number while it is open is sent into that chat with SendMessage, its ClientToken
derived from the inbound message id (a redelivery is the same chat message); a redelivery of the message that
opened the conversation is the same contact. SendMessage refused for the token (the chat ended before we heard
so) closes the record, and the text starts a new contact.

Out (sms-chat-replies, `ChatReplies.handle`): each streamed MESSAGE of an AGENT or SYSTEM participant meant for
the customer (MessageVisibility CUSTOMER or ALL, or none given) in a bridged contact is texted to the
conversation's number once per chat message id (a claim; at most once: an interrupted send is not repeated,
as functions/common/claims.py explains). The customer's own messages, echoed on the stream, are not. The
chat-ended event, or the customer participant leaving, closes the conversation: the next text starts a new
contact. A text longer than one SMS is sent as one SendTextMessage (End User Messaging splits it into parts)
but capped at MAX_SMS_CHARS, cut with TRUNCATION_MARK at the end.

Limits, accepted: the queues and the standard topic keep no order, so two texts (or two agent messages) sent
seconds apart may arrive swapped; two first texts of one number handled at the same moment by two instances
each start a contact (the later record wins, the other chat gets no further texts).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import msgspec

from functions.common.claims import SEND_UNCONFIRMED, ClaimHeld
from functions.sms.conversation_store import Conversation, OutboundClaim
from functions.sms.inbox import ChatStart, Delivered

CONVERSATION_HOURS = 24
#: End User Messaging's SendTextMessage takes a MessageBody of at most 1,600 characters (it splits it into parts).
MAX_SMS_CHARS = 1600
TRUNCATION_MARK = " [...]"
AGENT_ROLES = frozenset({"AGENT", "SYSTEM"})
FOR_CUSTOMER = frozenset({"CUSTOMER", "ALL"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown"})
CHAT_ENDED = "application/vnd.amazonaws.connect.event.chat.ended"
PARTICIPANT_LEFT = "application/vnd.amazonaws.connect.event.participant.left"


class ChatEnded(RuntimeError):
    """The chat no longer takes messages from this connection (it ended, or the customer left)."""


class ChatSession(msgspec.Struct, frozen=True):
    contact_id: str
    participant_token: str


class Connection(msgspec.Struct, frozen=True):
    token: str
    expires_at: datetime | None


class ChatPort(Protocol):
    def start(self, chat: ChatStart) -> ChatSession: ...
    def stream(self, contact_id: str, client_token: str) -> None: ...
    def connect(self, participant_token: str) -> Connection: ...
    def send(self, connection_token: str, text: str, client_token: str) -> None:
        """Raises ChatEnded when the connection is no longer valid."""
        ...


class ConversationStore(Protocol):
    def conversation_of(self, sender: str) -> Conversation | None: ...
    def conversation_by_contact(self, contact_id: str) -> Conversation | None: ...
    def open_conversation(self, conversation: Conversation) -> None: ...
    def close_conversation(self, sender: str, contact_id: str, at: datetime) -> bool: ...
    def claim_of(self, message_id: str) -> OutboundClaim | None: ...
    def save_claim(self, claim: OutboundClaim, expected: OutboundClaim | None) -> OutboundClaim | None: ...


class SmsConversations:
    """The SmsContacts port of the inbox (functions/sms/inbox.py): one open chat per number."""

    def __init__(self, *, chats: ChatPort, store: ConversationStore, clock: Callable[[], datetime]) -> None:
        self.chats = chats
        self.store = store
        self.clock = clock

    def deliver(self, chat: ChatStart) -> Delivered:
        now = self.clock()
        current = self.store.conversation_of(chat.sender)
        if current is not None and current.is_open(now):
            if current.opened_by == chat.message_id:
                return Delivered(current.contact_id, started=True)
            try:
                self.chats.send(current.connection_token, chat.text, chat.client_token)
                return Delivered(current.contact_id, started=False)
            except ChatEnded:
                self.store.close_conversation(chat.sender, current.contact_id, now)
        session = self.chats.start(chat)
        self.chats.stream(session.contact_id, chat.client_token)
        connection = self.chats.connect(session.participant_token)
        expires_at = now + timedelta(hours=CONVERSATION_HOURS)
        if connection.expires_at is not None:
            expires_at = min(expires_at, connection.expires_at)
        self.store.open_conversation(Conversation(
            sender=chat.sender, contact_id=session.contact_id, connection_token=connection.token,
            opened_by=chat.message_id, status="open", updated_at=now, expires_at=expires_at))
        return Delivered(session.contact_id, started=True)


class StreamEvent(msgspec.Struct, frozen=True):
    """One item of a chat's stream, as Connect publishes it on the topic (Id, Type, ContentType, Content,
    ParticipantRole, ContactId, InitialContactId; MessageVisibility is an SNS message attribute)."""

    id: str
    type: str  # MESSAGE | EVENT | ATTACHMENT ...
    content_type: str
    contact_id: str
    initial_contact_id: str | None = None
    role: str | None = None
    content: str | None = None
    visibility: str | None = None


class ReplyReason(StrEnum):
    TEXTED = "TEXTED"
    DUPLICATE = "DUPLICATE"
    SEND_UNCONFIRMED = SEND_UNCONFIRMED  # an earlier delivery was interrupted mid-send: not sent again
    CUSTOMER_MESSAGE = "CUSTOMER_MESSAGE"  # the customer's own text echoed on the stream
    NOT_FOR_CUSTOMER = "NOT_FOR_CUSTOMER"
    NOT_TEXT = "NOT_TEXT"
    OTHER_EVENT = "OTHER_EVENT"
    NOT_BRIDGED = "NOT_BRIDGED"  # no open conversation of this contact (closed, expired, or not an SMS chat)
    NO_ORIGINATION = "NO_ORIGINATION"  # no SMS origination identity configured
    CONVERSATION_CLOSED = "CONVERSATION_CLOSED"


class TextPort(Protocol):
    def __call__(self, destination: str, body: str, message_id: str) -> None:
        """Text `body`; raises on failure (the exception carries an error code, never the number)."""
        ...


def capped(text: str) -> str:
    """The SMS body of a chat message: whole up to MAX_SMS_CHARS, else cut to fit with TRUNCATION_MARK."""
    text = text.strip()
    if len(text) <= MAX_SMS_CHARS:
        return text
    return text[:MAX_SMS_CHARS - len(TRUNCATION_MARK)].rstrip() + TRUNCATION_MARK


class ChatReplies:
    """Agent messages of bridged chats texted to the customer, once each; the chat's end closes its record."""

    def __init__(self, *, store: ConversationStore, text: TextPort | None, clock: Callable[[], datetime],
                 claim_lease: timedelta) -> None:
        self.store = store
        self.text = text
        self.clock = clock
        self.claim_lease = claim_lease

    def _conversation(self, event: StreamEvent) -> Conversation | None:
        for contact_id in dict.fromkeys(c for c in (event.initial_contact_id, event.contact_id) if c):
            found = self.store.conversation_by_contact(contact_id)
            if found is not None:
                return found
        return None

    def handle(self, event: StreamEvent) -> ReplyReason:
        if event.type == "EVENT" and (event.content_type == CHAT_ENDED or (
                event.content_type == PARTICIPANT_LEFT and event.role == "CUSTOMER")):
            found = self._conversation(event)
            if found is None or not self.store.close_conversation(found.sender, found.contact_id, self.clock()):
                return ReplyReason.NOT_BRIDGED
            return ReplyReason.CONVERSATION_CLOSED
        if event.type != "MESSAGE":
            return ReplyReason.OTHER_EVENT
        if event.role not in AGENT_ROLES:
            return ReplyReason.CUSTOMER_MESSAGE
        if event.visibility is not None and event.visibility not in FOR_CUSTOMER:
            return ReplyReason.NOT_FOR_CUSTOMER
        if event.content_type not in TEXT_TYPES or not (event.content or "").strip():
            return ReplyReason.NOT_TEXT
        now = self.clock()
        found = self._conversation(event)
        if found is None or not found.is_open(now):
            return ReplyReason.NOT_BRIDGED
        if self.text is None:
            return ReplyReason.NO_ORIGINATION
        claim = self._claim(event.id, now)
        if not isinstance(claim, OutboundClaim):
            return claim
        try:
            self.text(found.sender, capped(event.content or ""), event.id)
        except Exception as exc:
            self.store.save_claim(OutboundClaim(event.id, "failed", self.clock(), getattr(exc, "code", None)
                                                or type(exc).__name__), claim)
            raise
        self.store.save_claim(OutboundClaim(event.id, "sent", self.clock()), claim)
        return ReplyReason.TEXTED

    def _claim(self, message_id: str, now: datetime) -> OutboundClaim | ReplyReason:
        """This delivery's claim on the message, or why it must not text it."""
        existing = self.store.claim_of(message_id)
        sending = OutboundClaim(message_id, "sending", now)
        if existing is None:
            return self.store.save_claim(sending, None) or ReplyReason.DUPLICATE  # lost the race: someone has it
        if existing.status == "failed":
            return self.store.save_claim(sending, existing) or ReplyReason.DUPLICATE
        if existing.status == "sending":
            if now - existing.updated_at < self.claim_lease:
                raise ClaimHeld(f"chat message {message_id}", existing.status)
            # Stale: the sender crashed mid-send. At most once: close it unsent rather than text twice.
            self.store.save_claim(OutboundClaim(message_id, "skipped", now, SEND_UNCONFIRMED), existing)
            return ReplyReason.SEND_UNCONFIRMED
        return ReplyReason.DUPLICATE
