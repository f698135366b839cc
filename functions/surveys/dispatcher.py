"""The survey dispatcher: at most one survey per ended contact, however often its event arrives.

Why a conditional write on the survey record and not Powertools idempotency
---------------------------------------------------------------------------
"This contact was surveyed (or skipped, and why)" is a permanent business fact that reports,
the cooldown and the answers all read, so it lives in the `surveys` table keyed by the contact
id, and claiming a contact is creating that record with `attribute_not_exists(contact_id)`.
Powertools idempotency would add a second record that expires (hours or days later, after which
the same event would be surveyed again), that is keyed by a hash of the payload (our delayed
re-sends wrap the event in a different body, and Connect may publish the same DISCONNECTED
contact in two events that differ in a field), and that cannot express the states a survey goes
through (delayed until 09:00, a crashed claim to take over, a failed channel to retry).

States and who may move them (every write is conditional on the status, updated_at and version
the writer read, so exactly one concurrent writer wins):
- no record -> abandoned | skipped | delayed | dispatching          (create, attribute_not_exists)
- delayed, once `not_before` has passed -> skipped | delayed | dispatching   (the due message)
- dispatching older than the claim lease -> ...                     (the claimer crashed; its
  message is visible again, so whoever holds a fresh copy takes the contact over; see below)
- failed -> ...                                                     (the redelivered message retries)
- dispatching -> dispatched (with the outbound id) | failed         (the claimer, after the channel)

A channel failure marks the claim `failed` instead of deleting it: the record keeps saying what
happened when the message finally lands in the dead-letter queue, a redrive can still claim it,
and a late duplicate event cannot mistake the contact for a new one. The failure is then raised,
so the message is reported in the batch's item failures and SQS delivers it again (at most
max_receive_count times, then the DLQ), without holding back the rest of the batch.

A crash after the claim (functions/common/claims.py has the rule and its arithmetic): a message that
finds the contact `dispatching` under a live lease (2x the dispatcher's timeout) is not a duplicate to
drop but a retry for later (ClaimHeld -> batch item failure), so the message survives until the claim
is settled; the redelivery of the crashed claimer's message (one visibility timeout after its receive)
always finds the claim stale and takes it over. What it does then is chosen per channel (SURVEY_DELIVERY;
docs/security.md, "Delivery guarantees"):
- voice, at least once: the call is placed again with the same ClientToken (derived from the contact
  id), so Amazon Connect answers with the call it already placed, if it did: the customer is called once.
- SMS, at most once: there is no token, and the crash may have come after the text went out. A survey
  invitation is an ask, not a service the customer waits for, so a second text is worse than none: the
  record is closed as skipped with SEND_UNCONFIRMED and the takeover counted (StaleClaimsTakenOver).

Delays: quiet hours do not drop a survey. The original event goes back on the queue wrapped as
`{"kind": "delayed-survey", "not_before": ..., "event": ...}` (see requests.py) *before* the
record says `delayed`, so a delayed record always has a message coming for it; a duplicate
message is harmless since only one of them can claim the contact when it comes due.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import msgspec
from msgspec.structs import replace

from functions.common.claims import SEND_UNCONFIRMED, ClaimHeld, ClaimState, Delivery, claim_state
from functions.common.clock import utc_now
from functions.common.outbound import ChannelFailure
from functions.common.quiet_hours import hop_delay_seconds
from functions.profiles.profile import CustomerProfile
from functions.surveys.contact_event import ContactEvent
from functions.surveys.eligibility import (
    EVENT_ONLY_REASONS,
    Reason,
    SurveyDecision,
    Verdict,
    decide_survey,
    screen_event,
)
from functions.surveys.policy import SurveyPolicy
from functions.surveys.record import SurveyRecord, SurveyStatus, SurveyStoreUnavailable
from functions.surveys.requests import SurveyRequest

CHANNEL_ERROR = "CHANNEL_ERROR"
#: What the takeover of a crashed claim does, per channel (module docstring).
SURVEY_DELIVERY = {"voice": Delivery.AT_LEAST_ONCE, "sms": Delivery.AT_MOST_ONCE}


# --- ports -----------------------------------------------------------------------------------------

class ContactAttributesUnavailable(RuntimeError):
    """Amazon Connect did not return the contact's attributes (throttled, failing); retry later."""


class SurveyInvitation(msgspec.Struct, frozen=True):
    contact_id: str  # the surveyed (original) contact
    customer_id: str
    channel: str  # voice | sms
    destination: str  # E.164
    queue_arn: str | None
    agent_arn: str | None

    def contact_attributes(self) -> dict[str, str]:
        """The attributes the survey call starts with (the survey flow reads survey_contact_id). `call_type`
        marks the call in its contact record, so the KPIs report survey calls apart from the queues'."""
        return {
            "call_type": "survey",
            "survey_contact_id": self.contact_id,
            "survey_customer_id": self.customer_id,
            "survey_queue_arn": self.queue_arn or "",
            "survey_agent_arn": self.agent_arn or "",
        }


class SurveyChannel(Protocol):
    def send(self, invitation: SurveyInvitation) -> str:
        """Send the survey; return the outbound id (call contact id, SMS message id) or raise ChannelFailure."""
        ...


class SurveyStore(Protocol):
    def get(self, contact_id: str) -> SurveyRecord | None: ...

    def create(self, record: SurveyRecord) -> SurveyRecord | None:
        """The record as stored, or None when the contact already has one."""
        ...

    def replace(self, record: SurveyRecord, expected: SurveyRecord) -> SurveyRecord | None:
        """The record as stored, or None when the stored one is no longer `expected`."""
        ...

    def last_survey_at(self, customer_id: str, since: datetime, excluding_contact: str) -> datetime | None: ...


class SurveyQueue(Protocol):
    def send_later(self, envelope: Mapping[str, Any], not_before: datetime, delay_seconds: int) -> None: ...


ContactAttributesReader = Callable[[ContactEvent], Mapping[str, str]]
ProfileLookup = Callable[[str], CustomerProfile | None]


# --- results ---------------------------------------------------------------------------------------

class Outcome(StrEnum):
    IGNORED = "ignored"  # not a contact we survey (event only): nothing read or written
    ABANDONED = "abandoned"  # recorded as abandoned
    SKIPPED = "skipped"  # recorded as skipped, with the reason
    DELAYED = "delayed"  # recorded as delayed, the event re-sent with a delay
    REDELAYED = "redelayed"  # a delayed survey arrived early and was sent on again
    DISPATCHED = "dispatched"  # the survey call was placed or the SMS sent
    DUPLICATE = "duplicate"  # the contact is already handled (or being handled)


class DispatchResult(msgspec.Struct, frozen=True):
    outcome: Outcome
    contact_id: str
    reason: str | None = None  # the skip reason, or the status found for a duplicate
    channel: str | None = None
    destination: str | None = None  # E.164; mask before logging
    outbound_id: str | None = None
    not_before: datetime | None = None
    stale_claim: bool = False  # this delivery took over the claim of a dispatcher that is gone


class SurveyDispatchFailed(RuntimeError):
    """The channel failed; the claim was released (status failed). Raised so SQS redelivers."""

    def __init__(self, contact_id: str, channel: str, code: str) -> None:
        super().__init__(f"survey of contact {contact_id} via {channel} failed: {code}")
        self.contact_id = contact_id
        self.channel = channel
        self.code = code


# --- the service -----------------------------------------------------------------------------------

class SurveyDispatcher:
    def __init__(
        self,
        *,
        policy: SurveyPolicy,
        store: SurveyStore,
        contact_attributes: ContactAttributesReader,
        profiles: ProfileLookup,
        channels: Mapping[str, SurveyChannel],
        queue: SurveyQueue,
        claim_expiry: timedelta,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.policy = policy
        self.store = store
        self.contact_attributes = contact_attributes
        self.profiles = profiles
        self.channels = channels
        self.queue = queue
        self.claim_expiry = claim_expiry
        self.clock = clock

    def dispatch(self, request: SurveyRequest) -> DispatchResult:
        now = self.clock()
        event = request.event
        if request.not_before is not None and now < request.not_before:
            self._send_later(event, request.not_before, now)
            return DispatchResult(Outcome.REDELAYED, event.contact_id, not_before=request.not_before)
        screened = screen_event(event)
        if screened is not None:
            if screened.reason in EVENT_ONLY_REASONS:
                return DispatchResult(Outcome.IGNORED, event.contact_id, screened.reason)
            return self._record_abandoned(event, now)
        existing = self.store.get(event.contact_id)
        state = ClaimState.FREE if existing is None else self._claim_state(existing, now)
        if existing is not None and state is ClaimState.HELD:
            raise ClaimHeld(event.contact_id, existing.status.value)
        if existing is not None and state is ClaimState.DONE:
            return DispatchResult(Outcome.DUPLICATE, event.contact_id, existing.status.value)
        if existing is not None and state is ClaimState.STALE:
            if SURVEY_DELIVERY.get(existing.channel or "", Delivery.AT_MOST_ONCE) is Delivery.AT_MOST_ONCE:
                return self._close_unconfirmed(event, existing, now)
            return replace(self._decide_and_act(event, existing, now), stale_claim=True)
        return self._decide_and_act(event, existing, now)

    def _decide_and_act(self, event: ContactEvent, existing: SurveyRecord | None, now: datetime) -> DispatchResult:
        decision = self._decide(event, now)
        if decision.verdict is Verdict.SKIP:
            return self._record_skip(event, decision, existing, now)
        if decision.verdict is Verdict.DELAY:
            return self._delay(event, decision, existing, now)
        return self._send(event, decision, existing, now)

    # --- deciding ---------------------------------------------------------------------------------
    def _decide(self, event: ContactEvent, now: datetime) -> SurveyDecision:
        attributes = self.contact_attributes(event)
        customer_id = (attributes.get("customer_id") or "").strip()
        profile = self.profiles(customer_id) if customer_id else None
        sms_enabled = "sms" in self.channels

        def decide(last_survey_at: datetime | None) -> SurveyDecision:
            return decide_survey(event, attributes, profile, last_survey_at, now, self.policy, sms_enabled)

        decision = decide(None)
        if decision.verdict is Verdict.SKIP or decision.customer_id is None or not self.policy.cooldown_days:
            return decision  # the cooldown cannot change the answer: no Query
        last = self.store.last_survey_at(decision.customer_id, now - self.policy.cooldown, event.contact_id)
        return decide(last) if last is not None else decision

    def _claim_state(self, existing: SurveyRecord, now: datetime) -> ClaimState:
        return claim_state(
            existing.status, now=now, not_before=existing.not_before, updated_at=existing.updated_at,
            claim_lease=self.claim_expiry, retryable=(SurveyStatus.FAILED,), delayed=SurveyStatus.DELAYED,
            in_flight=SurveyStatus.DISPATCHING)

    # --- writing ----------------------------------------------------------------------------------
    def _write(self, record: SurveyRecord, existing: SurveyRecord | None) -> SurveyRecord | None:
        return self.store.create(record) if existing is None else self.store.replace(record, existing)

    @staticmethod
    def _new_record(event: ContactEvent, existing: SurveyRecord | None, now: datetime,
                    status: SurveyStatus, **fields: Any) -> SurveyRecord:
        return SurveyRecord(
            contact_id=event.contact_id,
            status=status,
            created_at=existing.created_at if existing else now,
            updated_at=now,
            agent_arn=event.agent_arn,
            queue_arn=event.queue_arn,
            **fields,
        )

    def _record_abandoned(self, event: ContactEvent, now: datetime) -> DispatchResult:
        record = self._new_record(event, None, now, SurveyStatus.ABANDONED, reason=Reason.ABANDONED.value)
        if self.store.create(record) is None:
            return DispatchResult(Outcome.DUPLICATE, event.contact_id, SurveyStatus.ABANDONED.value)
        return DispatchResult(Outcome.ABANDONED, event.contact_id, Reason.ABANDONED.value)

    def _record_skip(self, event: ContactEvent, decision: SurveyDecision, existing: SurveyRecord | None,
                     now: datetime) -> DispatchResult:
        record = self._new_record(event, existing, now, SurveyStatus.SKIPPED, reason=decision.reason.value,
                                  customer_id=decision.customer_id)
        if self._write(record, existing) is None:
            return DispatchResult(Outcome.DUPLICATE, event.contact_id, "lost-race")
        return DispatchResult(Outcome.SKIPPED, event.contact_id, decision.reason.value)

    def _close_unconfirmed(self, event: ContactEvent, claim: SurveyRecord, now: datetime) -> DispatchResult:
        """An SMS survey interrupted after its claim: not sent again (at most once); the record says so."""
        closed = replace(claim, status=SurveyStatus.SKIPPED, reason=SEND_UNCONFIRMED, updated_at=now)
        if self.store.replace(closed, claim) is None:
            return DispatchResult(Outcome.DUPLICATE, event.contact_id, "lost-race")
        return DispatchResult(Outcome.SKIPPED, event.contact_id, SEND_UNCONFIRMED, claim.channel, stale_claim=True)

    def _send_later(self, event: ContactEvent, not_before: datetime, now: datetime) -> None:
        self.queue.send_later(event.envelope, not_before,
                              hop_delay_seconds(not_before, now, self.policy.max_delay_seconds))

    def _delay(self, event: ContactEvent, decision: SurveyDecision, existing: SurveyRecord | None,
               now: datetime) -> DispatchResult:
        assert decision.not_before is not None
        self._send_later(event, decision.not_before, now)  # first: a delayed record always has a message
        record = self._new_record(event, existing, now, SurveyStatus.DELAYED, reason=decision.reason.value,
                                  customer_id=decision.customer_id, channel=decision.channel,
                                  not_before=decision.not_before)
        if self._write(record, existing) is None:
            return DispatchResult(Outcome.DUPLICATE, event.contact_id, "lost-race")
        return DispatchResult(Outcome.DELAYED, event.contact_id, decision.reason.value, decision.channel,
                              decision.destination, not_before=decision.not_before)

    def _send(self, event: ContactEvent, decision: SurveyDecision, existing: SurveyRecord | None,
              now: datetime) -> DispatchResult:
        assert decision.channel and decision.destination and decision.customer_id
        claim = self._write(self._new_record(event, existing, now, SurveyStatus.DISPATCHING,
                                             customer_id=decision.customer_id, channel=decision.channel), existing)
        if claim is None:
            return DispatchResult(Outcome.DUPLICATE, event.contact_id, "lost-race")
        invitation = SurveyInvitation(event.contact_id, decision.customer_id, decision.channel,
                                      decision.destination, event.queue_arn, event.agent_arn)
        try:
            outbound_id = self.channels[decision.channel].send(invitation)
        except Exception as exc:
            self._release(claim)
            code = exc.code if isinstance(exc, ChannelFailure) else type(exc).__name__
            raise SurveyDispatchFailed(event.contact_id, decision.channel, code) from exc
        dispatched = replace(claim, status=SurveyStatus.DISPATCHED, outbound_id=outbound_id, updated_at=self.clock())
        # None here means the answers already arrived (the survey call was quicker than this write).
        self.store.replace(dispatched, claim)
        return DispatchResult(Outcome.DISPATCHED, event.contact_id, decision.reason.value, decision.channel,
                              decision.destination, outbound_id)

    def _release(self, claim: SurveyRecord) -> None:
        """Mark the claim failed so the redelivered message may claim it again.

        If even that write fails, the claim stays `dispatching` until its lease ends; the redelivered
        message takes it over.
        """
        failed = replace(claim, status=SurveyStatus.FAILED, reason=CHANNEL_ERROR, updated_at=self.clock())
        with contextlib.suppress(SurveyStoreUnavailable):
            self.store.replace(failed, claim)
