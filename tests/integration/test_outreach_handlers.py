"""The outreach Lambdas end to end on moto: the planner's scheduled event, SQS batches delivered as Lambda
would (partial batch failures, redelivery, then the dead-letter queue), the outreach flow in the simulator
calling the real outreach-response handler, and Amazon Connect / End User Messaging SMS stubbed at
botocore's event layer (moto implements neither)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.awsrequest import AWSResponse

from callcenter.backend import LocalLambdaContext
from flowlang.flow import flow_files, load_flow, substitute
from flowlang.prompts import localize
from flowlang.simulator import CallResult, ContactStart, run_flow
from functions.common import clock
from functions.common.aws import aws_client, reset_clients
from functions.common.claims import SEND_UNCONFIRMED
from functions.manifest import QUEUES
from functions.outreach import planner_handler, response_handler, sender_handler
from functions.outreach import store as store
from functions.outreach.record import OutreachStatus
from functions.profiles.profile import CustomerProfile
from functions.profiles.store import save_profiles
from functions.storage.tables import reset_data_access
from tests.conftest import load_event
from tests.integration.test_outreach_store import outreach_aws

RUN_DATE = date(2026, 11, 24)
NOON = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 12:00 New York, 09:00 Los Angeles
MORNING = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 11:00 New York, 08:00 Los Angeles
WARRANTY_DUE = RUN_DATE + timedelta(days=30)
PLAN_DUE = RUN_DATE + timedelta(days=7)
FLOW_ID = "arn:aws:connect:us-east-1:123456789012:instance/local/contact-flow/outreach"
MAX_RECEIVES = 3
VISIBILITY_TIMEOUT = timedelta(seconds=QUEUES["outreach-requests"].visibility_timeout_seconds)


def customer(customer_id: str, phone: str, **fields: object) -> CustomerProfile:
    defaults: dict[str, object] = {"name": "Test Customer", "time_zone": "America/New_York", "consent_voice": True,
                                   "consent_sms": True, "warranty_expires": WARRANTY_DUE}
    return CustomerProfile(customer_id=customer_id, phone=phone, **{**defaults, **fields})  # type: ignore[arg-type]


ADA = customer("cust-ada", "+14155550100", time_zone="America/Los_Angeles", plan_expires=PLAN_DUE)
GRACE = customer("cust-grace", "+12125550175")
ALAN = customer("cust-alan", "+13125550123", time_zone="America/Chicago")
NO_CONSENT = customer("cust-quiet", "+16175550199", consent_voice=False, consent_sms=False)
NOT_DUE = customer("cust-later", "+17135550188", warranty_expires=WARRANTY_DUE + timedelta(days=40))


# --- Connect and SMS at the botocore layer ----------------------------------------------------------

def _answer(status: int, body: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    response = AWSResponse("https://stub.invalid/", status, {"x-amzn-RequestId": str(uuid.uuid4())}, None)
    return response, {**body, "ResponseMetadata": {"HTTPStatusCode": status}}


class InvocationTimedOut(BaseException):
    """Lambda ended the invocation during this call: none of the handler's own error handling runs after it."""


@dataclass
class ChannelStub:
    """Answers StartOutboundVoiceContact and SendTextMessage on the outreach functions' own clients."""

    failing_numbers: set[str] = field(default_factory=set)
    hanging_numbers: set[str] = field(default_factory=set)  # the request is made, then Lambda ends the invocation
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    OPERATIONS = (("connect", "StartOutboundVoiceContact"), ("pinpoint-sms-voice-v2", "SendTextMessage"))

    def install(self) -> None:
        reset_clients()
        for service, operation in self.OPERATIONS:
            emitter = aws_client(service).meta.events
            emitter.register_first(f"before-parameter-build.{service}.{operation}", self._keep)
            emitter.register_first(f"before-call.{service}.{operation}", self._respond)

    @staticmethod
    def _keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["stub_params"] = dict(params)

    def _respond(self, model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        params = context["stub_params"]
        self.requests.append((model.name, params))
        if params["DestinationPhoneNumber"] in self.hanging_numbers:
            raise InvocationTimedOut(model.name)
        if params["DestinationPhoneNumber"] in self.failing_numbers:
            message = f"cannot reach {params['DestinationPhoneNumber']}"  # may never reach logs or errors
            return _answer(500, {"Error": {"Code": "InternalServiceException", "Message": message}})
        if model.name == "StartOutboundVoiceContact":
            return _answer(200, {"ContactId": f"call-{params['ClientToken']}"})
        return _answer(200, {"MessageId": f"sms-{len(self.requests)}"})

    def calls(self) -> list[dict[str, Any]]:
        return [params for name, params in self.requests if name == "StartOutboundVoiceContact"]


# --- the environment -------------------------------------------------------------------------------

@dataclass
class Outreach:
    queue_url: str
    dlq_url: str
    channels: ChannelStub

    @property
    def sqs(self) -> Any:
        return boto3.client("sqs", region_name="us-east-1")

    def plan(self, campaign: str = "warranty-expiry", run_date: date | None = None, at: datetime = NOON) -> dict:
        event = {**load_event("outreach_schedule"), "campaign_id": campaign}
        if run_date is not None:
            event["run_date"] = run_date.isoformat()
        with clock.pinned(at):
            return planner_handler.lambda_handler(event, context("outreach-planner", 300))

    def send(self, records: list[dict[str, Any]], at: datetime = NOON) -> dict[str, Any]:
        with clock.pinned(at):
            return sender_handler.lambda_handler({"Records": records}, context("outreach-sender", 30))

    def receive(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                        AttributeNames=["All"]).get("Messages", [])

    def deliver(self, at: datetime = NOON) -> list[list[str]]:
        """Feed the queue to the sender as Lambda's SQS poller does, until it is empty: delete what succeeded,
        make the batch item failures visible again (SQS moves a message to the DLQ after MAX_RECEIVES)."""
        failures_per_batch = []
        while messages := self.receive():
            try:
                response = self.send([sqs_record(m) for m in messages], at)
                failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
            except BatchProcessingError:  # every record failed: the invocation fails, the whole batch returns
                failed = {m["MessageId"] for m in messages}
            failures_per_batch.append(sorted(failed))
            for message in messages:
                if message["MessageId"] in failed:
                    self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"],
                                                       VisibilityTimeout=0)
                else:
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return failures_per_batch

    def dead_letters(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]


def context(name: str, timeout: int) -> LocalLambdaContext:
    return LocalLambdaContext(name, f"arn:aws:lambda:us-east-1:123456789012:function:{name}", 512, timeout)


def sqs_record(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": message.get("Attributes", {"ApproximateReceiveCount": "1"}), "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:outreach-requests", "awsRegion": "us-east-1",
    }


@pytest.fixture
def outreach(monkeypatch: pytest.MonkeyPatch) -> Iterator[Outreach]:
    with outreach_aws(monkeypatch):
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq_url = sqs.create_queue(QueueName="outreach-requests-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(QueueName="outreach-requests", Attributes={
            "VisibilityTimeout": "180",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
        })["QueueUrl"]
        for key, value in {"OUTREACH_QUEUE_URL": queue_url, "CONNECT_INSTANCE_ID": "local-instance",
                           "OUTREACH_FLOW_ID": FLOW_ID, "SMS_ORIGINATION_IDENTITY": "+18005550111",
                           "OUTREACH_CALLER_QUEUE_ARN": "arn:aws:connect:us-east-1:123456789012:instance/local/queue/q",
                           "POWERTOOLS_SERVICE_NAME": "outreach"}.items():
            monkeypatch.setenv(key, value)
        reset_data_access()
        stub = ChannelStub()
        stub.install()
        yield Outreach(queue_url, dlq_url, stub)
        reset_clients()


def record(customer_id: str, campaign: str = "warranty-expiry", expires: date = WARRANTY_DUE):
    return store.get_record(customer_id, f"{campaign}#{expires.isoformat()}")


# --- the planner -----------------------------------------------------------------------------------

def test_the_planner_reads_only_the_due_bucket_and_a_rerun_enqueues_nothing(outreach):
    # Given five profiles: three due in 30 days, one of them without consent, one due later
    save_profiles([GRACE, ALAN, NO_CONSENT, NOT_DUE])
    # When the scheduled run comes
    summary = outreach.plan()
    # Then it read the three due profiles, planned two, skipped one, and put two messages on the queue
    assert (summary["profiles_read"], summary["planned"], summary["skipped"], summary["enqueued"]) == (
        3, 2, {"NO_CONSENT": 1}, 2)
    bodies = sorted((json.loads(m["Body"]) for m in outreach.receive()), key=lambda b: b["customer_id"])
    assert bodies == [{"kind": "outreach-due", "customer_id": c, "campaign_id": "warranty-expiry",
                       "expires": WARRANTY_DUE.isoformat()} for c in ("cust-alan", "cust-grace")]
    assert record("cust-quiet").reason == "NO_CONSENT"
    # And a re-run of the same day (Scheduler's retry, an operator) enqueues nothing new
    outreach.deliver()
    again = outreach.plan()
    assert (again["planned"], again["already_handled"], again["enqueued"]) == (0, 2, 0)
    assert outreach.receive() == []


# --- the sender ------------------------------------------------------------------------------------

def test_planned_customers_are_called_into_the_outreach_flow(outreach):
    save_profiles([GRACE])
    outreach.plan()
    assert outreach.deliver() == [[]]
    [call] = outreach.channels.calls()
    assert call["ContactFlowId"] == "outreach" and call["QueueId"] == "q"
    assert call["DestinationPhoneNumber"] == "+12125550175"
    assert call["Attributes"]["outreach_campaign"] == "warranty-expiry"
    assert call["Attributes"]["call_type"] == "outreach"  # the contact record's mark: reported apart
    assert call["Attributes"]["outreach_expires"] == "2026-12-24"
    assert "expires on Thursday, December 24, 2026" in call["Attributes"]["outreach_message"]
    assert record("cust-grace").status is OutreachStatus.CONTACTED


def test_a_failing_channel_ends_in_the_dlq_without_losing_the_rest_of_the_batch(outreach):
    # Given three planned customers, and calls to Alan's number failing every time
    save_profiles([GRACE, ALAN, customer("cust-maria", "+17135550177")])
    outreach.plan()
    outreach.channels.failing_numbers = {ALAN.phone}
    # When the queue is delivered to the sender (each failure made visible again)
    failures = outreach.deliver()
    # Then the first batch reports only Alan's message, which fails on each of its three deliveries
    assert [len(batch) for batch in failures] == [1, 1, 1]
    # And the others were called once each; Alan's message is in the dead-letter queue, his record says why
    called = [c["DestinationPhoneNumber"] for c in outreach.channels.calls()]
    assert sorted(set(called)) == sorted([GRACE.phone, ALAN.phone, "+17135550177"])
    assert called.count(ALAN.phone) == MAX_RECEIVES and called.count(GRACE.phone) == 1
    assert [m["customer_id"] for m in outreach.dead_letters()] == ["cust-alan"]
    alan = record("cust-alan")
    assert (alan.status, alan.attempts, alan.reason) == (OutreachStatus.FAILED, MAX_RECEIVES, "CHANNEL_ERROR")
    assert record("cust-grace").status is OutreachStatus.CONTACTED


@pytest.mark.parametrize("channel", ["voice", "sms"])
def test_a_sender_that_dies_after_its_claim_is_followed_up_when_its_message_comes_back(outreach, channel):
    # Given Grace due for outreach, her message received at NOON, and the sender ended by Lambda's timeout 2 s
    # later, while Connect was placing her call or End User Messaging sending her text
    save_profiles([customer("cust-grace", GRACE.phone, preferred_channel=channel)])
    outreach.plan()
    [message] = outreach.receive()
    outreach.channels.hanging_numbers = {GRACE.phone}
    with pytest.raises(InvocationTimedOut):
        outreach.send([sqs_record(message)], at=NOON + timedelta(seconds=2))
    outreach.channels.hanging_numbers = set()
    assert record("cust-grace").status is OutreachStatus.SENDING
    # When the message comes back exactly one visibility timeout after its receive
    redelivered = {**sqs_record(message), "attributes": {"ApproximateReceiveCount": "2"}}
    assert outreach.send([redelivered], at=NOON + VISIBILITY_TIMEOUT) == {"batchItemFailures": []}
    attempts = [params for _, params in outreach.channels.requests]
    if channel == "voice":
        # Then the call is placed again with the crashed attempt's ClientToken: Connect places it at most once
        assert len(attempts) == 2 and attempts[0]["ClientToken"] == attempts[1]["ClientToken"]
        assert record("cust-grace").status is OutreachStatus.CONTACTED
    else:
        # Then a text, which has no such token, is not sent again: the record says it is unconfirmed
        assert len(attempts) == 1
        assert (record("cust-grace").status, record("cust-grace").reason) == (OutreachStatus.SKIPPED,
                                                                              SEND_UNCONFIRMED)


def test_a_failure_never_carries_the_number_into_the_error(outreach, capsys):
    save_profiles([ALAN])
    outreach.plan()
    outreach.channels.failing_numbers = {ALAN.phone}
    outreach.deliver()
    output = capsys.readouterr()
    assert ALAN.phone not in output.out + output.err
    assert "5550123" not in output.out + output.err


def test_two_campaigns_due_the_same_day_contact_the_customer_once(outreach):
    # Given Ada is due for the plan and the warranty campaign on the same day, called at noon
    save_profiles([customer("cust-ada", "+14155550100", plan_expires=PLAN_DUE)])
    outreach.plan("plan-expiry")
    outreach.plan("warranty-expiry")
    # When both messages reach the sender (one batch)
    outreach.deliver()
    # Then one call is placed; the other record is skipped for the cap
    assert len(outreach.channels.calls()) == 1
    statuses = sorted((record("cust-ada", "plan-expiry", PLAN_DUE).status.value,
                       record("cust-ada").status.value))
    assert statuses == ["contacted", "skipped"]
    assert {record("cust-ada", "plan-expiry", PLAN_DUE).reason, record("cust-ada").reason} >= {"FREQUENCY_CAP"}


def test_quiet_hours_send_the_contact_back_with_a_delay(outreach):
    # Given Ada in Los Angeles, planned at 08:00 her time
    save_profiles([ADA])
    outreach.plan(at=MORNING)
    sent: list[dict[str, Any]] = []
    aws_client("sqs").meta.events.register("before-parameter-build.sqs.SendMessage",
                                           lambda params, **_: sent.append(dict(params)))
    # When the sender gets her message
    outreach.deliver(at=MORNING)
    # Then nobody is called; the message is back on the queue for 15 minutes, due at 09:00 her time
    assert outreach.channels.calls() == []
    [delayed] = sent
    assert delayed["DelaySeconds"] == 900
    assert json.loads(delayed["MessageBody"])["not_before"] == "2026-11-24T17:00:00+00:00"
    assert (record("cust-ada").status, record("cust-ada").not_before) == (
        OutreachStatus.DELAYED, datetime(2026, 11, 24, 17, 0, tzinfo=UTC))


# --- the outreach flow and the outreach-response handler ------------------------------------------------

@dataclass
class FlowEnvironment:
    """The outreach flow's contact environment: the real outreach-response handler, a routing stand-in."""

    at: datetime
    responses: list[dict[str, str]] = field(default_factory=list)

    def invoke_lambda(self, function_arn: str, event: dict[str, Any], time_limit_seconds: float) -> Any:
        if function_arn.endswith("lambda/routing"):
            return {"queue": "sales", "queue_arn": "arn:fake:queue/sales", "priority": "5", "reason": "RENEWAL",
                    "rule": "renewal", "routing_note": ""}
        with clock.pinned(self.at):
            answer = response_handler.lambda_handler(event, context("outreach-response", 4))
        self.responses.append(answer)
        return answer

    def queue_name(self, queue_arn: str) -> str | None:
        return queue_arn.rsplit("/", 1)[-1]

    def hours_open(self, queue_arn: str | None, hours_id: str | None, at: datetime) -> bool:
        return True

    def queue_at_capacity(self, queue_arn: str) -> bool:
        return False


def answer_call(call: dict[str, Any], *keys: str | None, at: datetime = NOON) -> tuple[CallResult, FlowEnvironment]:
    """The customer picks up the call the sender placed: the outreach flow runs with its attributes."""
    flow = substitute(localize(load_flow(flow_files()["outreach"])), lambda p: f"arn:fake:{p.kind}/{p.name}")
    env = FlowEnvironment(at)
    start = ContactStart(contact_id=f"call-{call['ClientToken']}", initiation_method="API",
                         customer_address=call["DestinationPhoneNumber"], attributes=call["Attributes"], now=at)
    return run_flow(flow, start, env, keys, flow_name="outreach"), env


def test_the_sample_flow_event_is_answered_by_the_handler(outreach):
    with clock.pinned(NOON):
        answer = response_handler.lambda_handler(load_event("outreach_flow_response"), context("r", 4))
    assert answer == {"recorded": "false", "reason": "UNKNOWN_OUTREACH",
                      "confirmation": "Sorry, we could not save your choice right now. Please call us to update "
                                      "your preferences. Goodbye."}
    with clock.pinned(NOON):
        assert response_handler.lambda_handler({"not": "connect"}, context("r", 4))["reason"] == "MALFORMED_EVENT"


def test_pressing_9_stops_every_campaign_for_good(outreach):
    # Given Grace, due for the warranty and the plan campaign, was called about her warranty
    save_profiles([customer("cust-grace", "+12125550175", plan_expires=PLAN_DUE + timedelta(days=20))])
    outreach.plan()
    outreach.deliver()
    [call] = outreach.channels.calls()
    # When she answers and presses 9
    result, env = answer_call(call, "9")
    # Then the flow confirms, her profile is opted out and the record is stopped
    assert result.prompts[-1] == "You will not receive these calls from us again. Thank you, and goodbye."
    assert [a["reason"] for a in env.responses] == ["RECORDED", "RECORDED"]  # answered, stop
    assert store.fresh_profile("cust-grace").opted_out
    assert [e.status.value for e in record("cust-grace").history] == [
        "planned", "sending", "contacted", "answered", "stopped"]
    # And three weeks later the plan campaign's planner skips her; nobody calls her again
    later = RUN_DATE + timedelta(days=20)
    summary = outreach.plan("plan-expiry", run_date=later, at=NOON + timedelta(days=20))
    assert (summary["planned"], summary["skipped"]) == (0, {"OPTED_OUT": 1})
    outreach.deliver(at=NOON + timedelta(days=20))
    assert len(outreach.channels.calls()) == 1


def test_pressing_2_calls_again_on_the_reminder_day_with_a_new_client_token(outreach):
    # Given Grace was called and answers
    save_profiles([GRACE])
    outreach.plan()
    outreach.deliver()
    [first] = outreach.channels.calls()
    # When she presses 2
    result, _ = answer_call(first, "2")
    assert result.prompts[-1] == "Thank you. We will call you again on Friday, November 27, 2026. Goodbye."
    assert (record("cust-grace").status, record("cust-grace").due_on) == (OutreachStatus.REMIND_LATER,
                                                                          date(2026, 11, 27))
    # Then the run of the 26th leaves her alone, the run of the 27th plans her again, and she is called again
    assert outreach.plan(run_date=date(2026, 11, 26), at=NOON + timedelta(days=2))["reminders"] == 0
    assert outreach.plan(run_date=date(2026, 11, 27), at=NOON + timedelta(days=3))["reminders"] == 1
    outreach.deliver(at=NOON + timedelta(days=3))
    first_call, second_call = outreach.channels.calls()
    assert second_call["Attributes"]["outreach_round"] == "2"
    assert second_call["ClientToken"] != first_call["ClientToken"]
    assert "in 27 days" in second_call["Attributes"]["outreach_message"]


def test_pressing_1_goes_to_the_agent_and_records_the_answer(outreach):
    save_profiles([GRACE])
    outreach.plan()
    outreach.deliver()
    result, env = answer_call(outreach.channels.calls()[0], "1")
    assert (result.outcome, result.queue) == ("queued", "sales")
    assert [a["reason"] for a in env.responses] == ["RECORDED"]  # answered; the agent path records nothing else
    assert record("cust-grace").answered is True
