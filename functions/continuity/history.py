"""From a contact record to the customer's recent contacts (functions/common/contact_history.py). Plain Python.

Written off the call path: the contact records (Connect's CTR stream, or the local runtime's records writer)
are read after the contact, and each contact whose record names a customer (`Attributes.customer_id`, set by
the routing Lambda once it recognised them) is added to that customer's profile. Idempotent per ContactId:
Connect delivers a record at least once, and again when the contact changes after it ended; the second
delivery finds the contact already in the history and writes nothing.

What an entry holds: the channel (an SMS conversation, a CHAT contact with subtype connect:SMS, is `SMS`), when
the contact started, the queue it reached (else the queue routing chose), the routing reason code, the ticket
it touched (`ticket_id` if an agent or a flow set one, else the latest ticket when the contact was about it:
the ticket follow-up intent or the IVR's ticket self-service) and how the customer was identified.

The store is passed in (`HistoryStore`; the handler passes functions/profiles/store.py), so this module needs no
DynamoDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from functions.common.contact_history import RecentContact

MAX_ID_CHARS = 64
SMS_SUBTYPE = "connect:SMS"


class Outcome(StrEnum):
    RECORDED = "recorded"
    ALREADY_RECORDED = "already_recorded"  # a redelivered record, or the contact is already in the history
    NO_CUSTOMER = "no_customer"  # the record names nobody (unknown caller, anonymous chat, task...)
    NOT_A_RECORD = "not_a_record"  # not a contact record at all (kept out of the history, counted)


class HistoryStore(Protocol):
    def record_recent_contact(self, customer_id: str, entry: RecentContact, now: datetime) -> bool: ...


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) and len(value.strip()) <= MAX_ID_CHARS else ""


def _started(record: Mapping[str, Any]) -> datetime | None:
    raw = record.get("InitiationTimestamp")
    if not isinstance(raw, str):
        return None
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.astimezone(UTC) if at.tzinfo is not None else None


def _channel(record: Mapping[str, Any]) -> str:
    channel = _text(record.get("Channel")).upper()
    segment = record.get("SegmentAttributes")
    subtype = ((segment or {}).get("connect:Subtype") or {}).get("ValueString") if isinstance(segment, dict) else None
    return "SMS" if channel == "CHAT" and subtype == SMS_SUBTYPE else channel


def _ticket(attributes: Mapping[str, Any]) -> str:
    explicit = _text(attributes.get("ticket_id"))
    if explicit:
        return explicit
    about_ticket = attributes.get("intent") == "ticket" or bool(_text(attributes.get("ticket_self_service")))
    return _text(attributes.get("latest_ticket_id")) if about_ticket else ""


def recent_contact_of(record: Mapping[str, Any]) -> tuple[str, RecentContact] | Outcome:
    """(customer id, entry) for a record that names a customer; else why not."""
    contact_id = _text(record.get("ContactId"))
    started = _started(record)
    attributes = record.get("Attributes")
    if not contact_id or started is None or not isinstance(attributes, dict):
        return Outcome.NOT_A_RECORD
    customer_id = _text(attributes.get("customer_id"))
    if not customer_id:
        return Outcome.NO_CUSTOMER
    queue = record.get("Queue")
    queue_name = _text(queue.get("Name")) if isinstance(queue, dict) else ""
    entry = RecentContact(
        contact_id=contact_id, channel=_channel(record), at=started,
        queue=queue_name or _text(attributes.get("queue")), reason=_text(attributes.get("reason")),
        ticket_id=_ticket(attributes), identity=_text(attributes.get("identity")))
    return customer_id, entry


def record_contact(record: Mapping[str, Any], store: HistoryStore, now: datetime) -> Outcome:
    """Add one contact record to its customer's history (raises what the store raises: the record is retried)."""
    found = recent_contact_of(record)
    if isinstance(found, Outcome):
        return found
    customer_id, entry = found
    return Outcome.RECORDED if store.record_recent_contact(customer_id, entry, now) else Outcome.ALREADY_RECORDED
