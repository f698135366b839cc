"""The ChatPort of functions/sms/conversations.py on Amazon Connect: StartChatContact and StartContactStreaming
(connect, IAM-authorized, paced within the manifest's shares) and the customer's side of the chat,
CreateParticipantConnection and SendMessage (connectparticipant: authorized by the participant token and the
connection token, not by IAM; paced within their own quotas, `participant_rates` in functions/manifest.py).

Failures become ChatStartFailed carrying only the service's error code (the text may quote the number or the
message); a throttled or paced request has a code of THROTTLING_CODES, so sms-inbound defers its message.
SendMessage refused for the token (AccessDeniedException: the connection expired or the chat ended) is
ChatEnded, so the text starts a new contact instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.aws import aws_client, error_code, resource_id
from functions.common.outbound import CONNECT
from functions.common.pacing import PacingDeferred, TokenBucket
from functions.sms.conversations import ChatEnded, ChatSession, Connection
from functions.sms.inbox import ChatStart

PARTICIPANT = "connectparticipant"
#: What agents see as the customer's name on the chat: nothing the sender's number could claim.
DISPLAY_NAME = "SMS customer"
#: SendMessage's answers meaning the connection token no longer works (the chat ended, or the customer left).
ENDED_CODES = frozenset({"AccessDeniedException"})


class ChatStartFailed(RuntimeError):
    def __init__(self, code: str, action: str = "StartChatContact") -> None:
        super().__init__(f"{action} failed: {code}")
        self.code = code
        self.action = action


def _paced(pace: TokenBucket | None, action: str) -> None:
    if pace is not None:
        try:
            pace.acquire()
        except PacingDeferred as exc:
            raise ChatStartFailed(exc.code, action) from None


class ConnectSmsChats:
    """The chats of SMS conversations: started on the SMS flow, streamed to `topic_arn`, joined as the customer.
    The sender's number is the chat's typed identity (it routes the contact, it discloses nothing)."""

    def __init__(self, instance_id: str, flow_id: str, topic_arn: str,
                 paces: dict[str, TokenBucket] | None = None) -> None:
        self.instance_id = instance_id
        self.flow_id = resource_id(flow_id)
        self.topic_arn = topic_arn
        self.paces = paces or {}

    def start(self, chat: ChatStart) -> ChatSession:
        _paced(self.paces.get("StartChatContact"), "StartChatContact")
        try:
            response = aws_client(CONNECT).start_chat_contact(
                InstanceId=self.instance_id, ContactFlowId=self.flow_id,
                # typed_identity: how routing identifies a chat's customer by what they gave, a claim only (like a
                # caller ID); channel_subtype tells agents and the contact records the chat is an SMS conversation.
                Attributes={"channel_subtype": "sms", "typed_identity": chat.sender, "call_type": "sms"},
                ParticipantDetails={"DisplayName": DISPLAY_NAME},
                InitialMessage={"ContentType": "text/plain", "Content": chat.text},
                ClientToken=chat.client_token)
        except (ClientError, BotoCoreError) as exc:
            raise ChatStartFailed(error_code(exc)) from None  # the message may quote the number
        return ChatSession(str(response["ContactId"]), str(response["ParticipantToken"]))

    def stream(self, contact_id: str, client_token: str) -> None:
        _paced(self.paces.get("StartContactStreaming"), "StartContactStreaming")
        try:
            aws_client(CONNECT).start_contact_streaming(
                InstanceId=self.instance_id, ContactId=contact_id,
                ChatStreamingConfiguration={"StreamingEndpointArn": self.topic_arn}, ClientToken=client_token)
        except (ClientError, BotoCoreError) as exc:
            raise ChatStartFailed(error_code(exc), "StartContactStreaming") from None

    def connect(self, participant_token: str) -> Connection:
        _paced(self.paces.get("CreateParticipantConnection"), "CreateParticipantConnection")
        try:
            response = aws_client(PARTICIPANT).create_participant_connection(
                Type=["CONNECTION_CREDENTIALS"], ParticipantToken=participant_token, ConnectParticipant=True)
        except (ClientError, BotoCoreError) as exc:
            raise ChatStartFailed(error_code(exc), "CreateParticipantConnection") from None
        credentials = response["ConnectionCredentials"]
        return Connection(str(credentials["ConnectionToken"]), _expiry(credentials.get("Expiry")))

    def send(self, connection_token: str, text: str, client_token: str) -> None:
        _paced(self.paces.get("SendMessage"), "SendMessage")
        try:
            aws_client(PARTICIPANT).send_message(ContentType="text/plain", Content=text,
                                                 ClientToken=client_token, ConnectionToken=connection_token)
        except (ClientError, BotoCoreError) as exc:
            code = error_code(exc)
            if code in ENDED_CODES:
                raise ChatEnded(code) from None
            raise ChatStartFailed(code, "SendMessage") from None


def _expiry(value: object) -> datetime | None:
    """The connection's expiry (ISO 8601, as the participant service gives it); None if absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
