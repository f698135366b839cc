"""Tickets in DynamoDB: the PynamoDB model and the only reads and writes of it.

Key design
- `TicketItem` (table `tickets`): one item per ticket, hash key `ticket_id`, with its append-only
  `history`. `version` is the optimistic lock: every write is conditional on the version the writer
  read, so of two agents changing the same ticket from the same version exactly one wins and the other
  gets `VersionConflict`; nothing is overwritten silently.
- Size: DynamoDB refuses items over 400 KB, and a refused write would freeze the ticket. Every write
  measures the item as DynamoDB counts it (`item_size`: attribute names and values, UTF-8) before
  sending it. Notes may fill a ticket up to NOTE_LIMIT_BYTES; the changes that run its lifecycle
  (status, priority, assignment, escalation) up to MAX_TICKET_BYTES, so the 60 KB between the two stay
  reserved for them (a status change without a note takes about 200 bytes) and a ticket full of notes can
  still be worked and closed. Past its limit a change is refused with `TicketFull` (a 422), never sent.
- Sparse indexes, keyed only while the ticket is open (`open_customer`, `open_team`, `open_shard` are
  removed when it is resolved or closed), so each holds exactly the work still to do:
  `open_by_customer` (customer, created_at): a customer's open tickets, newest first;
  `open_by_team` (team, sla_due_at): a team's queue, most urgent first;
  `open_by_sla` (shard, sla_due_at): every open ticket by due time, written over OPEN_SHARDS partitions
  so one hot key does not carry all tickets; "past SLA" is one Query per shard with due < now.
  `by_customer` (customer, created_at) keeps every ticket, closed ones included, for the history view.
- The screen pop: the customer's profile item carries `open_tickets`, one small entry per ticket that is
  not closed (status, team, priority, created_at, sla_due_at). Every ticket write updates the ticket and
  that entry in one transaction, so the routing Lambda still answers with one Query (by_phone) and the
  entry cannot disagree with the ticket. The entry is set by path (`open_tickets.<id>`), so concurrent
  changes to different tickets of one customer never overwrite each other.
- The table has a stream (NEW_AND_OLD_IMAGES): the ticket-events function publishes each new status
  change found in it, so a status change that is stored is always announced (no dual write).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.common.ticket_overview import Status, TicketsOverview, key_time, overview_from, parse_key_time
from functions.profiles.store import ProfileItem
from functions.storage.errors import STORE_ERRORS, store_error_code
from functions.storage.sizes import dynamodb_item_size
from functions.tickets.ticket import (
    CustomerNotFound,
    HistoryEntry,
    Ticket,
    TicketFull,
    TicketNotFound,
    TicketStoreUnavailable,
    VersionConflict,
    summary_entry,
)

OPEN_SHARDS = 4
DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024
#: Every write stays below this (a margin under DynamoDB's limit for the version's increment and our counting).
MAX_TICKET_BYTES = 380 * 1024
#: Notes stop here: the rest up to MAX_TICKET_BYTES is kept for status, priority, assignment and escalation.
NOTE_LIMIT_BYTES = 320 * 1024


def shard_of(ticket_id: str) -> str:
    return str(zlib.crc32(ticket_id.encode()) % OPEN_SHARDS)


class HistoryEntryAttribute(MapAttribute):
    seq = NumberAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute(null=True)
    team = UnicodeAttribute(null=True)
    agent = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)


class TicketsByCustomer(GlobalSecondaryIndex["TicketItem"]):
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class OpenTicketsByCustomer(GlobalSecondaryIndex["TicketItem"]):
    class Meta:
        index_name = "open_by_customer"
        projection = AllProjection()

    open_customer = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class OpenTicketsByTeam(GlobalSecondaryIndex["TicketItem"]):
    class Meta:
        index_name = "open_by_team"
        projection = AllProjection()

    open_team = UnicodeAttribute(hash_key=True)
    sla_due_at = UnicodeAttribute(range_key=True)


class OpenTicketsBySla(GlobalSecondaryIndex["TicketItem"]):
    class Meta:
        index_name = "open_by_sla"
        projection = AllProjection()

    open_shard = UnicodeAttribute(hash_key=True)
    sla_due_at = UnicodeAttribute(range_key=True)


class TicketItem(Model):
    class Meta:
        table_name = "tickets"  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = "TICKETS_TABLE_NAME"
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"  # read by CDK (infra/constructs/tables.py) and the local runtime

    ticket_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    category = UnicodeAttribute()
    priority = NumberAttribute()
    status = UnicodeAttribute()
    team = UnicodeAttribute()
    agent = UnicodeAttribute(null=True)
    restricted = BooleanAttribute(default=False)
    contact_ids = ListAttribute(of=UnicodeAttribute, default=list)
    history = ListAttribute(of=HistoryEntryAttribute, default=list)
    created_at = UnicodeAttribute()  # key_time()
    updated_at = UnicodeAttribute()
    sla_due_at = UnicodeAttribute()
    # Sparse index keys, present only while the ticket is open:
    open_customer = UnicodeAttribute(null=True)
    open_team = UnicodeAttribute(null=True)
    open_shard = UnicodeAttribute(null=True)
    request_digest = UnicodeAttribute(null=True)  # opened with a request id: what that request was (ticket.py)
    version = VersionAttribute()

    by_customer = TicketsByCustomer()
    open_by_customer = OpenTicketsByCustomer()
    open_by_team = OpenTicketsByTeam()
    open_by_sla = OpenTicketsBySla()


# --- mapping -----------------------------------------------------------------------------------------

def _entry(item: HistoryEntryAttribute) -> HistoryEntry:
    return HistoryEntry(
        seq=int(item.seq), at=item.at, actor=item.actor, action=item.action,
        from_status=Status(item.from_status) if item.from_status else None,
        to_status=Status(item.to_status) if item.to_status else None,
        team=item.team, agent=item.agent, note=item.note)


def _entry_item(entry: HistoryEntry) -> HistoryEntryAttribute:
    return HistoryEntryAttribute(
        seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action,
        from_status=entry.from_status.value if entry.from_status else None,
        to_status=entry.to_status.value if entry.to_status else None,
        team=entry.team, agent=entry.agent, note=entry.note)


def to_ticket(item: TicketItem) -> Ticket:
    return Ticket(
        ticket_id=item.ticket_id,
        customer_id=item.customer_id,
        subject=item.subject,
        category=item.category,
        priority=int(item.priority),
        status=Status(item.status),
        team=item.team,
        created_at=parse_key_time(item.created_at),
        updated_at=parse_key_time(item.updated_at),
        agent=item.agent,
        restricted=bool(item.restricted),
        contact_ids=tuple(item.contact_ids or ()),
        history=tuple(_entry(e) for e in item.history or ()),
        version=int(item.version or 0),
        request_digest=item.request_digest,
    )


def to_item(ticket: Ticket) -> TicketItem:
    is_open = ticket.is_open
    item = TicketItem(
        ticket.ticket_id,
        customer_id=ticket.customer_id,
        subject=ticket.subject,
        category=ticket.category,
        priority=ticket.priority,
        status=ticket.status.value,
        team=ticket.team,
        agent=ticket.agent,
        restricted=ticket.restricted,
        contact_ids=list(ticket.contact_ids),
        history=[_entry_item(e) for e in ticket.history],
        created_at=key_time(ticket.created_at),
        updated_at=key_time(ticket.updated_at),
        sla_due_at=key_time(ticket.sla_due_at),
        open_customer=ticket.customer_id if is_open else None,
        open_team=ticket.team if is_open else None,
        open_shard=shard_of(ticket.ticket_id) if is_open else None,
        request_digest=ticket.request_digest,
    )
    if ticket.version:  # save() makes the write conditional on it; unset means "the item does not exist yet"
        item.version = ticket.version
    return item


# --- size --------------------------------------------------------------------------------------------

def item_size(item: TicketItem) -> int:
    """The ticket item's size in bytes as DynamoDB counts it against its 400 KB limit."""
    return dynamodb_item_size(item.serialize())


# --- errors ------------------------------------------------------------------------------------------

def _unavailable(exc: Exception) -> TicketStoreUnavailable:
    return TicketStoreUnavailable(store_error_code(exc))


def _cancelled(exc: Exception) -> list[str | None]:
    """The per-item cancellation codes of a cancelled transaction, in request order."""
    if isinstance(exc, TransactWriteError) and exc.cancellation_reasons:
        return [reason.code if reason is not None else None for reason in exc.cancellation_reasons]
    return []


def _missing_summary_map(exc: Exception) -> bool:
    """Profiles stored before tickets existed have no `open_tickets` map, so a path into it is invalid."""
    codes = _cancelled(exc)  # DynamoDB cancels the transaction with ValidationError on the profile's update
    if len(codes) > 1 and codes[1] == "ValidationError":
        return True
    # moto refuses the whole request instead
    return (getattr(exc, "cause_response_code", None) == "ValidationException"
            and "document path" in (getattr(exc, "cause_response_message", None) or ""))


# --- reads -------------------------------------------------------------------------------------------

def get_ticket(ticket_id: str, *, consistent: bool = True) -> Ticket:
    try:
        return to_ticket(TicketItem.get(ticket_id, consistent_read=consistent))
    except TicketItem.DoesNotExist:
        raise TicketNotFound(f"no ticket {ticket_id}") from None
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


def _query(query: Iterator[TicketItem]) -> list[Ticket]:
    try:
        return [to_ticket(item) for item in query]
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc


def open_tickets_of_customer(customer_id: str, limit: int = 50) -> list[Ticket]:
    """The customer's open tickets, newest first: one Query of the sparse open_by_customer index."""
    return _query(TicketItem.open_by_customer.query(customer_id, scan_index_forward=False, limit=limit))


def tickets_of_customer(customer_id: str, limit: int = 50) -> list[Ticket]:
    """Every ticket of the customer, closed ones included, newest first."""
    return _query(TicketItem.by_customer.query(customer_id, scan_index_forward=False, limit=limit))


def team_queue(team: str, limit: int = 50) -> list[Ticket]:
    """The team's open tickets, the one due soonest first."""
    return _query(TicketItem.open_by_team.query(team, limit=limit))


def overdue_tickets(now: datetime, limit: int = 100) -> list[Ticket]:
    """Open tickets past their SLA due time, most overdue first: one Query per shard."""
    found: list[Ticket] = []
    for shard in range(OPEN_SHARDS):
        found += _query(TicketItem.open_by_sla.query(
            str(shard), TicketItem.sla_due_at < key_time(now), limit=limit))
    return sorted(found, key=lambda t: (t.sla_due_at, t.ticket_id))[:limit]


def customer_overview(customer_id: str) -> TicketsOverview:
    """The screen-pop summary kept on the profile (for callers that have no profile item at hand)."""
    try:
        item = ProfileItem.get(customer_id, attributes_to_get=["customer_id", "open_tickets"])
    except ProfileItem.DoesNotExist:
        raise CustomerNotFound(f"no customer {customer_id}") from None
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from exc
    return overview_from(_as_dict(item.open_tickets))


def _as_dict(value: object) -> dict:
    if value is None:
        return {}
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)  # type: ignore[call-overload]


# --- writes ------------------------------------------------------------------------------------------

def _profile_actions(ticket: Ticket, now: datetime, *, whole_map: bool) -> list:
    path = ProfileItem.open_tickets[ticket.ticket_id]
    if whole_map:  # a profile without the map: create it holding this ticket's entry (if it has one)
        value = {ticket.ticket_id: summary_entry(ticket)} if ticket.status is not Status.CLOSED else {}
        actions = [ProfileItem.open_tickets.set(value)]
    elif ticket.status is Status.CLOSED:
        actions = [path.remove()]
    else:
        actions = [path.set(summary_entry(ticket))]
    return [*actions, ProfileItem.updated_at.set(now)]


def _write(ticket: Ticket, *, creating: bool, max_bytes: int = MAX_TICKET_BYTES) -> Ticket:
    """Write the ticket (conditional on its version) and its profile entry in one transaction, if the item
    stays within `max_bytes` (else TicketFull, nothing sent)."""
    item = to_item(ticket)
    size = item_size(item)
    if size > min(max_bytes, MAX_TICKET_BYTES):
        raise TicketFull(ticket.ticket_id, size, min(max_bytes, MAX_TICKET_BYTES),
                         note=max_bytes < MAX_TICKET_BYTES)
    now = ticket.updated_at
    for whole_map in (False, True):
        profile = ProfileItem(ticket.customer_id)
        profile.version = 0  # with add_version_condition=False the update only increments the profile version
        profile_condition = ProfileItem.customer_id.exists()
        if whole_map:
            profile_condition &= ProfileItem.open_tickets.does_not_exist()
        try:
            with TransactWrite(connection=TicketItem._get_connection().connection) as transaction:
                transaction.save(item, condition=TicketItem.ticket_id.does_not_exist() if creating else None)
                transaction.update(profile, actions=_profile_actions(ticket, now, whole_map=whole_map),
                                   condition=profile_condition, add_version_condition=False)
        except STORE_ERRORS as exc:
            codes = _cancelled(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                if creating:
                    raise _AlreadyExists from exc
                current = _current_version(ticket.ticket_id)
                raise VersionConflict(ticket.ticket_id, ticket.version, current) from exc
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                if whole_map:  # the map appeared meanwhile: the path update will work now
                    continue
                raise CustomerNotFound(f"no customer {ticket.customer_id}") from exc
            if not whole_map and _missing_summary_map(exc):
                continue
            raise _unavailable(exc) from exc
        return to_ticket(item)
    raise TicketStoreUnavailable("ProfileSummaryRace")


class _AlreadyExists(Exception):
    pass


def _current_version(ticket_id: str) -> int | None:
    try:
        return int(TicketItem.get(ticket_id, consistent_read=True, attributes_to_get=["version"]).version)
    except (TicketItem.DoesNotExist, *STORE_ERRORS):
        return None


def create_ticket(ticket: Ticket) -> tuple[Ticket, bool]:
    """Store a new ticket; (stored ticket, True). If its id exists (a retried request), (existing, False)."""
    try:
        return _write(ticket, creating=True), True
    except _AlreadyExists:
        return get_ticket(ticket.ticket_id), False


def save_change(ticket: Ticket, *, max_bytes: int = MAX_TICKET_BYTES) -> Ticket:
    """Store a changed ticket, if it is still at `ticket.version` (else VersionConflict) and its item stays
    within `max_bytes` (else TicketFull; NOTE_LIMIT_BYTES for a note); returns it with its new version."""
    if ticket.version <= 0:
        raise ValueError("save_change needs the version the change was made from")
    return _write(ticket, creating=False, max_bytes=max_bytes)
