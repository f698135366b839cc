"""The survey dispatcher Lambda on the local backend: real SQS-shaped batches, real tables (moto), and Amazon
Connect / End User Messaging SMS stubbed at botocore's event layer (moto implements neither)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.awsrequest import AWSResponse
from msgspec.structs import replace

from callcenter.backend import DynamoDBTraffic, LocalLambdaContext, queue_arn
from functions.common import clock
from functions.common.aws import aws_client, reset_clients
from functions.common.claims import SEND_UNCONFIRMED
from functions.common.observability import logger
from functions.manifest import FUNCTIONS, QUEUES
from functions.profiles.store import get_profile, save_profiles
from functions.surveys.adapters import client_token
from functions.surveys.record import SurveyStatus
from functions.surveys.store import get_survey
from tests.conftest import load_event

DISPATCHER = FUNCTIONS["survey-dispatcher"]
AFTERNOON = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # 11:00 in Los Angeles, where Ada lives
LATE_EVENING = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)  # 21:30 in Los Angeles
NEXT_MORNING = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles
ADA_NUMBER = "+14155550100"
VISIBILITY_TIMEOUT = timedelta(seconds=QUEUES["survey-requests"].visibility_timeout_seconds)


# --- Connect and SMS at the botocore layer ----------------------------------------------------------

def _answer(status: int, body: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    response = AWSResponse("https://stub.invalid/", status, {"x-amzn-RequestId": str(uuid.uuid4())}, None)
    return response, {**body, "ResponseMetadata": {"HTTPStatusCode": status}}


class InvocationTimedOut(BaseException):
    """Lambda ended the invocation during this call: nothing of the handler runs after it (no except, no finally
    that could release the claim is reached by the real thing; BaseException gets past the handler's own)."""


@dataclass
class ConnectStub:
    """Answers GetContactAttributes, StartOutboundVoiceContact and SendTextMessage for our own clients.

    Registered first on the clients the survey functions use, so it answers before anything else
    (moto, or the local runtime's own emulation) would.
    """

    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # by initial contact id
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (operation, API parameters)
    failing: set[str] = field(default_factory=set)
    hanging: set[str] = field(default_factory=set)  # the call is made, then Lambda's timeout ends the invocation

    OPERATIONS = (("connect", "GetContactAttributes"), ("connect", "StartOutboundVoiceContact"),
                  ("pinpoint-sms-voice-v2", "SendTextMessage"))

    def install(self) -> None:
        reset_clients()
        for service, operation in self.OPERATIONS:
            # Full event names: botocore calls the most specific registrations first.
            emitter = aws_client(service).meta.events
            emitter.register_first(f"before-parameter-build.{service}.{operation}", self._keep)
            emitter.register_first(f"before-call.{service}.{operation}", self._respond)

    @staticmethod
    def _keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["stub_params"] = dict(params)

    def _respond(self, model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        params = context["stub_params"]
        self.requests.append((model.name, params))
        if model.name in self.hanging:
            raise InvocationTimedOut(model.name)
        if model.name in self.failing:
            # Real error messages may quote the number; nothing may carry it on into logs or errors.
            message = f"cannot reach {params.get('DestinationPhoneNumber', 'the contact')}"
            return _answer(500, {"Error": {"Code": "InternalServiceException", "Message": message}})
        if model.name == "GetContactAttributes":
            found = self.attributes.get(params["InitialContactId"])
            if found is None:
                return _answer(404, {"Error": {"Code": "ResourceNotFoundException", "Message": "no contact"}})
            return _answer(200, {"Attributes": found})
        if model.name == "StartOutboundVoiceContact":
            return _answer(200, {"ContactId": f"survey-call-{params['ClientToken']}"})
        return _answer(200, {"MessageId": f"sms-{len(self.requests)}"})

    def sent(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.requests if name == operation]


@dataclass
class QueueSpy:
    """What the dispatcher sends to SQS (moto stores it too; delayed messages are not visible yet)."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def install(self) -> None:
        aws_client("sqs").meta.events.register("before-parameter-build.sqs.SendMessage", self._keep)

    def _keep(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append(dict(params))


@pytest.fixture
def connect(demo_backend) -> Any:
    stub = ConnectStub()
    stub.install()
    yield stub
    reset_clients()


@pytest.fixture
def queue_spy(connect) -> QueueSpy:
    spy = QueueSpy()
    spy.install()
    return spy


# --- SQS batches as Lambda delivers them -------------------------------------------------------------

def sqs_record(body: str, message_id: str | None = None, receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "1764010361000",
                       "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1764010361000"},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:callcenter-local-survey-requests",
        "awsRegion": "us-east-1",
    }


def dispatch(*records: dict[str, Any], at: datetime = AFTERNOON) -> dict[str, Any]:
    context = LocalLambdaContext("survey-dispatcher", "arn:aws:lambda:us-east-1:123456789012:function:dispatcher",
                                 DISPATCHER.memory_mb, DISPATCHER.timeout_seconds)
    with clock.pinned(at):
        return DISPATCHER.load_handler()({"Records": list(records)}, context)


def body(name: str, **detail_changes: Any) -> str:
    envelope = load_event(name)
    envelope["detail"].update(detail_changes)
    return json.dumps(envelope)


ANSWERED = load_event("connect_contact_disconnected_answered")
CONTACT = ANSWERED["detail"]["contactId"]


def caller_was_ada(connect: ConnectStub, contact_id: str = CONTACT) -> None:
    """What the inbound flow left on the contact: the routing Lambda recognised Ada."""
    connect.attributes[contact_id] = {"customer_id": "cust-ada", "caller_status": "known", "queue": "vip"}


# --- tests -----------------------------------------------------------------------------------------------

def test_an_answered_call_gets_one_voice_survey_into_the_survey_flow(connect):
    caller_was_ada(connect)
    DynamoDBTraffic.reset()
    response = dispatch(sqs_record(json.dumps(ANSWERED)))
    requests = dict(DynamoDBTraffic.calls)
    assert response == {"batchItemFailures": []}
    # Connect was asked who called, then to place the survey call into the survey flow
    [(asked, read)] = connect.requests[:1]
    assert (asked, read) == ("GetContactAttributes", {"InstanceId": "local-instance", "InitialContactId": CONTACT})
    [call] = connect.sent("StartOutboundVoiceContact")
    assert call == {
        "DestinationPhoneNumber": ADA_NUMBER,
        "ContactFlowId": "survey",
        "InstanceId": "local-instance",
        "QueueId": queue_arn("general").rsplit("/", 1)[-1],
        "Attributes": {
            "call_type": "survey",
            "survey_contact_id": CONTACT,
            "survey_customer_id": "cust-ada",
            "survey_queue_arn": ANSWERED["detail"]["queueInfo"]["queueArn"],
            "survey_agent_arn": ANSWERED["detail"]["agentInfo"]["agentArn"],
        },
        "ClientToken": client_token(CONTACT),
    }
    # The record says dispatched, with the survey call's contact id
    survey = get_survey(CONTACT)
    assert (survey.status, survey.channel, survey.customer_id, survey.outbound_id) == (
        SurveyStatus.DISPATCHED, "voice", "cust-ada", f"survey-call-{client_token(CONTACT)}")
    # DynamoDB: read the survey record, the profile, the cooldown Query; write the claim, then dispatched
    assert requests == {"GetItem": 2, "Query": 1, "PutItem": 2}


def test_an_abandoned_call_is_recorded_and_nobody_is_called(connect):
    abandoned = load_event("connect_contact_disconnected_abandoned")
    DynamoDBTraffic.reset()
    assert dispatch(sqs_record(json.dumps(abandoned))) == {"batchItemFailures": []}
    assert DynamoDBTraffic.calls == {"PutItem": 1}
    assert get_survey(abandoned["detail"]["contactId"]).status is SurveyStatus.ABANDONED
    assert connect.requests == []  # not even a GetContactAttributes


def test_other_event_types_are_ignored(connect):
    assert dispatch(sqs_record(body("connect_contact_queued"))) == {"batchItemFailures": []}
    assert get_survey(CONTACT) is None
    assert connect.requests == []


def test_the_same_event_three_times_in_one_batch_and_across_batches_is_one_survey(connect):
    caller_was_ada(connect)
    message = json.dumps(ANSWERED)
    assert dispatch(*(sqs_record(message) for _ in range(3))) == {"batchItemFailures": []}
    assert dispatch(sqs_record(message)) == {"batchItemFailures": []}
    assert dispatch(sqs_record(message), sqs_record(message)) == {"batchItemFailures": []}
    assert len(connect.sent("StartOutboundVoiceContact")) == 1
    assert get_survey(CONTACT).status is SurveyStatus.DISPATCHED


def test_events_from_the_manifest_rule_arrive_as_the_whole_envelope_and_are_surveyed(connect, demo_backend):
    # Given Connect publishes the DISCONNECTED event twice (best effort, at least once) on the default bus
    caller_was_ada(connect)
    events, sqs = boto3.client("events"), boto3.client("sqs")
    for _ in range(2):
        events.put_events(Entries=[{"Source": "aws.connect", "DetailType": "Amazon Connect Contact Event",
                                    "Detail": json.dumps(ANSWERED["detail"]), "Time": AFTERNOON}])
    # When the rule's queue is delivered to the dispatcher as Lambda would
    url = demo_backend.queue_urls["survey-requests"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    response = dispatch(*(sqs_record(m["Body"], m["MessageId"]) for m in messages))
    # Then both envelopes were read and one survey call placed
    assert len(messages) == 2 and response == {"batchItemFailures": []}
    assert len(connect.sent("StartOutboundVoiceContact")) == 1


def test_a_poison_message_is_reported_while_the_rest_of_the_batch_is_done(connect):
    caller_was_ada(connect)
    abandoned = load_event("connect_contact_disconnected_abandoned")
    response = dispatch(sqs_record(json.dumps(ANSWERED), "good-1"), sqs_record("{not json", "poison"),
                        sqs_record(json.dumps({"hello": "world"}), "not-an-event"),
                        sqs_record(json.dumps(abandoned), "good-2"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "poison"}, {"itemIdentifier": "not-an-event"}]}
    assert get_survey(CONTACT).status is SurveyStatus.DISPATCHED
    assert get_survey(abandoned["detail"]["contactId"]).status is SurveyStatus.ABANDONED


def test_a_channel_that_keeps_failing_is_reported_each_time_and_retried_until_it_works(connect):
    # Given Connect refuses to place calls
    caller_was_ada(connect)
    connect.failing.add("StartOutboundVoiceContact")
    abandoned = load_event("connect_contact_disconnected_abandoned")
    for attempt in (1, 2):
        response = dispatch(sqs_record(json.dumps(ANSWERED), "survey", attempt),
                            sqs_record(json.dumps(abandoned), f"other-{attempt}"))
        # Then only the survey is reported failed (SQS redelivers it, then moves it to the DLQ)
        assert response == {"batchItemFailures": [{"itemIdentifier": "survey"}]}
        assert (get_survey(CONTACT).status, get_survey(CONTACT).reason) == (SurveyStatus.FAILED, "CHANNEL_ERROR")
    # When Connect recovers before the last delivery, the survey goes out once
    connect.failing.clear()
    assert dispatch(sqs_record(json.dumps(ANSWERED), "survey", 3)) == {"batchItemFailures": []}
    assert get_survey(CONTACT).status is SurveyStatus.DISPATCHED
    tokens = {call["ClientToken"] for call in connect.sent("StartOutboundVoiceContact")}
    assert tokens == {client_token(CONTACT)}  # every attempt the same call to Connect


def test_connect_not_knowing_the_contact_means_an_unknown_customer(connect):
    assert dispatch(sqs_record(json.dumps(ANSWERED))) == {"batchItemFailures": []}
    survey = get_survey(CONTACT)
    assert (survey.status, survey.reason) == (SurveyStatus.SKIPPED, "UNKNOWN_CUSTOMER")


def test_a_survey_due_at_night_is_re_enqueued_with_a_delay_and_sent_in_the_morning(connect, queue_spy):
    caller_was_ada(connect)
    # When the call ends at 21:30 in Los Angeles
    assert dispatch(sqs_record(json.dumps(ANSWERED)), at=LATE_EVENING) == {"batchItemFailures": []}
    # Then nobody is called; the event goes back on the queue, delayed, and the record says so
    assert connect.sent("StartOutboundVoiceContact") == []
    [sent] = queue_spy.sent
    assert (sent["QueueUrl"].endswith("callcenter-local-survey-requests"), sent["DelaySeconds"]) == (True, 900)
    message = json.loads(sent["MessageBody"])
    assert message == {"kind": "delayed-survey", "not_before": NEXT_MORNING.isoformat(), "event": ANSWERED}
    survey = get_survey(CONTACT)
    assert (survey.status, survey.not_before) == (SurveyStatus.DELAYED, NEXT_MORNING)
    # When the delayed message comes back early it is sent on again; at 09:00 the survey call is placed
    assert dispatch(sqs_record(sent["MessageBody"]), at=LATE_EVENING.replace(minute=45)) == {"batchItemFailures": []}
    assert len(queue_spy.sent) == 2 and connect.sent("StartOutboundVoiceContact") == []
    assert dispatch(sqs_record(sent["MessageBody"]), at=NEXT_MORNING) == {"batchItemFailures": []}
    assert len(connect.sent("StartOutboundVoiceContact")) == 1
    assert get_survey(CONTACT).status is SurveyStatus.DISPATCHED


def test_a_customer_who_prefers_sms_gets_one_transactional_text(connect):
    caller_was_ada(connect)
    save_profiles([replace(get_profile("cust-ada"), preferred_channel="sms")])
    assert dispatch(sqs_record(json.dumps(ANSWERED))) == {"batchItemFailures": []}
    [text] = connect.sent("SendTextMessage")
    assert (text["DestinationPhoneNumber"], text["OriginationIdentity"], text["MessageType"]) == (
        ADA_NUMBER, "+18005550111", "TRANSACTIONAL")
    assert "1" in text["MessageBody"] and "5" in text["MessageBody"]
    assert connect.sent("StartOutboundVoiceContact") == []
    survey = get_survey(CONTACT)
    assert (survey.status, survey.channel, survey.outbound_id) == (SurveyStatus.DISPATCHED, "sms", "sms-2")


def test_with_sms_disabled_an_sms_customer_is_called(connect, monkeypatch):
    caller_was_ada(connect)
    save_profiles([replace(get_profile("cust-ada"), preferred_channel="sms")])
    monkeypatch.setenv("SMS_ORIGINATION_IDENTITY", "")
    dispatch(sqs_record(json.dumps(ANSWERED)))
    assert (len(connect.sent("SendTextMessage")), len(connect.sent("StartOutboundVoiceContact"))) == (0, 1)


def test_logs_carry_the_outcome_but_never_the_full_number_or_the_name(connect, caplog):
    caplog.set_level("INFO")
    caller_was_ada(connect)
    connect.failing.add("SendTextMessage")
    dispatch(sqs_record(json.dumps(ANSWERED)), sqs_record("{poison"))
    save_profiles([replace(get_profile("cust-ada"), preferred_channel="sms")])
    other = body("connect_contact_disconnected_answered", contactId="c-2", initialContactId="c-2")
    caller_was_ada(connect, "c-2")
    with pytest.raises(BatchProcessingError) as whole_batch_failed:  # past the cooldown: an SMS that fails
        dispatch(sqs_record(other), at=AFTERNOON.replace(year=2027))
    output = "\n".join(logger.registered_formatter.format(record) for record in caplog.records)
    assert "4155550100" not in str(whole_batch_failed.value)  # what Lambda prints for a failed invocation
    records = [json.loads(line) for line in output.splitlines()]
    assert any(r.get("message") == "survey request handled" and r.get("outcome") == "dispatched" for r in records)
    assert any(r.get("message") == "survey dispatch failed; the message will be retried" for r in records)
    assert any(r.get("message") == "malformed survey request" for r in records)
    for secret in ("4155550100", "Ada", "Lovelace"):
        assert secret not in output


def test_a_customer_surveyed_three_days_ago_after_another_call_is_not_surveyed_again(connect):
    caller_was_ada(connect)
    dispatch(sqs_record(json.dumps(ANSWERED)), at=AFTERNOON - timedelta(days=3))
    later = body("connect_contact_disconnected_answered", contactId="c-later", initialContactId="c-later")
    caller_was_ada(connect, "c-later")
    assert dispatch(sqs_record(later)) == {"batchItemFailures": []}
    assert (get_survey("c-later").status, get_survey("c-later").reason) == (SurveyStatus.SKIPPED, "RECENTLY_SURVEYED")
    assert len(connect.sent("StartOutboundVoiceContact")) == 1


@pytest.mark.parametrize(("channel", "preferred"), [("voice", "voice"), ("sms", "sms")])
def test_a_dispatcher_that_dies_after_its_claim_is_followed_up_when_its_message_comes_back(connect, channel, preferred):
    # Given Ada's contact, its message received at AFTERNOON, and the dispatcher ended by Lambda's timeout while
    # Connect / End User Messaging was placing the call or sending the text, 2 s after the receive
    caller_was_ada(connect)
    save_profiles([replace(get_profile("cust-ada"), preferred_channel=preferred)])
    operation = "StartOutboundVoiceContact" if channel == "voice" else "SendTextMessage"
    message = sqs_record(json.dumps(ANSWERED))
    connect.hanging.add(operation)
    with pytest.raises(InvocationTimedOut):
        dispatch(message, at=AFTERNOON + timedelta(seconds=2))
    connect.hanging.clear()
    assert get_survey(CONTACT).status is SurveyStatus.DISPATCHING
    # When a copy of the event comes while that claim is young, it fails (a batch of one: the whole batch), so SQS
    # keeps it for later instead of deleting it
    copy = sqs_record(json.dumps(ANSWERED))
    with pytest.raises(BatchProcessingError):
        dispatch(copy, at=AFTERNOON + timedelta(seconds=20))
    # When the message comes back exactly one visibility timeout after its receive
    redelivered = {**message, "attributes": {**message["attributes"], "ApproximateReceiveCount": "2"}}
    assert dispatch(redelivered, at=AFTERNOON + VISIBILITY_TIMEOUT) == {"batchItemFailures": []}
    attempts = connect.sent(operation)
    if channel == "voice":
        # Then the call is placed again with the crashed attempt's ClientToken: Connect places it at most once
        assert len(attempts) == 2 and attempts[0]["ClientToken"] == attempts[1]["ClientToken"]
        assert get_survey(CONTACT).status is SurveyStatus.DISPATCHED
    else:
        # Then an SMS, which has no such token, is not sent again: the record says it is unconfirmed
        assert len(attempts) == 1
        assert (get_survey(CONTACT).status, get_survey(CONTACT).reason) == (SurveyStatus.SKIPPED, SEND_UNCONFIRMED)
    # And the copy, delivered again, finds the contact settled
    assert dispatch(copy, at=AFTERNOON + VISIBILITY_TIMEOUT + timedelta(seconds=20)) == {"batchItemFailures": []}
    assert len(connect.sent(operation)) == len(attempts)
