"""The customer's recent contacts, as the profile keeps them and the screen pop shows them. Plain Python.

Continuity across channels: a customer who chatted an hour ago and now calls should not start from zero. The
profile item keeps the last MAX_RECENT contacts (newest first): channel, when, queue, reason code, the ticket
the contact touched, and how the customer was identified. They are written off the call path from the contact
records (functions/profiles/contact_history_handler.py, idempotent per ContactId) and read with the profile
item the routing decision already reads, so the screen pop costs no extra DynamoDB request. The routing
Lambda hands them to the flow as one contact attribute (`recent_contacts`, `to_attribute`), which the desktop
parses (desktop/src/screenpop.ts).

Shared by functions/profiles (the store) and functions/routing (the attribute): a small type both import,
rather than one feature importing the other's internals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import msgspec

MAX_RECENT = 5
#: How many the screen pop attribute carries (the desktop shows these).
MAX_IN_ATTRIBUTE = 3
_FIELD = re.compile(r"^[A-Za-z0-9_.:@+-]{0,64}$")


class RecentContact(msgspec.Struct, frozen=True):
    contact_id: str
    channel: str  # VOICE, CHAT, TASK...; an SMS conversation is CHAT with subtype SMS: "SMS" here
    at: datetime  # aware, UTC
    queue: str = ""
    reason: str = ""
    ticket_id: str = ""
    identity: str = ""  # how the customer was identified: caller_id, signed, typed (functions/routing/channels.py)

    def to_item(self) -> dict[str, str]:
        return {"contact_id": self.contact_id, "channel": self.channel, "at": self.at.isoformat(),
                "queue": self.queue, "reason": self.reason, "ticket_id": self.ticket_id, "identity": self.identity}

    @classmethod
    def from_item(cls, item: Mapping[str, object]) -> RecentContact | None:
        """One entry read back from the profile item; None when it is not one (never raises)."""
        try:
            at = datetime.fromisoformat(str(item["at"]))
        except (KeyError, ValueError):
            return None
        if at.tzinfo is None:
            return None

        def text(key: str) -> str:
            value = item.get(key)
            return value if isinstance(value, str) and _FIELD.match(value) else ""

        contact_id = text("contact_id")
        if not contact_id:
            return None
        return cls(contact_id, text("channel"), at.astimezone(UTC), text("queue"), text("reason"),
                   text("ticket_id"), text("identity"))


def recent_from_items(items: Iterable[object] | None) -> tuple[RecentContact, ...]:
    entries = (RecentContact.from_item(item) for item in items or () if isinstance(item, Mapping))
    return newest_first(entry for entry in entries if entry is not None)


def newest_first(entries: Iterable[RecentContact]) -> tuple[RecentContact, ...]:
    """One entry per contact id (the newest wins), newest first, at most MAX_RECENT."""
    by_id: dict[str, RecentContact] = {}
    for entry in entries:
        if entry.contact_id not in by_id or entry.at > by_id[entry.contact_id].at:
            by_id[entry.contact_id] = entry
    return tuple(sorted(by_id.values(), key=lambda e: (e.at, e.contact_id), reverse=True)[:MAX_RECENT])


def with_contact(history: Iterable[RecentContact], entry: RecentContact) -> tuple[RecentContact, ...] | None:
    """The history with `entry` added, or None when that contact is already in it (a redelivered record)."""
    history = tuple(history)
    if any(known.contact_id == entry.contact_id for known in history):
        return None
    return newest_first((*history, entry))


def to_attribute(history: Iterable[RecentContact], limit: int = MAX_IN_ATTRIBUTE) -> str:
    """The contact attribute the screen pop reads: `CHANNEL|at|queue|reason|ticket|contact_id|identity`, `;`
    between contacts, newest first. Every field is checked to hold no separator (`_FIELD`), so the format is safe."""
    parts = []
    for entry in tuple(history)[:limit]:
        at = entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        parts.append("|".join((entry.channel, at, entry.queue, entry.reason, entry.ticket_id, entry.contact_id,
                               entry.identity)))
    return ";".join(parts)
