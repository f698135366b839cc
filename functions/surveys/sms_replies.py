"""A survey answered by SMS: a digit 1-5, then Y or N, each recorded once. Plain Python; the store and the event
publisher are passed in. The SMS itself arrives at the sms-inbound function (functions/sms/), which asks here
first whether a message from a customer answers their survey.

Which survey: the customer's newest SMS survey (the `by_customer` index, channel sms). It is awaiting a score
while `dispatched`, then (status `answered` with a score and no resolution) awaiting Y or N. A reply comes
within REPLY_WINDOW of the survey's creation or it is too late: the customer is told the survey has closed.

Exactly once, however often the carrier (or SNS, or SQS) delivers the same reply: each answer is a write
conditional on the survey being as read (status, version; the resolution also on `resolved` not existing), so
of any number of deliveries one records it. A later delivery that repeats the recorded answer is a DUPLICATE
and gets no text back (the customer had the answer to the first); a different answer to a question already
answered is told so. A low score opens the follow-up with the score (as on the phone), an unresolved problem
with a good score opens it with the resolution; never two for one survey (the follow-up id is the survey's).

Anything that is not an answer (a sentence, a question) is not a survey reply: `answer_by_sms` returns None and
the message goes to an agent. Short text that is not an answer (five characters or fewer: "x", "five", "ok")
while a survey waits gets the question again, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import msgspec

from functions.common.events import EventPublisher, EventPublishError
from functions.surveys.answers import SurveyAnswers, followup_for, low_score_event
from functions.surveys.policy import SurveyPolicy
from functions.surveys.record import ANSWERABLE_STATUSES, FollowUp, SurveyRecord, SurveyStatus

REPLY_WINDOW = timedelta(days=3)
LOOKBACK = timedelta(days=30)  # older surveys are not read at all: a reply to them is no survey reply
SHORT_REPLY_CHARS = 5
YES, NO = "yes", "no"
ANSWER_TOKENS = {"y": YES, "yes": YES, "n": NO, "no": NO}

ASK_SCORE = "Please reply with a number from 1 (poor) to 5 (excellent)."
ASK_RESOLVED = "Thank you! Was your issue resolved? Reply Y for yes or N for no."
THANKS = "Thank you for your feedback."
ALREADY = "Thank you, your answers are already recorded."
CLOSED = "Sorry, this survey has closed. Thank you for your time."


class SmsReplyReason(StrEnum):
    SCORE_RECORDED = "SCORE_RECORDED"
    RESOLUTION_RECORDED = "RESOLUTION_RECORDED"
    DUPLICATE = "DUPLICATE"  # the same answer again: recorded once, no second text
    ALREADY_ANSWERED = "ALREADY_ANSWERED"  # a different answer to a question already answered
    EXPECTING_SCORE = "EXPECTING_SCORE"  # Y/N (or short text) before the score
    EXPECTING_YES_NO = "EXPECTING_YES_NO"  # a digit (or short text) when the score is in
    INVALID_SCORE = "INVALID_SCORE"  # 0, 6-9, 10...
    SURVEY_EXPIRED = "SURVEY_EXPIRED"


class SmsAnswer(msgspec.Struct, frozen=True):
    """What a message says as an answer: a score, a resolution, or neither (`text` is the normalized text)."""

    text: str
    score: int | None = None
    resolved: str | None = None
    number: bool = False  # all digits (a score or an invalid one)

    @property
    def is_answer(self) -> bool:
        return self.number or self.resolved is not None


class SmsReplyResult(msgspec.Struct, frozen=True):
    reason: SmsReplyReason
    contact_id: str  # the surveyed contact
    reply: str | None  # what to text back (None: nothing)
    recorded: bool = False
    followup: FollowUp | None = None
    published: bool = False


class SmsSurveyStore(Protocol):
    def sms_surveys_of(self, customer_id: str, since: datetime) -> list[SurveyRecord]: ...
    def record_answers(self, survey: SurveyRecord, *, score: int | None, resolved: str | None,
                       answered_at: datetime, followup: FollowUp | None) -> bool: ...
    def record_resolution(self, survey: SurveyRecord, *, resolved: str, answered_at: datetime,
                          followup: FollowUp | None) -> bool: ...


def read_answer(text: str) -> SmsAnswer:
    """`text` as an answer: digits (a score 1-5 or an invalid number), Y/YES/N/NO (any case, a trailing . or !)."""
    token = text.strip().rstrip(".!").strip().casefold()
    if token.isascii() and token.isdigit():
        score = int(token) if len(token) == 1 and token in "12345" else None
        return SmsAnswer(token, score=score, number=True)
    return SmsAnswer(token, resolved=ANSWER_TOKENS.get(token))


def _awaiting_score(survey: SurveyRecord) -> bool:
    return survey.status in ANSWERABLE_STATUSES


def _awaiting_resolution(survey: SurveyRecord) -> bool:
    return survey.status is SurveyStatus.ANSWERED and survey.score is not None and survey.resolved is None


class SmsSurveyReplies:
    def __init__(self, *, store: SmsSurveyStore, publisher: EventPublisher, policy: SurveyPolicy,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.publisher = publisher
        self.policy = policy
        self.clock = clock

    def answer_by_sms(self, customer_id: str, text: str, attempts: int = 2) -> SmsReplyResult | None:
        """The outcome of `text` as an answer to the customer's survey; None when it is no survey reply."""
        answer = read_answer(text)
        now = self.clock()
        sent = [s for s in self.store.sms_surveys_of(customer_id, now - LOOKBACK)
                if s.status in (*ANSWERABLE_STATUSES, SurveyStatus.ANSWERED)]  # not delayed, skipped or failed
        if not sent:
            return None
        survey = sent[0]
        short = len(answer.text) <= SHORT_REPLY_CHARS
        if not (answer.is_answer or (short and (_awaiting_score(survey) or _awaiting_resolution(survey)))):
            return None  # a sentence: for an agent
        if not (_awaiting_score(survey) or _awaiting_resolution(survey)):
            same = (answer.score is not None and answer.score == survey.score) or (
                answer.resolved is not None and answer.resolved == survey.resolved)
            return SmsReplyResult(SmsReplyReason.DUPLICATE if same else SmsReplyReason.ALREADY_ANSWERED,
                                  survey.contact_id, None if same else ALREADY)
        if now - survey.created_at > REPLY_WINDOW:
            return SmsReplyResult(SmsReplyReason.SURVEY_EXPIRED, survey.contact_id, CLOSED)
        if _awaiting_score(survey):
            if answer.score is None:
                reason = (SmsReplyReason.INVALID_SCORE if answer.number else SmsReplyReason.EXPECTING_SCORE)
                return SmsReplyResult(reason, survey.contact_id, ASK_SCORE)
            return self._record(survey, SurveyAnswers(survey.contact_id, answer.score, None), now, customer_id,
                                text, attempts)
        if answer.resolved is None:
            if answer.score is not None and answer.score == survey.score:
                return SmsReplyResult(SmsReplyReason.DUPLICATE, survey.contact_id, None)
            return SmsReplyResult(SmsReplyReason.EXPECTING_YES_NO, survey.contact_id, ASK_RESOLVED)
        return self._record(survey, SurveyAnswers(survey.contact_id, survey.score, answer.resolved), now,
                            customer_id, text, attempts)

    def _record(self, survey: SurveyRecord, answers: SurveyAnswers, now: datetime, customer_id: str, text: str,
                attempts: int) -> SmsReplyResult | None:
        scoring = answers.resolved is None
        followup = followup_for(survey, answers, self.policy, now)
        if not scoring and followup is not None and followup.reason.value == "LOW_SCORE":
            followup = None  # the score opened it already (one follow-up per survey)
        if scoring:
            stored = self.store.record_answers(survey, score=answers.score, resolved=None, answered_at=now,
                                               followup=followup)
        else:
            assert answers.resolved is not None
            stored = self.store.record_resolution(survey, resolved=answers.resolved, answered_at=now,
                                                  followup=followup)
        if not stored:
            # Another delivery of the same reply (or another answer) won the write: decide again on what is there.
            if attempts <= 1:
                return SmsReplyResult(SmsReplyReason.DUPLICATE, survey.contact_id, None)
            return self.answer_by_sms(customer_id, text, attempts - 1)
        published = False
        if followup is not None:
            try:
                self.publisher.publish([low_score_event(survey, answers, followup)])
                published = True
            except EventPublishError:
                published = False  # the follow-up is stored with the answer; the handler logs and counts it
        reason = SmsReplyReason.SCORE_RECORDED if scoring else SmsReplyReason.RESOLUTION_RECORDED
        return SmsReplyResult(reason, survey.contact_id, ASK_RESOLVED if scoring else THANKS, True, followup, published)
