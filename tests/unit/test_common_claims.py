"""The shared claim rule and the SQS delay hop used by the dispatcher, the sender and the notifier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum

from functions.common.claims import claim_is_free
from functions.common.quiet_hours import hop_delay_seconds

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


class S(Enum):
    PLANNED = "planned"
    FAILED = "failed"
    DELAYED = "delayed"
    SENDING = "sending"
    SENT = "sent"


def free(status: S, not_before: datetime | None = None, updated_at: datetime = NOW) -> bool:
    return claim_is_free(status, now=NOW, not_before=not_before, updated_at=updated_at,
                         claim_expiry=timedelta(minutes=3), retryable=(S.FAILED,), delayed=S.DELAYED,
                         in_flight=S.SENDING)


def test_a_claim_is_free_after_a_failure_when_a_delay_is_over_or_when_its_claimer_is_gone() -> None:
    assert free(S.FAILED)
    assert not free(S.SENT) and not free(S.PLANNED)
    assert free(S.DELAYED, not_before=NOW) and free(S.DELAYED, not_before=None)
    assert not free(S.DELAYED, not_before=NOW + timedelta(seconds=1))
    assert not free(S.SENDING, updated_at=NOW - timedelta(minutes=2, seconds=59))
    assert free(S.SENDING, updated_at=NOW - timedelta(minutes=3))


def test_a_wait_longer_than_one_sqs_delay_takes_several_hops() -> None:
    assert hop_delay_seconds(NOW + timedelta(seconds=90.2), NOW, 900) == 91
    assert hop_delay_seconds(NOW + timedelta(hours=9), NOW, 900) == 900
    assert hop_delay_seconds(NOW - timedelta(seconds=5), NOW, 900) == 0
