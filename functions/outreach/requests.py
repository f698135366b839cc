"""The outreach functions' inputs: the planner's scheduled event and the messages on the outreach queue.

Planner event (EventBridge Scheduler, one schedule per enabled campaign; campaigns.Campaign.schedule_input):
    {"campaign_id": "warranty-expiry", "scheduled_time": "2026-11-24T16:00:00Z", "run_date": "2026-11-24"}
`scheduled_time` is what Scheduler puts for `<aws.scheduler.scheduled-time>`; `run_date` (optional)
overrides the day the run plans for (a manual catch-up). Without either, the run date is today in
the campaign's schedule zone.

Queue messages (the `outreach-requests` queue), both kinds carry no phone number or name:
1. `{"kind": "outreach-due", "customer_id": ..., "campaign_id": ..., "expires": "YYYY-MM-DD"}`:
   the planner's, one per customer to contact.
2. `{"kind": "outreach-delayed", ..., "not_before": "<ISO-8601 UTC>"}`: a contact delayed by quiet
   hours, sent back by the sender itself with `DelaySeconds = min(max_delay_seconds, seconds until
   not_before)`. SQS delays a message by at most 15 minutes, so a longer wait is several hops: a
   message that arrives before `not_before` is simply sent on again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from functions.outreach.record import cycle_key

OUTREACH_DUE = "outreach-due"
OUTREACH_DELAYED = "outreach-delayed"


class MalformedOutreachRequest(ValueError):
    """The event or message is not one of ours; the message says what is wrong."""


class PlanRequest(msgspec.Struct, frozen=True):
    campaign_id: str
    run_date: date | None = None  # an explicit override
    scheduled_time: datetime | None = None  # when Scheduler meant to run it (UTC)


class OutreachMessage(msgspec.Struct, frozen=True):
    customer_id: str
    campaign_id: str
    expires: date
    not_before: datetime | None = None  # only for a delayed contact

    @property
    def cycle(self) -> str:
        return cycle_key(self.campaign_id, self.expires)

    def body(self) -> str:
        message: dict[str, str] = {
            "kind": OUTREACH_DELAYED if self.not_before else OUTREACH_DUE,
            "customer_id": self.customer_id,
            "campaign_id": self.campaign_id,
            "expires": self.expires.isoformat(),
        }
        if self.not_before is not None:
            message["not_before"] = self.not_before.astimezone(UTC).isoformat()
        return json.dumps(message, separators=(",", ":"))


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 timestamp ("2026-11-24T16:00:00Z") as an aware UTC datetime; None if unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(message: Mapping[str, Any], key: str) -> str:
    value = message.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MalformedOutreachRequest(f"`{key}` is missing or not a string")
    return value.strip()


def _date(message: Mapping[str, Any], key: str) -> date:
    try:
        return date.fromisoformat(_text(message, key))
    except ValueError as exc:
        raise MalformedOutreachRequest(f"`{key}` must be a YYYY-MM-DD date") from exc


def _json_object(body: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    try:
        message = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise MalformedOutreachRequest("the body is not JSON") from exc
    if not isinstance(message, dict):
        raise MalformedOutreachRequest(f"the body must be a JSON object, got {type(message).__name__}")
    return message


def parse_plan_request(event: Any) -> PlanRequest:
    if not isinstance(event, Mapping):
        raise MalformedOutreachRequest(f"the planner event must be a JSON object, got {type(event).__name__}")
    run_date = _date(event, "run_date") if event.get("run_date") else None
    scheduled = event.get("scheduled_time")
    scheduled_time = parse_timestamp(scheduled) if scheduled else None
    if scheduled and scheduled_time is None:
        raise MalformedOutreachRequest("`scheduled_time` must be an ISO-8601 timestamp")
    return PlanRequest(_text(event, "campaign_id"), run_date, scheduled_time)


def parse_outreach_message(body: str | bytes | Mapping[str, Any]) -> OutreachMessage:
    """Either message kind; raises MalformedOutreachRequest for anything else."""
    message = _json_object(body)
    kind = message.get("kind")
    if kind not in (OUTREACH_DUE, OUTREACH_DELAYED):
        raise MalformedOutreachRequest(f"unknown message kind {kind!r}")
    not_before = None
    if kind == OUTREACH_DELAYED:
        not_before = parse_timestamp(message.get("not_before"))
        if not_before is None:
            raise MalformedOutreachRequest("a delayed contact needs an ISO-8601 `not_before`")
    return OutreachMessage(_text(message, "customer_id"), _text(message, "campaign_id"),
                           _date(message, "expires"), not_before)
