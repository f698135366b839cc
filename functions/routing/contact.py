"""Reading the Connect contact-flow invocation event tolerantly.

The event is a plain JSON object (Details.ContactData, Details.Parameters), read here with dict
access. Powertools' ConnectContactFlowEvent is not used: its enum properties (channel,
initiation_method) raise KeyError for values newer than the library (TASK, EMAIL, QUEUE_TRANSFER,
...), and importing its data-classes package costs the call path more at cold start than this
whole module.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import field


class MalformedContactEvent(ValueError):
    """The event is not a Connect contact-flow invocation."""


class InboundContact(msgspec.Struct, frozen=True):
    contact_id: str
    channel: str
    initiation_method: str
    caller_address: str | None
    dialed_address: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    # SegmentAttributes["connect:Subtype"] (connect:SMS, connect:Chat...): functions/routing/channels.py
    subtype: str = ""


def _text(value: Any) -> str:
    return value.strip().upper() if isinstance(value, str) else ""


def _address(endpoint: Any) -> str | None:
    if not isinstance(endpoint, dict):
        return None
    address = endpoint.get("Address")
    return address if isinstance(address, str) else None


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def _subtype(segment_attributes: Any) -> str:
    """SegmentAttributes: {"connect:Subtype": {"ValueString": "connect:SMS"}}; anything else: no subtype."""
    if not isinstance(segment_attributes, dict):
        return ""
    entry = segment_attributes.get("connect:Subtype")
    value = entry.get("ValueString") if isinstance(entry, dict) else None
    return value.strip() if isinstance(value, str) and len(value) <= 64 else ""


def parse_contact(event: Any) -> InboundContact:
    if not isinstance(event, dict):
        raise MalformedContactEvent(f"event must be a JSON object, got {type(event).__name__}")
    details = event.get("Details")
    if not isinstance(details, dict) or not isinstance(details.get("ContactData"), dict):
        raise MalformedContactEvent("event has no Details.ContactData")
    data = details["ContactData"]
    contact_id = data.get("ContactId")
    if not isinstance(contact_id, str) or not contact_id:
        raise MalformedContactEvent("Details.ContactData.ContactId is missing")
    return InboundContact(
        contact_id=contact_id,
        channel=_text(data.get("Channel")),
        initiation_method=_text(data.get("InitiationMethod")),
        caller_address=_address(data.get("CustomerEndpoint")),
        dialed_address=_address(data.get("SystemEndpoint")),
        attributes=_string_map(data.get("Attributes")),
        parameters=_string_map(details.get("Parameters")),
        subtype=_subtype(data.get("SegmentAttributes")),
    )
