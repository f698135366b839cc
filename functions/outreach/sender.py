"""The outreach sender: one proactive contact per planned record, at a decent hour, within the frequency cap.

For each message of the outreach queue
1. A delayed message that arrives before its `not_before` is sent on again (nothing read).
2. The record is read (strongly consistent) and claimed only if it may be: `planned`; `delayed`
   once its time has come; `failed` (the redelivered message retries the channel); `sending` older
   than the claim lease, 2x the sender's timeout (the sender that claimed it is gone: step 6). A
   `sending` record under a live lease is not a duplicate to drop: the message is retried later
   (ClaimHeld), so it outlives a claimer that crashes. Anything else is a duplicate and is dropped.
3. The profile is read again, strongly consistent, and the contact decided at send time
   (eligibility.decide_contact): opted out, the date moved (renewed) or passed, no consent, no
   usable channel -> `skipped` with the reason; the customer's quiet hours -> `delayed`: the
   message goes back on the queue with `not_before` (several 15-minute hops if need be) *before*
   the record says so, so a delayed record always has a message coming for it.
4. Sending: the record is claimed (`sending`, conditional on what was read), then the customer's
   cap item (a conditional update: no contact by another record within `frequency_cap_days`), so
   two campaigns planned for the same customer on the same day cannot both reach them; the loser
   is `skipped` with FREQUENCY_CAP. Then the channel: an outbound call into the outreach flow
   (its ClientToken derived from the record key and round, so a retry after a crash is the same
   call to Connect) or one SMS. The record becomes `contacted`.
5. A channel failure gives the cap claim back, marks the record `failed` (re-claimable) and
   raises, so the message is reported in the batch's item failures and SQS delivers it again: at
   most max_receive_count times, then the dead-letter queue, without holding back the rest of the
   batch. There is no fallback to the next channel on failure: a channel that fails is an
   incident to look at (the DLQ), not a reason to text someone who was to be called.
6. A crash after the claim (the rule and its arithmetic: functions/common/claims.py): the redelivery
   of the claimer's message, one visibility timeout after its receive, always finds the claim stale
   and takes it over; what it does is chosen per channel (OUTREACH_DELIVERY; docs/security.md,
   "Delivery guarantees"). Voice, at least once: decided and placed again with the same ClientToken,
   so the customer gets the call once. SMS, at most once: a proactive text that may already have gone
   out is not sent again (twice is worse than a reminder missed; the next round reminds them); the
   record is closed as skipped with SEND_UNCONFIRMED and keeps the cap. The takeover is counted
   (StaleClaimsTakenOver, alarmed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

import msgspec
from msgspec.structs import replace

from functions.common.claims import SEND_UNCONFIRMED, ClaimHeld, ClaimState, Delivery, claim_state
from functions.common.outbound import ChannelFailure
from functions.common.quiet_hours import hop_delay_seconds
from functions.outreach.campaigns import Campaign, OutreachPolicy, UnknownCampaign
from functions.outreach.eligibility import ContactDecision, Reason, Verdict, decide_contact
from functions.outreach.planner import OutreachQueue
from functions.outreach.record import OutreachRecord, OutreachStatus, OutreachStoreUnavailable, cycle_key
from functions.outreach.requests import OutreachMessage
from functions.profiles.profile import CustomerProfile

CHANNEL_ERROR = "CHANNEL_ERROR"
UNKNOWN_CAMPAIGN = "UNKNOWN_CAMPAIGN"
NO_RECORD = "NO_RECORD"
#: What the takeover of a crashed claim does, per channel (module docstring, step 6).
OUTREACH_DELIVERY = {"voice": Delivery.AT_LEAST_ONCE, "sms": Delivery.AT_MOST_ONCE}


# --- ports -----------------------------------------------------------------------------------------

class OutreachInvitation(msgspec.Struct, frozen=True):
    customer_id: str
    campaign_id: str
    expires: date
    round: int
    channel: str  # voice | sms
    destination: str  # E.164
    message: str  # the campaign's message for this channel, filled in

    @property
    def cycle(self) -> str:
        return cycle_key(self.campaign_id, self.expires)

    def contact_attributes(self) -> dict[str, str]:
        """The attributes the outreach call starts with (the outreach flow reads them). `call_type` marks the
        call in its contact record, so the KPIs report outreach calls apart from the queues'."""
        return {
            "call_type": "outreach",
            "outreach_customer_id": self.customer_id,
            "outreach_campaign": self.campaign_id,
            "outreach_expires": self.expires.isoformat(),
            "outreach_round": str(self.round),
            "outreach_message": self.message,
        }


class OutreachChannel(Protocol):
    def send(self, invitation: OutreachInvitation) -> str:
        """Place the call or send the SMS; return its id (contact id, message id) or raise ChannelFailure."""
        ...


class SendingStore(Protocol):
    def get(self, customer_id: str, cycle: str) -> OutreachRecord | None: ...

    def replace(self, record: OutreachRecord, expected: OutreachRecord) -> OutreachRecord | None: ...


class ContactCaps(Protocol):
    def claim(self, customer_id: str, cycle: str, now: datetime, period_days: int) -> bool:
        """Record this contact unless another record contacted the customer within the period."""
        ...

    def release(self, customer_id: str, cycle: str, claimed_at: datetime) -> bool: ...


ProfileReader = Callable[[str], CustomerProfile | None]


# --- results ---------------------------------------------------------------------------------------

class Outcome(StrEnum):
    CONTACTED = "contacted"  # the call was placed or the SMS sent
    DELAYED = "delayed"  # quiet hours: recorded as delayed, the message sent back with a delay
    REDELAYED = "redelayed"  # a delayed message arrived early and was sent on again
    SKIPPED = "skipped"  # recorded as skipped, with the reason
    DUPLICATE = "duplicate"  # the record is already handled (or being handled)
    IGNORED = "ignored"  # nothing to do: no such record, or a campaign that no longer exists


class SendResult(msgspec.Struct, frozen=True):
    outcome: Outcome
    customer_id: str
    cycle: str
    reason: str | None = None
    channel: str | None = None
    destination: str | None = None  # E.164; mask before logging
    outbound_id: str | None = None
    not_before: datetime | None = None
    stale_claim: bool = False  # this delivery took over the claim of a sender that is gone


class OutreachSendFailed(RuntimeError):
    """The channel failed; the record is `failed` and the cap given back. Raised so SQS redelivers."""

    def __init__(self, customer_id: str, cycle: str, channel: str, code: str) -> None:
        super().__init__(f"outreach {cycle} via {channel} failed: {code}")
        self.customer_id = customer_id
        self.cycle = cycle
        self.channel = channel
        self.code = code


# --- the service -----------------------------------------------------------------------------------

class OutreachSender:
    def __init__(self, *, policy: OutreachPolicy, store: SendingStore, caps: ContactCaps, profiles: ProfileReader,
                 channels: Mapping[str, OutreachChannel], queue: OutreachQueue, claim_expiry: timedelta,
                 clock: Callable[[], datetime]) -> None:
        self.policy = policy
        self.store = store
        self.caps = caps
        self.profiles = profiles
        self.channels = channels
        self.queue = queue
        self.claim_expiry = claim_expiry
        self.clock = clock

    def send(self, message: OutreachMessage) -> SendResult:
        now = self.clock()
        if message.not_before is not None and now < message.not_before:
            self._send_later(message, message.not_before, now)
            return SendResult(Outcome.REDELAYED, message.customer_id, message.cycle, not_before=message.not_before)
        try:
            campaign = self.policy.campaign(message.campaign_id)
        except UnknownCampaign:
            return SendResult(Outcome.IGNORED, message.customer_id, message.cycle, UNKNOWN_CAMPAIGN)
        record = self.store.get(message.customer_id, message.cycle)
        if record is None:
            return SendResult(Outcome.IGNORED, message.customer_id, message.cycle, NO_RECORD)
        state = self._claim_state(record, now)
        if state is ClaimState.HELD:
            raise ClaimHeld(f"{record.customer_id}/{record.cycle}", record.status.value)
        if state is ClaimState.DONE:
            return SendResult(Outcome.DUPLICATE, record.customer_id, record.cycle, record.status.value)
        if state is ClaimState.STALE:
            if OUTREACH_DELIVERY.get(record.channel or "", Delivery.AT_MOST_ONCE) is Delivery.AT_MOST_ONCE:
                return replace(self._skip(record, SEND_UNCONFIRMED, now), channel=record.channel, stale_claim=True)
            return replace(self._decide_and_act(message, campaign, record, now), stale_claim=True)
        return self._decide_and_act(message, campaign, record, now)

    def _decide_and_act(self, message: OutreachMessage, campaign: Campaign, record: OutreachRecord,
                        now: datetime) -> SendResult:
        decision = decide_contact(self.profiles(record.customer_id), campaign, record.expires, now,
                                  sms_enabled="sms" in self.channels)
        if decision.verdict is Verdict.SKIP:
            return self._skip(record, decision.reason.value, now)
        if decision.verdict is Verdict.DELAY:
            return self._delay(message, record, decision, now)
        return self._contact(campaign, record, decision, now)

    def _claim_state(self, record: OutreachRecord, now: datetime) -> ClaimState:
        return claim_state(
            record.status, now=now, not_before=record.not_before, updated_at=record.updated_at,
            claim_lease=self.claim_expiry, retryable=(OutreachStatus.PLANNED, OutreachStatus.FAILED),
            delayed=OutreachStatus.DELAYED, in_flight=OutreachStatus.SENDING)

    # --- outcomes ----------------------------------------------------------------------------------
    def _skip(self, record: OutreachRecord, reason: str, now: datetime) -> SendResult:
        if self.store.replace(record.moved(OutreachStatus.SKIPPED, now, reason=reason), record) is None:
            return SendResult(Outcome.DUPLICATE, record.customer_id, record.cycle, "lost-race")
        return SendResult(Outcome.SKIPPED, record.customer_id, record.cycle, reason)

    def _send_later(self, message: OutreachMessage, not_before: datetime, now: datetime) -> None:
        self.queue.send_later(replace(message, not_before=not_before),
                              hop_delay_seconds(not_before, now, self.policy.max_delay_seconds))

    def _delay(self, message: OutreachMessage, record: OutreachRecord, decision: ContactDecision,
               now: datetime) -> SendResult:
        assert decision.not_before is not None
        self._send_later(message, decision.not_before, now)  # first: a delayed record always has a message
        delayed = record.moved(OutreachStatus.DELAYED, now, reason=decision.reason.value,
                               note=decision.not_before.isoformat(), not_before=decision.not_before)
        if self.store.replace(delayed, record) is None:
            return SendResult(Outcome.DUPLICATE, record.customer_id, record.cycle, "lost-race")
        return SendResult(Outcome.DELAYED, record.customer_id, record.cycle, decision.reason.value,
                          decision.channel, decision.destination, not_before=decision.not_before)

    def _contact(self, campaign: Campaign, record: OutreachRecord, decision: ContactDecision,
                 now: datetime) -> SendResult:
        assert decision.channel and decision.destination and decision.time_zone
        claim = self.store.replace(record.moved(OutreachStatus.SENDING, now, channel=decision.channel), record)
        if claim is None:
            return SendResult(Outcome.DUPLICATE, record.customer_id, record.cycle, "lost-race")
        if self.policy.frequency_cap_days and not self.caps.claim(
                claim.customer_id, claim.cycle, now, self.policy.frequency_cap_days):
            return self._skip(claim, Reason.FREQUENCY_CAP.value, now)
        today = now.astimezone(ZoneInfo(decision.time_zone)).date()
        invitation = OutreachInvitation(claim.customer_id, claim.campaign_id, claim.expires, claim.round,
                                        decision.channel, decision.destination,
                                        campaign.message(decision.channel, claim.expires, today))
        try:
            outbound_id = self.channels[decision.channel].send(invitation)
        except Exception as exc:
            code = exc.code if isinstance(exc, ChannelFailure) else type(exc).__name__
            self._give_back(claim, now, code)
            raise OutreachSendFailed(claim.customer_id, claim.cycle, decision.channel, code) from exc
        contacted = claim.moved(OutreachStatus.CONTACTED, self.clock(), channel=decision.channel, note=outbound_id,
                                outbound_id=outbound_id, attempts=claim.attempts + 1)
        # None here means the outreach flow already wrote (the customer answered before this write).
        self.store.replace(contacted, claim)
        return SendResult(Outcome.CONTACTED, claim.customer_id, claim.cycle, Reason.ELIGIBLE.value,
                          decision.channel, decision.destination, outbound_id)

    def _give_back(self, claim: OutreachRecord, claimed_at: datetime, code: str) -> None:
        """The cap counts the previous contact again; the record is `failed`, re-claimable by the redelivery.

        If these writes fail, the cap still names this record (its retry passes; other campaigns wait
        out the cap) and the claim stays `sending` until its lease ends and the redelivery takes it over.
        """
        with contextlib.suppress(OutreachStoreUnavailable):
            if self.policy.frequency_cap_days:
                self.caps.release(claim.customer_id, claim.cycle, claimed_at)
            failed = claim.moved(OutreachStatus.FAILED, self.clock(), reason=CHANNEL_ERROR, channel=claim.channel,
                                 note=code, attempts=claim.attempts + 1)
            self.store.replace(failed, claim)
