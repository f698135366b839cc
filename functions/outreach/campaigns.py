"""Outreach campaigns as data (campaigns.json), validated at load (and by the CDK app at synth).

Top level
- `frequency_cap_days`: at most one proactive contact per customer in this many days, across all
  campaigns (0 disables the cap). Enforced by the sender with a conditional write per customer.
- `max_delay_seconds`: the longest delay of one SQS hop while a contact waits out quiet hours (<= 900).
- `requeue_after_minutes`: a record still `planned` this long after it was planned has lost its
  queue message (the planner crashed between the write and the send); a re-run enqueues it again.

Per campaign
- `watches`: the profile date it watches, `warranty_expires` or `plan_expires` (each has its own
  sparse index, functions/profiles/store.py).
- `days_before`: reach out when the date is this many days after the run date (30: "in 30 days").
- `window_days`: how many day buckets a run looks at, from `days_before` down: with 3, a run also
  finds customers due 29 and 28 days out, so a day the schedule missed is caught up by the next
  runs (the outreach record makes sure nobody is contacted twice). Each run reads
  window_days x the customers due per day. It is also how far back a run looks for pending
  records: reminders whose day came while no run happened, planned contacts whose message was lost.
- `channels`: the order the channels are tried in (`voice`: an outbound call into the outreach
  flow; `sms`); a customer's preferred channel goes first when the campaign uses it. The first
  channel the customer consented to (and, for SMS, that is enabled) is used.
- `voice_message`, `sms_message`: templates; `{expires}` (e.g. "Thursday, December 24, 2026"),
  `{days}` (days until the date) and `{subject}` are filled in.
- `quiet_hours`: no call or SMS between `start` and `end` in the customer's own time zone; a
  contact due then is delayed to `end`, never dropped.
- `remind_after_days`: "remind me later" (key 2 in the outreach flow) plans the contact again this
  many days later (but never on or after the date itself).
- `schedule`: when the planner runs, for EventBridge Scheduler: a cron expression and an IANA zone.
"""

from __future__ import annotations

import re
import string
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from msgspec import Meta

from functions.common.documents import Strict, decode_document
from functions.common.quiet_hours import SQS_MAX_DELAY_SECONDS, QuietHours
from functions.common.zones import require_zone

CAMPAIGNS_PATH = Path(__file__).with_name("campaigns.json")
WATCHED_DATES = ("warranty_expires", "plan_expires")
OUTREACH_CHANNELS = ("voice", "sms")
TEMPLATE_FIELDS = frozenset({"expires", "days", "subject"})
#: EventBridge Scheduler cron: cron(minutes hours day-of-month month day-of-week year).
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
#: The placeholder Scheduler replaces with the invocation's scheduled time (a context attribute).
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
MAX_VOICE_CHARS = 500
MAX_SMS_CHARS = 320

Channel = Literal["voice", "sms"]
WatchedDate = Literal["warranty_expires", "plan_expires"]


class CampaignError(ValueError):
    """The campaigns file is invalid; the message says where and why."""


class UnknownCampaign(LookupError):
    """No campaign has this id."""


def spoken_date(day: date) -> str:
    """ "Thursday, December 24, 2026": how a date is said in a message."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def _template(value: str, limit: int) -> str:
    if not value.strip():
        raise ValueError("the message must not be empty")
    if len(value) > limit:
        raise ValueError(f"the message has {len(value)} characters; at most {limit}")
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ValueError(f"the message is not a valid template: {exc}") from exc
    unknown = fields - TEMPLATE_FIELDS
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; known: {sorted(TEMPLATE_FIELDS)}")
    return value


class Schedule(Strict, kw_only=True):
    expression: str
    time_zone: str

    def __post_init__(self) -> None:
        if not _CRON.match(self.expression):
            raise ValueError(f"expression must be an EventBridge Scheduler cron(...) with six fields, "
                             f"got {self.expression!r}")
        require_zone(self.time_zone, "time_zone")


class Campaign(Strict, kw_only=True):
    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    description: str = ""
    enabled: bool = True
    watches: WatchedDate
    subject: Annotated[str, Meta(min_length=1, max_length=40)]
    days_before: Annotated[int, Meta(ge=1, le=365)]
    window_days: Annotated[int, Meta(ge=1, le=31)]
    channels: Annotated[tuple[Channel, ...], Meta(min_length=1)]
    voice_message: str
    sms_message: str
    quiet_hours: QuietHours
    remind_after_days: Annotated[int, Meta(ge=1, le=60)]
    schedule: Schedule

    def __post_init__(self) -> None:
        for name, value, limit in (("voice_message", self.voice_message, MAX_VOICE_CHARS),
                                   ("sms_message", self.sms_message, MAX_SMS_CHARS)):
            try:
                _template(value, limit)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels must not repeat")
        if self.window_days > self.days_before:
            raise ValueError("window_days must not exceed days_before")
        if self.remind_after_days >= self.days_before:
            raise ValueError("remind_after_days must be less than days_before")

    def due_dates(self, run_date: date) -> tuple[date, ...]:
        """The expiry dates a run on `run_date` looks for: days_before out, then the catch-up days."""
        return tuple(run_date + timedelta(days=self.days_before - back) for back in range(self.window_days))

    def lookback_dates(self, run_date: date) -> tuple[date, ...]:
        """The days whose pending records a run picks up (reminders due, planned contacts whose message was
        lost): today, and the window's earlier days, for runs that did not happen."""
        return tuple(run_date - timedelta(days=back) for back in range(self.window_days))

    def message(self, channel: str, expires: date, today: date) -> str:
        template = self.voice_message if channel == "voice" else self.sms_message
        return template.format(expires=spoken_date(expires), days=max(0, (expires - today).days),
                               subject=self.subject)

    def channel_order(self, preferred: str | None) -> tuple[str, ...]:
        """The campaign's channels, the customer's preferred one first when the campaign uses it."""
        if preferred in self.channels:
            return (preferred, *(c for c in self.channels if c != preferred))
        return self.channels

    def schedule_input(self) -> dict[str, str]:
        """The planner's event, as the EventBridge Scheduler target's Input (Scheduler fills the time)."""
        return {"campaign_id": self.id, "scheduled_time": SCHEDULED_TIME}


class OutreachPolicy(Strict, kw_only=True):
    version: Literal[1]
    frequency_cap_days: Annotated[int, Meta(ge=0, le=365)]
    max_delay_seconds: Annotated[int, Meta(ge=1, le=SQS_MAX_DELAY_SECONDS)]
    requeue_after_minutes: Annotated[int, Meta(ge=5, le=24 * 60)]
    campaigns: Annotated[tuple[Campaign, ...], Meta(min_length=1)]

    def __post_init__(self) -> None:
        ids = [campaign.id for campaign in self.campaigns]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"campaign id(s) used twice: {repeated}")

    @property
    def frequency_cap(self) -> timedelta:
        return timedelta(days=self.frequency_cap_days)

    @property
    def requeue_after(self) -> timedelta:
        return timedelta(minutes=self.requeue_after_minutes)

    def campaign(self, campaign_id: str) -> Campaign:
        for campaign in self.campaigns:
            if campaign.id == campaign_id:
                return campaign
        raise UnknownCampaign(campaign_id)

    def scheduled(self) -> tuple[Campaign, ...]:
        """The campaigns that get a schedule (enabled ones)."""
        return tuple(campaign for campaign in self.campaigns if campaign.enabled)


def parse_campaigns(document: str | bytes | dict[str, Any]) -> OutreachPolicy:
    """Validate a campaigns document; raise CampaignError saying what is wrong and where."""
    return decode_document(document, OutreachPolicy, CampaignError, "campaigns file")


@lru_cache(maxsize=4)
def load_campaigns(path: Path = CAMPAIGNS_PATH) -> OutreachPolicy:
    return parse_campaigns(Path(path).read_text(encoding="utf-8"))
