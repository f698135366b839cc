"""An inbound SMS as AWS End User Messaging delivers it, read tolerantly, and what it says.

End User Messaging publishes each message texted to a two-way number on the number's SNS topic:
`{"originationNumber": "+1...", "destinationNumber": "+1...", "messageKeyword": "...", "messageBody": "...",
"inboundMessageId": "...", "previousPublishedMessageId": "..."}`. The topic delivers it to the `sms-inbound`
queue, raw (the document itself) or wrapped in SNS's envelope (`{"Type": "Notification", "Message": "<the
document>"}`): both are read. A body that is neither is MalformedSms (the dead-letter queue keeps it).

The text is normalized (Unicode NFC; control characters but newline and tab removed) and kept whole otherwise:
emoji and right-to-left scripts go through as they are. Classification is about the whole message only:
a STOP keyword (any case, alone), empty, longer than an agent's chat can take in one message, or text.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import msgspec

from functions.common.phone import NumberStatus, parse_phone

#: The opt-out keywords End User Messaging recognises by default (and carriers require us to honour).
STOP_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT-OUT",
                           "REVOKE", "ARRET"})
#: StartChatContact's InitialMessage holds at most 1,024 characters.
MAX_TEXT_CHARS = 1024


class MalformedSms(ValueError):
    """The body is not an End User Messaging inbound SMS; the message says what is missing (never the text)."""


class SmsKind(StrEnum):
    STOP = "stop"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    TEXT = "text"


class InboundSms(msgspec.Struct, frozen=True):
    message_id: str
    sender: str | None  # E.164; None when the origination number is not a valid number
    recipient: str | None  # the center's number it was sent to
    text: str


def _document(body: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    value: Any = body
    for _ in range(2):  # the SNS envelope, then the document inside it
        if isinstance(value, str | bytes):
            try:
                value = json.loads(value)
            except ValueError:
                raise MalformedSms("not JSON") from None
        if not isinstance(value, Mapping):
            raise MalformedSms("not a JSON object")
        if value.get("Type") == "Notification" and "Message" in value:
            value = value["Message"]
            continue
        return value
    raise MalformedSms("an SNS envelope inside an SNS envelope")


def normalized(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))


def parse_inbound(body: str | bytes | Mapping[str, Any]) -> InboundSms:
    document = _document(body)
    message_id = document.get("inboundMessageId")
    if not isinstance(message_id, str) or not message_id.strip():
        raise MalformedSms("no inboundMessageId")
    text = document.get("messageBody")
    if text is not None and not isinstance(text, str):
        raise MalformedSms("messageBody is not text")
    sender = parse_phone(document.get("originationNumber"))
    recipient = parse_phone(document.get("destinationNumber"))
    return InboundSms(message_id.strip(), sender.e164 if sender.status is NumberStatus.VALID else None,
                      recipient.e164 if recipient.status is NumberStatus.VALID else None, normalized(text or ""))


def classify(text: str) -> SmsKind:
    stripped = text.strip()
    if not stripped:
        return SmsKind.EMPTY
    if stripped.rstrip(".!").strip().upper() in STOP_KEYWORDS:
        return SmsKind.STOP
    if len(stripped) > MAX_TEXT_CHARS:
        return SmsKind.TOO_LONG
    return SmsKind.TEXT
