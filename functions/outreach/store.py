"""Proactive outreach in DynamoDB: the PynamoDB models and the only queries on them.

Key design
- `OutreachItem` (table `outreach`): one item per (customer, campaign, expiry cycle), hash key
  `customer_id`, range key `cycle` = "<campaign_id>#<expiry date>". Creating it is a conditional
  put (attribute_not_exists): that is what makes a re-run of the planner for the same day enqueue
  nothing new, and what makes a second planner racing the first lose. Every later change is
  conditional on the status, updated_at and optimistic-lock `version` the writer read (like the
  survey records), so exactly one of two concurrent senders moves a record forward.
  The item carries its own `history` (every status with its reason, channel or date), so "the
  customer's outreach history" is one Query on the customer's partition.
- `by_due_on` (due_on, campaign_id), ALL: sparse, only pending records have `due_on`: `planned`
  ones (the run date) and `remind_later` ones (the day to remind). A run of the planner Queries a
  campaign's few pending records of the last days to re-plan the reminders that are due and to
  enqueue again the planned records whose message was lost (a crash or a failed SendMessageBatch
  between the write and the send). The sender's claim removes `due_on`, so the index holds only
  what is waiting, and it projects the whole (small) record so the planner can write it back
  conditionally without reading it again.
- `ContactCapItem` (table `outreach_caps`): one item per customer, the last proactive contact
  across campaigns (when, and which record made it). The sender claims it with one conditional
  update ("no contact within the cap, or the contact was this same record"), so two campaigns
  cannot both reach a customer within the cap, whatever the timing; a failed channel gives the
  claim back (the previous contact is kept in the item for that).
- The planner reads what it needs for a day's due customers with BatchGetItem (their cycle records
  and cap items, 100 keys per request): reads stay near the number of customers due.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from functions.outreach.record import (
    PENDING_STATUSES,
    ContactCap,
    HistoryEntry,
    OutreachRecord,
    OutreachStatus,
    OutreachStoreUnavailable,
)
from functions.profiles.profile import CustomerProfile
from functions.profiles.store import ProfileItem, to_profile
from functions.storage.claims import ClaimStore
from functions.storage.errors import STORE_ERRORS, condition_failed, store_error_code

NEVER = ""  # a cap item's "no contact": sorts before every timestamp
_CAP_TIME = "%Y-%m-%dT%H:%M:%SZ"  # fixed width, so the strings compare like the times


class HistoryEntryAttribute(MapAttribute):
    at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)


class PendingByDueOn(GlobalSecondaryIndex["OutreachItem"]):
    class Meta:
        index_name = "by_due_on"
        projection = AllProjection()

    due_on = UnicodeAttribute(hash_key=True)
    campaign_id = UnicodeAttribute(range_key=True)


class OutreachItem(Model):
    class Meta:
        table_name = "outreach"  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = "OUTREACH_TABLE_NAME"
        billing_mode = "PAY_PER_REQUEST"

    customer_id = UnicodeAttribute(hash_key=True)
    cycle = UnicodeAttribute(range_key=True)  # "<campaign_id>#<YYYY-MM-DD>"
    campaign_id = UnicodeAttribute()
    expires = UnicodeAttribute()  # ISO date: the watched date this cycle is about
    # planned | skipped | delayed | sending | contacted | failed | answered | remind_later | stopped
    status = UnicodeAttribute()
    round = NumberAttribute(default=1)
    reason = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)  # voice | sms
    outbound_id = UnicodeAttribute(null=True)
    not_before = UTCDateTimeAttribute(null=True)
    due_on = UnicodeAttribute(null=True)  # ISO date, only while planned or remind_later (the index key)
    attempts = NumberAttribute(default=0)
    history = ListAttribute(of=HistoryEntryAttribute, default=list)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_due_on = PendingByDueOn()


class ContactCapItem(Model):
    class Meta:
        table_name = "outreach_caps"  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = "OUTREACH_CAPS_TABLE_NAME"
        billing_mode = "PAY_PER_REQUEST"

    customer_id = UnicodeAttribute(hash_key=True)
    last_contact_at = UnicodeAttribute(default=NEVER)  # UTC, _CAP_TIME
    last_cycle = UnicodeAttribute(default=NEVER)
    previous_contact_at = UnicodeAttribute(default=NEVER)  # restored if the last contact fails
    previous_cycle = UnicodeAttribute(default=NEVER)


# --- mapping ---------------------------------------------------------------------------------------

def _entry(item: HistoryEntryAttribute) -> HistoryEntry:
    return HistoryEntry(item.at, OutreachStatus(item.status), item.reason, item.channel, item.note)


def _entry_item(entry: HistoryEntry) -> HistoryEntryAttribute:
    return HistoryEntryAttribute(at=entry.at, status=entry.status.value, reason=entry.reason,
                                 channel=entry.channel, note=entry.note)


def to_record(item: OutreachItem) -> OutreachRecord:
    return OutreachRecord(
        customer_id=item.customer_id,
        campaign_id=item.campaign_id,
        expires=date.fromisoformat(item.expires),
        status=OutreachStatus(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        round=int(item.round or 1),
        reason=item.reason,
        channel=item.channel,
        outbound_id=item.outbound_id,
        not_before=item.not_before,
        due_on=date.fromisoformat(item.due_on) if item.due_on else None,
        attempts=int(item.attempts or 0),
        history=tuple(_entry(entry) for entry in item.history or ()),
        version=item.version,
    )


def to_item(record: OutreachRecord, version: int | None = None) -> OutreachItem:
    """The item for `record`; `version` is the stored version a conditional write expects (None: none yet)."""
    item = OutreachItem(
        record.customer_id,
        record.cycle,
        campaign_id=record.campaign_id,
        expires=record.expires.isoformat(),
        status=record.status.value,
        round=record.round,
        reason=record.reason,
        channel=record.channel,
        outbound_id=record.outbound_id,
        not_before=record.not_before,
        due_on=_due_on(record),
        attempts=record.attempts,
        history=[_entry_item(entry) for entry in record.history],
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
    if version is not None:
        item.version = version
    return item


def _due_on(record: OutreachRecord) -> str | None:
    """The index key: only pending records are in the index (never "", which is not a valid key)."""
    if record.status not in PENDING_STATUSES or record.due_on is None:
        return None
    return record.due_on.isoformat()


def cap_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_CAP_TIME)


def _cap_moment(text: str | None) -> datetime | None:
    return datetime.strptime(text, _CAP_TIME).replace(tzinfo=UTC) if text else None


def to_cap(item: ContactCapItem) -> ContactCap:
    return ContactCap(item.customer_id, _cap_moment(item.last_contact_at), item.last_cycle or None)


# --- errors ----------------------------------------------------------------------------------------

def _unavailable(exc: Exception) -> OutreachStoreUnavailable:
    return OutreachStoreUnavailable(store_error_code(exc))


# --- profiles: the sparse expiry indexes, a fresh read, the opt-out -----------------------------------

def due_profiles(watches: str, expires: date) -> Iterator[CustomerProfile]:
    """Every profile whose `watches` date is `expires`: one Query of that day's bucket (paginated)."""
    index = ProfileItem.by_warranty_expiry if watches == "warranty_expires" else ProfileItem.by_plan_expiry
    try:
        for item in index.query(expires.isoformat()):
            yield to_profile(item)
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


def fresh_profile(customer_id: str) -> CustomerProfile | None:
    """The profile as it is now (strongly consistent: an opt-out a second ago counts)."""
    try:
        return to_profile(ProfileItem.get(customer_id, consistent_read=True))
    except ProfileItem.DoesNotExist:
        return None
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


def opt_out(customer_id: str, now: datetime) -> bool:
    """Set the profile's opted_out (every campaign and survey honours it); False if there is no profile.

    Not conditional on the version the caller read (there is none: the flow only knows the id), but
    it increments it, so a writer holding an older copy of the profile cannot put opted_out back.
    """
    item = ProfileItem(customer_id)
    item.version = 0  # any value: with add_version_condition=False, update() only increments the version
    try:
        item.update(actions=[ProfileItem.opted_out.set(True), ProfileItem.updated_at.set(now)],
                    condition=ProfileItem.customer_id.exists(), add_version_condition=False)
    except STORE_ERRORS as exc:
        if condition_failed(exc):
            return False
        raise _unavailable(exc) from exc
    return True


# --- outreach records --------------------------------------------------------------------------------

_CLAIMS = ClaimStore(OutreachItem, to_record, to_item, OutreachStoreUnavailable)


def get_record(customer_id: str, cycle: str) -> OutreachRecord | None:
    """The record (strongly consistent: it decides who may claim it), or None."""
    return _CLAIMS.get(customer_id, cycle)


def create_record(record: OutreachRecord) -> OutreachRecord | None:
    """Write the first record of a cycle; None when the cycle already has one."""
    return _CLAIMS.create(record)


def replace_record(record: OutreachRecord, expected: OutreachRecord) -> OutreachRecord | None:
    """Overwrite the record if it is still exactly `expected` (status, updated_at, version); else None."""
    return _CLAIMS.replace(record, expected)


def customer_history(customer_id: str) -> list[OutreachRecord]:
    """Every outreach record of the customer (all campaigns and cycles), with its history: one Query."""
    try:
        return [to_record(item) for item in OutreachItem.query(customer_id)]
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


def planning_state(keys: Sequence[tuple[str, str]]) -> tuple[dict[tuple[str, str], OutreachRecord],
                                                             dict[str, ContactCap]]:
    """The existing records for (customer_id, cycle) `keys` and the customers' cap items: BatchGetItem."""
    try:
        records = {(item.customer_id, item.cycle): to_record(item) for item in OutreachItem.batch_get(keys)}
        customers = {customer_id for customer_id, _ in keys}
        caps = {item.customer_id: to_cap(item) for item in ContactCapItem.batch_get(customers)}
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc
    return records, caps


def pending_records(campaign_id: str, due_on: date) -> list[OutreachRecord]:
    """The campaign's pending records (planned, remind_later) due on `due_on`: one Query of the index."""
    try:
        return [to_record(item) for item in OutreachItem.by_due_on.query(
            due_on.isoformat(), OutreachItem.campaign_id == campaign_id)]
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


# --- the frequency cap -----------------------------------------------------------------------------

def claim_cap(customer_id: str, cycle: str, now: datetime, period_days: int) -> bool:
    """Record a contact by `cycle` now, unless another cycle contacted the customer within the period.

    One conditional update: passes when there was no contact, the last one is older than the period,
    or it was this same cycle (a retry, or the reminder the customer asked for). The previous contact
    is kept so release_cap() can give the claim back.
    """
    cutoff = cap_time(now - timedelta(days=period_days))
    condition = (ContactCapItem.last_contact_at.does_not_exist() | (ContactCapItem.last_contact_at <= cutoff)
                 | (ContactCapItem.last_cycle == cycle))
    try:
        ContactCapItem(customer_id).update(actions=[
            ContactCapItem.previous_contact_at.set(ContactCapItem.last_contact_at | NEVER),
            ContactCapItem.previous_cycle.set(ContactCapItem.last_cycle | NEVER),
            ContactCapItem.last_contact_at.set(cap_time(now)),
            ContactCapItem.last_cycle.set(cycle),
        ], condition=condition)
    except STORE_ERRORS as exc:
        if condition_failed(exc):
            return False
        raise _unavailable(exc) from exc
    return True


def release_cap(customer_id: str, cycle: str, claimed_at: datetime) -> bool:
    """Give back a claim whose contact failed: the previous contact counts again. False if it moved on."""
    condition = (ContactCapItem.last_cycle == cycle) & (ContactCapItem.last_contact_at == cap_time(claimed_at))
    try:
        ContactCapItem(customer_id).update(actions=[
            ContactCapItem.last_contact_at.set(ContactCapItem.previous_contact_at),
            ContactCapItem.last_cycle.set(ContactCapItem.previous_cycle),
        ], condition=condition)
    except STORE_ERRORS as exc:
        if condition_failed(exc):
            return False
        raise _unavailable(exc) from exc
    return True


#: The tables of this module (to register in functions/tables.py), for tests and the local runtime.
OUTREACH_MODELS: tuple[type[Model], ...] = (OutreachItem, ContactCapItem)
