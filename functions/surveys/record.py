"""A survey as the domain sees it: plain data, no AWS. functions/surveys/store.py stores it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class SurveyStatus(StrEnum):
    ABANDONED = "abandoned"  # the caller never reached an agent: recorded, never surveyed
    SKIPPED = "skipped"  # not surveyed; `reason` says why (NO_CONSENT, RECENTLY_SURVEYED, ...)
    DELAYED = "delayed"  # quiet hours: due at `not_before`, re-claimable from then on
    DISPATCHING = "dispatching"  # claimed by a dispatcher that is sending it right now
    DISPATCHED = "dispatched"  # the survey call was placed or the SMS sent (`outbound_id`)
    ANSWERED = "answered"  # the survey flow stored the answers
    FAILED = "failed"  # the channel failed; re-claimable by the redelivered message


#: Statuses that count as "this customer was surveyed (or is about to be)" for the cooldown.
SURVEYED_STATUSES = (SurveyStatus.DELAYED, SurveyStatus.DISPATCHING, SurveyStatus.DISPATCHED,
                     SurveyStatus.ANSWERED)
#: Statuses whose survey the answers Lambda accepts answers for (the survey call exists).
ANSWERABLE_STATUSES = (SurveyStatus.DISPATCHING, SurveyStatus.DISPATCHED)


class SurveyRecord(msgspec.Struct, frozen=True):
    """One per ended contact, keyed by the contact id."""

    contact_id: str
    status: SurveyStatus
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    customer_id: str | None = None
    channel: str | None = None  # voice | sms
    agent_arn: str | None = None
    queue_arn: str | None = None
    outbound_id: str | None = None  # the survey call's contact id or the SMS message id
    not_before: datetime | None = None  # when a delayed survey comes due
    score: int | None = None  # 1-5
    resolved: str | None = None  # yes | no
    version: int | None = None  # the store's optimistic-lock version; None until stored


class FollowUpReason(StrEnum):
    LOW_SCORE = "LOW_SCORE"
    NOT_RESOLVED = "NOT_RESOLVED"


class FollowUp(msgspec.Struct, frozen=True):
    """What a low score (or an unresolved issue) opens; the tickets feature adopts these records."""

    followup_id: str
    customer_id: str
    contact_id: str
    reason: FollowUpReason
    created_at: datetime
    score: int | None = None
    agent_arn: str | None = None
    queue_arn: str | None = None


class SurveyStoreUnavailable(RuntimeError):
    """DynamoDB did not answer (throttled, slow or failing) after bounded retries."""
