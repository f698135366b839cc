"""When a claim record may be taken (again): the rule the survey dispatcher, the outreach sender and the
ticket notifier share. Plain Python; the records and their stores are in each feature's store.py.

A record is free to claim when its last attempt failed (or, for outreach, it was only planned), when it
was delayed and its moment has come, or when a worker claimed it and is gone (its claim is older than
the queue's visibility timeout, after which SQS has delivered the message to someone else anyway).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from enum import Enum


def claim_is_free(
    status: Enum,
    *,
    now: datetime,
    not_before: datetime | None,
    updated_at: datetime,
    claim_expiry: timedelta,
    retryable: Collection[Enum],
    delayed: Enum,
    in_flight: Enum,
) -> bool:
    if status in retryable:
        return True
    if status is delayed:
        return not_before is None or now >= not_before
    if status is in_flight:
        return now - updated_at >= claim_expiry
    return False
