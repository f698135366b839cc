"""SMS conversations in DynamoDB: the open chat of each sender, and a claim per agent message texted out.

Key design (table `sms_conversations`, hash key `pk`, two kinds of item):
- `conv#<E.164 sender>`: the sender's conversation: the chat contact it feeds (`contact_id`), the customer's
  participant connection token (`connection_token`, what SendMessage is authorized with), `status` open |
  closed, the inbound message that opened it (`opened_by`: its redelivery is the same contact, not a second
  message) and `expires_at` (epoch seconds; DynamoDB's TTL attribute). The token is a credential: it is never
  logged, and DynamoDB encrypts it at rest with the table's KMS key (infra/constructs/tables.py), as every item.
  `by_contact` (the contact id; sparse: only conversations have one) finds the sender of a streamed chat event.
- `out#<chat message id>`: the claim of one agent (or system) message texted to the customer
  (functions/common/claims.py's states; Delivery AT_MOST_ONCE: an interrupted send is not repeated). Kept
  seven days (`expires_at`), far beyond any redelivery of the stream's queue.
Every DynamoDB failure becomes ConversationStoreUnavailable with the error code only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from functions.storage.errors import STORE_ERRORS, condition_failed, store_error_code

TTL_ATTRIBUTE = "expires_at"
CLAIM_KEPT = timedelta(days=7)


class ConversationStoreUnavailable(RuntimeError):
    def __init__(self, code: str) -> None:
        super().__init__(f"sms_conversations table: {code}")
        self.code = code


class ConversationsByContact(GlobalSecondaryIndex["SmsConversationItem"]):
    class Meta:
        index_name = "by_contact"
        projection = AllProjection()

    contact_id = UnicodeAttribute(hash_key=True)


class SmsConversationItem(Model):
    class Meta:
        table_name = "sms_conversations"  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = "SMS_CONVERSATIONS_TABLE_NAME"
        billing_mode = "PAY_PER_REQUEST"
        ttl_attribute = TTL_ATTRIBUTE  # read by infra/constructs/tables.py (TimeToLiveSpecification)

    pk = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()
    contact_id = UnicodeAttribute(null=True)  # conversations only: the sparse by_contact index
    sender = UnicodeAttribute(null=True)
    connection_token = UnicodeAttribute(null=True)
    opened_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # claims: why a message was not texted

    by_contact = ConversationsByContact()


class Conversation(msgspec.Struct, frozen=True):
    sender: str
    contact_id: str
    connection_token: str
    opened_by: str
    status: str  # "open" | "closed"
    updated_at: datetime
    expires_at: datetime

    def is_open(self, now: datetime) -> bool:
        return self.status == "open" and now < self.expires_at


class OutboundClaim(msgspec.Struct, frozen=True):
    message_id: str
    status: str  # "sending" | "sent" | "failed" | "skipped"
    updated_at: datetime
    reason: str | None = None


def _conversation_key(sender: str) -> str:
    return f"conv#{sender}"


def _claim_key(message_id: str) -> str:
    return f"out#{message_id}"


def _conversation(item: SmsConversationItem) -> Conversation:
    return Conversation(sender=item.sender or "", contact_id=item.contact_id or "",
                        connection_token=item.connection_token or "", opened_by=item.opened_by or "",
                        status=item.status, updated_at=item.updated_at,
                        expires_at=datetime.fromtimestamp(int(item.expires_at), tz=item.updated_at.tzinfo))


def _claim(item: SmsConversationItem) -> OutboundClaim:
    return OutboundClaim(item.pk.removeprefix("out#"), item.status, item.updated_at, item.reason)


def _failed(exc: Exception) -> ConversationStoreUnavailable:
    return ConversationStoreUnavailable(store_error_code(exc))


def conversation_of(sender: str) -> Conversation | None:
    try:
        return _conversation(SmsConversationItem.get(_conversation_key(sender), consistent_read=True))
    except SmsConversationItem.DoesNotExist:
        return None
    except STORE_ERRORS as exc:
        raise _failed(exc) from exc


def conversation_by_contact(contact_id: str) -> Conversation | None:
    """The conversation a contact feeds, read back from the table (the index is eventually consistent)."""
    try:
        for item in SmsConversationItem.by_contact.query(contact_id, limit=1):
            found = conversation_of(item.sender or "")
            return found if found is not None and found.contact_id == contact_id else None
    except STORE_ERRORS as exc:
        raise _failed(exc) from exc
    return None


def open_conversation(conversation: Conversation) -> None:
    """Write the sender's open conversation (replacing a closed or expired one: the caller found none open)."""
    item = SmsConversationItem(
        _conversation_key(conversation.sender), status="open", updated_at=conversation.updated_at,
        expires_at=int(conversation.expires_at.timestamp()), contact_id=conversation.contact_id,
        sender=conversation.sender, connection_token=conversation.connection_token,
        opened_by=conversation.opened_by)
    try:
        item.save()  # unconditional: the last chat started for the number is the one its texts go to
    except STORE_ERRORS as exc:
        raise _failed(exc) from exc


def close_conversation(sender: str, contact_id: str, at: datetime) -> bool:
    """Close the sender's conversation if it is still the one of `contact_id` (a newer one stays open); the
    token is dropped. False when there was nothing of that contact to close."""
    model = SmsConversationItem
    try:
        model(_conversation_key(sender)).update(
            actions=[model.status.set("closed"), model.updated_at.set(at), model.connection_token.remove()],
            condition=(model.contact_id == contact_id) & (model.status == "open"))
    except STORE_ERRORS as exc:
        if condition_failed(exc):
            return False
        raise _failed(exc) from exc
    return True


def claim_of(message_id: str) -> OutboundClaim | None:
    try:
        return _claim(SmsConversationItem.get(_claim_key(message_id), consistent_read=True))
    except SmsConversationItem.DoesNotExist:
        return None
    except STORE_ERRORS as exc:
        raise _failed(exc) from exc


def save_claim(claim: OutboundClaim, expected: OutboundClaim | None) -> OutboundClaim | None:
    """Create the claim (expected None: only if none exists) or move it on from exactly `expected` (its status
    and updated_at, which every write changes); None when another delivery got there first."""
    model = SmsConversationItem
    item = model(_claim_key(claim.message_id), status=claim.status, updated_at=claim.updated_at,
                 expires_at=int((claim.updated_at + CLAIM_KEPT).timestamp()), reason=claim.reason)
    if expected is None:
        condition = model.pk.does_not_exist()
    else:
        condition = (model.status == expected.status) & (model.updated_at == expected.updated_at)
    try:
        item.save(condition=condition)
    except STORE_ERRORS as exc:
        if condition_failed(exc):
            return None
        raise _failed(exc) from exc
    return _claim(item)
