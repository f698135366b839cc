"""The ticket API's request and response models: msgspec Structs, the one source of what an agent may send and
gets back. functions/tickets/api_contract.py checks requests against them and builds the OpenAPI document from
them (docs/api/tickets-openapi.json); infra/constructs/web_acl.py sizes WAF's body rule from that document, so
every request string has a maxLength and every integer a range.

Requests are frozen and refuse unknown fields (a misspelt field is an error, not silently ignored); their fields
are strict: "1" is not an integer, 1 is not a boolean, 2.5 is not a priority. msgspec, not pydantic, for the
cold start (functions/common/documents.py): a Struct class is built in C when this module is imported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from functions.common.documents import Strict
from functions.common.ticket_overview import Status
from functions.profiles.pin import MAX_PIN_DIGITS, MIN_PIN_DIGITS, PIN_PATTERN
from functions.tickets.ticket import (
    CATEGORIES,
    DEFAULT_PRIORITY,
    MAX_NOTE_CHARS,
    MAX_SUBJECT_CHARS,
    PRIORITIES,
    HistoryEntry,
    Ticket,
)

# Identifiers as they are made (functions/tickets/ticket.new_ticket_id, functions/profiles/importer.py);
# checking them here keeps an absurd key (DynamoDB refuses keys over 2 KB) a 422, not a store error.
TICKET_ID_PATTERN = r"^[A-Za-z0-9-]{1,40}$"
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
TEAM_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Priority = Annotated[int, Meta(ge=min(PRIORITIES), le=max(PRIORITIES), description="1 is the most urgent")]
# Bounded so that every request has a largest size (WAF's body rule is derived from it, infra/constructs/web_acl.py).
MAX_VERSION = 2**31 - 1
Version = Annotated[int, Meta(ge=1, le=MAX_VERSION, description="the `version` of the ticket as the caller read it")]
ContactId = Annotated[str, Meta(min_length=1, max_length=128, description="the Amazon Connect contact id")]
Note = Annotated[str, Meta(min_length=1, max_length=MAX_NOTE_CHARS)]
TicketId = Annotated[str, Meta(pattern=TICKET_ID_PATTERN, description="e.g. T261123A1B2C3")]
CustomerId = Annotated[str, Meta(pattern=CUSTOMER_ID_PATTERN)]
TeamName = Annotated[str, Meta(pattern=TEAM_PATTERN)]


# --- requests ----------------------------------------------------------------------------------------------

class _Request(Strict, kw_only=True):
    """A request body: immutable, unknown fields refused (documents.Strict)."""


class CreateTicketRequest(_Request):
    customer_id: Annotated[str, Meta(pattern=CUSTOMER_ID_PATTERN, max_length=64)]
    subject: Annotated[str, Meta(min_length=1, max_length=MAX_SUBJECT_CHARS)]
    category: Category
    team: Annotated[str, Meta(min_length=1, max_length=64, description="a queue of the routing policy")]
    priority: Priority = DEFAULT_PRIORITY
    restricted: bool = False
    contact_id: ContactId | None = None
    note: Note | None = None
    request_id: Annotated[str, Meta(
        min_length=1, max_length=128,
        description="idempotency key, scoped to the caller: the same request with the same request_id returns "
                    "the ticket it created (200); the same request_id with another request is refused (422 "
                    "request_id_reused)")] | None = None


class StatusChangeRequest(_Request):
    status: Status
    expected_version: Version
    note: Note | None = None
    contact_id: ContactId | None = None


class AssignRequest(_Request):
    agent: Annotated[str, Meta(min_length=1, max_length=128)]
    expected_version: Version


class EscalateRequest(_Request):
    team: Annotated[str, Meta(min_length=1, max_length=64)]
    reason: Note
    expected_version: Version
    priority: Priority | None = None


class PriorityRequest(_Request):
    priority: Priority
    expected_version: Version


class NoteRequest(_Request):
    text: Note
    contact_id: ContactId | None = None


class PinRequest(_Request):
    pin: Annotated[str, Meta(pattern=PIN_PATTERN, min_length=MIN_PIN_DIGITS, max_length=MAX_PIN_DIGITS,
                             description="the customer's new phone PIN: 4 to 8 digits")]


# --- responses ---------------------------------------------------------------------------------------------

class _Out(Struct, frozen=True, kw_only=True):
    """A response body: every field written, None as null."""


class PinSetOut(_Out):
    customer_id: str
    pin_set: Annotated[bool, Meta(description="always true: the PIN is stored (hashed), earlier wrong tries and any "
                                              "lock are forgotten")]


class HistoryEntryOut(_Out):
    seq: int
    at: datetime
    actor: str
    action: str
    from_status: Status | None = None
    to_status: Status | None = None
    team: str | None = None
    agent: str | None = None
    note: str | None = None

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryEntryOut:
        return cls(seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action, from_status=entry.from_status,
                   to_status=entry.to_status, team=entry.team, agent=entry.agent, note=entry.note)


class TicketListItem(_Out):
    ticket_id: str
    customer_id: str
    subject: str
    category: str
    priority: int
    status: Status
    team: str
    agent: str | None
    restricted: bool
    contact_ids: list[str]
    sla_due_at: datetime
    overdue: bool
    created_at: datetime
    updated_at: datetime
    version: int

    @staticmethod
    def fields_of(ticket: Ticket, now: datetime) -> dict[str, object]:
        return dict(
            ticket_id=ticket.ticket_id, customer_id=ticket.customer_id, subject=ticket.subject,
            category=ticket.category, priority=ticket.priority, status=ticket.status, team=ticket.team,
            agent=ticket.agent, restricted=ticket.restricted, contact_ids=list(ticket.contact_ids),
            sla_due_at=ticket.sla_due_at, overdue=ticket.overdue(now), created_at=ticket.created_at,
            updated_at=ticket.updated_at, version=ticket.version)

    @classmethod
    def of(cls, ticket: Ticket, now: datetime) -> TicketListItem:
        return cls(**cls.fields_of(ticket, now))  # type: ignore[arg-type]


class TicketOut(TicketListItem, kw_only=True):
    history: list[HistoryEntryOut]

    @classmethod
    def of(cls, ticket: Ticket, now: datetime) -> TicketOut:
        return cls(**cls.fields_of(ticket, now),  # type: ignore[arg-type]
                   history=[HistoryEntryOut.of(e) for e in ticket.history])


class TicketList(_Out):
    tickets: list[TicketListItem]
    count: int

    @classmethod
    def of(cls, tickets: list[Ticket], now: datetime) -> TicketList:
        return cls(tickets=[TicketListItem.of(t, now) for t in tickets], count=len(tickets))


class ErrorDetail(_Out):
    loc: Annotated[list[str | int], Meta(description='where: ["body", field], ["path", name] or ["query", name]')]
    msg: str
    type: str


class ErrorBody(Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A refusal; the members that do not apply are left out."""

    error: Annotated[str, Meta(description="machine-readable code, e.g. version_conflict")]
    message: Annotated[str, Meta(description="what is wrong and what to do, in one sentence")]
    current_version: int | None = None
    current_status: Status | None = None
    allowed: list[Status] | None = None
    detail: list[ErrorDetail] | None = None
