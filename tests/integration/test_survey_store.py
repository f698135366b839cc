"""The survey records in DynamoDB (moto): conditional writes decide who owns a contact's survey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from msgspec.structs import replace

from functions.surveys.record import SurveyRecord, SurveyStatus
from functions.surveys.store import create_survey, get_survey, last_survey_at, record_answers, replace_survey

T0 = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)


def claim(contact_id: str = "c-1", **fields) -> SurveyRecord:
    return SurveyRecord(contact_id, SurveyStatus.DISPATCHING, T0, T0, customer_id="cust-ada", channel="voice",
                        **fields)


def test_only_the_first_of_two_creates_wins(backend):
    first = create_survey(claim())
    second = create_survey(replace(claim(), status=SurveyStatus.SKIPPED, reason="NO_CONSENT"))
    assert (first.version, second) == (1, None)
    assert get_survey("c-1").status is SurveyStatus.DISPATCHING


def test_a_replace_based_on_a_stale_read_loses(backend):
    # Given two dispatchers read the same failed record
    stored = create_survey(replace(claim(), status=SurveyStatus.FAILED))
    seen_by_a = seen_by_b = get_survey("c-1")
    assert seen_by_a == stored
    # When both try to claim it
    won = replace_survey(replace(seen_by_a, status=SurveyStatus.DISPATCHING, updated_at=T0 + timedelta(seconds=1)),
                         seen_by_a)
    lost = replace_survey(replace(seen_by_b, status=SurveyStatus.DISPATCHING, updated_at=T0 + timedelta(seconds=2)),
                          seen_by_b)
    # Then exactly one succeeds, and the record is the winner's
    assert (won.version, lost) == (2, None)
    assert get_survey("c-1").updated_at == T0 + timedelta(seconds=1)


def test_the_cooldown_query_sees_only_surveys_of_that_customer_within_the_window(backend):
    create_survey(replace(claim("old"), status=SurveyStatus.ANSWERED, created_at=T0 - timedelta(days=40)))
    create_survey(replace(claim("skipped"), status=SurveyStatus.SKIPPED, created_at=T0 - timedelta(days=2)))
    create_survey(replace(claim("abandoned"), status=SurveyStatus.ABANDONED, customer_id=None))
    create_survey(replace(claim("someone-else"), customer_id="cust-grace", created_at=T0 - timedelta(days=1)))
    since = T0 - timedelta(days=30)
    assert last_survey_at("cust-ada", since, excluding_contact="now") is None
    create_survey(replace(claim("recent"), status=SurveyStatus.DISPATCHED, created_at=T0 - timedelta(days=3)))
    create_survey(replace(claim("delayed"), status=SurveyStatus.DELAYED, created_at=T0 - timedelta(days=1)))
    assert last_survey_at("cust-ada", since, excluding_contact="now") == T0 - timedelta(days=1)
    assert last_survey_at("cust-ada", since, excluding_contact="delayed") == T0 - timedelta(days=3)


@pytest.mark.parametrize("status", [SurveyStatus.DISPATCHED, SurveyStatus.DISPATCHING])
def test_answers_are_written_once_however_often_they_arrive(backend, status):
    sent = create_survey(replace(claim(), status=status))
    assert record_answers(sent, score=4, resolved="yes", answered_at=T0, followup=None)
    assert not record_answers(sent, score=1, resolved="no", answered_at=T0, followup=None)
    answered = get_survey("c-1")
    assert (answered.status, answered.score, answered.resolved) == (SurveyStatus.ANSWERED, 4, "yes")
