"""Starting a customer's chat: the request the chat page sends to `POST /chat/start`, checked, then
StartChatContact. Plain Python; Connect is passed in (`ChatStarter`), so this needs no AWS.

The contract with the company site (README, "Chat"):
- A signed-in customer's page sends the claim the site's backend made (functions/common/customer_claim.py:
  `signed_customer_id`, `signed_expires`, `signed_signature`); the claim is checked here with the
  chat-identity secret, and a claim that does not check is refused (401, `CLAIM_NOT_VERIFIED`) rather than
  turned into an anonymous chat: the page should get a fresh claim (sign in again), not silently lose who the
  customer is. The routing Lambda checks the same claim again, so a contact started some other way gains
  nothing by carrying one.
- An anonymous customer may send what they typed in the chat form (`typed_identity`: a phone number or an
  email address). It is passed on as typed: it routes the chat but discloses nothing
  (functions/routing/channels.py).
- `display_name` (what the agent sees; default "Customer"), and an optional opening `message`.

Only those attributes reach the contact: the page cannot set `caller_status`, `customer_id` or any other
attribute the routing Lambda reads back on a later decision. The browser never holds a Connect credential:
it gets the participant token of its own chat, nothing else.

Answers: 200 {contact_id, participant_id, participant_token}; 400 with a reason code for a request that is
not one (MALFORMED_REQUEST, INVALID_IDENTITY, INVALID_NAME, EMPTY_MESSAGE, MESSAGE_TOO_LONG); 401
CLAIM_NOT_VERIFIED; 429 BUSY (our pace within Connect's StartChatContact quota, or Connect's own throttle)
with the seconds to wait; 503 UNAVAILABLE (the secret or Connect did not answer). The same request sent twice
with the same `client_token` starts one chat (Connect's ClientToken).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import msgspec

from functions.chat.messages import MAX_MESSAGE_BYTES, MessageCheck, check_message
from functions.common.customer_claim import ClaimCheck, CustomerClaim, check_claim

MAX_NAME_CHARS = 256  # ParticipantDetails.DisplayName
MAX_TYPED_IDENTITY_CHARS = 254
MAX_CLIENT_TOKEN_CHARS = 500
_TYPED = re.compile(r"^(?:\+?[0-9 ()./-]{3,32}|[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s]{2,63})$")
SUPPORTED_CONTENT_TYPES = ("text/plain", "text/markdown", "application/vnd.amazonaws.connect.message.interactive",
                           "application/vnd.amazonaws.connect.message.interactive.response")


class Refusal(StrEnum):
    MALFORMED_REQUEST = "MALFORMED_REQUEST"
    INVALID_IDENTITY = "INVALID_IDENTITY"
    INVALID_NAME = "INVALID_NAME"
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    MESSAGE_TOO_LONG = "MESSAGE_TOO_LONG"
    CLAIM_NOT_VERIFIED = "CLAIM_NOT_VERIFIED"
    BUSY = "BUSY"
    UNAVAILABLE = "UNAVAILABLE"


STATUS = {Refusal.CLAIM_NOT_VERIFIED: 401, Refusal.BUSY: 429, Refusal.UNAVAILABLE: 503}
MESSAGES = {
    Refusal.MALFORMED_REQUEST: "The request must be a JSON object.",
    Refusal.INVALID_IDENTITY: "Please give a phone number or an email address, or leave it empty.",
    Refusal.INVALID_NAME: f"The name must be at most {MAX_NAME_CHARS} characters.",
    Refusal.EMPTY_MESSAGE: "The first message is empty: write something, or start without one.",
    Refusal.MESSAGE_TOO_LONG: f"The first message is over {MAX_MESSAGE_BYTES} bytes: start the chat, then send "
                              "it (it will be sent in parts).",
    Refusal.CLAIM_NOT_VERIFIED: "Your sign-in could not be checked: please sign in again, or chat without "
                                "signing in.",
    Refusal.BUSY: "We are starting many chats right now: please try again in a moment.",
    Refusal.UNAVAILABLE: "The chat cannot start right now: please try again in a moment.",
}


class ChatStartRefused(Exception):
    def __init__(self, reason: Refusal, retry_after_seconds: int = 0) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.retry_after_seconds = retry_after_seconds

    @property
    def status(self) -> int:
        return STATUS.get(self.reason, 400)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"reason": self.reason.value, "message": MESSAGES[self.reason]}
        if self.retry_after_seconds:
            body["retry_after_seconds"] = self.retry_after_seconds
        return body


class ChatStartRequest(msgspec.Struct, frozen=True):
    claim: CustomerClaim | None
    typed_identity: str
    display_name: str
    message: str | None
    client_token: str | None


class ChatStarted(msgspec.Struct, frozen=True):
    contact_id: str
    participant_id: str
    participant_token: str


class ChatStarter(Protocol):
    def start_chat_contact(self, **parameters: Any) -> Mapping[str, Any]: ...


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ChatStartRefused(Refusal.MALFORMED_REQUEST)
    return value


def parse_request(body: Any) -> ChatStartRequest:
    """The page's request, checked for shape (not yet the claim). Raises ChatStartRefused."""
    if not isinstance(body, dict):
        raise ChatStartRefused(Refusal.MALFORMED_REQUEST)
    claim = CustomerClaim.from_attributes(body)
    typed = (_text(body, "typed_identity") or "").strip()
    if typed and (len(typed) > MAX_TYPED_IDENTITY_CHARS or not _TYPED.match(typed)):
        raise ChatStartRefused(Refusal.INVALID_IDENTITY)
    name = (_text(body, "display_name") or "").strip() or "Customer"
    if len(name) > MAX_NAME_CHARS:
        raise ChatStartRefused(Refusal.INVALID_NAME)
    message = _text(body, "message")
    if message is not None:
        check = check_message(message)
        if check is MessageCheck.EMPTY:
            raise ChatStartRefused(Refusal.EMPTY_MESSAGE)
        if check is MessageCheck.TOO_LONG:
            raise ChatStartRefused(Refusal.MESSAGE_TOO_LONG)
    token = _text(body, "client_token")
    if token is not None and not 0 < len(token) <= MAX_CLIENT_TOKEN_CHARS:
        raise ChatStartRefused(Refusal.MALFORMED_REQUEST)
    return ChatStartRequest(claim, "" if claim else typed, name, message, token)


def contact_attributes(request: ChatStartRequest) -> dict[str, str]:
    """The only attributes a page can give its chat: the claim (checked) or the typed identity."""
    if request.claim is not None:
        return request.claim.to_attributes()
    return {"typed_identity": request.typed_identity} if request.typed_identity else {}


def start_chat(request: ChatStartRequest, secret: bytes | None, connect: ChatStarter, *, instance_id: str,
               flow_id: str, now: datetime) -> ChatStarted:
    """Check the claim (if any) and start the chat. Raises ChatStartRefused; `connect` raises what it raises."""
    if request.claim is not None:
        if secret is None:
            raise ChatStartRefused(Refusal.UNAVAILABLE)
        if check_claim(request.claim, secret, now) is not ClaimCheck.VALID:
            raise ChatStartRefused(Refusal.CLAIM_NOT_VERIFIED)
    parameters: dict[str, Any] = {
        "InstanceId": instance_id,
        "ContactFlowId": flow_id,
        "Attributes": contact_attributes(request),
        "ParticipantDetails": {"DisplayName": request.display_name},
        "SupportedMessagingContentTypes": list(SUPPORTED_CONTENT_TYPES),
    }
    if request.message is not None:
        parameters["InitialMessage"] = {"ContentType": "text/plain", "Content": request.message}
    if request.client_token:
        parameters["ClientToken"] = request.client_token
    answer = connect.start_chat_contact(**parameters)
    return ChatStarted(str(answer.get("ContactId", "")), str(answer.get("ParticipantId", "")),
                       str(answer.get("ParticipantToken", "")))
