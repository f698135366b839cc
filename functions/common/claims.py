"""When a claim record may be taken (again): the rule the survey dispatcher, the outreach sender and the
ticket notifier share. Plain Python; the records and their stores are in each feature's store.py.

A record found by a delivery is in one of four states (`claim_state`):
- FREE: its last attempt failed (or, for outreach, it was only planned), or it was delayed and its
  moment has come: the delivery claims it.
- HELD: a worker claimed it (`sending`/`dispatching`) less than the claim lease ago and may still be at
  work. The delivery must not be reported as done: if it were, SQS would delete the message, and should
  that worker have crashed, nothing would ever come back for the record. It raises ClaimHeld instead, so
  the message is reported as a batch item failure and comes back after the visibility timeout (by then
  the record is finished, or the claim is stale).
- STALE: the claim is older than the lease: the worker that wrote it is gone. The delivery takes it
  over (and says so: the handlers count StaleClaimsTakenOver, which is alarmed).
- DONE: anything else (sent, skipped, ...): a duplicate delivery, done without doing anything.

The lease (`functions.manifest.claim_lease`) is twice the consumer's Lambda timeout, not the queue's
visibility timeout. A claim is written after its message was received, and SQS makes the message visible
again exactly one visibility timeout after the *receive*: a lease as long as the visibility timeout
would always find the claim younger on redelivery, call the redelivery a duplicate and let SQS delete
the message, leaving the record `sending` for good. With the lease L, the consumer's timeout T, the
batching window W and the visibility timeout V:
- the claimer is gone once L has passed: it wrote the claim inside an invocation that Lambda ends
  within T (L = 2T leaves T of margin for clock differences between hosts);
- a redelivery of the claimer's own message always finds the claim stale: the claim was written at most
  W + T after the receive, the redelivery comes V after it, and check_manifest requires V >= L + T + W
  (180 s >= 60 + 30 + 0 for every consumer today).

What a takeover does depends on the channel of the interrupted attempt (Delivery, chosen per channel
in each consumer, and explained in docs/security.md "Delivery guarantees"): AT_LEAST_ONCE sends again
(a voice call carries a ClientToken derived from the record, so Amazon Connect places the same call
again at most once; an SMS or email may then arrive twice); AT_MOST_ONCE closes the record without
sending, with the reason SEND_UNCONFIRMED (the message may have gone out before the crash, or not).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from enum import Enum, StrEnum

#: The reason recorded when an at-most-once attempt was interrupted and is not repeated.
SEND_UNCONFIRMED = "SEND_UNCONFIRMED"


class ClaimState(StrEnum):
    FREE = "free"
    HELD = "held"
    STALE = "stale"
    DONE = "done"


class Delivery(StrEnum):
    """What a channel's interrupted attempt gets when its claim is taken over."""

    AT_LEAST_ONCE = "at-least-once"  # send again: never lost, maybe twice (once for a call with a ClientToken)
    AT_MOST_ONCE = "at-most-once"  # close as SEND_UNCONFIRMED: never twice, maybe never


class ClaimHeld(RuntimeError):
    """Another delivery holds the record's claim and may still be at work: retry this message later.

    Carries only the record key and status (no personal data), so handlers may log its text."""

    def __init__(self, key: str, status: str) -> None:
        super().__init__(f"{key} is {status}, claimed by another delivery; retried later")
        self.key = key
        self.status = status


def claim_state(
    status: Enum,
    *,
    now: datetime,
    not_before: datetime | None,
    updated_at: datetime,
    claim_lease: timedelta,
    retryable: Collection[Enum],
    delayed: Enum,
    in_flight: Enum,
) -> ClaimState:
    if status in retryable:
        return ClaimState.FREE
    if status is delayed:
        # A delayed record whose moment has not come is DONE for this delivery: its own message is coming.
        return ClaimState.FREE if not_before is None or now >= not_before else ClaimState.DONE
    if status is in_flight:
        return ClaimState.STALE if now - updated_at >= claim_lease else ClaimState.HELD
    return ClaimState.DONE
