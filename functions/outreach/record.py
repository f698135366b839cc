"""An outreach record as the domain sees it: plain data, no AWS. functions/outreach/store.py stores it.

One record per (customer, campaign, expiry cycle): the cycle is the watched date itself, so a
warranty renewed to a new date is a new cycle, and a re-run of the planner for the same day finds
the record it already wrote. The record keeps its own history (every status it went through, with
the reason, the channel or the date that came with it): that is the customer's outreach history.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import msgspec
from msgspec.structs import replace

MAX_HISTORY = 50  # entries kept per record (oldest dropped first); a record sees a handful


class OutreachStatus(StrEnum):
    PLANNED = "planned"  # the planner wrote it and put a message on the queue
    SKIPPED = "skipped"  # not contacted; `reason` says why (NO_CONSENT, OPTED_OUT, FREQUENCY_CAP, ...)
    DELAYED = "delayed"  # quiet hours: due at `not_before`, a message is on its way
    SENDING = "sending"  # claimed by a sender placing the call or sending the SMS right now
    CONTACTED = "contacted"  # the call was placed (not answered yet: "no answer" if it stays so) or SMS sent
    FAILED = "failed"  # the channel failed; SQS delivers the message again (then the DLQ)
    ANSWERED = "answered"  # the customer picked up: the outreach flow ran
    REMIND_LATER = "remind_later"  # the customer pressed 2: planned again on `due_on`
    STOPPED = "stopped"  # the customer pressed 9: opted out of every campaign


#: Statuses the planner still has to act on (they carry `due_on`).
PENDING_STATUSES = (OutreachStatus.PLANNED, OutreachStatus.REMIND_LATER)
#: Statuses a sender may claim (with conditions on time, see sender.py).
CLAIMABLE_STATUSES = (OutreachStatus.PLANNED, OutreachStatus.DELAYED, OutreachStatus.FAILED,
                      OutreachStatus.SENDING)
#: Statuses of a placed contact the outreach flow may answer for (SENDING: the flow was quicker than
#: the sender's own "contacted" write).
RESPONDABLE_STATUSES = (OutreachStatus.SENDING, OutreachStatus.CONTACTED, OutreachStatus.ANSWERED)


class OutreachStoreUnavailable(RuntimeError):
    """DynamoDB did not answer (throttled, slow or failing) after bounded retries."""


def cycle_key(campaign_id: str, expires: date) -> str:
    """The record's key within the customer: "warranty-expiry#2026-12-24"."""
    return f"{campaign_id}#{expires.isoformat()}"


def parse_cycle_key(cycle: str) -> tuple[str, date]:
    campaign_id, _, expires = cycle.rpartition("#")
    return campaign_id, date.fromisoformat(expires)


class HistoryEntry(msgspec.Struct, frozen=True):
    at: datetime
    status: OutreachStatus
    reason: str | None = None
    channel: str | None = None
    note: str | None = None  # the outbound id, the not_before or the reminder date, ...


class OutreachRecord(msgspec.Struct, frozen=True):
    customer_id: str
    campaign_id: str
    expires: date
    status: OutreachStatus
    created_at: datetime
    updated_at: datetime
    round: int = 1  # 1, then +1 for every "remind me later": a new call, a new ClientToken
    reason: str | None = None
    channel: str | None = None  # voice | sms
    outbound_id: str | None = None  # the call's contact id or the SMS message id
    not_before: datetime | None = None  # DELAYED: when the contact comes due
    # PLANNED: the run date it was planned on; REMIND_LATER: the day to plan it again. The planner
    # finds pending records by this date (a sparse index), to re-plan reminders and re-enqueue
    # planned records whose queue message was lost. None in every other status.
    due_on: date | None = None
    attempts: int = 0  # channel attempts (placed or failed)
    history: tuple[HistoryEntry, ...] = ()
    version: int | None = None  # the store's optimistic-lock version; None until stored

    @property
    def cycle(self) -> str:
        return cycle_key(self.campaign_id, self.expires)

    @property
    def answered(self) -> bool | None:
        """Voice: did the customer pick up (None while the call is not placed, and for SMS)."""
        if self.channel != "voice" or self.status in (OutreachStatus.PLANNED, OutreachStatus.DELAYED,
                                                      OutreachStatus.SENDING, OutreachStatus.SKIPPED):
            return None
        return any(entry.status is OutreachStatus.ANSWERED for entry in self.history)

    def moved(self, status: OutreachStatus, at: datetime, *, reason: str | None = None,
              channel: str | None = None, note: str | None = None, **fields: object) -> OutreachRecord:
        """This record in `status` from `at`, with the change appended to its history."""
        changes: dict[str, object] = dict(fields)
        if channel:
            changes["channel"] = channel
        if status not in PENDING_STATUSES:
            changes.setdefault("due_on", None)  # only pending records are in the planner's index
        if status is not OutreachStatus.DELAYED:
            changes.setdefault("not_before", None)
        history = (*self.history, HistoryEntry(at, status, reason, channel, note))[-MAX_HISTORY:]
        return replace(self, status=status, updated_at=at, reason=reason, history=history, **changes)


def new_record(customer_id: str, campaign_id: str, expires: date, status: OutreachStatus, at: datetime,
               reason: str | None = None, due_on: date | None = None) -> OutreachRecord:
    return OutreachRecord(customer_id, campaign_id, expires, status, at, at, reason=reason, due_on=due_on,
                          history=(HistoryEntry(at, status, reason),))


class ContactCap(msgspec.Struct, frozen=True):
    """The customer's last proactive contact, across campaigns (functions/outreach/store.py)."""

    customer_id: str
    last_contact_at: datetime | None
    last_cycle: str | None  # "<campaign>#<date>" of the record that made that contact

    def blocks(self, cycle: str, now: datetime, period_days: int) -> bool:
        """True when another record contacted the customer less than `period_days` ago."""
        if not period_days or self.last_contact_at is None or self.last_cycle == cycle:
            return False
        return (now - self.last_contact_at).total_seconds() < period_days * 86400
