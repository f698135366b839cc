"""The SMS bridge's decisions with in-memory ports (functions/sms/conversations.py, chat_stream.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from functions.common.claims import ClaimHeld
from functions.common.outbound import ChannelFailure
from functions.sms.chat_stream import MalformedStreamItem, parse_stream_item
from functions.sms.conversation_store import Conversation, OutboundClaim
from functions.sms.conversations import (
    MAX_SMS_CHARS,
    TRUNCATION_MARK,
    ChatEnded,
    ChatReplies,
    ChatSession,
    Connection,
    ReplyReason,
    SmsConversations,
    StreamEvent,
    capped,
)
from functions.sms.inbox import ChatStart

NOW = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)
LEASE = timedelta(seconds=60)
NUMBER = "+12065550180"


class MemoryStore:
    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.claims: dict[str, OutboundClaim] = {}

    def conversation_of(self, sender: str) -> Conversation | None:
        return self.conversations.get(sender)

    def conversation_by_contact(self, contact_id: str) -> Conversation | None:
        return next((c for c in self.conversations.values() if c.contact_id == contact_id), None)

    def open_conversation(self, conversation: Conversation) -> None:
        self.conversations[conversation.sender] = conversation

    def close_conversation(self, sender: str, contact_id: str, at: datetime) -> bool:
        current = self.conversations.get(sender)
        if current is None or current.contact_id != contact_id or current.status != "open":
            return False
        self.conversations[sender] = Conversation(sender, contact_id, "", current.opened_by, "closed", at,
                                                  current.expires_at)
        return True

    def claim_of(self, message_id: str) -> OutboundClaim | None:
        return self.claims.get(message_id)

    def save_claim(self, claim: OutboundClaim, expected: OutboundClaim | None) -> OutboundClaim | None:
        if self.claims.get(claim.message_id) != expected:
            return None
        self.claims[claim.message_id] = claim
        return claim


class FakeChats:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.sent: list[tuple[str, str]] = []
        self.ended: set[str] = set()

    def start(self, chat: ChatStart) -> ChatSession:
        contact = f"c{len(self.started) + 1}"
        self.started.append(contact)
        return ChatSession(contact, f"p-{contact}")

    def stream(self, contact_id: str, client_token: str) -> None:
        pass

    def connect(self, participant_token: str) -> Connection:
        return Connection(participant_token.replace("p-", "t-"), NOW + timedelta(hours=2))

    def send(self, connection_token: str, text: str, client_token: str) -> None:
        if connection_token in self.ended:
            raise ChatEnded("AccessDeniedException")
        self.sent.append((connection_token, text))


def chat(text: str, message_id: str) -> ChatStart:
    return ChatStart(text, NUMBER, f"token-{message_id}", message_id)


def test_a_conversation_lasts_until_the_connection_expires_and_an_ended_chat_starts_anew() -> None:
    store, chats = MemoryStore(), FakeChats()
    clock = [NOW]
    bridge = SmsConversations(chats=chats, store=store, clock=lambda: clock[0])
    assert bridge.deliver(chat("a", "m1")).started
    assert not bridge.deliver(chat("b", "m2")).started and chats.sent == [("t-c1", "b")]
    assert bridge.deliver(chat("a", "m1")).started and chats.started == ["c1"]  # a redelivery of the opener
    clock[0] = NOW + timedelta(hours=2)  # the connection's expiry, before CONVERSATION_HOURS
    assert bridge.deliver(chat("c", "m3")).contact_id == "c2"
    chats.ended.add("t-c2")
    delivered = bridge.deliver(chat("d", "m4"))
    assert (delivered.contact_id, delivered.started) == ("c3", True)


def event(**changes: object) -> StreamEvent:
    values: dict = {"id": "msg-1", "type": "MESSAGE", "content_type": "text/plain", "contact_id": "c1",
                    "role": "AGENT", "content": "hello", "visibility": "ALL"}
    values.update(changes)
    return StreamEvent(**values)


def replies_with(store: MemoryStore, texts: list[tuple[str, str]], clock: list[datetime],
                 fail: bool = False) -> ChatReplies:
    def text(destination: str, body: str, message_id: str) -> None:
        if fail:
            raise ChannelFailure("sms", "ThrottlingException")
        texts.append((destination, body))

    store.open_conversation(Conversation(NUMBER, "c1", "t-c1", "m1", "open", NOW, NOW + timedelta(hours=24)))
    return ChatReplies(store=store, text=text, clock=lambda: clock[0], claim_lease=LEASE)


def test_a_failed_send_frees_the_claim_and_the_retry_texts_once() -> None:
    store, texts, clock = MemoryStore(), [], [NOW]
    with pytest.raises(ChannelFailure):
        replies_with(store, texts, clock, fail=True).handle(event())
    assert store.claims["msg-1"].status == "failed"
    replies = replies_with(store, texts, clock)
    assert replies.handle(event()) is ReplyReason.TEXTED
    assert replies.handle(event()) is ReplyReason.DUPLICATE
    assert texts == [(NUMBER, "hello")]


def test_a_held_claim_is_retried_later_and_a_stale_one_is_closed_unsent() -> None:
    store, texts, clock = MemoryStore(), [], [NOW]
    replies = replies_with(store, texts, clock)
    store.claims["msg-1"] = OutboundClaim("msg-1", "sending", NOW)  # another delivery is sending it
    with pytest.raises(ClaimHeld):
        replies.handle(event())
    clock[0] = NOW + LEASE
    assert replies.handle(event()) is ReplyReason.SEND_UNCONFIRMED
    assert texts == [] and store.claims["msg-1"].status == "skipped"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"role": "CUSTOMER"}, ReplyReason.CUSTOMER_MESSAGE),
    ({"visibility": "AGENT"}, ReplyReason.NOT_FOR_CUSTOMER),
    ({"content_type": "application/json"}, ReplyReason.NOT_TEXT),
    ({"content": "  "}, ReplyReason.NOT_TEXT),
    ({"contact_id": "someone-else"}, ReplyReason.NOT_BRIDGED),
    ({"type": "EVENT", "content_type": "application/vnd.amazonaws.connect.event.typing"}, ReplyReason.OTHER_EVENT),
    ({"type": "EVENT", "role": "AGENT", "content_type": "application/vnd.amazonaws.connect.event.participant.left"},
     ReplyReason.OTHER_EVENT),  # an agent leaving (a transfer) keeps the conversation open
])
def test_what_is_not_texted(changes: dict, reason: ReplyReason) -> None:
    store, texts = MemoryStore(), []
    assert replies_with(store, texts, [NOW]).handle(event(**changes)) is reason
    assert texts == [] and store.conversations[NUMBER].status == "open"


def test_the_customer_leaving_closes_the_conversation() -> None:
    store = MemoryStore()
    left = event(type="EVENT", role="CUSTOMER", content=None,
                 content_type="application/vnd.amazonaws.connect.event.participant.left")
    assert replies_with(store, [], [NOW]).handle(left) is ReplyReason.CONVERSATION_CLOSED
    assert store.conversations[NUMBER].status == "closed"


def test_capping() -> None:
    assert capped(" short ") == "short"
    assert capped("x" * MAX_SMS_CHARS) == "x" * MAX_SMS_CHARS
    long = capped("y" * (MAX_SMS_CHARS + 1))
    assert len(long) == MAX_SMS_CHARS and long.endswith(TRUNCATION_MARK)


def test_stream_items_are_read_from_the_envelope_or_bare_and_garbage_is_refused() -> None:
    item = {"Id": "i1", "Type": "MESSAGE", "ContentType": "text/plain", "Content": "hi", "ParticipantRole": "AGENT",
            "ContactId": "c2", "InitialContactId": "c1"}
    envelope = {"Type": "Notification", "Message": json.dumps(item),
                "MessageAttributes": {"MessageVisibility": {"Type": "String", "Value": "CUSTOMER"}}}
    parsed = parse_stream_item(json.dumps(envelope))
    assert (parsed.id, parsed.initial_contact_id, parsed.visibility, parsed.content) == ("i1", "c1", "CUSTOMER", "hi")
    assert parse_stream_item(json.dumps(item)).visibility is None
    for bad in ("nope", "[]", json.dumps({"Type": "Notification", "Message": "{"}), json.dumps({"Id": "x"})):
        with pytest.raises(MalformedStreamItem):
            parse_stream_item(bad)
