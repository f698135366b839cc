"""The outreach planner: once a day per campaign, who is due, and one queue message per customer to contact.

A run for a campaign and a run date
1. Pending records (`by_due_on`, the last `window_days` days): reminders that came due are
   planned again; planned records whose queue message was lost (older than `requeue_after`, or
   marked ENQUEUE_FAILED by an earlier run) are enqueued again. Fresh planned records are left
   alone: their message is on the queue.
2. Due customers: one Query per day bucket of the campaign's sparse expiry index
   (`Campaign.due_dates`), never a scan. Their existing cycle records and cap items come in
   BatchGetItem requests (100 keys each: two requests per 100 customers). Each customer is
   screened on the index item (opt-out, consent for any of the campaign's channels, a reachable
   number, the frequency cap) and gets a record:
   `planned`, or `skipped` with the reason. A customer who already has a record for this cycle is
   left alone (re-runs are idempotent), except a skipped one, who is screened again (consent given
   since, a cap that expired) and planned if nothing stands in the way any more.
3. One message per planned record on the outreach queue: SendMessageBatch, 10 at a time, failed
   entries retried once. With `sends_per_second` (the sender's share of Amazon Connect's
   StartOutboundVoiceContact quota, functions/manifest.py), the messages are spread: the n-th is not
   to be sent before n / sends_per_second seconds after the run (SQS DelaySeconds up to 15 minutes,
   then the sender's own hops), so the sender never finds more contacts due than it may place and
   nothing waits on the queue long enough to be redelivered. Records still not enqueued are marked
   ENQUEUE_FAILED (still planned, so the next run enqueues them at once) and the run raises
   `EnqueueIncomplete`, so the invocation is reported failed and retried.

Every record is created with a conditional put and changed with a conditional write on what was
read, so two runs racing each other plan a customer once. Nobody is contacted here: the sender
re-checks everything at send time (opt-out, consent, quiet hours, the cap with a conditional
write).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from functions.outreach.campaigns import Campaign, OutreachPolicy
from functions.outreach.eligibility import Reason, screen_profile
from functions.outreach.record import (
    ContactCap,
    OutreachRecord,
    OutreachStatus,
    cycle_key,
    new_record,
)
from functions.outreach.requests import OutreachMessage, PlanRequest
from functions.profiles.profile import CustomerProfile

ENQUEUE_FAILED = "ENQUEUE_FAILED"
REQUEUED = "REQUEUED"
REMINDER = "REMINDER"
ENQUEUE_ATTEMPTS = 2  # the first SendMessageBatch, then one retry of the failed entries


# --- ports -----------------------------------------------------------------------------------------

DueProfiles = Callable[[str, date], Iterable[CustomerProfile]]  # (watched attribute, date) -> profiles


class PlanningStore(Protocol):
    def planning_state(self, keys: Sequence[tuple[str, str]]) -> tuple[
            Mapping[tuple[str, str], OutreachRecord], Mapping[str, ContactCap]]:
        """Existing records for (customer_id, cycle) keys, and the customers' cap items."""
        ...

    def pending(self, campaign_id: str, due_on: date) -> list[OutreachRecord]: ...

    def create(self, record: OutreachRecord) -> OutreachRecord | None:
        """The record as stored, or None when the cycle already has one."""
        ...

    def replace(self, record: OutreachRecord, expected: OutreachRecord) -> OutreachRecord | None:
        """The record as stored, or None when the stored one is no longer `expected`."""
        ...


class OutreachQueue(Protocol):
    def send_batch(self, messages: Sequence[OutreachMessage]) -> list[int]:
        """Send up to 10 messages; return the positions of the ones SQS did not accept."""
        ...

    def send_later(self, message: OutreachMessage, delay_seconds: int) -> None: ...


# --- results ---------------------------------------------------------------------------------------

class EnqueueIncomplete(RuntimeError):
    """Some planned records could not be put on the queue; they are marked for the next run."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} planned contact(s) could not be enqueued")
        self.count = count


@dataclass
class PlanReport:
    campaign_id: str
    run_date: date
    disabled: bool = False
    profiles_read: int = 0  # index items read (the customers due)
    keys_looked_up: int = 0  # BatchGetItem keys (their cycle records and cap items)
    pending_read: int = 0  # pending records read (reminders, planned ones)
    planned: int = 0  # new records (or skipped ones planned after all)
    reminders: int = 0  # remind_later records planned again
    requeued: int = 0  # planned records whose message was lost, enqueued again
    already_handled: int = 0  # due customers with a record for this cycle already
    lost_races: int = 0  # another run wrote the record first
    skipped: Counter[str] = field(default_factory=Counter)  # by reason
    enqueued: int = 0
    enqueue_failed: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "campaign_id": self.campaign_id, "run_date": self.run_date.isoformat(), "disabled": self.disabled,
            "profiles_read": self.profiles_read, "keys_looked_up": self.keys_looked_up,
            "pending_read": self.pending_read, "planned": self.planned, "reminders": self.reminders,
            "requeued": self.requeued, "already_handled": self.already_handled, "lost_races": self.lost_races,
            "skipped": dict(self.skipped), "enqueued": self.enqueued, "enqueue_failed": self.enqueue_failed,
        }


class _Pending(StrEnum):
    REMIND = "remind"
    REQUEUE = "requeue"
    WAIT = "wait"


# --- the service -----------------------------------------------------------------------------------

class OutreachPlanner:
    def __init__(self, *, policy: OutreachPolicy, store: PlanningStore, due_profiles: DueProfiles,
                 queue: OutreachQueue, clock: Callable[[], datetime], sends_per_second: float | None = None) -> None:
        if sends_per_second is not None and sends_per_second <= 0:
            raise ValueError("sends_per_second must be positive (or None: no spreading)")
        self.policy = policy
        self.store = store
        self.due_profiles = due_profiles
        self.queue = queue
        self.clock = clock
        self.sends_per_second = sends_per_second

    def plan(self, request: PlanRequest) -> PlanReport:
        """Plan one campaign's run; raises UnknownCampaign, OutreachStoreUnavailable, EnqueueIncomplete."""
        campaign = self.policy.campaign(request.campaign_id)
        now = self.clock()
        report = PlanReport(campaign.id, self.run_date(request, campaign, now))
        if not campaign.enabled:
            report.disabled = True
            return report
        outgoing = self._pending(campaign, report, now)
        outgoing += self._due(campaign, report, now)
        self._enqueue(outgoing, report)
        return report

    @staticmethod
    def run_date(request: PlanRequest, campaign: Campaign, now: datetime) -> date:
        """The override, else the scheduled time's day, else today, in the campaign's schedule zone."""
        if request.run_date is not None:
            return request.run_date
        moment = request.scheduled_time or now
        return moment.astimezone(ZoneInfo(campaign.schedule.time_zone)).date()

    # --- pending records: reminders and lost messages ---------------------------------------------
    def _pending(self, campaign: Campaign, report: PlanReport, now: datetime) -> list[OutreachRecord]:
        outgoing = []
        for due_on in campaign.lookback_dates(report.run_date):
            for record in self.store.pending(campaign.id, due_on):
                report.pending_read += 1
                action = self._pending_action(record, report.run_date, now)
                if action is _Pending.WAIT:
                    continue
                reason = REMINDER if action is _Pending.REMIND else REQUEUED
                stored = self.store.replace(self._planned(record, report.run_date, now, reason), record)
                if stored is None:
                    report.lost_races += 1
                    continue
                outgoing.append(stored)
                if action is _Pending.REMIND:
                    report.reminders += 1
                else:
                    report.requeued += 1
        return outgoing

    def _pending_action(self, record: OutreachRecord, run_date: date, now: datetime) -> _Pending:
        if record.status is OutreachStatus.REMIND_LATER:
            return _Pending.REMIND if record.due_on is not None and record.due_on <= run_date else _Pending.WAIT
        if record.status is OutreachStatus.PLANNED and (
                record.reason == ENQUEUE_FAILED or now - record.updated_at >= self.policy.requeue_after):
            return _Pending.REQUEUE
        return _Pending.WAIT  # planned a moment ago: its message is on the queue

    @staticmethod
    def _planned(record: OutreachRecord, run_date: date, now: datetime, reason: str) -> OutreachRecord:
        return record.moved(OutreachStatus.PLANNED, now, reason=reason, due_on=run_date, not_before=None)

    # --- customers due -----------------------------------------------------------------------------
    def _due(self, campaign: Campaign, report: PlanReport, now: datetime) -> list[OutreachRecord]:
        due: dict[str, tuple[CustomerProfile, date]] = {}
        for expires in campaign.due_dates(report.run_date):
            for profile in self.due_profiles(campaign.watches, expires):
                report.profiles_read += 1
                due.setdefault(profile.customer_id, (profile, expires))
        if not due:
            return []
        keys = [(customer_id, cycle_key(campaign.id, expires)) for customer_id, (_, expires) in due.items()]
        records, caps = self.store.planning_state(keys)
        report.keys_looked_up += 2 * len(keys)
        outgoing = []
        for customer_id, cycle in keys:
            profile, expires = due[customer_id]
            reason = screen_profile(profile, campaign, caps.get(customer_id), cycle, now,
                                    self.policy.frequency_cap_days)
            stored = self._record_decision(campaign, profile, expires, records.get((customer_id, cycle)),
                                           reason, report, now)
            if stored is not None and stored.status is OutreachStatus.PLANNED:
                outgoing.append(stored)
        return outgoing

    def _record_decision(self, campaign: Campaign, profile: CustomerProfile, expires: date,
                         existing: OutreachRecord | None, reason: Reason, report: PlanReport,
                         now: datetime) -> OutreachRecord | None:
        if existing is not None and existing.status is not OutreachStatus.SKIPPED:
            report.already_handled += 1
            return None
        eligible = reason is Reason.ELIGIBLE
        if existing is not None and not eligible and existing.reason == reason.value:
            report.skipped[reason.value] += 1  # skipped again for the same reason: nothing to write
            return None
        status = OutreachStatus.PLANNED if eligible else OutreachStatus.SKIPPED
        skip_reason = None if eligible else reason.value
        due_on = report.run_date if eligible else None
        if existing is None:
            stored = self.store.create(
                new_record(profile.customer_id, campaign.id, expires, status, now, skip_reason, due_on))
        else:
            stored = self.store.replace(existing.moved(status, now, reason=skip_reason, due_on=due_on), existing)
        if stored is None:
            report.lost_races += 1
        elif eligible:
            report.planned += 1
        else:
            report.skipped[reason.value] += 1
        return stored

    # --- the queue ---------------------------------------------------------------------------------
    def _enqueue(self, records: list[OutreachRecord], report: PlanReport) -> None:
        waiting = self._paced(records)
        for _ in range(ENQUEUE_ATTEMPTS):
            if not waiting:
                break
            waiting = self._send(waiting)
        report.enqueued = len(records) - len(waiting)
        report.enqueue_failed = len(waiting)
        if not waiting:
            return
        now = self.clock()
        for record, _ in waiting:
            # Still planned (and in the pending index): the next run enqueues it without waiting.
            self.store.replace(record.moved(OutreachStatus.PLANNED, now, reason=ENQUEUE_FAILED), record)
        raise EnqueueIncomplete(len(waiting))

    def _paced(self, records: list[OutreachRecord]) -> list[tuple[OutreachRecord, datetime | None]]:
        """Each record with the moment its contact may be placed: the n-th n / sends_per_second after now."""
        if self.sends_per_second is None:
            return [(record, None) for record in records]
        now = self.clock()
        return [(record, now + timedelta(seconds=position / self.sends_per_second) if position else None)
                for position, record in enumerate(records)]

    def _send(self, paced: list[tuple[OutreachRecord, datetime | None]]) -> list[
            tuple[OutreachRecord, datetime | None]]:
        """Send in chunks of 10; return the records whose message SQS did not accept."""
        failed: list[tuple[OutreachRecord, datetime | None]] = []
        for start in range(0, len(paced), 10):
            chunk = paced[start:start + 10]
            rejected = self.queue.send_batch([message_for(record, not_before) for record, not_before in chunk])
            failed += [chunk[position] for position in rejected]
        return failed


def message_for(record: OutreachRecord, not_before: datetime | None = None) -> OutreachMessage:
    return OutreachMessage(record.customer_id, record.campaign_id, record.expires, not_before)
