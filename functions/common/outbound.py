"""Reaching a customer: an outbound call into a contact flow, one SMS, or one email. Shared by surveys,
outreach and ticket progress updates.

Failures become `ChannelFailure` carrying only the service's error code: the exception text of
Connect, End User Messaging or SES may quote the phone number or the address, so it is never kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.aws import aws_client, error_code, resource_id
from functions.common.pacing import PacingDeferred, TokenBucket

CONNECT = "connect"
SMS = "pinpoint-sms-voice-v2"  # AWS End User Messaging SMS
EMAIL = "sesv2"  # Amazon SES (API v2)


class ChannelFailure(RuntimeError):
    """A contact could not be placed; `code` is the service's error code (never the number or text)."""

    def __init__(self, channel: str, code: str) -> None:
        super().__init__(f"{channel} contact failed: {code}")
        self.channel = channel
        self.code = code


class OutboundCaller:
    """Places outbound calls into one contact flow, with the caller id of one queue.

    With a `pace`, every call first takes a token from it (StartOutboundVoiceContact has an account-wide
    quota, 2/s by default); a call that would wait too long raises ChannelFailure("voice", "PacingDeferred").
    """

    def __init__(self, instance_id: str, flow_id: str, caller_queue_arn: str,
                 pace: TokenBucket | None = None) -> None:
        self.instance_id = instance_id
        self.flow_id = resource_id(flow_id)
        self.queue_id = resource_id(caller_queue_arn)
        self.pace = pace

    def call(self, destination: str, attributes: Mapping[str, str], client_token: str) -> str:
        """The new contact's id. The same client token within 7 days is the same call to Connect."""
        if self.pace is not None:
            try:
                self.pace.acquire()
            except PacingDeferred as exc:
                raise ChannelFailure("voice", exc.code) from None
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


class EmailSender:
    """Sends plain-text email from one SES identity (EMAIL_FROM_IDENTITY: a verified address or an address
    at a verified domain). SES v2 `SendEmail`; the function's IAM policy allows that identity only."""

    def __init__(self, from_identity: str) -> None:
        self.from_identity = from_identity

    def email(self, destination: str, subject: str, body: str, tags: Mapping[str, str]) -> str:
        """The SES message id. `tags` (name -> value, letters, digits, `_` and `-` only) go on the message
        as EmailTags, so bounces and complaints can be traced back to what was sent."""
        try:
            response = aws_client(EMAIL).send_email(
                FromEmailAddress=self.from_identity,
                Destination={"ToAddresses": [destination]},
                Content={"Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                }},
                EmailTags=[{"Name": name, "Value": value} for name, value in tags.items()],
            )
        except (ClientError, BotoCoreError) as exc:
            raise ChannelFailure("email", error_code(exc)) from None  # the message may quote the address
        return str(response["MessageId"])
