"""The small, explicit type features share about tickets: a ticket's status and the summary the customer's
profile keeps of each ticket that is not closed (the screen pop), and how the IVR says them.

The tickets feature writes these summaries (functions/tickets/store.py, in the same transaction as the
ticket); the profile carries them; routing reads them from the one by_phone Query. None of those features
imports another's internals for it: they share this module. Plain Python, no AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import msgspec
from msgspec import field


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: Statuses in which somebody still has to act: the ticket is in its team's queue and counts as open.
OPEN_STATUSES = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER, Status.ESCALATED})

#: What the caller hears about a status in the IVR and reads in a progress update.
STATUS_PHRASES: dict[Status, str] = {
    Status.OPEN: "has been received and is waiting for an agent",
    Status.IN_PROGRESS: "is being worked on",
    Status.WAITING_ON_CUSTOMER: "is waiting for information from you",
    Status.ESCALATED: "has been passed to a specialist team",
    Status.RESOLVED: "has been resolved",
    Status.CLOSED: "is closed",
}


class TicketSummary(msgspec.Struct, frozen=True):
    """What the customer's profile keeps about each ticket that is not closed (the routing screen pop)."""

    ticket_id: str
    status: Status
    team: str
    priority: int
    created_at: datetime
    sla_due_at: datetime

    def overdue(self, now: datetime) -> bool:
        return self.status in OPEN_STATUSES and now >= self.sla_due_at


class TicketsOverview(msgspec.Struct, frozen=True):
    """A caller's tickets as routing sees them: from the profile item, no extra read."""

    summaries: tuple[TicketSummary, ...] = field(default_factory=tuple)

    @property
    def open_count(self) -> int:
        return sum(1 for s in self.summaries if s.status in OPEN_STATUSES)

    @property
    def latest(self) -> TicketSummary | None:
        return max(self.summaries, key=lambda s: (s.created_at, s.ticket_id), default=None)

    def any_overdue(self, now: datetime) -> bool:
        return any(s.overdue(now) for s in self.summaries)


_KEY_TIME = "%Y-%m-%dT%H:%M:%SZ"  # fixed width, so stored key strings sort like the times


def key_time(moment: datetime) -> str:
    """A moment as stored in keys and summaries: UTC, second precision, fixed width."""
    return moment.astimezone(UTC).strftime(_KEY_TIME)


def parse_key_time(text: str) -> datetime:
    return datetime.strptime(text, _KEY_TIME).replace(tzinfo=UTC)


def overview_from(open_tickets: Mapping[str, Any] | None) -> TicketsOverview:
    """The profile's `open_tickets` map as a TicketsOverview (malformed entries are skipped, not fatal)."""
    summaries = []
    for ticket_id, entry in (open_tickets or {}).items():
        try:
            summaries.append(TicketSummary(
                ticket_id=str(ticket_id), status=Status(entry["status"]), team=str(entry["team"]),
                priority=int(entry["priority"]), created_at=parse_key_time(entry["created_at"]),
                sla_due_at=parse_key_time(entry["sla_due_at"])))
        except (KeyError, TypeError, ValueError):
            continue
    return TicketsOverview(tuple(summaries))


def spoken_id(ticket_id: str) -> str:
    """How the IVR reads a ticket id: its last four characters, one by one."""
    return " ".join(ticket_id[-4:])


#: What a caller hears after the status of a resolved ticket: the two keys the flow's confirm menu reads.
CONFIRM_PROMPT = "If the problem is fixed, press 1. If it is not, press 2."


def status_message(ticket_id: str, status: Status, *, confirm_prompt: bool = True) -> str:
    """"Your ticket ending in 4 F 2 A has been passed to a specialist team." (+ the confirm keys if resolved)."""
    sentence = f"Your ticket ending in {spoken_id(ticket_id)} {STATUS_PHRASES[status]}."
    if status is Status.RESOLVED and confirm_prompt:
        return f"{sentence} {CONFIRM_PROMPT}"
    return sentence
