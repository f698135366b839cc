"""The messages on the `survey-requests` queue, both kinds.

1. A contact event, as the EventBridge rule delivers it: the whole EventBridge envelope
   (`{"version", "id", "detail-type": "Amazon Connect Contact Event", "source": "aws.connect",
   "time", "region", "resources", "detail": {...}}`).
2. A survey delayed by quiet hours, sent back by the dispatcher itself:
   `{"kind": "delayed-survey", "not_before": "<ISO-8601 UTC>", "event": <the original envelope>}`,
   with `DelaySeconds = min(900, seconds until not_before)`. SQS delays a message by at most 15
   minutes, so a longer wait is several hops: a message that arrives before `not_before` is simply
   sent again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from functions.surveys.contact_event import ContactEvent, MalformedContactEvent, parse_contact_event, parse_timestamp

DELAYED_SURVEY = "delayed-survey"


class SurveyRequest(msgspec.Struct, frozen=True):
    event: ContactEvent
    not_before: datetime | None = None  # only for a delayed survey

    @property
    def delayed(self) -> bool:
        return self.not_before is not None


def parse_survey_request(body: str | bytes | Mapping[str, Any]) -> SurveyRequest:
    """Either message kind; raises MalformedContactEvent for anything else (not JSON, not an event)."""
    message = _json(body)
    if "kind" not in message:
        return SurveyRequest(parse_contact_event(message))
    if message["kind"] != DELAYED_SURVEY:
        raise MalformedContactEvent(f"unknown message kind {message['kind']!r}")
    not_before = parse_timestamp(message.get("not_before"))
    if not_before is None:
        raise MalformedContactEvent("a delayed survey needs an ISO-8601 `not_before`")
    return SurveyRequest(parse_contact_event(message.get("event")), not_before)


def delayed_survey_message(envelope: Mapping[str, Any], not_before: datetime) -> str:
    """The body of the message that brings a survey back when it comes due."""
    return json.dumps({
        "kind": DELAYED_SURVEY,
        "not_before": not_before.astimezone(UTC).isoformat(),
        "event": dict(envelope),
    }, separators=(",", ":"))


def _json(body: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    try:
        message = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise MalformedContactEvent("the message body is not JSON") from exc
    if not isinstance(message, dict):
        raise MalformedContactEvent(f"the message body must be a JSON object, got {type(message).__name__}")
    return message
