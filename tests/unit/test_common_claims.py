"""The shared claim rule and the SQS delay hop used by the dispatcher, the sender and the notifier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum

from functions.common.claims import ClaimState, claim_state
from functions.common.quiet_hours import hop_delay_seconds
from functions.manifest import FUNCTIONS, QUEUES, SqsSource, check_manifest, claim_lease

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
LEASE = timedelta(minutes=1)
CLAIMING_CONSUMERS = ("survey-dispatcher", "outreach-sender", "ticket-notifier")


class S(Enum):
    PLANNED = "planned"
    FAILED = "failed"
    DELAYED = "delayed"
    SENDING = "sending"
    SENT = "sent"


def state(status: S, not_before: datetime | None = None, updated_at: datetime = NOW) -> ClaimState:
    return claim_state(status, now=NOW, not_before=not_before, updated_at=updated_at, claim_lease=LEASE,
                       retryable=(S.FAILED,), delayed=S.DELAYED, in_flight=S.SENDING)


def test_a_claim_is_free_after_a_failure_or_when_a_delay_is_over_held_while_young_stale_once_its_lease_ends():
    assert state(S.FAILED) is ClaimState.FREE
    assert state(S.SENT) is ClaimState.DONE and state(S.PLANNED) is ClaimState.DONE
    assert state(S.DELAYED, not_before=NOW) is ClaimState.FREE and state(S.DELAYED) is ClaimState.FREE
    assert state(S.DELAYED, not_before=NOW + timedelta(seconds=1)) is ClaimState.DONE  # its own message is coming
    assert state(S.SENDING, updated_at=NOW - LEASE + timedelta(milliseconds=1)) is ClaimState.HELD
    assert state(S.SENDING, updated_at=NOW - LEASE) is ClaimState.STALE


def test_a_redelivery_always_finds_a_crashed_claim_stale_and_the_lease_outlives_the_claimer():
    # Given each claiming consumer, its queue and its lease as deployed
    for name in CLAIMING_CONSUMERS:
        spec = FUNCTIONS[name]
        assert isinstance(spec.source, SqsSource)
        visibility = timedelta(seconds=QUEUES[spec.source.queue].visibility_timeout_seconds)
        timeout = timedelta(seconds=spec.timeout_seconds)
        latest_claim = timeout + timedelta(seconds=spec.source.max_batching_window_seconds)
        lease = claim_lease(name)
        # Then the claimer (ended by Lambda within its timeout) is gone before anyone may take its claim
        assert lease >= timeout
        # And the claim written last in the invocation is stale when the message comes back
        for written_after_receive in (timedelta(0), latest_claim / 2, latest_claim):
            age_at_redelivery = visibility - written_after_receive
            assert claim_state(S.SENDING, now=NOW, not_before=None, updated_at=NOW - age_at_redelivery,
                               claim_lease=lease, retryable=(), delayed=S.DELAYED,
                               in_flight=S.SENDING) is ClaimState.STALE, name
    assert check_manifest() == []


def test_a_wait_longer_than_one_sqs_delay_takes_several_hops() -> None:
    assert hop_delay_seconds(NOW + timedelta(seconds=90.2), NOW, 900) == 91
    assert hop_delay_seconds(NOW + timedelta(hours=9), NOW, 900) == 900
    assert hop_delay_seconds(NOW - timedelta(seconds=5), NOW, 900) == 0
