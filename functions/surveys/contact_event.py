"""Reading Amazon Connect contact events (EventBridge) tolerantly.

Connect's contact events are "best effort": keys arrive in mixed case (`agentInfo` and
`AgentInfo`, `queueInfo` and `QueueInfo`), the channel as `Voice` or `VOICE`, new fields and new
event types appear. So keys are matched case-insensitively, unknown fields are ignored, and an
event type we do not know is just a type the dispatcher ignores. Only a body that is not a
contact event at all (no envelope, no detail, no contact id) is a `MalformedContactEvent`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

CONTACT_EVENT_SOURCE = "aws.connect"
CONTACT_EVENT_DETAIL_TYPE = "Amazon Connect Contact Event"
DISCONNECTED = "DISCONNECTED"


class MalformedContactEvent(ValueError):
    """The body is not an Amazon Connect contact event; the message says what is missing."""


class ContactEvent(msgspec.Struct, frozen=True):
    contact_id: str
    initial_contact_id: str  # the contact itself when the event does not say otherwise
    event_type: str  # upper case: INITIATED, QUEUED, CONNECTED_TO_AGENT, DISCONNECTED, ...
    channel: str  # upper case: VOICE, CHAT, TASK, ...
    initiation_method: str  # upper case: INBOUND, OUTBOUND, TRANSFER, CALLBACK, API, ... ("" if absent)
    instance_arn: str | None
    queue_arn: str | None
    agent_arn: str | None
    initiated_at: datetime | None
    enqueued_at: datetime | None
    connected_to_agent_at: datetime | None
    disconnected_at: datetime | None
    event_time: datetime | None  # the envelope's `time`
    envelope: Mapping[str, Any]  # the original EventBridge event, re-sent as is when a survey is delayed

    @property
    def reached_agent(self) -> bool:
        return self.connected_to_agent_at is not None


def _folded(value: Any) -> dict[str, Any]:
    """A mapping with lower-cased keys (the first spelling wins); anything else is an empty mapping."""
    if not isinstance(value, Mapping):
        return {}
    folded: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(key, str):
            folded.setdefault(key.lower(), item)
    return folded


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _upper(value: Any) -> str:
    return (_text(value) or "").upper()


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 timestamp ("2026-11-24T15:03:11.000Z") as an aware UTC datetime; None if unreadable."""
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _envelope(event: Any) -> EventBridgeEvent:
    if not isinstance(event, Mapping):
        raise MalformedContactEvent(f"a contact event must be a JSON object, got {type(event).__name__}")
    if not isinstance(event.get("detail"), Mapping):
        raise MalformedContactEvent("the event has no `detail` object (not an EventBridge event)")
    source, detail_type = event.get("source"), event.get("detail-type")
    if source != CONTACT_EVENT_SOURCE or detail_type != CONTACT_EVENT_DETAIL_TYPE:
        raise MalformedContactEvent(
            f"not an Amazon Connect contact event (source {source!r}, detail-type {detail_type!r})")
    return EventBridgeEvent(dict(event))


def parse_contact_event(event: Any) -> ContactEvent:
    """The contact event in an EventBridge envelope; raises MalformedContactEvent when it is not one."""
    envelope = _envelope(event)
    detail = _folded(envelope.detail)
    contact_id = _text(detail.get("contactid"))
    if contact_id is None:
        raise MalformedContactEvent("detail.contactId is missing")
    queue, agent = _folded(detail.get("queueinfo")), _folded(detail.get("agentinfo"))
    return ContactEvent(
        contact_id=contact_id,
        initial_contact_id=_text(detail.get("initialcontactid")) or contact_id,
        event_type=_upper(detail.get("eventtype")),
        channel=_upper(detail.get("channel")),
        initiation_method=_upper(detail.get("initiationmethod")),
        instance_arn=_text(detail.get("instancearn")),
        queue_arn=_text(queue.get("queuearn")),
        agent_arn=_text(agent.get("agentarn")),
        initiated_at=parse_timestamp(detail.get("initiationtimestamp")),
        enqueued_at=parse_timestamp(queue.get("enqueuetimestamp")),
        connected_to_agent_at=parse_timestamp(agent.get("connectedtoagenttimestamp")),
        disconnected_at=parse_timestamp(detail.get("disconnecttimestamp")),
        event_time=parse_timestamp(envelope.get("time")),
        envelope=envelope.raw_event,
    )
