"""Customer profiles in DynamoDB: the PynamoDB model and the only queries on it.

Key design
- `customer_id` is the identity (tickets, surveys and outreach refer to it).
- `phone` (E.164) is the caller lookup: the `by_phone` index projects every
  attribute, so recognising a caller is one Query.
- `version` gives optimistic locking: a stale write raises instead of silently
  overwriting a concurrent update.
- `open_tickets` is the screen pop: one small entry per ticket that is not closed, kept in step with
  the tickets table by functions/tickets/store.py (same transaction), so the by_phone Query that
  recognises the caller also says how many tickets are open and which is the latest.
  `save_profiles` (seeding, import) replaces whole items: it is for loading profiles, not for
  updating them; a re-import of an existing customer empties that map until the next ticket change.
- `by_warranty_expiry` and `by_plan_expiry` are sparse: only profiles that have the date are in
  them, one partition per day, so the outreach planner finds the customers due on a day with one
  Query of that day's bucket, never a scan. They project every attribute, like `by_phone`, so the
  planner decides consent, opt-out and channel from the index items alone (no GetItem per
  customer). The cost: every write to a profile that has the date is also written to the index,
  and the index stores whole profiles. INCLUDE with just the attributes the planner reads would
  be smaller, but the table construct builds ALL and KEYS_ONLY only; KEYS_ONLY would cost one
  extra read per due customer.
- `pin_hash`, `pin_failures`, `pin_locked_until`: the caller's phone PIN (functions/profiles/pin.py), as a salted
  slow hash, with the wrong attempts in a row and the lock they lead to. Written only by `set_pin` (agents,
  through the tickets API) and by the caller-verification Lambda, each with a single conditional UpdateItem
  (no read-modify-write: two calls failing at once both count). `to_profile` leaves them out, so no domain
  object carries the hash; a re-import (`save_profiles`) replaces the item and so clears the PIN.
- `by_email` (sparse: profiles with an email only) finds the customer a chat names by the address they typed,
  with one Query, like `by_phone`; it projects every attribute for the same reason.
- `recent_contacts`: the last contacts on any channel (functions/common/contact_history.py), written only by
  `record_recent_contact`, from the contact records, off the call path; read with the rest of the item by the
  routing lookups (no extra request). A re-import keeps nothing of it, as with `open_tickets`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import msgspec
from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from functions.common.contact_history import RecentContact, recent_from_items, with_contact
from functions.profiles.caller_lookup import (
    BY_PHONE_INDEX,
    DEFAULT_TABLE_NAME,
    TABLE_ENV_VAR,
    ProfileStoreUnavailable,
    profile_from,
)
from functions.profiles.profile import CustomerProfile
from functions.storage.errors import STORE_ERRORS, condition_failed, store_error_code


class ProfilesByPhone(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = BY_PHONE_INDEX
        projection = AllProjection()

    phone = UnicodeAttribute(hash_key=True)


class ProfilesByEmail(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    email = UnicodeAttribute(hash_key=True)


class ProfilesByWarrantyExpiry(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "by_warranty_expiry"
        projection = AllProjection()

    warranty_expires = UnicodeAttribute(hash_key=True)


class ProfilesByPlanExpiry(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "by_plan_expiry"
        projection = AllProjection()

    plan_expires = UnicodeAttribute(hash_key=True)


class ProfileItem(Model):
    class Meta:
        table_name = DEFAULT_TABLE_NAME  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = TABLE_ENV_VAR
        billing_mode = "PAY_PER_REQUEST"

    customer_id = UnicodeAttribute(hash_key=True)
    phone = UnicodeAttribute()
    name = UnicodeAttribute()
    tier = UnicodeAttribute(default="standard")
    language = UnicodeAttribute(default="en")
    time_zone = UnicodeAttribute(null=True)
    recent_complaints = NumberAttribute(default=0)
    consent_voice = BooleanAttribute(default=False)
    consent_sms = BooleanAttribute(default=False)
    consent_surveys = BooleanAttribute(default=False)
    opted_out = BooleanAttribute(default=False)
    preferred_channel = UnicodeAttribute(default="voice")
    warranty_expires = UnicodeAttribute(null=True)  # ISO date
    plan_expires = UnicodeAttribute(null=True)  # ISO date
    email = UnicodeAttribute(null=True)
    pin_hash = UnicodeAttribute(null=True)  # functions/profiles/pin.py; never leaves this table
    pin_failures = NumberAttribute(null=True)  # wrong PINs in a row
    pin_locked_until = UTCDateTimeAttribute(null=True)
    # ticket_id -> {status, team, priority, created_at, sla_due_at} for each ticket that is not closed,
    # written only by functions/tickets/store.py, in the same transaction as the ticket (the screen pop).
    open_tickets = MapAttribute(default=dict)
    # The last contacts on any channel (functions/common/contact_history.py), newest first; record_recent_contact.
    recent_contacts = ListAttribute(null=True)  # type: ignore[var-annotated]
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_phone = ProfilesByPhone()
    by_email = ProfilesByEmail()  # sparse: profiles with an email address only
    by_warranty_expiry = ProfilesByWarrantyExpiry()  # sparse: profiles with a warranty date only
    by_plan_expiry = ProfilesByPlanExpiry()  # sparse: profiles with a plan date only


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def to_profile(item: ProfileItem) -> CustomerProfile:
    return profile_from({**item.attribute_values, "open_tickets": _plain(item.open_tickets),
                         "recent_contacts": _plain_list(item.recent_contacts)})


def _plain_list(value: object) -> list[object]:
    if not isinstance(value, list):
        return []
    return [_plain(entry) for entry in value]


def _plain(value: object) -> dict | None:
    return value.as_dict() if isinstance(value, MapAttribute) else value  # type: ignore[return-value]


def to_item(profile: CustomerProfile) -> ProfileItem:
    return ProfileItem(
        profile.customer_id,
        phone=profile.phone,
        name=profile.name,
        tier=profile.tier,
        language=profile.language,
        time_zone=profile.time_zone,
        recent_complaints=profile.recent_complaints,
        consent_voice=profile.consent_voice,
        consent_sms=profile.consent_sms,
        consent_surveys=profile.consent_surveys,
        opted_out=profile.opted_out,
        preferred_channel=profile.preferred_channel,
        warranty_expires=_iso(profile.warranty_expires),
        plan_expires=_iso(profile.plan_expires),
        email=profile.email,
        updated_at=datetime.now(UTC),
    )


def find_by_phone(e164: str) -> CustomerProfile | None:
    """One Query on the by_phone index. Several profiles on one number: the first one wins."""
    for item in ProfileItem.by_phone.query(e164, limit=1):
        return to_profile(item)
    return None


def get_profile(customer_id: str) -> CustomerProfile | None:
    try:
        return to_profile(ProfileItem.get(customer_id))
    except ProfileItem.DoesNotExist:
        return None


def save_profiles(profiles: list[CustomerProfile]) -> int:
    """Batch-write profiles (seeding/import). Returns how many were written."""
    with ProfileItem.batch_write() as batch:
        for profile in profiles:
            batch.save(to_item(profile))
    return len(profiles)


def lookup_by_phone(e164: str) -> CustomerProfile | None:
    """find_by_phone, with every DynamoDB/botocore failure turned into ProfileStoreUnavailable."""
    try:
        return find_by_phone(e164)
    except STORE_ERRORS as exc:
        raise ProfileStoreUnavailable(store_error_code(exc)) from exc


def lookup_by_email(address: str) -> CustomerProfile | None:
    """One Query on the by_email index. Addresses are stored in email-validator's normal form (the importer:
    domain lower-cased, local part as written), so the typed address is put in that form for ASCII addresses.
    Several profiles with one address: the first one wins. Failures: ProfileStoreUnavailable."""
    local, _, domain = address.strip().rpartition("@")
    try:
        for item in ProfileItem.by_email.query(f"{local}@{domain.lower()}", limit=1):
            return to_profile(item)
        return None
    except STORE_ERRORS as exc:
        raise ProfileStoreUnavailable(store_error_code(exc)) from exc


def lookup_by_customer_id(customer_id: str) -> CustomerProfile | None:
    """One GetItem (a chat whose customer the site's backend signed for). Failures: ProfileStoreUnavailable."""
    try:
        return get_profile(customer_id)
    except STORE_ERRORS as exc:
        raise ProfileStoreUnavailable(store_error_code(exc)) from exc


# --- the recent contacts (functions/common/contact_history.py) ----------------------------------------------

#: A concurrent write to the profile (a ticket change, another contact record) between the read and the write:
#: read again and retry, this many times, before giving up (the record is then retried by its source).
HISTORY_WRITE_ATTEMPTS = 4


class HistoryConflict(RuntimeError):
    """The profile kept changing under the write; the contact record should be retried later."""


def record_recent_contact(customer_id: str, entry: RecentContact, now: datetime) -> bool:
    """Add one contact to the customer's recent contacts, bounded and newest first. Idempotent per contact id:
    a redelivered record changes nothing (False). No profile: False. A read, then a write conditioned on the
    version read (optimistic locking), so a concurrent ticket change or contact record is never overwritten."""
    for _ in range(HISTORY_WRITE_ATTEMPTS):
        try:
            item = ProfileItem.get(customer_id, consistent_read=True,
                                   attributes_to_get=["customer_id", "recent_contacts", "version"])
        except ProfileItem.DoesNotExist:
            return False
        except STORE_ERRORS as exc:
            raise ProfileStoreUnavailable(store_error_code(exc)) from exc
        history = with_contact(recent_from_items(_plain_list(item.recent_contacts)), entry)
        if history is None:
            return False
        try:
            item.update(actions=[ProfileItem.recent_contacts.set([e.to_item() for e in history]),
                                 ProfileItem.updated_at.set(now)],
                        condition=ProfileItem.customer_id.exists())
            return True
        except STORE_ERRORS as exc:
            if not condition_failed(exc):
                raise ProfileStoreUnavailable(store_error_code(exc)) from exc
    raise HistoryConflict(customer_id)


# --- the phone PIN (functions/profiles/pin.py, functions/profiles/verification.py) -------------------------

class ProfileNotFound(LookupError):
    """No profile with that customer id."""


class PinRecord(msgspec.Struct, frozen=True):
    """What verifying a caller needs from the profile: the name (said only once verified) and the PIN state."""

    customer_id: str
    name: str
    pin_hash: str | None
    failures: int
    locked_until: datetime | None


_PIN_FIELDS = ["customer_id", "name", "pin_hash", "pin_failures", "pin_locked_until"]


def _unversioned(customer_id: str) -> ProfileItem:
    item = ProfileItem(customer_id)
    item.version = 0  # with add_version_condition=False an update only bumps the version (as tickets/store.py does)
    return item


def pin_record(customer_id: str) -> PinRecord | None:
    """One consistent GetItem of the PIN fields; None when there is no such profile."""
    try:
        item = ProfileItem.get(customer_id, consistent_read=True, attributes_to_get=_PIN_FIELDS)
    except ProfileItem.DoesNotExist:
        return None
    except STORE_ERRORS as exc:
        raise ProfileStoreUnavailable(store_error_code(exc)) from exc
    return PinRecord(item.customer_id, item.name or "", item.pin_hash, int(item.pin_failures or 0),
                     item.pin_locked_until)


def set_pin(customer_id: str, pin_hash: str, now: datetime) -> None:
    """Store a new PIN hash, forgetting earlier wrong attempts and any lock. ProfileNotFound if no profile."""
    try:
        _unversioned(customer_id).update(
            actions=[ProfileItem.pin_hash.set(pin_hash), ProfileItem.pin_failures.set(0),
                     ProfileItem.pin_locked_until.remove(), ProfileItem.updated_at.set(now)],
            condition=ProfileItem.customer_id.exists(), add_version_condition=False)
    except STORE_ERRORS as exc:
        if condition_failed(exc):
            raise ProfileNotFound(customer_id) from exc
        raise ProfileStoreUnavailable(store_error_code(exc)) from exc


def record_pin_failure(customer_id: str, limit: int, locked_until: datetime) -> bool:
    """Count one wrong PIN (an atomic ADD, so concurrent calls all count); at `limit` in a row, lock the PIN
    until `locked_until` and start counting again. Returns True when this attempt locked it."""
    try:
        item = _unversioned(customer_id)
        item.update(actions=[ProfileItem.pin_failures.add(1)], condition=ProfileItem.customer_id.exists(),
                    add_version_condition=False)
        if int(item.pin_failures or 0) < limit:
            return False
        _unversioned(customer_id).update(
            actions=[ProfileItem.pin_locked_until.set(locked_until), ProfileItem.pin_failures.set(0)],
            condition=ProfileItem.customer_id.exists(), add_version_condition=False)
        return True
    except STORE_ERRORS as exc:
        raise ProfileStoreUnavailable(store_error_code(exc)) from exc


def clear_pin_failures(customer_id: str) -> None:
    """After a right PIN: the wrong attempts before it no longer count."""
    try:
        _unversioned(customer_id).update(actions=[ProfileItem.pin_failures.set(0)],
                                         condition=ProfileItem.customer_id.exists(), add_version_condition=False)
    except STORE_ERRORS as exc:
        raise ProfileStoreUnavailable(store_error_code(exc)) from exc
