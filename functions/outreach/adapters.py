"""The outreach ports on AWS: DynamoDB (functions/outreach/store.py), SQS, Amazon Connect and End User Messaging SMS.

Clients are built on first use (never at import) with bounded timeouts and retries, and looked up
on every call, so `reset_clients()` (tests, the local runtime) takes effect at once. Channel errors
become ChannelFailure carrying the service's error code only, without chaining the original
(`from None`): botocore messages may quote the destination number.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.aws import aws_client
from functions.common.clock import utc_now
from functions.common.outbound import OutboundCaller, TextSender
from functions.common.pacing import TokenBucket
from functions.common.quiet_hours import SQS_MAX_DELAY_SECONDS, hop_delay_seconds
from functions.outreach import store as outreach_data
from functions.outreach.record import ContactCap, OutreachRecord
from functions.outreach.requests import OutreachMessage
from functions.outreach.sender import OutreachInvitation

SQS = "sqs"
#: A renewal offer is marketing, not a transaction the customer started.
SMS_MESSAGE_TYPE = "PROMOTIONAL"
#: Namespace of the outbound call's ClientToken: the same record and round always yield the same token.
CLIENT_TOKEN_NAMESPACE = uuid.UUID("0b7c2f4e-91d3-4c5a-8e6f-3a2d1c0b9e87")


def client_token(invitation: OutreachInvitation) -> str:
    """Derived from the record key and round: a retry is the same call; a reminder (next round) a new one."""
    return str(uuid.uuid5(CLIENT_TOKEN_NAMESPACE, f"{invitation.customer_id}#{invitation.cycle}#{invitation.round}"))


class VoiceOutreachCaller:
    """Places the call: the outreach flow runs when the customer answers."""

    def __init__(self, instance_id: str, flow_id: str, caller_queue_arn: str, pace: TokenBucket | None = None) -> None:
        self.caller = OutboundCaller(instance_id, flow_id, caller_queue_arn, pace)

    def send(self, invitation: OutreachInvitation) -> str:
        return self.caller.call(invitation.destination, invitation.contact_attributes(), client_token(invitation))


class SmsOutreachSender:
    """One SMS with the campaign's text; STOP replies are handled by End User Messaging's opt-out lists."""

    def __init__(self, origination_identity: str) -> None:
        self.sender = TextSender(origination_identity, SMS_MESSAGE_TYPE)

    def send(self, invitation: OutreachInvitation) -> str:
        return self.sender.text(invitation.destination, invitation.message,
                                {"outreach_customer_id": invitation.customer_id, "outreach_cycle": invitation.cycle})


class SqsOutreachQueue:
    """The outreach queue: the planner's batches and the sender's delayed contacts."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send_batch(self, messages: Sequence[OutreachMessage]) -> list[int]:
        """SendMessageBatch (at most 10); the positions SQS did not accept (all of them if the call failed).

        A message with a `not_before` (the planner's pacing) is delayed until then, or by SQS's maximum when
        that is later (the sender sends it on again when it arrives early).
        """
        if not messages:
            return []
        if len(messages) > 10:
            raise ValueError("SendMessageBatch takes at most 10 messages")
        now = utc_now()
        entries = [{"Id": f"m{position}", "MessageBody": message.body(),
                    "DelaySeconds": (hop_delay_seconds(message.not_before, now, SQS_MAX_DELAY_SECONDS)
                                     if message.not_before else 0)}
                   for position, message in enumerate(messages)]
        try:
            response = aws_client(SQS).send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except (ClientError, BotoCoreError):
            return list(range(len(messages)))
        return sorted(int(entry["Id"][1:]) for entry in response.get("Failed") or [])

    def send_later(self, message: OutreachMessage, delay_seconds: int) -> None:
        aws_client(SQS).send_message(QueueUrl=self.queue_url, MessageBody=message.body(), DelaySeconds=delay_seconds)

    def send_again(self, body: str, delay_seconds: int) -> None:
        """The same body as a new message (its receive count starts again), visible after the delay."""
        aws_client(SQS).send_message(QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=delay_seconds)


class DynamoDBOutreachStore:
    """The planner's, sender's and responder's store on the outreach table (functions/outreach/store.py)."""

    def get(self, customer_id: str, cycle: str) -> OutreachRecord | None:
        return outreach_data.get_record(customer_id, cycle)

    def create(self, record: OutreachRecord) -> OutreachRecord | None:
        return outreach_data.create_record(record)

    def replace(self, record: OutreachRecord, expected: OutreachRecord) -> OutreachRecord | None:
        return outreach_data.replace_record(record, expected)

    def pending(self, campaign_id: str, due_on: date) -> list[OutreachRecord]:
        return outreach_data.pending_records(campaign_id, due_on)

    def planning_state(self, keys: Sequence[tuple[str, str]]) -> tuple[
            Mapping[tuple[str, str], OutreachRecord], Mapping[str, ContactCap]]:
        return outreach_data.planning_state(keys)


class DynamoDBContactCaps:
    """The frequency cap on the outreach_caps table."""

    def claim(self, customer_id: str, cycle: str, now: datetime, period_days: int) -> bool:
        return outreach_data.claim_cap(customer_id, cycle, now, period_days)

    def release(self, customer_id: str, cycle: str, claimed_at: datetime) -> bool:
        return outreach_data.release_cap(customer_id, cycle, claimed_at)
