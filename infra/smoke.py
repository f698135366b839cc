"""The smoke test after a deployment (`callcenter smoke-test`): is the deployed center able to take a call?

It reads the stack's outputs (CloudFormation) and asks Amazon Connect, with botocore:

1. the stack is in a complete state (not rolled back);
2. the instance is ACTIVE;
3. every flow of the stack is ACTIVE and PUBLISHED;
4. the center's number is CLAIMED to the instance and answers with the inbound flow;
5. the queue that places survey and outreach calls has that number as its outbound caller ID;
6. a test contact runs the inbound flow: a chat contact (StartChatContact, nothing is dialled or billed as a call)
   must reach a queue within `wait_attempts` looks (DescribeContact), and is then stopped (StopContact).
   With `call_to` it also places one real outbound call to that number from the outbound queue through the
   inbound flow (StartOutboundVoiceContact): the phone shows the center's number and hears the greeting.

Each check is one finding (infra/preflight.py's Finding): ok or MISSING; the command exits 1 on any MISSING.
Requests are few and sequential (about ten, well under Connect's 2 requests/s with botocore's retries).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra.preflight import ClientFor, Finding, Level

COMPLETE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
INBOUND_FLOW = "inbound"
TEST_PARTICIPANT = "smoke-test"


def _id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _instance_id(flow_or_queue_arn: str) -> str:
    # arn:aws:connect:<region>:<account>:instance/<instance id>/<kind>/<id>
    return flow_or_queue_arn.split("/")[1]


class SmokeTest:
    """One run of the checks against a deployed stack (see the module doc)."""

    def __init__(self, client: ClientFor, stack_name: str, *, pause: Callable[[float], None],
                 wait_attempts: int = 10, wait_seconds: float = 3.0) -> None:
        self.client = client
        self.stack_name = stack_name
        self.pause = pause
        self.wait_attempts = wait_attempts
        self.wait_seconds = wait_seconds
        self.findings: list[Finding] = []

    def _add(self, ok: bool, subject: str, message: str) -> bool:
        self.findings.append(Finding(Level.OK if ok else Level.MISSING, subject, message))
        return ok

    def run(self, *, call_to: str | None = None) -> list[Finding]:
        try:
            self._run(call_to)
        except (ClientError, BotoCoreError) as exc:
            code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else type(exc).__name__
            self._add(False, "AWS", f"a request failed ({code}); the checks stopped there")
        return self.findings

    def _run(self, call_to: str | None) -> None:
        (stack,) = self.client("cloudformation").describe_stacks(StackName=self.stack_name)["Stacks"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if not self._add(stack["StackStatus"] in COMPLETE, "stack", f"{self.stack_name} is {stack['StackStatus']}"):
            return
        connect = self.client("connect")
        instance_arn = outputs["InstanceArn"]
        instance_id = _id(instance_arn)
        status = connect.describe_instance(InstanceId=instance_id)["Instance"].get("InstanceStatus")
        self._add(status == "ACTIVE", "instance", f"{instance_arn} is {status}")
        flows: dict[str, str] = json.loads(outputs["ContactFlowArns"])
        for name, arn in sorted(flows.items()):
            flow = connect.describe_contact_flow(InstanceId=instance_id, ContactFlowId=_id(arn))["ContactFlow"]
            self._add(flow.get("State") == "ACTIVE" and flow.get("Status") == "PUBLISHED", "flow",
                      f"{name} is {flow.get('State')} and {flow.get('Status')}")
        number_arn = outputs.get("PhoneNumberArn")
        if not self._add(number_arn is not None, "phone number",
                         number_arn or "the stack has no number (deployed without phone_number_* context)"):
            return
        assert number_arn is not None
        self._number(connect, instance_arn, number_arn, flows[INBOUND_FLOW])
        queue_arn = outputs["OutboundQueueArn"]
        caller = connect.describe_queue(InstanceId=instance_id, QueueId=_id(queue_arn))["Queue"].get(
            "OutboundCallerConfig", {})
        self._add(caller.get("OutboundCallerIdNumberId") in (_id(number_arn), number_arn), "outbound caller ID",
                  f"the outbound queue dials from {caller.get('OutboundCallerIdNumberId') or 'no number'}")
        self._test_contact(connect, instance_id, flows[INBOUND_FLOW])
        if call_to:
            contact = connect.start_outbound_voice_contact(
                DestinationPhoneNumber=call_to, InstanceId=instance_id, ContactFlowId=_id(flows[INBOUND_FLOW]),
                QueueId=_id(queue_arn))
            self._add(True, "test call", f"placed contact {contact['ContactId']}: the phone should ring showing the "
                      "center's number and hear the inbound flow's greeting")

    def _number(self, connect: Any, instance_arn: str, number_arn: str, inbound_arn: str) -> None:
        summary = connect.describe_phone_number(PhoneNumberId=_id(number_arn))["ClaimedPhoneNumberSummary"]
        status = summary.get("PhoneNumberStatus", {}).get("Status")
        self._add(status == "CLAIMED" and summary.get("TargetArn") == instance_arn, "phone number",
                  f"{summary.get('PhoneNumber')} is {status} to {summary.get('TargetArn')}")
        associations = []
        for page in connect.get_paginator("list_flow_associations").paginate(
                InstanceId=_id(instance_arn), ResourceType="VOICE_PHONE_NUMBER"):
            associations += page.get("FlowAssociationSummaryList", [])
        flows = {_id(a.get("FlowId", "")) for a in associations if _id(a.get("ResourceId", "")) == _id(number_arn)}
        self._add(_id(inbound_arn) in flows, "phone number",
                  "answers with the inbound flow" if _id(inbound_arn) in flows else
                  f"answers with {', '.join(sorted(flows)) or 'no flow'}, not the inbound flow {_id(inbound_arn)}")

    def _test_contact(self, connect: Any, instance_id: str, inbound_arn: str) -> None:
        contact_id = connect.start_chat_contact(
            InstanceId=instance_id, ContactFlowId=_id(inbound_arn),
            ParticipantDetails={"DisplayName": TEST_PARTICIPANT})["ContactId"]
        queue = None
        try:
            for attempt in range(self.wait_attempts):
                if attempt:
                    self.pause(self.wait_seconds)
                contact = connect.describe_contact(InstanceId=instance_id, ContactId=contact_id)["Contact"]
                queue = (contact.get("QueueInfo") or {}).get("Id")
                if queue:
                    break
        finally:
            with suppress(ClientError):  # it may have ended by itself
                connect.stop_contact(ContactId=contact_id, InstanceId=instance_id)
        self._add(queue is not None, "test contact",
                  f"chat contact {contact_id} ran the inbound flow and reached queue {queue}" if queue else
                  f"chat contact {contact_id} reached no queue after {self.wait_attempts} looks")
