"""The smoke test after a deployment (infra/smoke.py) against stubbed CloudFormation and Connect answers."""

from __future__ import annotations

import json
from typing import Any

from infra.preflight import Level
from infra.smoke import SmokeTest
from tests.unit.stubbed_aws import StubbedAccount

INSTANCE_ID = "0c5a4a23-7a4b-4c5e-9d1a-3f1b2c3d4e5f"
INSTANCE = f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE_ID}"
FLOWS = {name: f"{INSTANCE}/contact-flow/flow-{name}" for name in ("inbound", "survey")}
NUMBER_ID = "5f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
NUMBER = f"arn:aws:connect:us-east-1:111122223333:phone-number/{NUMBER_ID}"
QUEUE = f"{INSTANCE}/queue/queue-general"


def _outputs(**extra: str) -> list[dict[str, str]]:
    values = {"InstanceArn": INSTANCE, "ContactFlowArns": json.dumps(FLOWS), "OutboundQueueArn": QUEUE, **extra}
    return [{"OutputKey": k, "OutputValue": v} for k, v in values.items()]


def _stack(account: StubbedAccount, status: str = "CREATE_COMPLETE", **outputs: str) -> None:
    account.stub("cloudformation").add_response("describe_stacks", {"Stacks": [{
        "StackName": "ContactCenter-prod", "CreationTime": 0, "StackStatus": status,
        "Outputs": _outputs(**outputs)}]}, {"StackName": "ContactCenter-prod"})


def _deployed(account: StubbedAccount, *, associated_flow: str = "flow-inbound", queued: bool = True) -> None:
    _stack(account, PhoneNumberArn=NUMBER)
    connect = account.stub("connect")
    connect.add_response("describe_instance", {"Instance": {"InstanceStatus": "ACTIVE"}}, {"InstanceId": INSTANCE_ID})
    for name in sorted(FLOWS):
        connect.add_response("describe_contact_flow", {"ContactFlow": {"State": "ACTIVE", "Status": "PUBLISHED"}},
                             {"InstanceId": INSTANCE_ID, "ContactFlowId": f"flow-{name}"})
    connect.add_response("describe_phone_number", {"ClaimedPhoneNumberSummary": {
        "PhoneNumber": "+18005550123", "TargetArn": INSTANCE, "PhoneNumberStatus": {"Status": "CLAIMED"}}},
        {"PhoneNumberId": NUMBER_ID})
    connect.add_response("list_flow_associations", {"FlowAssociationSummaryList": [
        {"ResourceId": NUMBER, "FlowId": f"{INSTANCE}/contact-flow/{associated_flow}",
         "ResourceType": "VOICE_PHONE_NUMBER"}]}, {"InstanceId": INSTANCE_ID, "ResourceType": "VOICE_PHONE_NUMBER"})
    connect.add_response("describe_queue", {"Queue": {"OutboundCallerConfig": {"OutboundCallerIdNumberId": NUMBER_ID}}},
                         {"InstanceId": INSTANCE_ID, "QueueId": "queue-general"})
    connect.add_response("start_chat_contact", {"ContactId": "contact-1"}, {
        "InstanceId": INSTANCE_ID, "ContactFlowId": "flow-inbound",
        "ParticipantDetails": {"DisplayName": "smoke-test"}})
    connect.add_response("describe_contact", {"Contact": {"Id": "contact-1"}},
                         {"InstanceId": INSTANCE_ID, "ContactId": "contact-1"})
    if queued:
        connect.add_response("describe_contact", {"Contact": {"Id": "contact-1", "QueueInfo": {"Id": "queue-general"}}},
                             {"InstanceId": INSTANCE_ID, "ContactId": "contact-1"})
    else:
        connect.add_response("describe_contact", {"Contact": {"Id": "contact-1"}},
                             {"InstanceId": INSTANCE_ID, "ContactId": "contact-1"})
    connect.add_response("stop_contact", {}, {"ContactId": "contact-1", "InstanceId": INSTANCE_ID})


def _run(account: StubbedAccount) -> tuple[list[Any], list[float]]:
    waits: list[float] = []
    findings = SmokeTest(account.client, "ContactCenter-prod", pause=waits.append, wait_attempts=2,
                         wait_seconds=3).run()
    return findings, waits


def test_a_working_deployment_passes_every_check() -> None:
    account = StubbedAccount()
    _deployed(account)
    findings, waits = _run(account)
    assert [f.level for f in findings] == [Level.OK] * len(findings)
    assert [f.subject for f in findings] == ["stack", "instance", "flow", "flow", "phone number", "phone number",
                                             "phone number", "outbound caller ID", "test contact"]
    assert findings[-1].message == "chat contact contact-1 ran the inbound flow and reached queue queue-general"
    assert waits == [3]  # one look, a pause, a second look
    account.assert_all_answered()  # the test contact was stopped


def test_a_number_answering_with_another_flow_is_missing() -> None:
    account = StubbedAccount()
    _deployed(account, associated_flow="flow-other")
    findings, _ = _run(account)
    (missing,) = [f for f in findings if f.level is Level.MISSING]
    assert missing.message == "answers with flow-other, not the inbound flow flow-inbound"


def test_a_test_contact_that_reaches_no_queue_is_missing_and_still_stopped() -> None:
    account = StubbedAccount()
    _deployed(account, queued=False)
    findings, _ = _run(account)
    (missing,) = [f for f in findings if f.level is Level.MISSING]
    assert missing.subject == "test contact" and "reached no queue after 2 looks" in missing.message
    account.assert_all_answered()


def test_a_rolled_back_stack_stops_the_checks() -> None:
    account = StubbedAccount()
    _stack(account, status="ROLLBACK_COMPLETE")
    findings, _ = _run(account)
    assert [(f.level, f.subject) for f in findings] == [(Level.MISSING, "stack")]


def test_a_stack_without_a_number_is_missing_one() -> None:
    account = StubbedAccount()
    _stack(account)
    connect = account.stub("connect")
    connect.add_response("describe_instance", {"Instance": {"InstanceStatus": "ACTIVE"}}, {"InstanceId": INSTANCE_ID})
    for name in sorted(FLOWS):
        connect.add_response("describe_contact_flow", {"ContactFlow": {"State": "ACTIVE", "Status": "PUBLISHED"}},
                             {"InstanceId": INSTANCE_ID, "ContactFlowId": f"flow-{name}"})
    findings, _ = _run(account)
    assert [f.subject for f in findings if f.level is Level.MISSING] == ["phone number"]
