"""Two-way SMS on the local backend: End User Messaging's inbound document on the sms-inbound queue, the real
sms-inbound function, the Connect/SMS emulator, the SMS flow in the simulator (callcenter/sms_local.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from callcenter.backend import function_arn
from callcenter.sms_local import receive_sms, send_sms_survey
from functions.profiles.store import get_profile
from functions.surveys.sms_replies import ASK_RESOLVED, ASK_SCORE, CLOSED, THANKS
from functions.surveys.store import FollowUpItem, SurveyItem, get_survey
from functions.tickets import store as ticket_store

AT = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)  # 13:30 in New York, 10:30 in Los Angeles: no quiet hours
JOSE = "+12065550180"  # cust-0024: consents to SMS and surveys, prefers SMS
LUCIA = "+13035550140"  # cust-0044: prefers SMS, her plan expires 2026-12-08 and her warranty 2027-02-05
VIP = "+14155550100"  # cust-edsger-like VIP of the demo file (README: "a VIP customer")


def sms_survey(backend: Any, number: str = JOSE) -> str:
    contact_id = send_sms_survey(backend, number, AT - timedelta(minutes=10))
    survey = get_survey(contact_id)
    assert survey is not None and (survey.status.value, survey.channel) == ("dispatched", "sms")
    return contact_id


def test_a_survey_answered_by_sms_is_recorded_once_under_duplicate_delivery(demo_backend: Any) -> None:
    # Given an SMS survey texted after José's call
    contact_id = sms_survey(demo_backend)
    # When his "2" arrives three times (carrier and SNS duplicates), then his "N" twice
    score = receive_sms(demo_backend, JOSE, "2", AT, deliveries=3, message_id="in-1")
    resolution = receive_sms(demo_backend, JOSE, " n ", AT + timedelta(minutes=1), deliveries=2,
                             message_id="in-2")
    # Then each answer is stored once, and each was answered once
    survey = get_survey(contact_id)
    assert survey is not None and (survey.status.value, survey.score, survey.resolved) == ("answered", 2, "no")
    assert score.survey_reasons == ["DUPLICATE", "DUPLICATE", "SCORE_RECORDED"]
    assert score.replies == [ASK_RESOLVED]
    assert resolution.survey_reasons == ["DUPLICATE", "RESOLUTION_RECORDED"] and resolution.replies == [THANKS]
    # and the low score opened one follow-up, which became one ticket (and its team's task)
    followups = [f for f in FollowUpItem.scan() if f.contact_id == contact_id]
    assert [(f.reason, f.score) for f in followups] == [("LOW_SCORE", 2)]
    assert [t.category for t in ticket_store.tickets_of_customer("cust-0024")] == ["complaint"]
    assert len(demo_backend.connect.tasks) == 1
    assert score.contacts == [] and resolution.contacts == []  # answers start no contact for an agent


def test_a_different_message_with_the_same_answer_is_a_duplicate_too(demo_backend: Any) -> None:
    sms_survey(demo_backend)
    first = receive_sms(demo_backend, JOSE, "5", AT, message_id="carrier-a")
    again = receive_sms(demo_backend, JOSE, "5.", AT, message_id="carrier-b")  # the carrier re-sent it, new id
    changed = receive_sms(demo_backend, JOSE, "3", AT, message_id="carrier-c")
    assert (first.survey_reasons, first.replies) == (["SCORE_RECORDED"], [ASK_RESOLVED])
    assert (again.survey_reasons, again.replies) == (["DUPLICATE"], [])
    assert (changed.survey_reasons, changed.replies) == (["EXPECTING_YES_NO"], [ASK_RESOLVED])


@pytest.mark.parametrize(("text", "reason"), [("x", "EXPECTING_SCORE"), ("7", "INVALID_SCORE"),
                                              ("yes", "EXPECTING_SCORE"), ("five", "EXPECTING_SCORE")])
def test_a_reply_that_is_not_a_score_gets_the_question_again_and_records_nothing(demo_backend: Any, text: str,
                                                                                reason: str) -> None:
    contact_id = sms_survey(demo_backend)
    run = receive_sms(demo_backend, JOSE, text, AT)
    assert (run.survey_reasons, run.replies) == ([reason], [ASK_SCORE])
    survey = get_survey(contact_id)
    assert survey is not None and survey.status.value == "dispatched" and survey.score is None


def test_a_reply_to_an_expired_survey_is_told_it_closed(demo_backend: Any) -> None:
    contact_id = sms_survey(demo_backend)
    run = receive_sms(demo_backend, JOSE, "4", AT + timedelta(days=4))
    assert (run.survey_reasons, run.replies) == (["SURVEY_EXPIRED"], [CLOSED])
    survey = get_survey(contact_id)
    assert survey is not None and survey.score is None


def test_stop_opts_the_customer_out_of_every_campaign_and_survey(demo_backend: Any) -> None:
    from callcenter.outreach_day import run_outreach_day

    # When Lucía texts STOP
    run = receive_sms(demo_backend, LUCIA, "Stop", AT)
    assert run.reasons == ["OPTED_OUT"] and run.replies == []  # End User Messaging answers the keyword itself
    profile = get_profile("cust-0044")
    assert profile is not None and profile.opted_out
    # Then neither campaign contacts her (each due date's planner skips her)...
    for day, campaign in ((date(2026, 12, 1), "plan-expiry"), (date(2027, 1, 6), "warranty-expiry")):
        lines = [line for line in run_outreach_day(demo_backend, day).lines
                 if line.customer_id == "cust-0044" and line.campaign_id == campaign]
        assert [(line.status, line.reason) for line in lines] == [("skipped", "OPTED_OUT")]
    # ...and her next call is not surveyed
    contact_id = send_sms_survey(demo_backend, LUCIA, AT + timedelta(hours=1))
    survey = get_survey(contact_id)
    assert survey is not None and (survey.status.value, survey.reason) == ("skipped", "OPTED_OUT")


def test_without_stop_the_same_customer_is_contacted(demo_backend: Any) -> None:
    """The control for the test above: the same day contacts Lucía when she did not text STOP."""
    from callcenter.outreach_day import run_outreach_day

    lines = [line for line in run_outreach_day(demo_backend, date(2026, 12, 1)).lines
             if line.customer_id == "cust-0044"]
    assert lines and lines[0].reason != "OPTED_OUT" and lines[0].status != "skipped"


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_000])
def test_empty_and_overlong_messages_get_a_clear_answer_and_start_nothing(demo_backend: Any, text: str) -> None:
    run = receive_sms(demo_backend, JOSE, text, AT)
    assert run.reasons == (["MESSAGE_TOO_LONG"] if text.strip() else ["EMPTY_MESSAGE"])
    assert len(run.replies) == 1 and run.contacts == []


def test_emoji_and_right_to_left_text_reach_the_agent_intact_and_disclose_nothing(demo_backend: Any) -> None:
    text = "שלום, my bill 🧾 is wrong — مرحبا"
    run = receive_sms(demo_backend, "+16175550199", text, AT)  # a number no profile has
    assert run.reasons == ["CONTACT_STARTED"]
    [(_, result)] = run.contacts
    assert result.outcome == "queued"
    # The chat carries the text as sent, and only the (unverified) number: no name, nothing from any profile
    assert run.first_messages == [text]
    assert any(record.function == "routing" for record in demo_backend.invocations)
    [reply] = run.replies
    assert "get back to you" in reply
    assert result.attributes["typed_identity"] == "+16175550199"
    assert "customer_name" not in result.attributes


def test_a_redelivered_message_is_the_same_sms_contact(demo_backend: Any) -> None:
    text = "Hello 👋 عربى"
    first = receive_sms(demo_backend, JOSE, text, AT, message_id="m-text")
    assert first.first_messages == [text]
    # StartChatContact's ClientToken comes from the message id: Connect answers with the contact it started
    again = receive_sms(demo_backend, JOSE, text, AT, message_id="m-text")
    assert again.reasons == ["CONTACT_STARTED"] and again.contacts == []


def test_a_malformed_body_fails_its_record_for_the_dead_letter_queue(demo_backend: Any) -> None:
    batch = {"Records": [{"messageId": "bad", "receiptHandle": "r", "body": json.dumps({"hello": "world"}),
                          "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0", "SenderId": "x",
                                         "ApproximateFirstReceiveTimestamp": "0"}, "messageAttributes": {},
                          "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:::q",
                          "awsRegion": "us-east-1"}]}
    from flowlang.simulator import LambdaInvocationError

    with pytest.raises(LambdaInvocationError, match="BatchProcessingError"):
        demo_backend.invoke_lambda(function_arn("sms-inbound"), batch, 30)
    assert demo_backend.metric_total("MalformedInboundSms") == 1


def test_a_survey_reply_from_an_unknown_number_records_nothing(demo_backend: Any) -> None:
    sms_survey(demo_backend)
    run = receive_sms(demo_backend, "+16175550199", "1", AT)  # not José's number: no survey of theirs
    assert run.reasons == ["CONTACT_STARTED"] and run.survey_reasons == []
    assert all(item.score is None for item in SurveyItem.scan())


@pytest.mark.parametrize(("number", "at", "expected"), [
    (VIP, AT, "VIP_TIER"),  # a VIP: the VIP queue
    ("+17135550188", AT, "LANGUAGE_MATCH"),  # María: Spanish-speaking agents
    ("+13125550123", datetime(2026, 11, 25, 2, 30, tzinfo=UTC), None),  # 21:30 in New York: after hours
])
def test_an_sms_is_routed_by_the_same_rules_as_a_call(demo_backend: Any, number: str, at: datetime,
                                                      expected: str | None) -> None:
    from callcenter.calls import CallRequest, place_call

    call = place_call(demo_backend, CallRequest(caller=number, at=at))
    run = receive_sms(demo_backend, number, "I need help with my account", at)
    [(_, sms)] = run.contacts
    keys = ("queue", "reason", "rule", "priority", "after_hours")
    assert {k: sms.attributes.get(k) for k in keys} == {k: call.attributes.get(k) for k in keys}
    if expected:
        assert sms.attributes["reason"] == expected
    else:  # the same opening hours, in the channel's words: a text is a message, not a call
        assert sms.attributes["after_hours"] == "true"
        assert sms.attributes["after_hours_message"].startswith("Thank you for your message. We are closed")
        assert call.attributes["after_hours_message"].startswith("Thank you for calling. We are closed")
