"""The ticket as the domain sees it: lifecycle, SLA, history and access rules. Plain Python, no AWS.

About 400 lines: one aggregate and the rules that change it; each rule is a short function beside the others.

Lifecycle (every change goes through `change_status`, which refuses the transitions not listed):

    open ----------> in_progress, waiting_on_customer, escalated, resolved, closed
    in_progress ---> waiting_on_customer, escalated, resolved
    waiting_on_customer -> in_progress, escalated, resolved, closed
    escalated -----> in_progress, waiting_on_customer, resolved
    resolved ------> closed (the customer confirmed, or nobody objected), in_progress (reopened)
    closed --------> nothing: closed is final (open a new ticket)

`escalate` moves a ticket to another team and to `escalated` (tiered: an escalated ticket may be
escalated again, to yet another team). Priority 1 is the most urgent; the SLA due time is the
creation time plus the priority's allowance (`SLA_HOURS`), recomputed when the priority changes.

Every change appends one `HistoryEntry` (who, when, what) with the next sequence number; the history
is never rewritten. `seq` identifies a change: TicketStatusChanged events and the notifications they
cause are keyed by (ticket_id, seq), which is what makes "one notification per change" checkable.
How long the history may grow is bounded by the stored item's size in bytes, not by a count of
entries: the store measures it (functions/tickets/store.py, `TicketFull`).

Idempotent creation: a request id is the caller's own key. The ticket id is derived from the requester
(`Actor.request_scope`: the agent, the IAM role, our function) and the request id together, so one
agent's key never finds another caller's ticket, and the follow-up tickets our own functions open
(request id `survey-<contact id>`, requester `system:...`) are out of every agent's reach. The ticket
keeps a digest of requester, request id and request, so the same key sent again with another request is
refused (`RequestIdReused`), not answered with the first ticket.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec
from msgspec.structs import replace

from functions.common.ticket_overview import (
    OPEN_STATUSES,
    Status,
    TicketSummary,
    key_time,
)

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER, Status.ESCALATED, Status.RESOLVED,
                            Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING_ON_CUSTOMER, Status.ESCALATED, Status.RESOLVED}),
    Status.WAITING_ON_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.ESCALATED, Status.RESOLVED, Status.CLOSED}),
    Status.ESCALATED: frozenset({Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
}

#: Hours from creation to the SLA due time, by priority (1 = most urgent).
SLA_HOURS: dict[int, int] = {1: 4, 2: 8, 3: 24, 4: 72}
PRIORITIES = tuple(sorted(SLA_HOURS))
DEFAULT_PRIORITY = 3
CATEGORIES = ("billing", "technical", "sales", "complaint", "account", "other")
MAX_SUBJECT_CHARS = 200
MAX_NOTE_CHARS = 2000
MAX_CONTACT_IDS = 100

class TicketError(Exception):
    """Base of the domain's refusals; each maps to one HTTP status in the API."""


class TicketNotFound(TicketError):
    pass


class CustomerNotFound(TicketError):
    pass


class TransitionNotAllowed(TicketError):
    def __init__(self, current: Status, requested: Status) -> None:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (closed is final)"
        super().__init__(f"a ticket that is {current.value} cannot become {requested.value}; allowed: {allowed}")
        self.current = current
        self.requested = requested


class InvalidChange(TicketError):
    """A change that is well-formed but makes no sense for this ticket (e.g. escalating to its own team)."""


class AccessDenied(TicketError):
    pass


class VersionConflict(TicketError):
    """Somebody changed the ticket since the caller read it: nothing was written; read it again."""

    def __init__(self, ticket_id: str, expected: int, current: int | None) -> None:
        now = f"it is now at version {current}" if current is not None else "it changed"
        super().__init__(f"ticket {ticket_id} was changed by someone else: you sent version {expected}, {now}; "
                         "nothing was written, read the ticket again and retry")
        self.ticket_id = ticket_id
        self.expected: int | None = expected
        self.current = current


class NoteConflict(VersionConflict):
    """A note (which carries no version) lost the race for the ticket on every attempt: nothing was written."""

    def __init__(self, ticket_id: str, attempts: int, current: int | None) -> None:
        TicketError.__init__(self, f"ticket {ticket_id} was changed by others on each of {attempts} attempts to "
                                   "add your note; nothing was written, send the note again")
        self.ticket_id = ticket_id
        self.expected = None
        self.current = current
        self.attempts = attempts


class RequestIdReused(TicketError):
    """The caller's request id already opened a ticket, from another request: nothing was created."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"request_id {request_id!r} already opened a ticket with other details; a new ticket "
                         "needs a new request_id (the same request sent again returns the ticket it opened)")
        self.request_id = request_id


class TicketFull(TicketError):
    """The change would make the stored ticket larger than its byte budget: nothing was written."""

    def __init__(self, ticket_id: str, size: int, limit: int, *, note: bool) -> None:
        if note:
            what = (f"ticket {ticket_id} has no room for this note: notes may fill a ticket up to {limit // 1024} KB "
                    f"and it would be {size // 1024} KB; status, priority, assignment and escalation still work; "
                    "put further notes on a new ticket that refers to this one")
        else:
            what = (f"ticket {ticket_id} is full: this change would make it {size // 1024} KB, the most one "
                    f"ticket keeps is {limit // 1024} KB; open a new ticket that refers to this one")
        super().__init__(what)
        self.ticket_id = ticket_id
        self.size = size
        self.limit = limit


class TicketStoreUnavailable(RuntimeError):
    """DynamoDB did not answer (throttled, slow or failing) after bounded retries; nothing is lost."""


class ActorKind(StrEnum):
    AGENT = "agent"  # a person signed in through the agents' user pool
    SERVICE = "service"  # an AWS principal calling the API with IAM (SigV4)
    CUSTOMER = "customer"  # the caller, in IVR self-service
    SYSTEM = "system"  # our own functions (survey follow-ups, the simulated day)


class Actor(msgspec.Struct, frozen=True):
    id: str  # agent user name, IAM principal, customer id, or function name
    kind: ActorKind
    teams: frozenset[str] = frozenset()
    supervisor: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @property
    def request_scope(self) -> str:
        """Whose request ids these are: the caller's label, except that the sessions of one IAM role
        (arn:aws:sts::<account>:assumed-role/<role>/<session>) share their role's, so a retry from a new
        session still finds its ticket."""
        if self.kind is ActorKind.SERVICE and ":assumed-role/" in self.id:
            return f"{self.kind.value}:{self.id.rsplit('/', 1)[0]}"
        return self.label

    def may_see(self, ticket: Ticket) -> bool:
        """Restricted tickets: their own team and supervisors only. Customers: their own tickets only."""
        if self.kind is ActorKind.CUSTOMER:
            return ticket.customer_id == self.id
        if self.kind in (ActorKind.SERVICE, ActorKind.SYSTEM) or self.supervisor:
            return True
        return not ticket.restricted or ticket.team in self.teams

    def check_access(self, ticket: Ticket) -> None:
        if not self.may_see(ticket):
            raise AccessDenied(f"ticket {ticket.ticket_id} is restricted to the {ticket.team} team")


class HistoryEntry(msgspec.Struct, frozen=True):
    seq: int
    at: datetime
    actor: str  # Actor.label
    action: str  # created | status | assigned | escalated | priority | note | contact
    from_status: Status | None = None
    to_status: Status | None = None
    team: str | None = None
    agent: str | None = None
    note: str | None = None

    @property
    def changes_status(self) -> bool:
        return self.to_status is not None and self.to_status != self.from_status


class Ticket(msgspec.Struct, frozen=True):
    ticket_id: str
    customer_id: str
    subject: str
    category: str
    priority: int
    status: Status
    team: str
    created_at: datetime
    updated_at: datetime
    agent: str | None = None
    restricted: bool = False
    contact_ids: tuple[str, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    version: int = 0  # 0: not stored yet; the store's optimistic lock after that
    request_digest: str | None = None  # set when opened with a request id (`request_digest`)

    @property
    def sla_due_at(self) -> datetime:
        return sla_due(self.created_at, self.priority)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, now: datetime) -> bool:
        return self.is_open and now >= self.sla_due_at

    @property
    def last_seq(self) -> int:
        return self.history[-1].seq if self.history else 0

    def status_changes(self, after_seq: int = 0) -> list[HistoryEntry]:
        return [entry for entry in self.history if entry.seq > after_seq and entry.changes_status]


def summary_entry(ticket: Ticket) -> dict[str, str | int]:
    """What the customer's profile stores about a ticket (`open_tickets.<ticket_id>`)."""
    return {"status": ticket.status.value, "team": ticket.team, "priority": ticket.priority,
            "created_at": key_time(ticket.created_at), "sla_due_at": key_time(ticket.sla_due_at)}


def summary_of(ticket: Ticket) -> TicketSummary:
    return TicketSummary(ticket.ticket_id, ticket.status, ticket.team, ticket.priority, ticket.created_at,
                         ticket.sla_due_at)


def sla_due(created_at: datetime, priority: int) -> datetime:
    return created_at + timedelta(hours=SLA_HOURS[priority])


def new_ticket_id(created_at: datetime, request_id: str | None = None, *, requester: str | None = None) -> str:
    """13 characters, short enough to read out on the phone: `T` + creation date + 6 random hex characters.

    With a request id (the API's idempotency key, or the follow-up a ticket was opened from) the id is `T` +
    12 hex characters of the hash of the requester (`Actor.request_scope`) and the request id, and nothing else, not
    even the date: a retry finds the ticket its first attempt created, even when the retry comes after
    midnight, and the same request id from another caller is another ticket.
    """
    if request_id:
        if not requester:
            raise ValueError("a request id is scoped to its requester: give requester (Actor.request_scope)")
        key = json.dumps([requester, request_id])
        return "T" + hashlib.sha256(key.encode()).hexdigest()[:12].upper()
    return f"T{created_at:%y%m%d}{secrets.token_hex(3).upper()}"


def request_digest(requester: str, request_id: str, request: dict[str, object]) -> str:
    """What a creation request is, for telling a retry (same digest) from a reused request id (another one)."""
    text = json.dumps([requester, request_id, request], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _check_priority(priority: int) -> None:
    if priority not in SLA_HOURS:
        raise InvalidChange(f"priority must be one of {', '.join(map(str, PRIORITIES))}, got {priority}")


def _clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidChange(f"a note holds at most {MAX_NOTE_CHARS} characters")
    return note or None


def _append(ticket: Ticket, now: datetime, actor: Actor, action: str, **changes: object) -> Ticket:
    fields = {k: v for k, v in changes.items() if k in Ticket.__struct_fields__}
    entry_fields = {k: v for k, v in changes.items() if k in HistoryEntry.__struct_fields__}
    entry = HistoryEntry(seq=ticket.last_seq + 1, at=now, actor=actor.label, action=action, **entry_fields)
    return replace(ticket, **fields, updated_at=now, history=(*ticket.history, entry))


def _with_contact(ticket: Ticket, contact_id: str | None) -> tuple[str, ...]:
    if not contact_id or contact_id in ticket.contact_ids:
        return ticket.contact_ids
    return (*ticket.contact_ids, contact_id)[-MAX_CONTACT_IDS:]


def open_ticket(
    *,
    customer_id: str,
    subject: str,
    category: str,
    team: str,
    actor: Actor,
    now: datetime,
    priority: int = DEFAULT_PRIORITY,
    restricted: bool = False,
    contact_id: str | None = None,
    note: str | None = None,
    request_id: str | None = None,
    known_teams: Iterable[str] | None = None,
) -> Ticket:
    subject = subject.strip()
    if not subject or len(subject) > MAX_SUBJECT_CHARS:
        raise InvalidChange(f"a subject needs 1 to {MAX_SUBJECT_CHARS} characters")
    if category not in CATEGORIES:
        raise InvalidChange(f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
    _check_priority(priority)
    _check_team(team, known_teams)
    note = _clean_note(note)
    digest = None
    if request_id:
        digest = request_digest(actor.request_scope, request_id, dict(
            customer_id=customer_id, subject=subject, category=category, team=team, priority=priority,
            restricted=restricted, contact_id=contact_id, note=note))
    ticket = Ticket(
        ticket_id=new_ticket_id(now, request_id, requester=actor.request_scope),
        customer_id=customer_id,
        subject=subject,
        category=category,
        priority=priority,
        status=Status.OPEN,
        team=team,
        created_at=now,
        updated_at=now,
        restricted=restricted,
        contact_ids=(contact_id,) if contact_id else (),
        request_digest=digest,
    )
    return _append(ticket, now, actor, "created", to_status=Status.OPEN, team=team, note=note)


def _check_team(team: str, known_teams: Iterable[str] | None) -> None:
    if known_teams is not None and team not in set(known_teams):
        raise InvalidChange(f"unknown team {team!r}; teams: {', '.join(sorted(known_teams))}")


def change_status(ticket: Ticket, to: Status, *, actor: Actor, now: datetime, note: str | None = None,
                  contact_id: str | None = None) -> Ticket:
    if to not in TRANSITIONS[ticket.status]:
        raise TransitionNotAllowed(ticket.status, to)
    return _append(ticket, now, actor, "status", status=to, from_status=ticket.status, to_status=to,
                   note=_clean_note(note), contact_ids=_with_contact(ticket, contact_id))


def escalate(ticket: Ticket, team: str, *, actor: Actor, now: datetime, reason: str,
             priority: int | None = None, known_teams: Iterable[str] | None = None) -> Ticket:
    """Hand the ticket to another team (and optionally raise its priority). Agent assignment is cleared."""
    _check_team(team, known_teams)
    if team == ticket.team:
        raise InvalidChange(f"ticket {ticket.ticket_id} is already with the {team} team")
    if ticket.status is not Status.ESCALATED and Status.ESCALATED not in TRANSITIONS[ticket.status]:
        raise TransitionNotAllowed(ticket.status, Status.ESCALATED)
    reason_text = _clean_note(reason)
    if not reason_text:
        raise InvalidChange("an escalation needs a reason")
    new_priority = ticket.priority if priority is None else priority
    _check_priority(new_priority)
    if new_priority > ticket.priority:
        raise InvalidChange("an escalation cannot lower the priority")
    return _append(ticket, now, actor, "escalated", status=Status.ESCALATED, team=team, agent=None,
                   priority=new_priority, from_status=ticket.status, to_status=Status.ESCALATED, note=reason_text)


def assign(ticket: Ticket, agent: str, *, actor: Actor, now: datetime) -> Ticket:
    if not ticket.is_open:
        raise InvalidChange(f"ticket {ticket.ticket_id} is {ticket.status.value}: only open tickets are assigned")
    agent = agent.strip()
    if not agent:
        raise InvalidChange("an assignment needs an agent")
    if agent == ticket.agent:
        raise InvalidChange(f"ticket {ticket.ticket_id} is already assigned to {agent}")
    return _append(ticket, now, actor, "assigned", agent=agent)


def change_priority(ticket: Ticket, priority: int, *, actor: Actor, now: datetime) -> Ticket:
    _check_priority(priority)
    if priority == ticket.priority:
        raise InvalidChange(f"ticket {ticket.ticket_id} already has priority {priority}")
    return _append(ticket, now, actor, "priority", priority=priority, note=f"priority {ticket.priority} -> {priority}")


def add_note(ticket: Ticket, text: str, *, actor: Actor, now: datetime, contact_id: str | None = None) -> Ticket:
    note = _clean_note(text)
    if not note:
        raise InvalidChange("a note needs some text")
    return _append(ticket, now, actor, "note", note=note, contact_ids=_with_contact(ticket, contact_id))
