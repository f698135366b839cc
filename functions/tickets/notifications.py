"""Progress updates: what the customer is told about a status change of their ticket, how and when.

Plain Python, every input passed in: the settings (notifications.json), the message (`compose`) and the
decision (`decide_notification`). The notifier (notifier.py) carries the decision out, once per change;
the event it is fed is status_changes.py's.

- What is said (`compose`): the ticket id, its subject (shortened) and STATUS_PHRASES; a
  resolved ticket asks the customer to confirm ("call us and press 4 to confirm, or tell us it is not
  fixed"), the IVR self-service closes or reopens it.
- Through which channel (`choose_channel`): the preferred channel when it is usable, else the other
  one: SMS needs consent_sms, a valid number and SMS enabled (SMS_ORIGINATION_IDENTITY); email needs an
  address on the profile and email enabled (EMAIL_FROM_IDENTITY). Progress updates are never phone
  calls: a customer who prefers voice gets SMS (if consented) or email. None usable: skipped, NO_CHANNEL.
- When (`decide_notification`): never in the customer's quiet hours (their zone: the profile's, else
  the number's, else the center's, exactly as the survey dispatcher decides it). A change at 23:00
  is told at 09:00: delayed, not dropped.

Which changes notify (notifications.json `notify_on`): every status, `open` included. Opening sends an
acknowledgement with the ticket number, as service desks do by default: the customer gets in writing
the reference the agent read out, a follow-up ticket opened from a low survey score (without the
customer on the line) tells them somebody is on it, and later updates refer to a number they have.
Two changes are not told: those the customer made themselves (`notify_changes_by_customer` false: they
just confirmed or reopened it in the IVR and heard the result), and those older than `max_age_hours`
(a message redriven from the dead-letter queue days later would announce a stale state). Both are
recorded as skipped with their reason. `opted_out` is honoured here too: the profile has one opt-out
flag and nothing tells a marketing opt-out from a service one yet, so the cautious reading wins.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from functions.common.documents import Strict, decode_document
from functions.common.phone import NumberStatus, parse_phone
from functions.common.quiet_hours import SQS_MAX_DELAY_SECONDS, QuietHours
from functions.common.ticket_overview import STATUS_PHRASES, Status
from functions.common.zones import require_zone
from functions.profiles.profile import CustomerProfile
from functions.profiles.zone import customer_zone
from functions.tickets.status_changes import StatusChange
from functions.tickets.ticket import ActorKind

NOTIFICATION_CHANNELS = ("sms", "email")
SETTINGS_FILE = Path(__file__).with_name("notifications.json")


# --- settings --------------------------------------------------------------------------------------

class NotificationSettings(Strict, kw_only=True):
    """functions/tickets/notifications.json, validated."""

    version: Literal[1]
    center_time_zone: str
    quiet_hours: QuietHours
    max_delay_seconds: Annotated[int, Meta(ge=1, le=SQS_MAX_DELAY_SECONDS)]
    notify_on: frozenset[Status]
    notify_changes_by_customer: bool = False
    max_age_hours: Annotated[int, Meta(ge=1, le=24 * 30)]
    confirm_key: Annotated[str, Meta(pattern=r"^[0-9]$")]
    subject_max_chars: Annotated[int, Meta(ge=10, le=120)]
    signature: Annotated[str, Meta(min_length=1, max_length=60)]

    def __post_init__(self) -> None:
        require_zone(self.center_time_zone, "center_time_zone")


class NotificationSettingsError(ValueError):
    """notifications.json is invalid; the message says what is wrong and where."""


@lru_cache(maxsize=4)
def load_notification_settings(path: Path = SETTINGS_FILE) -> NotificationSettings:
    return decode_document(path.read_bytes(), NotificationSettings, NotificationSettingsError,
                           "ticket notification settings")


# --- what is said ----------------------------------------------------------------------------------

class Message(msgspec.Struct, frozen=True):
    subject: str  # the email subject (SMS sends the body only)
    body: str


_NEXT_STEP: dict[Status, str] = {
    Status.OPEN: "We will let you know when there is progress.",
    Status.IN_PROGRESS: "We will let you know when there is news.",
    Status.WAITING_ON_CUSTOMER: "Please call us so we can carry on.",
    Status.ESCALATED: "We will let you know when there is news.",
    Status.CLOSED: "If the problem comes back, call us and we will help.",
}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def compose(change: StatusChange, profile: CustomerProfile, settings: NotificationSettings) -> Message:
    first_name = profile.display_name.split()[0]
    about = _shorten(change.subject, settings.subject_max_chars)
    opening = f"Hello {first_name}, your ticket {change.ticket_id} ({about}) {STATUS_PHRASES[change.to_status]}."
    if change.to_status is Status.RESOLVED:
        next_step = (f"Is it fixed? Call us and press {settings.confirm_key} to confirm, "
                     "or tell us it is not fixed and we will reopen it.")
        subject = f"Ticket {change.ticket_id} resolved: please confirm"
    else:
        next_step = _NEXT_STEP[change.to_status]
        subject = f"Ticket {change.ticket_id}: {change.to_status.value.replace('_', ' ')}"
    return Message(subject, f"{opening} {next_step} {settings.signature}")


# --- to whom, how, when ----------------------------------------------------------------------------

class Verdict(StrEnum):
    SEND = "send"
    DELAY = "delay"
    SKIP = "skip"


class Reason(StrEnum):
    NOT_NOTIFIED_STATUS = "NOT_NOTIFIED_STATUS"  # notifications.json does not notify this status
    CHANGED_BY_CUSTOMER = "CHANGED_BY_CUSTOMER"  # the customer made the change (IVR) and heard it there
    STALE = "STALE"  # older than max_age_hours (e.g. redriven from the dead-letter queue)
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"
    OPTED_OUT = "OPTED_OUT"
    NO_CHANNEL = "NO_CHANNEL"  # no consented SMS number and no email address (or those channels disabled)
    QUIET_HOURS = "QUIET_HOURS"  # DELAY
    ELIGIBLE = "ELIGIBLE"  # SEND


class NotificationDecision(msgspec.Struct, frozen=True):
    verdict: Verdict
    reason: Reason
    channel: str | None = None  # sms | email
    destination: str | None = None  # E.164 number or email address: never logged unmasked
    not_before: datetime | None = None  # DELAY: the end of the quiet hours (UTC)
    time_zone: str | None = None


def screen_change(change: StatusChange, now: datetime, settings: NotificationSettings) -> Reason | None:
    """What the event alone decides (before any read): a skip reason, or None."""
    if change.to_status not in settings.notify_on:
        return Reason.NOT_NOTIFIED_STATUS
    if change.changed_by == ActorKind.CUSTOMER.value and not settings.notify_changes_by_customer:
        return Reason.CHANGED_BY_CUSTOMER
    if now - change.at > timedelta(hours=settings.max_age_hours):
        return Reason.STALE
    return None


def choose_channel(profile: CustomerProfile, enabled: Collection[str]) -> tuple[str, str] | None:
    """(channel, destination): the preferred channel if usable, else the other one, else None."""
    number = parse_phone(profile.phone)
    usable = {
        "sms": number.e164 if ("sms" in enabled and profile.consent_sms
                               and number.status is NumberStatus.VALID) else None,
        "email": profile.email if "email" in enabled and profile.email else None,
    }
    preferred = profile.preferred_channel if profile.preferred_channel in NOTIFICATION_CHANNELS else "sms"
    for channel in (preferred, *(c for c in NOTIFICATION_CHANNELS if c != preferred)):
        destination = usable[channel]
        if destination:
            return channel, destination
    return None


def decide_notification(change: StatusChange, profile: CustomerProfile | None, now: datetime,
                        settings: NotificationSettings, enabled: Collection[str]) -> NotificationDecision:
    screened = screen_change(change, now, settings)
    if screened is not None:
        return NotificationDecision(Verdict.SKIP, screened)
    if profile is None:
        return NotificationDecision(Verdict.SKIP, Reason.UNKNOWN_CUSTOMER)
    if profile.opted_out:
        return NotificationDecision(Verdict.SKIP, Reason.OPTED_OUT)
    chosen = choose_channel(profile, enabled)
    if chosen is None:
        return NotificationDecision(Verdict.SKIP, Reason.NO_CHANNEL)
    channel, destination = chosen
    zone = customer_zone(profile, parse_phone(profile.phone).e164 or "", settings.center_time_zone)
    resume = settings.quiet_hours.resume_at(now, ZoneInfo(zone))
    if resume is not None:
        return NotificationDecision(Verdict.DELAY, Reason.QUIET_HOURS, channel, destination,
                                    resume.astimezone(UTC), zone)
    return NotificationDecision(Verdict.SEND, Reason.ELIGIBLE, channel, destination, time_zone=zone)
