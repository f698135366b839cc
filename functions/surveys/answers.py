"""Storing a survey's answers, once, and opening a follow-up for a low score or an unresolved issue.

Plain Python: the store and the event publisher are passed in. Nothing here raises for bad
input; every outcome is an `AnswerResult` whose reason code the survey flow receives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import msgspec

from functions.common.events import DomainEvent, EventPublisher, EventPublishError
from functions.surveys.policy import SurveyPolicy
from functions.surveys.record import (
    ANSWERABLE_STATUSES,
    FollowUp,
    FollowUpReason,
    SurveyRecord,
    SurveyStatus,
    SurveyStoreUnavailable,
)

SURVEY_LOW_SCORE = "SurveyLowScore"
NO_ANSWER = "none"  # what the survey flow passes for a question left unanswered
SCORES = range(1, 6)
RESOLVED_KEYS = {"1": "yes", "2": "no"}


class AnswerReason(StrEnum):
    RECORDED = "RECORDED"
    NO_ANSWER = "NO_ANSWER"  # neither a score nor resolved: nothing to store
    MISSING_SURVEY_CONTACT_ID = "MISSING_SURVEY_CONTACT_ID"
    INVALID_SCORE = "INVALID_SCORE"  # not "1".."5" or "none"
    INVALID_RESOLVED = "INVALID_RESOLVED"  # not "1", "2" or "none"
    UNKNOWN_SURVEY = "UNKNOWN_SURVEY"  # no survey record for that contact
    NOT_DISPATCHED = "NOT_DISPATCHED"  # the record is not a sent survey (skipped, abandoned, ...)
    ALREADY_ANSWERED = "ALREADY_ANSWERED"  # a repeat: the first answers stand
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"  # DynamoDB did not answer in time
    MALFORMED_EVENT = "MALFORMED_EVENT"  # not a Connect contact flow event


class SurveyAnswers(msgspec.Struct, frozen=True):
    contact_id: str  # the surveyed (original) contact
    score: int | None  # 1-5
    resolved: str | None  # yes | no


class InvalidAnswers(ValueError):
    def __init__(self, reason: AnswerReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class AnswerResult(msgspec.Struct, frozen=True):
    recorded: bool
    reason: AnswerReason
    contact_id: str | None = None
    followup: FollowUp | None = None
    published: bool = False  # the SurveyLowScore event went out

    def to_connect(self) -> dict[str, str]:
        """The flat string map the survey flow receives (STRING_MAP), always these three keys."""
        return {
            "recorded": "true" if self.recorded else "false",
            "followup": "true" if self.followup else "false",
            "reason": self.reason.value,
        }


class AnswerStore(Protocol):
    def get(self, contact_id: str) -> SurveyRecord | None: ...

    def record_answers(self, survey: SurveyRecord, *, score: int | None, resolved: str | None,
                       answered_at: datetime, followup: FollowUp | None) -> bool:
        """Store once (and the follow-up with it); False when the survey changed since it was read."""
        ...


def _text(parameters: Mapping[str, Any], key: str) -> str:
    value = parameters.get(key)
    return value.strip() if isinstance(value, str) else ""


def parse_answers(parameters: Mapping[str, Any]) -> SurveyAnswers:
    """The survey flow's Parameters: survey_contact_id, score ("1".."5"|"none"), resolved ("1"|"2"|"none")."""
    contact_id = _text(parameters, "survey_contact_id")
    if not contact_id:
        raise InvalidAnswers(AnswerReason.MISSING_SURVEY_CONTACT_ID)
    raw_score, raw_resolved = _text(parameters, "score"), _text(parameters, "resolved")
    score: int | None = None
    if raw_score and raw_score.lower() != NO_ANSWER:
        if raw_score not in {str(s) for s in SCORES}:
            raise InvalidAnswers(AnswerReason.INVALID_SCORE)
        score = int(raw_score)
    resolved: str | None = None
    if raw_resolved and raw_resolved.lower() != NO_ANSWER:
        if raw_resolved not in RESOLVED_KEYS:
            raise InvalidAnswers(AnswerReason.INVALID_RESOLVED)
        resolved = RESOLVED_KEYS[raw_resolved]
    if score is None and resolved is None:
        raise InvalidAnswers(AnswerReason.NO_ANSWER)
    return SurveyAnswers(contact_id, score, resolved)


def followup_for(survey: SurveyRecord, answers: SurveyAnswers, policy: SurveyPolicy,
                 now: datetime) -> FollowUp | None:
    """A low score (1..threshold) or an unresolved issue opens one follow-up, keyed by the contact."""
    if answers.score is not None and answers.score <= policy.low_score_threshold:
        reason = FollowUpReason.LOW_SCORE
    elif answers.resolved == "no":
        reason = FollowUpReason.NOT_RESOLVED
    else:
        return None
    if not survey.customer_id:
        return None  # a sent survey always has its customer; without one there is no one to follow up
    return FollowUp(
        followup_id=f"survey-{survey.contact_id}",
        customer_id=survey.customer_id,
        contact_id=survey.contact_id,
        reason=reason,
        created_at=now,
        score=answers.score,
        agent_arn=survey.agent_arn,
        queue_arn=survey.queue_arn,
    )


def low_score_event(survey: SurveyRecord, answers: SurveyAnswers, followup: FollowUp) -> DomainEvent:
    return DomainEvent(
        name=SURVEY_LOW_SCORE,
        correlation_id=survey.contact_id,
        data={
            "contact_id": survey.contact_id,
            "customer_id": followup.customer_id,
            "followup_id": followup.followup_id,
            "reason": followup.reason.value,
            "score": answers.score,
            "resolved": answers.resolved,
            "agent_arn": survey.agent_arn,
            "queue_arn": survey.queue_arn,
            "channel": survey.channel,
        },
    )


def _rejected(reason: AnswerReason, contact_id: str | None = None) -> AnswerResult:
    return AnswerResult(False, reason, contact_id)


def record_survey_answers(
    parameters: Mapping[str, Any],
    *,
    store: AnswerStore,
    publisher: EventPublisher,
    policy: SurveyPolicy,
    clock: Callable[[], datetime],
) -> AnswerResult:
    """Validate, store at most once (conditional on the survey being sent and unanswered), follow up."""
    try:
        answers = parse_answers(parameters)
    except InvalidAnswers as invalid:
        return _rejected(invalid.reason, _text(parameters, "survey_contact_id") or None)
    try:
        survey = store.get(answers.contact_id)
        if survey is None:
            return _rejected(AnswerReason.UNKNOWN_SURVEY, answers.contact_id)
        if survey.status is SurveyStatus.ANSWERED:
            return _rejected(AnswerReason.ALREADY_ANSWERED, answers.contact_id)
        if survey.status not in ANSWERABLE_STATUSES:
            return _rejected(AnswerReason.NOT_DISPATCHED, answers.contact_id)
        now = clock()
        followup = followup_for(survey, answers, policy, now)
        stored = store.record_answers(survey, score=answers.score, resolved=answers.resolved, answered_at=now,
                                      followup=followup)
    except SurveyStoreUnavailable:
        return _rejected(AnswerReason.STORE_UNAVAILABLE, answers.contact_id)
    if not stored:
        return _rejected(AnswerReason.ALREADY_ANSWERED, answers.contact_id)
    published = False
    if followup is not None:
        try:
            publisher.publish([low_score_event(survey, answers, followup)])
            published = True
        except EventPublishError:
            # The answers and the follow-up are stored (one transaction); only the notification is
            # missing. The handler logs and counts it; the follow-up is still in the table.
            published = False
    return AnswerResult(True, AnswerReason.RECORDED, answers.contact_id, followup, published)
