"""Ticket progress updates in DynamoDB: one record per status change told (or not told, and why).

Key design
- `TicketNotificationItem` (table `ticket_notifications`): hash key `ticket_id`, range key `seq`, the
  history entry that changed the status. Creating it is a conditional put (attribute_not_exists), which
  is what makes "at most one message per change" hold however often the TicketStatusChanged event is
  delivered: the record is the business fact ("told by SMS at 09:00", "skipped: NO_CHANNEL") and the
  idempotency key, like the survey records (functions/surveys/store.py explains why not Powertools
  idempotency). A ticket's notifications are one Query on its partition.
- Every later change is conditional on the status, updated_at and optimistic-lock `version` the writer
  read, so of two deliveries of the same event exactly one moves the record forward.
- The notifier reads the customer's profile strongly consistent (`customer_profile`): a consent withdrawn
  a second ago counts.
- It reads the ticket strongly consistent too (`stored_change`: one GetItem on the tickets table), to tell
  only changes that table has, never what an event merely claims (status_changes.verified_change).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute
from pynamodb.models import Model

from functions.profiles.profile import CustomerProfile
from functions.profiles.store import ProfileItem, to_profile
from functions.storage.claims import ClaimStore
from functions.storage.errors import STORE_ERRORS, store_error_code
from functions.tickets.notifier import NotificationRecord, NotificationStatus, NotificationStoreUnavailable
from functions.tickets.status_changes import StatusChange, verified_change
from functions.tickets.store import get_ticket
from functions.tickets.ticket import TicketNotFound, TicketStoreUnavailable


class TicketNotificationItem(Model):
    class Meta:
        table_name = "ticket_notifications"  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = "TICKET_NOTIFICATIONS_TABLE_NAME"
        billing_mode = "PAY_PER_REQUEST"

    ticket_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)  # the ticket's history entry
    customer_id = UnicodeAttribute()
    to_status = UnicodeAttribute()
    status = UnicodeAttribute()  # sending | sent | skipped | delayed | failed
    reason = UnicodeAttribute(null=True)  # why skipped / delayed / failed, a code such as NO_CHANNEL
    channel = UnicodeAttribute(null=True)  # sms | email
    outbound_id = UnicodeAttribute(null=True)  # the SMS or SES message id
    not_before = UTCDateTimeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


def to_record(item: TicketNotificationItem) -> NotificationRecord:
    return NotificationRecord(
        ticket_id=item.ticket_id, seq=int(item.seq), customer_id=item.customer_id, to_status=item.to_status,
        status=NotificationStatus(item.status), created_at=item.created_at, updated_at=item.updated_at,
        reason=item.reason, channel=item.channel, outbound_id=item.outbound_id, not_before=item.not_before,
        attempts=int(item.attempts or 0), version=item.version)


def to_item(record: NotificationRecord, version: int | None = None) -> TicketNotificationItem:
    item = TicketNotificationItem(
        record.ticket_id, record.seq, customer_id=record.customer_id, to_status=record.to_status,
        status=record.status.value, reason=record.reason, channel=record.channel, outbound_id=record.outbound_id,
        not_before=record.not_before, attempts=record.attempts, created_at=record.created_at,
        updated_at=record.updated_at)
    if version is not None:
        item.version = version
    return item


def _unavailable(exc: Exception) -> NotificationStoreUnavailable:
    return NotificationStoreUnavailable(store_error_code(exc))


_CLAIMS = ClaimStore(TicketNotificationItem, to_record, to_item, NotificationStoreUnavailable)


def get_notification(ticket_id: str, seq: int) -> NotificationRecord | None:
    """The change's record (strongly consistent: it decides who may claim it), or None."""
    return _CLAIMS.get(ticket_id, seq)


def create_notification(record: NotificationRecord) -> NotificationRecord | None:
    """Write the change's first record; None when it already has one (the claim is lost)."""
    return _CLAIMS.create(record)


def replace_notification(record: NotificationRecord, expected: NotificationRecord) -> NotificationRecord | None:
    """Overwrite the record if it is still exactly `expected` (status, updated_at, version); else None."""
    return _CLAIMS.replace(record, expected)


def notifications_of_ticket(ticket_id: str) -> list[NotificationRecord]:
    """Every record of the ticket, in history order: one Query."""
    try:
        return [to_record(item) for item in TicketNotificationItem.query(ticket_id)]
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


def customer_profile(customer_id: str) -> CustomerProfile | None:
    """The profile as it is now (strongly consistent), or None."""
    try:
        return to_profile(ProfileItem.get(customer_id, consistent_read=True))
    except ProfileItem.DoesNotExist:
        return None
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


def stored_change(claimed: StatusChange) -> StatusChange | None:
    """The change as the tickets table stores it (strongly consistent), or None when it has no such change."""
    try:
        ticket = get_ticket(claimed.ticket_id, consistent=True)
    except TicketNotFound:
        return verified_change(None, claimed)
    except TicketStoreUnavailable as exc:
        raise NotificationStoreUnavailable(str(exc)) from exc
    return verified_change(ticket, claimed)


class DynamoDBNotificationStore:
    """The notifier's NotificationStore on the ticket_notifications table."""

    def get(self, ticket_id: str, seq: int) -> NotificationRecord | None:
        return get_notification(ticket_id, seq)

    def create(self, record: NotificationRecord) -> NotificationRecord | None:
        return create_notification(record)

    def replace(self, record: NotificationRecord, expected: NotificationRecord) -> NotificationRecord | None:
        return replace_notification(record, expected)
