"""The dispatcher's ports on AWS: Amazon Connect, End User Messaging SMS, SQS and DynamoDB.

Clients are built on first use (never at import) with bounded timeouts and retries, and looked up
on every call, so `reset_clients()` (tests, the local runtime) takes effect at once. Errors are
turned into the ports' own exceptions carrying the service's error code only, without chaining the
original (`from None`): botocore messages may quote the destination number, and a failed batch's
exceptions end up in the Lambda's error output.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.aws import aws_client, error_code
from functions.common.outbound import CONNECT, OutboundCaller, TextSender
from functions.common.pacing import PacingDeferred, TokenBucket
from functions.surveys import store as survey_data
from functions.surveys.contact_event import ContactEvent
from functions.surveys.dispatcher import ContactAttributesUnavailable, SurveyInvitation
from functions.surveys.record import FollowUp, SurveyRecord
from functions.surveys.requests import delayed_survey_message

SQS = "sqs"
#: Namespace of the outbound call's ClientToken: the same contact always yields the same token.
CLIENT_TOKEN_NAMESPACE = uuid.UUID("6f1c0d3e-5a59-4a36-9d0e-2d7b0f5c9a41")
SMS_SURVEY_TEXT = (
    "Thanks for calling us today. How did we do? Reply with a number from 1 (poor) to 5 (excellent). "
    "Reply STOP to opt out."
)


def client_token(contact_id: str) -> str:
    return str(uuid.uuid5(CLIENT_TOKEN_NAMESPACE, contact_id))


class ConnectContactAttributes:
    """The attributes the inbound flow set on the contact (customer_id, queue, reason...).

    With a `pace`, every read first takes a token from it (GetContactAttributes: 2/s per account by default).
    """

    def __init__(self, instance_id: str, pace: TokenBucket | None = None) -> None:
        self.instance_id = instance_id
        self.pace = pace

    def __call__(self, event: ContactEvent) -> dict[str, str]:
        if self.pace is not None:
            try:
                self.pace.acquire()
            except PacingDeferred as exc:
                raise ContactAttributesUnavailable(exc.code) from None
        try:
            response = aws_client(CONNECT).get_contact_attributes(
                InstanceId=self.instance_id, InitialContactId=event.initial_contact_id)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return {}  # no such contact (or no attributes): an unknown customer
            raise ContactAttributesUnavailable(error_code(exc)) from exc
        except BotoCoreError as exc:
            raise ContactAttributesUnavailable(error_code(exc)) from exc
        attributes = response.get("Attributes") or {}
        return {key: value for key, value in attributes.items() if isinstance(value, str)}


class VoiceSurveyCaller:
    """Places the survey call: the survey flow runs when the customer answers."""

    def __init__(self, instance_id: str, survey_flow_id: str, survey_queue_arn: str,
                 pace: TokenBucket | None = None) -> None:
        self.caller = OutboundCaller(instance_id, survey_flow_id, survey_queue_arn, pace)

    def send(self, invitation: SurveyInvitation) -> str:
        return self.caller.call(invitation.destination, invitation.contact_attributes(),
                                client_token(invitation.contact_id))


class SmsSurveySender:
    """One transactional SMS. Two-way replies (the customer texting back a score) are out of scope."""

    def __init__(self, origination_identity: str) -> None:
        self.sender = TextSender(origination_identity, "TRANSACTIONAL")

    def send(self, invitation: SurveyInvitation) -> str:
        return self.sender.text(invitation.destination, SMS_SURVEY_TEXT,
                                {"survey_contact_id": invitation.contact_id})


class SqsSurveyQueue:
    """Sends a delayed survey back to the survey-requests queue."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send_later(self, envelope: Mapping[str, Any], not_before: datetime, delay_seconds: int) -> None:
        aws_client(SQS).send_message(
            QueueUrl=self.queue_url,
            MessageBody=delayed_survey_message(envelope, not_before),
            DelaySeconds=delay_seconds,
        )

    def send_again(self, body: str, delay_seconds: int) -> None:
        """The same body as a new message (its receive count starts again), visible after the delay."""
        aws_client(SQS).send_message(QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=delay_seconds)


class DynamoDBSurveyStore:
    """The SurveyStore and AnswerStore ports on the surveys and followups tables (functions/surveys/store.py)."""

    def get(self, contact_id: str) -> SurveyRecord | None:
        return survey_data.get_survey(contact_id)

    def create(self, record: SurveyRecord) -> SurveyRecord | None:
        return survey_data.create_survey(record)

    def replace(self, record: SurveyRecord, expected: SurveyRecord) -> SurveyRecord | None:
        return survey_data.replace_survey(record, expected)

    def last_survey_at(self, customer_id: str, since: datetime, excluding_contact: str) -> datetime | None:
        return survey_data.last_survey_at(customer_id, since, excluding_contact)

    def record_answers(self, survey: SurveyRecord, *, score: int | None, resolved: str | None,
                       answered_at: datetime, followup: FollowUp | None) -> bool:
        return survey_data.record_answers(survey, score=score, resolved=resolved, answered_at=answered_at,
                                          followup=followup)
