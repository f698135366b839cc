"""Reaching a customer: an outbound call into a contact flow, or one SMS. Shared by surveys and outreach.

Failures become `ChannelFailure` carrying only the service's error code: the exception text of
Connect or End User Messaging may quote the phone number, so it is never kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.aws import aws_client, error_code, resource_id

CONNECT = "connect"
SMS = "pinpoint-sms-voice-v2"  # AWS End User Messaging SMS


class ChannelFailure(RuntimeError):
    """A contact could not be placed; `code` is the service's error code (never the number or text)."""

    def __init__(self, channel: str, code: str) -> None:
        super().__init__(f"{channel} contact failed: {code}")
        self.channel = channel
        self.code = code


class OutboundCaller:
    """Places outbound calls into one contact flow, with the caller id of one queue."""

    def __init__(self, instance_id: str, flow_id: str, caller_queue_arn: str) -> None:
        self.instance_id = instance_id
        self.flow_id = resource_id(flow_id)
        self.queue_id = resource_id(caller_queue_arn)

    def call(self, destination: str, attributes: Mapping[str, str], client_token: str) -> str:
        """The new contact's id. The same client token within 7 days is the same call to Connect."""
        try:
            response = aws_client(CONNECT).start_outbound_voice_contact(
                DestinationPhoneNumber=destination,
                ContactFlowId=self.flow_id,
                InstanceId=self.instance_id,
                QueueId=self.queue_id,
                Attributes=dict(attributes),
                ClientToken=client_token,
            )
        except (ClientError, BotoCoreError) as exc:
            raise ChannelFailure("voice", error_code(exc)) from None  # the message may quote the number
        return str(response["ContactId"])


class TextSender:
    """Sends SMS from one origination identity (phone number or pool)."""

    def __init__(self, origination_identity: str, message_type: str) -> None:
        self.origination_identity = origination_identity
        self.message_type = message_type

    def text(self, destination: str, body: str, context: Mapping[str, str]) -> str:
        """The message id."""
        try:
            response = aws_client(SMS).send_text_message(
                DestinationPhoneNumber=destination,
                OriginationIdentity=self.origination_identity,
                MessageBody=body,
                MessageType=self.message_type,
                Context=dict(context),
            )
        except (ClientError, BotoCoreError) as exc:
            raise ChannelFailure("sms", error_code(exc)) from None  # the message may quote the number
        return str(response["MessageId"])
