"""TicketStatusChanged: the event a stored status change of a ticket makes, and the message that carries it.

Plain Python. Used by the ticket stream consumer (events_handler.py), which publishes the events, and by
the notifier (notifier.py), which reads them back from its queue; apart from the notifier so that the
stream consumer loads nothing of the notifier (its profiles, channels, phone numbers).

`status_change_events(old, new)` turns one stored write of a ticket (the tickets table
stream's old and new images) into one `TicketStatusChanged` per new history entry that changes the
status (ticket.HistoryEntry.changes_status); creating a ticket is the change to `open`. Data:
{ticket_id, customer_id, seq, from_status, to_status, team, subject, at, changed_by}, correlation id
"<ticket_id>#<seq>". `changed_by` (the actor kind: agent, service, customer, system) is an addition to
the first contract; consumers that do not know it ignore it.

A queue message is the EventBridge envelope of one such event, or a delayed one the notifier sent back
(`delayed_message`); `parse_notification_request` reads either, and anything else is MalformedNotification.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from functions.common.events import DomainEvent
from functions.common.ticket_overview import Status
from functions.tickets.ticket import ActorKind, HistoryEntry, Ticket

TICKET_STATUS_CHANGED = "TicketStatusChanged"
#: One per escalation, also one that does not change the status (escalated again, to a third team), which
#: TicketStatusChanged does not announce. Data: {ticket_id, seq, team, at}; consumed by ticket-tasks.
TICKET_ESCALATED = "TicketEscalated"
DELAYED_NOTIFICATION = "delayed-ticket-notification"


# --- the event -------------------------------------------------------------------------------------

class StatusChange(msgspec.Struct, frozen=True):
    """One stored status change of a ticket: the data of a TicketStatusChanged event."""

    ticket_id: str
    customer_id: str
    seq: int
    from_status: Status | None
    to_status: Status
    team: str
    subject: str
    at: datetime
    changed_by: str | None = None  # ActorKind value; None in events from before it was added

    @property
    def key(self) -> str:
        return f"{self.ticket_id}#{self.seq}"

    def data(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id, "customer_id": self.customer_id, "seq": self.seq,
            "from_status": self.from_status.value if self.from_status else None, "to_status": self.to_status.value,
            "team": self.team, "subject": self.subject, "at": self.at.astimezone(UTC).isoformat(),
            "changed_by": self.changed_by,
        }


def _actor_kind(label: str) -> str | None:
    kind = label.partition(":")[0]
    return kind if kind in ActorKind._value2member_map_ else None


def change_of(ticket: Ticket, entry: HistoryEntry) -> StatusChange:
    assert entry.to_status is not None
    return StatusChange(ticket.ticket_id, ticket.customer_id, entry.seq, entry.from_status, entry.to_status,
                        entry.team or ticket.team, ticket.subject, entry.at, _actor_kind(entry.actor))


def verified_change(ticket: Ticket | None, claimed: StatusChange) -> StatusChange | None:
    """The change as the tickets table stores it, if the event's `claimed` change is one of the ticket's status
    changes (same seq, customer and statuses); None for anything else (no such ticket, entry or match)."""
    if ticket is None or ticket.customer_id != claimed.customer_id:
        return None
    for entry in ticket.history:
        if entry.seq == claimed.seq:
            if not entry.changes_status or (entry.from_status, entry.to_status) != (claimed.from_status,
                                                                                     claimed.to_status):
                return None
            return change_of(ticket, entry)
    return None


def escalation_events(old: Ticket | None, new: Ticket) -> list[DomainEvent]:
    """The TicketEscalated events of one stored write: its new history entries that hand the ticket to a team."""
    after = old.last_seq if old is not None else 0
    return [DomainEvent(TICKET_ESCALATED, {"ticket_id": new.ticket_id, "seq": entry.seq,
                                           "team": entry.team or new.team, "at": entry.at.astimezone(UTC).isoformat()},
                        f"{new.ticket_id}#{entry.seq}")
            for entry in new.history if entry.seq > after and entry.action == "escalated"]


def status_change_events(old: Ticket | None, new: Ticket) -> list[DomainEvent]:
    """The TicketStatusChanged events of one stored write: its history entries after the old image's last
    one that change the status (none for a note, an assignment or a priority change)."""
    after = old.last_seq if old is not None else 0
    return [DomainEvent(TICKET_STATUS_CHANGED, change_of(new, entry).data(), f"{new.ticket_id}#{entry.seq}")
            for entry in new.status_changes(after)]


class MalformedNotification(ValueError):
    """A queue message that is not a TicketStatusChanged event (nor a delayed one): retrying cannot help."""


class _ChangeData(msgspec.Struct, frozen=True, kw_only=True):
    """The event's data. A tolerant reader: fields added to the event later are ignored, not errors."""

    ticket_id: Annotated[str, Meta(min_length=1, max_length=64)]
    customer_id: Annotated[str, Meta(min_length=1, max_length=64)]
    seq: Annotated[int, Meta(ge=1)]
    from_status: Status | None = None
    to_status: Status
    team: str
    subject: str
    at: Annotated[datetime, Meta(tz=True)]  # needs a UTC offset
    changed_by: str | None = None


class NotificationRequest(msgspec.Struct, frozen=True):
    change: StatusChange
    envelope: Mapping[str, Any]  # the EventBridge event, as delivered (re-sent as is when delayed)
    not_before: datetime | None = None  # a delayed notification comes due


def parse_notification_request(body: str | bytes | Mapping[str, Any]) -> NotificationRequest:
    """The EventBridge envelope of a TicketStatusChanged event, or a delayed one:
    {"kind": "delayed-ticket-notification", "not_before": ISO-8601, "event": <envelope>}."""
    message = _json_object(body, "the message body")
    not_before = None
    if "kind" in message:
        if message["kind"] != DELAYED_NOTIFICATION:
            raise MalformedNotification(f"unknown message kind {str(message['kind'])[:40]!r}")
        try:
            not_before = datetime.fromisoformat(str(message.get("not_before")))
        except ValueError:
            raise MalformedNotification("a delayed notification needs an ISO-8601 `not_before`") from None
        if not_before.tzinfo is None:
            raise MalformedNotification("a delayed notification's `not_before` needs a UTC offset")
        message = _json_object(message.get("event"), "the delayed event")
    if message.get("detail-type") != TICKET_STATUS_CHANGED:
        raise MalformedNotification(f"not a {TICKET_STATUS_CHANGED} event")
    detail = message.get("detail")
    data = detail.get("data") if isinstance(detail, Mapping) else None
    try:
        parsed = msgspec.convert(data, _ChangeData)
    except msgspec.ValidationError as exc:  # msgspec names the field and the expected type, never the value
        raise MalformedNotification(f"bad event data: {exc}") from None  # (values hold personal data)
    change = StatusChange(parsed.ticket_id, parsed.customer_id, parsed.seq, parsed.from_status, parsed.to_status,
                          parsed.team, parsed.subject, parsed.at, parsed.changed_by)
    return NotificationRequest(change, message, not_before)


def _json_object(value: object, what: str) -> Mapping[str, Any]:
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            raise MalformedNotification(f"{what} is not JSON") from None
    if not isinstance(value, Mapping):
        raise MalformedNotification(f"{what} must be a JSON object")
    return value


def delayed_message(request: NotificationRequest, not_before: datetime) -> str:
    return json.dumps({"kind": DELAYED_NOTIFICATION, "not_before": not_before.astimezone(UTC).isoformat(),
                       "event": dict(request.envelope)}, separators=(",", ":"))
