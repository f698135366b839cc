"""Ticket operations: who may do what, on the current version, stored atomically. Plain Python.

Every operation reads the ticket (strongly consistent), checks the actor's access, applies the
domain change (functions/tickets/ticket.py) and stores it conditionally on the version read. A change
sent with `expected_version` fails at once with VersionConflict when the ticket has moved on since the
caller read it (the agent saw something else than what is there now); notes carry no version: they
commute, so a note that loses a race is re-applied to the fresh ticket, after a random wait that grows
with each attempt (exponential backoff with full jitter, `note_backoff`), up to NOTE_ATTEMPTS times; only
then is it refused (NoteConflict: a 409 that says what happened, quoting no version the caller never sent).
The wait goes through the injected `sleep` (default `functions.common.clock.pause`, which takes no real
time under the local runtime's simulated clock), the randomness through `uniform`, and the store is
injected too (default: functions/tickets/store.py), so tests drive the retries deterministically.

Creation with a request id: the same caller sending the same request again gets the ticket it opened
(Created.created False); the same caller's request id with another request is RequestIdReused. Another
caller's request id never meets this one (ticket.py scopes it to the requester).

Size: a note may fill a ticket only up to the store's NOTE_LIMIT_BYTES; the other changes keep the rest
(store.py), so notes, from anybody who may see the ticket, can never keep its team from working it.

Access: anybody who may see a ticket (Actor.may_see) may read it and add a note; changing its status,
assignment, priority or team is for its own team, supervisors and service callers; a customer may only
confirm or reopen their own resolved ticket (IVR self-service).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol

import msgspec

from functions.common.clock import pause, utc_now
from functions.common.ticket_overview import Status
from functions.tickets import store as ticket_store
from functions.tickets import ticket as domain
from functions.tickets.ticket import (
    AccessDenied,
    Actor,
    ActorKind,
    InvalidChange,
    NoteConflict,
    RequestIdReused,
    Ticket,
    VersionConflict,
)


class TicketStore(Protocol):
    """What the service needs of a store: functions/tickets/store.py (the module itself), or a test double."""

    NOTE_LIMIT_BYTES: int

    def get_ticket(self, ticket_id: str, *, consistent: bool = True) -> Ticket: ...
    def open_tickets_of_customer(self, customer_id: str, limit: int = 50) -> list[Ticket]: ...
    def tickets_of_customer(self, customer_id: str, limit: int = 50) -> list[Ticket]: ...
    def team_queue(self, team: str, limit: int = 50) -> list[Ticket]: ...
    def overdue_tickets(self, now: datetime, limit: int = 100) -> list[Ticket]: ...
    def create_ticket(self, ticket: Ticket) -> tuple[Ticket, bool]: ...
    def save_change(self, ticket: Ticket, *, max_bytes: int = ...) -> Ticket: ...


NOTE_ATTEMPTS = 10
NOTE_BACKOFF_BASE_S = 0.05
NOTE_BACKOFF_CAP_S = 1.0


def note_backoff(attempt: int, uniform: Callable[[], float]) -> float:
    """Seconds to wait after the `attempt`-th lost race (1, 2, ...): full jitter, a uniform draw below
    min(cap, base * 2 ** (attempt - 1)), so writers that collided spread out instead of colliding again.
    With the defaults the waits of all NOTE_ATTEMPTS add up to at most 5.55 s (about half that on average),
    which leaves the API function (10 s) time for the attempts' own reads and writes."""
    return uniform() * min(NOTE_BACKOFF_CAP_S, NOTE_BACKOFF_BASE_S * 2 ** (attempt - 1))


class Created(msgspec.Struct, frozen=True):
    ticket: Ticket
    created: bool  # False: the request id had already created this ticket (a retry)


class TicketService:
    def __init__(self, teams: Iterable[str], clock: Callable[[], datetime] = utc_now, *,
                 sleep: Callable[[float], None] = pause, uniform: Callable[[], float] = random.random,
                 store: TicketStore = ticket_store) -> None:
        self.teams = tuple(teams)
        self.clock = clock
        self.sleep = sleep
        self.uniform = uniform
        self.store = store

    # --- reads ---------------------------------------------------------------------------------------
    def get(self, actor: Actor, ticket_id: str) -> Ticket:
        ticket = self.store.get_ticket(ticket_id)
        actor.check_access(ticket)
        return ticket

    def customer_tickets(self, actor: Actor, customer_id: str, include_closed: bool = False) -> list[Ticket]:
        if actor.kind is ActorKind.CUSTOMER and actor.id != customer_id:
            raise AccessDenied("customers see their own tickets only")
        found = (self.store.tickets_of_customer(customer_id) if include_closed
                 else self.store.open_tickets_of_customer(customer_id))
        return [t for t in found if actor.may_see(t)]

    def team_queue(self, actor: Actor, team: str) -> list[Ticket]:
        self._known_team(team)
        return [t for t in self.store.team_queue(team) if actor.may_see(t)]

    def overdue(self, actor: Actor) -> list[Ticket]:
        return [t for t in self.store.overdue_tickets(self.clock()) if actor.may_see(t)]

    # --- writes --------------------------------------------------------------------------------------
    def create(self, actor: Actor, *, customer_id: str, subject: str, category: str, team: str,
               priority: int = domain.DEFAULT_PRIORITY, restricted: bool = False, contact_id: str | None = None,
               note: str | None = None, request_id: str | None = None) -> Created:
        if actor.kind is ActorKind.CUSTOMER:
            raise AccessDenied("customers open tickets by talking to an agent")
        ticket = domain.open_ticket(
            customer_id=customer_id, subject=subject, category=category, team=team, actor=actor,
            now=self.clock(), priority=priority, restricted=restricted, contact_id=contact_id, note=note,
            request_id=request_id, known_teams=self.teams)
        stored, created = self.store.create_ticket(ticket)
        if not created:
            actor.check_access(stored)
            if stored.request_digest != ticket.request_digest:
                raise RequestIdReused(request_id or "")
        return Created(stored, created)

    def change_status(self, actor: Actor, ticket_id: str, status: Status, expected_version: int,
                      note: str | None = None, contact_id: str | None = None) -> Ticket:
        ticket = self._for_change(actor, ticket_id, expected_version)
        return self.store.save_change(domain.change_status(ticket, status, actor=actor, now=self.clock(), note=note,
                                                           contact_id=contact_id))

    def assign(self, actor: Actor, ticket_id: str, agent: str, expected_version: int) -> Ticket:
        ticket = self._for_change(actor, ticket_id, expected_version)
        return self.store.save_change(domain.assign(ticket, agent, actor=actor, now=self.clock()))

    def escalate(self, actor: Actor, ticket_id: str, team: str, reason: str, expected_version: int,
                 priority: int | None = None) -> Ticket:
        ticket = self._for_change(actor, ticket_id, expected_version)
        return self.store.save_change(domain.escalate(ticket, team, actor=actor, now=self.clock(), reason=reason,
                                                      priority=priority, known_teams=self.teams))

    def change_priority(self, actor: Actor, ticket_id: str, priority: int, expected_version: int) -> Ticket:
        ticket = self._for_change(actor, ticket_id, expected_version)
        return self.store.save_change(domain.change_priority(ticket, priority, actor=actor, now=self.clock()))

    def add_note(self, actor: Actor, ticket_id: str, text: str, contact_id: str | None = None) -> Ticket:
        if actor.kind is ActorKind.CUSTOMER:
            raise AccessDenied("customers cannot add notes")
        for attempt in range(1, NOTE_ATTEMPTS + 1):
            ticket = self.get(actor, ticket_id)
            try:
                return self.store.save_change(
                    domain.add_note(ticket, text, actor=actor, now=self.clock(), contact_id=contact_id),
                    max_bytes=self.store.NOTE_LIMIT_BYTES)
            except VersionConflict as conflict:
                if attempt == NOTE_ATTEMPTS:
                    raise NoteConflict(ticket_id, NOTE_ATTEMPTS, conflict.current) from conflict
                self.sleep(note_backoff(attempt, self.uniform))
        raise AssertionError("unreachable")

    def confirm_resolution(self, customer: Actor, ticket_id: str, fixed: bool, contact_id: str | None = None) -> Ticket:
        """IVR self-service: the customer confirms a resolved ticket (closed) or says it is not fixed (reopened)."""
        if customer.kind is not ActorKind.CUSTOMER:
            raise AccessDenied("only the customer confirms a resolution")
        ticket = self.get(customer, ticket_id)
        if ticket.status is not Status.RESOLVED:
            raise InvalidChange(f"ticket {ticket_id} is {ticket.status.value}, not resolved")
        to = Status.CLOSED if fixed else Status.IN_PROGRESS
        note = "customer confirmed the fix" if fixed else "customer says the problem is not solved"
        return self.store.save_change(domain.change_status(ticket, to, actor=customer, now=self.clock(), note=note,
                                                           contact_id=contact_id))

    # --- helpers -------------------------------------------------------------------------------------
    def _for_change(self, actor: Actor, ticket_id: str, expected_version: int) -> Ticket:
        ticket = self.get(actor, ticket_id)
        if not self.may_change(actor, ticket):
            raise AccessDenied(f"only the {ticket.team} team or a supervisor may change ticket {ticket_id}")
        if ticket.version != expected_version:
            raise VersionConflict(ticket_id, expected_version, ticket.version)
        return ticket

    @staticmethod
    def may_change(actor: Actor, ticket: Ticket) -> bool:
        if actor.kind in (ActorKind.SERVICE, ActorKind.SYSTEM) or actor.supervisor:
            return True
        return actor.kind is ActorKind.AGENT and ticket.team in actor.teams

    def _known_team(self, team: str) -> None:
        if team not in self.teams:
            raise InvalidChange(f"unknown team {team!r}; teams: {', '.join(sorted(self.teams))}")
