"""The ticket notifier: each status change told once, as notifications.py decides, never what an event merely claims.

Plain Python, every input passed in (the store, the profile reader, the change verifier, the channels and
the queue are ports; notifier_handler.py wires the AWS ones, tests pass fakes).

- At most once per change: the (ticket_id, seq) record in the ticket_notifications table is created
  with a conditional write before anything is sent, so a duplicate event (EventBridge and SQS are
  at-least-once, the stream consumer may publish again after a retry) finds it and sends nothing.
  The states and their moves are the survey dispatcher's (functions/surveys/dispatcher.py):
  no record -> skipped | delayed | sending; delayed once due, failed, or sending older than the
  claim lease (2x the notifier's timeout) -> claimable again; sending -> sent | failed. A channel
  failure marks the claim failed and raises, so the message is retried and finally lands in the
  dead-letter queue. A message that finds the change `sending` under a live lease is retried later
  (ClaimHeld), not dropped as a duplicate, so it outlives a notifier that crashes mid-send.
- A crash after the claim (functions/common/claims.py has the rule and why the lease is not the
  visibility timeout): the redelivery of the crashed notifier's message always finds the claim stale
  and takes it over, counted as StaleClaimsTakenOver (alarmed). Both channels are at least once
  (docs/security.md, "Delivery guarantees"): neither an SMS nor an SES email has an idempotency
  token, so the crash may have come after the message went out and the customer may get it twice;
  the update is about their own request (a ticket resolved, waiting for them), and losing it leaves
  them uninformed, which is worse than a repeat.
- Only changes the tickets table has (`verified_change`): anyone allowed events:PutEvents on the bus
  could otherwise have us text a customer a message of their choosing. Before anything is written
  or sent, the ticket is read (strongly consistent) and the event must name one of its stored
  status changes (same seq, customer and statuses); what is said is then taken from the table, not
  the event. An event that does not match is rejected (counted as UnverifiedTicketChanges, alarmed)
  and leaves no record, so a forged event cannot block the genuine change's notification either.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import msgspec
from msgspec.structs import replace

from functions.common.claims import ClaimHeld, ClaimState, claim_state
from functions.common.clock import utc_now
from functions.common.outbound import ChannelFailure
from functions.common.quiet_hours import hop_delay_seconds
from functions.profiles.profile import CustomerProfile
from functions.tickets.notifications import (
    Message,
    NotificationDecision,
    NotificationSettings,
    Verdict,
    compose,
    decide_notification,
    screen_change,
)
from functions.tickets.status_changes import NotificationRequest, StatusChange, delayed_message

CHANNEL_ERROR = "CHANNEL_ERROR"


# --- the record ------------------------------------------------------------------------------------

class NotificationStatus(StrEnum):
    SENDING = "sending"  # claimed: the message is being sent
    SENT = "sent"
    SKIPPED = "skipped"  # with the reason
    DELAYED = "delayed"  # quiet hours: a delayed message is on the queue for `not_before`
    FAILED = "failed"  # the channel failed; the redelivered message may claim it again


class NotificationRecord(msgspec.Struct, frozen=True):
    ticket_id: str
    seq: int
    customer_id: str
    to_status: str
    status: NotificationStatus
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    channel: str | None = None
    outbound_id: str | None = None  # the SMS or SES message id
    not_before: datetime | None = None
    attempts: int = 0  # channel attempts
    version: int | None = None  # the store's optimistic lock (None: not stored yet)


class NotificationStoreUnavailable(RuntimeError):
    """DynamoDB did not answer (throttled, slow, failing) after bounded retries; the message is retried."""


# --- ports -----------------------------------------------------------------------------------------

class NotificationStore(Protocol):
    def get(self, ticket_id: str, seq: int) -> NotificationRecord | None: ...

    def create(self, record: NotificationRecord) -> NotificationRecord | None:
        """The record as stored, or None when the change already has one."""
        ...

    def replace(self, record: NotificationRecord, expected: NotificationRecord) -> NotificationRecord | None:
        """The record as stored, or None when the stored one is no longer `expected`."""
        ...


class NotificationChannel(Protocol):
    def send(self, destination: str, message: Message, change: StatusChange) -> str:
        """Send; return the message id or raise ChannelFailure."""
        ...


class NotificationQueue(Protocol):
    def send_later(self, body: str, delay_seconds: int) -> None: ...


ProfileReader = Callable[[str], CustomerProfile | None]
#: The change as the tickets table has it (verified_change on a strongly consistent read), or None.
ChangeVerifier = Callable[[StatusChange], StatusChange | None]


# --- the service -----------------------------------------------------------------------------------

class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    DELAYED = "delayed"
    REDELAYED = "redelayed"  # a delayed message that came back early was sent on again
    DUPLICATE = "duplicate"  # this change is already told
    REJECTED = "rejected"  # the event does not match the tickets table: nothing written or sent


class NotifyResult(msgspec.Struct, frozen=True):
    outcome: Outcome
    ticket_id: str
    seq: int
    to_status: str
    reason: str | None = None
    channel: str | None = None
    destination: str | None = None  # mask before logging
    outbound_id: str | None = None
    not_before: datetime | None = None
    stale_claim: bool = False  # this delivery took over the claim of a notifier that is gone


class NotificationFailed(RuntimeError):
    """The channel failed; the claim is marked failed. Raised so SQS redelivers (then the DLQ)."""

    def __init__(self, change: StatusChange, channel: str, code: str) -> None:
        super().__init__(f"notification {change.key} via {channel} failed: {code}")
        self.ticket_id = change.ticket_id
        self.seq = change.seq
        self.channel = channel
        self.code = code


class TicketNotifier:
    def __init__(self, *, settings: NotificationSettings, store: NotificationStore, profiles: ProfileReader,
                 changes: ChangeVerifier, channels: Mapping[str, NotificationChannel], queue: NotificationQueue,
                 claim_expiry: timedelta, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.changes = changes
        self.store = store
        self.profiles = profiles
        self.channels = channels
        self.queue = queue
        self.claim_expiry = claim_expiry
        self.clock = clock

    def notify(self, request: NotificationRequest) -> NotifyResult:
        now = self.clock()
        change = request.change
        if request.not_before is not None and now < request.not_before:
            self._send_later(request, request.not_before, now)
            return self._result(Outcome.REDELAYED, change, not_before=request.not_before)
        existing = self.store.get(change.ticket_id, change.seq)
        state = ClaimState.FREE if existing is None else self._claim_state(existing, now)
        if existing is not None and state is ClaimState.HELD:
            raise ClaimHeld(change.key, existing.status.value)
        if existing is not None and state is ClaimState.DONE:
            return self._result(Outcome.DUPLICATE, change, existing.status.value)
        stored = self.changes(change)
        if stored is None:
            return self._result(Outcome.REJECTED, change)
        result = self._decide_and_act(replace(request, change=stored), existing, now)
        return replace(result, stale_claim=True) if state is ClaimState.STALE else result

    def _decide_and_act(self, request: NotificationRequest, existing: NotificationRecord | None,
                        now: datetime) -> NotifyResult:
        change = request.change
        screened = screen_change(change, now, self.settings)
        profile = None if screened is not None else self.profiles(change.customer_id)  # no read for a skip
        decision = decide_notification(change, profile, now, self.settings, self.channels.keys())
        if decision.verdict is Verdict.SKIP:
            return self._skip(change, decision, existing, now)
        if decision.verdict is Verdict.DELAY:
            return self._delay(request, decision, existing, now)
        assert profile is not None
        return self._send(change, profile, decision, existing, now)

    def _claim_state(self, record: NotificationRecord, now: datetime) -> ClaimState:
        return claim_state(
            record.status, now=now, not_before=record.not_before, updated_at=record.updated_at,
            claim_lease=self.claim_expiry, retryable=(NotificationStatus.FAILED,),
            delayed=NotificationStatus.DELAYED, in_flight=NotificationStatus.SENDING)

    # --- outcomes ----------------------------------------------------------------------------------
    @staticmethod
    def _result(outcome: Outcome, change: StatusChange, reason: str | None = None, **fields: Any) -> NotifyResult:
        return NotifyResult(outcome, change.ticket_id, change.seq, change.to_status.value, reason, **fields)

    def _record(self, change: StatusChange, existing: NotificationRecord | None, now: datetime,
                status: NotificationStatus, **fields: Any) -> NotificationRecord:
        return NotificationRecord(
            ticket_id=change.ticket_id, seq=change.seq, customer_id=change.customer_id,
            to_status=change.to_status.value, status=status, created_at=existing.created_at if existing else now,
            updated_at=now, attempts=existing.attempts if existing else 0, **fields)

    def _write(self, record: NotificationRecord, existing: NotificationRecord | None) -> NotificationRecord | None:
        return self.store.create(record) if existing is None else self.store.replace(record, existing)

    def _skip(self, change: StatusChange, decision: NotificationDecision, existing: NotificationRecord | None,
              now: datetime) -> NotifyResult:
        record = self._record(change, existing, now, NotificationStatus.SKIPPED, reason=decision.reason.value)
        if self._write(record, existing) is None:
            return self._result(Outcome.DUPLICATE, change, "lost-race")
        return self._result(Outcome.SKIPPED, change, decision.reason.value)

    def _send_later(self, request: NotificationRequest, not_before: datetime, now: datetime) -> None:
        self.queue.send_later(delayed_message(request, not_before),
                              hop_delay_seconds(not_before, now, self.settings.max_delay_seconds))

    def _delay(self, request: NotificationRequest, decision: NotificationDecision,
               existing: NotificationRecord | None, now: datetime) -> NotifyResult:
        assert decision.not_before is not None
        change = request.change
        self._send_later(request, decision.not_before, now)  # first: a delayed record always has a message
        record = self._record(change, existing, now, NotificationStatus.DELAYED, reason=decision.reason.value,
                              channel=decision.channel, not_before=decision.not_before)
        if self._write(record, existing) is None:
            return self._result(Outcome.DUPLICATE, change, "lost-race")
        return self._result(Outcome.DELAYED, change, decision.reason.value, channel=decision.channel,
                            destination=decision.destination, not_before=decision.not_before)

    def _send(self, change: StatusChange, profile: CustomerProfile, decision: NotificationDecision,
              existing: NotificationRecord | None, now: datetime) -> NotifyResult:
        assert decision.channel and decision.destination
        claim = self._write(self._record(change, existing, now, NotificationStatus.SENDING,
                                         channel=decision.channel), existing)
        if claim is None:
            return self._result(Outcome.DUPLICATE, change, "lost-race")
        message = compose(change, profile, self.settings)
        try:
            outbound_id = self.channels[decision.channel].send(decision.destination, message, change)
        except Exception as exc:
            code = exc.code if isinstance(exc, ChannelFailure) else type(exc).__name__
            self._release(claim, code)
            raise NotificationFailed(change, decision.channel, code) from None  # the text may quote the address
        sent = replace(claim, status=NotificationStatus.SENT, outbound_id=outbound_id, updated_at=self.clock(),
                       attempts=claim.attempts + 1, reason=None)
        # None: the claim changed meanwhile (its lease ended and another delivery took it); the message is out anyway.
        self.store.replace(sent, claim)
        return self._result(Outcome.SENT, change, decision.reason.value, channel=decision.channel,
                            destination=decision.destination, outbound_id=outbound_id)

    def _release(self, claim: NotificationRecord, code: str) -> None:
        """Mark the claim failed, so the redelivered message may claim it again. If even that write fails,
        the claim stays `sending` until its lease ends; the redelivery takes it over."""
        failed = replace(claim, status=NotificationStatus.FAILED, reason=f"{CHANNEL_ERROR}:{code}",
                         updated_at=self.clock(), attempts=claim.attempts + 1)
        with contextlib.suppress(NotificationStoreUnavailable):
            self.store.replace(failed, claim)
