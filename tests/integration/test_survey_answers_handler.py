"""The survey answers Lambda on the local backend (moto): answers stored once, low scores followed up and
published on our event bus, bad input answered clearly; and the whole survey, from hang-up to answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from callcenter.backend import LOCAL_EVENT_BUS, DynamoDBTraffic, LocalLambdaContext, local_arn
from flowlang.flow import flow_files, load_flow, substitute
from flowlang.prompts import localize
from flowlang.simulator import ContactStart, run_flow
from functions.common import clock
from functions.common.aws import reset_clients
from functions.manifest import FUNCTIONS
from functions.surveys.record import SurveyRecord, SurveyStatus
from functions.surveys.store import create_survey, get_followup, get_survey
from tests.conftest import load_event
from tests.integration.test_survey_dispatcher_handler import ConnectStub, dispatch, sqs_record

ANSWERS = FUNCTIONS["survey-answers"]
NOW = datetime(2026, 11, 24, 19, 20, tzinfo=UTC)
CONTACT = "3f1c2b4a-7d8e-4f90-a1b2-c3d4e5f60718"
AGENT = "arn:aws:connect:us-east-1:123456789012:instance/9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa/agent/8a7b6c5d"
QUEUE = "arn:aws:connect:us-east-1:123456789012:instance/9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa/queue/5e1d0a3c"


def invoke(event: Any) -> dict[str, str]:
    context = LocalLambdaContext("survey-answers", "arn:aws:lambda:us-east-1:123456789012:function:answers",
                                 ANSWERS.memory_mb, ANSWERS.timeout_seconds)
    with clock.pinned(NOW):
        return ANSWERS.load_handler()(event, context)


def answers_event(**parameters: str) -> dict[str, Any]:
    event = load_event("survey_flow_answers")
    event["Details"]["Parameters"] = {"survey_contact_id": CONTACT, **parameters}
    return event


@pytest.fixture
def sent_survey(backend) -> SurveyRecord:
    """A voice survey the dispatcher placed for Ada's call."""
    at = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
    return create_survey(SurveyRecord(CONTACT, SurveyStatus.DISPATCHED, at, at, customer_id="cust-ada",
                                      channel="voice", agent_arn=AGENT, queue_arn=QUEUE, outbound_id="call-1"))


@pytest.fixture
def low_scores(backend) -> str:
    """An SQS queue subscribed to SurveyLowScore on our bus, to see what was published."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="low-scores")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="low-scores", EventBusName=LOCAL_EVENT_BUS,
                    EventPattern=json.dumps({"source": ["callcenter"], "detail-type": ["SurveyLowScore"]}))
    events.put_targets(Rule="low-scores", EventBusName=LOCAL_EVENT_BUS, Targets=[{"Id": "q", "Arn": arn}])
    return url


def published(url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.mark.parametrize("score", ["1", "2", "3", "4", "5"])
def test_each_key_from_1_to_5_is_stored_once(sent_survey, score):
    first = invoke(answers_event(score=score, resolved="1"))
    again = invoke(answers_event(score="5" if score != "5" else "1", resolved="2"))
    assert first["recorded"] == "true"
    assert again == {"recorded": "false", "followup": "false", "reason": "ALREADY_ANSWERED"}
    survey = get_survey(CONTACT)
    assert (survey.status, survey.score, survey.resolved) == (SurveyStatus.ANSWERED, int(score), "yes")


def test_a_good_score_is_two_requests_and_opens_nothing(sent_survey, low_scores):
    DynamoDBTraffic.reset()
    assert invoke(answers_event(score="5", resolved="1")) == {"recorded": "true", "followup": "false",
                                                            "reason": "RECORDED"}
    assert DynamoDBTraffic.calls == {"GetItem": 1, "UpdateItem": 1}
    assert get_followup(f"survey-{CONTACT}") is None
    assert published(low_scores) == []


def test_a_low_score_opens_a_follow_up_and_publishes_survey_low_score_on_the_bus(sent_survey, low_scores):
    DynamoDBTraffic.reset()
    answer = invoke(answers_event(score="2", resolved="2"))
    requests = dict(DynamoDBTraffic.calls)
    assert answer == {"recorded": "true", "followup": "true", "reason": "RECORDED"}
    # The answers and the follow-up are written together, in one transaction
    assert requests == {"GetItem": 1, "TransactWriteItems": 1}
    followup = get_followup(f"survey-{CONTACT}")
    assert (followup.reason.value, followup.customer_id, followup.contact_id, followup.score) == (
        "LOW_SCORE", "cust-ada", CONTACT, 2)
    assert (followup.agent_arn, followup.queue_arn) == (AGENT, QUEUE)
    [event] = published(low_scores)
    assert (event["source"], event["detail-type"]) == ("callcenter", "SurveyLowScore")
    assert event["detail"]["metadata"]["correlation_id"] == CONTACT
    assert event["detail"]["data"] | {} == {
        "contact_id": CONTACT, "customer_id": "cust-ada", "followup_id": f"survey-{CONTACT}", "reason": "LOW_SCORE",
        "score": 2, "resolved": "no", "agent_arn": AGENT, "queue_arn": QUEUE, "channel": "voice"}


def test_an_unresolved_issue_with_a_fine_score_is_followed_up_too(sent_survey, low_scores):
    assert invoke(answers_event(score="4", resolved="2"))["followup"] == "true"
    assert get_followup(f"survey-{CONTACT}").reason.value == "NOT_RESOLVED"
    assert [e["detail"]["data"]["reason"] for e in published(low_scores)] == ["NOT_RESOLVED"]


@pytest.mark.parametrize(("event", "reason"), [
    (None, "MALFORMED_EVENT"),
    ("text", "MALFORMED_EVENT"),
    ({}, "MALFORMED_EVENT"),
    ({"Details": {"ContactData": {}}}, "MALFORMED_EVENT"),
    ({"Details": {"Parameters": {}}}, "MISSING_SURVEY_CONTACT_ID"),
    (answers_event(score="9", resolved="1"), "INVALID_SCORE"),
    (answers_event(score="3", resolved="maybe"), "INVALID_RESOLVED"),
    (answers_event(score="none", resolved="none"), "NO_ANSWER"),
    ({"Details": {"Parameters": {"survey_contact_id": "nobody", "score": "3"}}}, "UNKNOWN_SURVEY"),
])
def test_bad_input_gets_a_clear_recorded_false(sent_survey, event, reason):
    assert invoke(event) == {"recorded": "false", "followup": "false", "reason": reason}
    assert get_survey(CONTACT).status is SurveyStatus.DISPATCHED


def test_a_throttled_table_is_a_refusal_the_flow_can_handle(sent_survey):
    DynamoDBTraffic.throttle = True
    try:
        answer = invoke(answers_event(score="3", resolved="1"))
    finally:
        DynamoDBTraffic.throttle = False
    assert answer == {"recorded": "false", "followup": "false", "reason": "STORE_UNAVAILABLE"}


# --- the whole survey: hang-up, dispatcher, survey call through the flow, answers ------------------------

@pytest.fixture
def connect(demo_backend) -> Any:
    stub = ConnectStub()
    stub.install()
    yield stub
    reset_clients()


def test_an_unhappy_customer_from_hang_up_to_follow_up(demo_backend, connect, low_scores):
    # Given Ada's call was answered by an agent, and she hangs up
    connect.attributes[CONTACT] = {"customer_id": "cust-ada"}
    envelope = load_event("connect_contact_disconnected_answered")
    assert dispatch(sqs_record(json.dumps(envelope))) == {"batchItemFailures": []}
    [call] = connect.sent("StartOutboundVoiceContact")
    # When the survey call runs the survey flow and she presses 0 (not a score), then 1, then 2 (not resolved)
    flow = substitute(localize(load_flow(flow_files()["survey"])), local_arn)
    start = ContactStart(contact_id="survey-call-1", initiation_method="API",
                         customer_address=call["DestinationPhoneNumber"], attributes=call["Attributes"], now=NOW)
    demo_backend.now = NOW
    result = run_flow(flow, start, demo_backend, ["0", "1", "2"], flow_name="survey")
    # Then the real survey-answers handler stored her answers and opened a follow-up for the agent's team lead
    assert result.outcome == "disconnected"
    assert result.prompts[-1].startswith("Thank you for your feedback")
    assert result.lambda_calls[-1]["response"] == {"recorded": "true", "followup": "true", "reason": "RECORDED"}
    survey = get_survey(CONTACT)
    assert (survey.status, survey.score, survey.resolved) == (SurveyStatus.ANSWERED, 1, "no")
    assert get_followup(f"survey-{CONTACT}").agent_arn == envelope["detail"]["agentInfo"]["agentArn"]
    assert [e["detail"]["data"]["score"] for e in published(low_scores)] == [1]
