"""Who gets a post-call survey, when, and how: plain Python, every input passed in.

`screen_event` decides what the contact event alone can decide (no reads at all);
`decide_survey` adds the contact attributes, the customer's profile, when the customer was last
surveyed and the time. The order of the checks is the order of the reasons below: the first that
applies is the one recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec

from functions.common.phone import NumberStatus, parse_phone
from functions.profiles.profile import CustomerProfile
from functions.profiles.zone import customer_zone
from functions.surveys.contact_event import DISCONNECTED, ContactEvent
from functions.surveys.policy import SurveyPolicy

#: Contacts a customer started (or was transferred or called back in): only these are surveyed.
#: Outbound and API contacts (our own survey calls among them) are not. A missing method is not
#: held against the contact.
SURVEYED_INITIATION_METHODS = frozenset({"INBOUND", "CALLBACK", "TRANSFER", "QUEUE_TRANSFER", ""})
CHANNELS = ("voice", "sms")


class Verdict(StrEnum):
    SEND = "send"
    DELAY = "delay"
    SKIP = "skip"


class Reason(StrEnum):
    # From the event alone: not recorded, nothing read.
    NOT_DISCONNECTED = "NOT_DISCONNECTED"  # another event type (or an unknown one): ignored
    NOT_VOICE = "NOT_VOICE"  # chat, task, email...
    NOT_INBOUND = "NOT_INBOUND"  # outbound/API contacts, e.g. the survey calls themselves
    # Recorded on the contact's survey record.
    ABANDONED = "ABANDONED"  # never reached an agent: recorded as abandoned, not surveyed
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"  # no customer_id attribute, or no such profile
    OPTED_OUT = "OPTED_OUT"
    NO_CONSENT = "NO_CONSENT"  # no consent to surveys
    NO_REACHABLE_NUMBER = "NO_REACHABLE_NUMBER"  # the profile's phone is not a valid number
    NO_CHANNEL = "NO_CHANNEL"  # neither voice nor SMS is consented (and, for SMS, enabled)
    RECENTLY_SURVEYED = "RECENTLY_SURVEYED"  # within the cooldown
    QUIET_HOURS = "QUIET_HOURS"  # DELAY: the customer's local night
    ELIGIBLE = "ELIGIBLE"  # SEND


#: Reasons decided from the event alone; the dispatcher neither reads nor records anything for them.
EVENT_ONLY_REASONS = frozenset({Reason.NOT_DISCONNECTED, Reason.NOT_VOICE, Reason.NOT_INBOUND})


class SurveyDecision(msgspec.Struct, frozen=True):
    verdict: Verdict
    reason: Reason
    customer_id: str | None = None
    channel: str | None = None  # SEND: voice | sms
    destination: str | None = None  # SEND: the customer's E.164 number
    not_before: datetime | None = None  # DELAY: when the survey comes due (UTC)
    time_zone: str | None = None  # the zone quiet hours were judged in


def _skip(reason: Reason, customer_id: str | None = None) -> SurveyDecision:
    return SurveyDecision(Verdict.SKIP, reason, customer_id=customer_id)


def screen_event(event: ContactEvent) -> SurveyDecision | None:
    """A SKIP decided by the event alone, or None when the contact needs a closer look."""
    if event.event_type != DISCONNECTED:
        return _skip(Reason.NOT_DISCONNECTED)
    if event.channel != "VOICE":
        return _skip(Reason.NOT_VOICE)
    if event.initiation_method not in SURVEYED_INITIATION_METHODS:
        return _skip(Reason.NOT_INBOUND)
    if not event.reached_agent:
        return _skip(Reason.ABANDONED)
    return None


def choose_channel(profile: CustomerProfile, sms_enabled: bool) -> str | None:
    """The preferred channel if it may be used, else the other one, else None."""
    usable = {"voice": profile.consent_voice, "sms": profile.consent_sms and sms_enabled}
    preferred = profile.preferred_channel if profile.preferred_channel in CHANNELS else "voice"
    for channel in (preferred, *(c for c in CHANNELS if c != preferred)):
        if usable[channel]:
            return channel
    return None


def decide_survey(
    event: ContactEvent,
    attributes: Mapping[str, str],
    profile: CustomerProfile | None,
    last_survey_at: datetime | None,
    now: datetime,
    policy: SurveyPolicy,
    sms_enabled: bool,
) -> SurveyDecision:
    """SEND (channel, number), DELAY (until when) or SKIP (why) for one ended contact."""
    screened = screen_event(event)
    if screened is not None:
        return screened
    customer_id = (attributes.get("customer_id") or "").strip() or None
    if customer_id is None or profile is None:
        return _skip(Reason.UNKNOWN_CUSTOMER, customer_id)
    if profile.opted_out:
        return _skip(Reason.OPTED_OUT, customer_id)
    if not profile.consent_surveys:
        return _skip(Reason.NO_CONSENT, customer_id)
    number = parse_phone(profile.phone)
    if number.status is not NumberStatus.VALID or number.e164 is None:
        return _skip(Reason.NO_REACHABLE_NUMBER, customer_id)
    channel = choose_channel(profile, sms_enabled)
    if channel is None:
        return _skip(Reason.NO_CHANNEL, customer_id)
    if last_survey_at is not None and now - last_survey_at < policy.cooldown:
        return _skip(Reason.RECENTLY_SURVEYED, customer_id)
    zone = customer_zone(profile, number.e164, policy.center_time_zone)
    resume = policy.quiet_hours.resume_at(now, ZoneInfo(zone))
    if resume is not None:
        return SurveyDecision(Verdict.DELAY, Reason.QUIET_HOURS, customer_id, channel, number.e164,
                              resume.astimezone(UTC), zone)
    return SurveyDecision(Verdict.SEND, Reason.ELIGIBLE, customer_id, channel, number.e164, time_zone=zone)
