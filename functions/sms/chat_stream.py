"""A chat's streamed item as it reaches the `sms-chat-stream` queue, read tolerantly.

Connect publishes each message and event of a streamed chat (StartContactStreaming) on our standard SNS topic:
the message is a JSON document `{"Id", "Type": "MESSAGE"|"EVENT"|..., "ContentType", "Content",
"ParticipantRole": "AGENT"|"CUSTOMER"|"SYSTEM"|..., "ParticipantId", "DisplayName", "AbsoluteTime",
"ContactId", "InitialContactId"}`, and the topic's message attributes carry the same fields besides
`MessageVisibility` (CUSTOMER | AGENT | ALL: whom the message is meant for). The subscription is not raw, so the
queue receives SNS's envelope `{"Type": "Notification", "Message": "<the document>", "MessageAttributes": {...}}`
and the attributes with it; a bare document is read too. Anything else is MalformedStreamItem (the record fails
and, after its retries, the dead-letter queue keeps it). The content is the agent's text: never logged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from functions.sms.conversations import StreamEvent


class MalformedStreamItem(ValueError):
    """Not a streamed chat item; the message says what is missing (never the content)."""


def _json(value: Any, what: str) -> Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            raise MalformedStreamItem(f"{what} is not JSON") from None
    return value


def _attribute(attributes: Any, name: str) -> str | None:
    if not isinstance(attributes, Mapping):
        return None
    value = attributes.get(name)
    if isinstance(value, Mapping):
        value = value.get("Value")
    return value if isinstance(value, str) and value else None


def parse_stream_item(body: str | bytes | Mapping[str, Any]) -> StreamEvent:
    envelope = _json(body, "the body")
    if not isinstance(envelope, Mapping):
        raise MalformedStreamItem("the body is not a JSON object")
    attributes: Any = None
    document: Any = envelope
    if envelope.get("Type") == "Notification" and "Message" in envelope:
        attributes = envelope.get("MessageAttributes")
        document = _json(envelope["Message"], "the SNS message")
    if not isinstance(document, Mapping):
        raise MalformedStreamItem("the streamed item is not a JSON object")

    def text(name: str) -> str | None:
        value = document.get(name)
        return value if isinstance(value, str) and value else _attribute(attributes, name)

    item_id, item_type, contact_id = text("Id"), text("Type"), text("ContactId")
    if not item_id or not item_type or not contact_id:
        raise MalformedStreamItem("no Id, Type or ContactId")
    content = document.get("Content")
    if content is not None and not isinstance(content, str):
        raise MalformedStreamItem("Content is not text")
    return StreamEvent(id=item_id, type=item_type, content_type=text("ContentType") or "", contact_id=contact_id,
                       initial_contact_id=text("InitialContactId"), role=text("ParticipantRole"), content=content,
                       visibility=text("MessageVisibility"))
