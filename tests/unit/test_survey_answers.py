"""Storing survey answers once; low scores and unresolved issues open a follow-up and publish SurveyLowScore."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from msgspec.structs import replace

from functions.common.events import InMemoryPublisher
from functions.surveys.answers import AnswerReason, parse_answers, record_survey_answers
from functions.surveys.policy import load_survey_policy
from functions.surveys.record import FollowUp, SurveyRecord, SurveyStatus, SurveyStoreUnavailable

NOW = datetime(2026, 11, 24, 19, 5, tzinfo=UTC)
CONTACT = "3f1c2b4a-7d8e-4f90-a1b2-c3d4e5f60718"
AGENT, QUEUE = "arn:aws:connect:us-east-1:1:instance/i/agent/a", "arn:aws:connect:us-east-1:1:instance/i/queue/q"
SENT = SurveyRecord(CONTACT, SurveyStatus.DISPATCHED, NOW, NOW, customer_id="cust-ada", channel="voice",
                    agent_arn=AGENT, queue_arn=QUEUE, outbound_id="out-1", version=2)


@dataclass
class InMemoryAnswerStore:
    records: dict[str, SurveyRecord] = field(default_factory=dict)
    followups: dict[str, FollowUp] = field(default_factory=dict)
    unavailable: bool = False

    def get(self, contact_id: str) -> SurveyRecord | None:
        if self.unavailable:
            raise SurveyStoreUnavailable("ProvisionedThroughputExceededException")
        return self.records.get(contact_id)

    def record_answers(self, survey, *, score, resolved, answered_at, followup) -> bool:
        current = self.records.get(survey.contact_id)
        if current is None or current.version != survey.version:
            return False
        self.records[survey.contact_id] = replace(current, status=SurveyStatus.ANSWERED, score=score,
                                                  resolved=resolved, updated_at=answered_at,
                                                  version=current.version + 1)
        if followup is not None:
            self.followups[followup.followup_id] = followup
        return True


@pytest.fixture
def store():
    return InMemoryAnswerStore({CONTACT: SENT})


@pytest.fixture
def publisher():
    return InMemoryPublisher(clock=lambda: NOW)


def answer(store, publisher, **parameters):
    return record_survey_answers({"survey_contact_id": CONTACT, **parameters}, store=store, publisher=publisher,
                                 policy=load_survey_policy(), clock=lambda: NOW)


@pytest.mark.parametrize("score", ["3", "4", "5"])
def test_a_good_score_is_stored_without_a_follow_up(store, publisher, score):
    result = answer(store, publisher, score=score, resolved="1")
    assert result.to_connect() == {"recorded": "true", "followup": "false", "reason": "RECORDED"}
    record = store.records[CONTACT]
    assert (record.status, record.score, record.resolved) == (SurveyStatus.ANSWERED, int(score), "yes")
    assert (store.followups, publisher.events) == ({}, [])


@pytest.mark.parametrize(("score", "resolved", "reason"), [
    ("1", "1", "LOW_SCORE"),
    ("2", "none", "LOW_SCORE"),
    ("2", "2", "LOW_SCORE"),  # one follow-up, the low score named
    ("5", "2", "NOT_RESOLVED"),
    ("none", "2", "NOT_RESOLVED"),
])
def test_a_low_score_or_an_unresolved_issue_opens_a_follow_up_and_publishes_it(store, publisher, score, resolved,
                                                                               reason):
    result = answer(store, publisher, score=score, resolved=resolved)
    assert result.to_connect() == {"recorded": "true", "followup": "true", "reason": "RECORDED"}
    [followup] = store.followups.values()
    assert (followup.reason.value, followup.customer_id, followup.contact_id) == (reason, "cust-ada", CONTACT)
    assert (followup.agent_arn, followup.queue_arn) == (AGENT, QUEUE)
    [detail] = publisher.details
    assert detail["metadata"] == {"name": "SurveyLowScore", "version": "1", "source": "callcenter",
                                  "correlation_id": CONTACT, "time": NOW.isoformat()}
    assert detail["data"]["reason"] == reason
    assert detail["data"]["followup_id"] == followup.followup_id
    assert (detail["data"]["customer_id"], detail["data"]["agent_arn"]) == ("cust-ada", AGENT)


def test_answers_are_stored_at_most_once(store, publisher):
    first = answer(store, publisher, score="1", resolved="2")
    again = answer(store, publisher, score="5", resolved="1")
    assert first.recorded and not again.recorded
    assert again.to_connect() == {"recorded": "false", "followup": "false", "reason": "ALREADY_ANSWERED"}
    assert store.records[CONTACT].score == 1
    assert len(publisher.events) == 1


def test_answers_that_arrive_before_the_dispatcher_recorded_dispatched_are_accepted(store, publisher):
    store.records[CONTACT] = replace(SENT, status=SurveyStatus.DISPATCHING, outbound_id=None)
    assert answer(store, publisher, score="4", resolved="1").recorded


@pytest.mark.parametrize(("record", "reason"), [
    (None, "UNKNOWN_SURVEY"),
    (replace(SENT, status=SurveyStatus.SKIPPED, reason="NO_CONSENT"), "NOT_DISPATCHED"),
    (replace(SENT, status=SurveyStatus.ABANDONED), "NOT_DISPATCHED"),
    (replace(SENT, status=SurveyStatus.DELAYED), "NOT_DISPATCHED"),
])
def test_answers_for_a_survey_that_was_never_sent_are_refused(store, publisher, record, reason):
    if record is None:
        store.records.clear()
    else:
        store.records[CONTACT] = record
    assert answer(store, publisher, score="3", resolved="1").to_connect() == {
        "recorded": "false", "followup": "false", "reason": reason}


@pytest.mark.parametrize(("parameters", "reason"), [
    ({"survey_contact_id": "", "score": "3"}, "MISSING_SURVEY_CONTACT_ID"),
    ({"score": "3"}, "MISSING_SURVEY_CONTACT_ID"),
    ({"survey_contact_id": CONTACT, "score": "6"}, "INVALID_SCORE"),
    ({"survey_contact_id": CONTACT, "score": "0"}, "INVALID_SCORE"),
    ({"survey_contact_id": CONTACT, "score": "three"}, "INVALID_SCORE"),
    ({"survey_contact_id": CONTACT, "score": "3", "resolved": "yes"}, "INVALID_RESOLVED"),
    ({"survey_contact_id": CONTACT, "score": "none", "resolved": "none"}, "NO_ANSWER"),
    ({"survey_contact_id": CONTACT}, "NO_ANSWER"),
    ({"survey_contact_id": CONTACT, "score": 3}, "NO_ANSWER"),  # not a string: as if absent
])
def test_bad_parameters_get_a_clear_refusal_and_nothing_is_written(store, publisher, parameters, reason):
    result = record_survey_answers(parameters, store=store, publisher=publisher, policy=load_survey_policy(),
                                   clock=lambda: NOW)
    assert result.to_connect() == {"recorded": "false", "followup": "false", "reason": reason}
    assert store.records[CONTACT] == SENT


def test_the_flows_none_placeholders_and_whitespace_are_tolerated():
    answers = parse_answers({"survey_contact_id": f" {CONTACT} ", "score": " 4 ", "resolved": "NONE"})
    assert (answers.contact_id, answers.score, answers.resolved) == (CONTACT, 4, None)


def test_a_store_that_does_not_answer_is_a_refusal_not_an_error(store, publisher):
    store.unavailable = True
    assert answer(store, publisher, score="2").to_connect() == {
        "recorded": "false", "followup": "false", "reason": "STORE_UNAVAILABLE"}


def test_when_publishing_fails_the_answers_and_follow_up_stay_stored(store):
    publisher = InMemoryPublisher(fail_with="InternalFailure")
    result = answer(store, publisher, score="1")
    assert (result.recorded, result.followup is not None, result.published) == (True, True, False)
    assert store.records[CONTACT].status is SurveyStatus.ANSWERED
    assert len(store.followups) == 1


def test_every_reason_is_an_upper_snake_code_flows_can_compare():
    assert all(reason.value.replace("_", "").isalpha() and reason.value.isupper() for reason in AnswerReason)
