"""Who may be contacted, when and how: plain Python, every input passed in.

`screen_profile` is what the planner decides from the index item alone (and the cap record);
`decide_contact` is what the sender decides at send time from a fresh read of the profile. The
order of the checks is the order of the reasons below: the first that applies is the one recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec

from functions.common.phone import NumberStatus, parse_phone
from functions.outreach.campaigns import Campaign
from functions.outreach.record import ContactCap
from functions.profiles.profile import CustomerProfile
from functions.profiles.zone import customer_zone


class Reason(StrEnum):
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"  # the profile is gone
    OPTED_OUT = "OPTED_OUT"
    NO_CONSENT = "NO_CONSENT"  # no consent for any of the campaign's channels
    NO_REACHABLE_NUMBER = "NO_REACHABLE_NUMBER"  # the profile's phone is not a valid number
    EXPIRY_CHANGED = "EXPIRY_CHANGED"  # the watched date moved (renewed) since the record was planned
    EXPIRED = "EXPIRED"  # the date has passed: too late to remind
    NO_CHANNEL = "NO_CHANNEL"  # consented channels are not enabled (SMS without an origination identity)
    FREQUENCY_CAP = "FREQUENCY_CAP"  # another campaign contacted the customer within the cap
    QUIET_HOURS = "QUIET_HOURS"  # DELAY: the customer's local night
    ELIGIBLE = "ELIGIBLE"


class Verdict(StrEnum):
    SEND = "send"
    DELAY = "delay"
    SKIP = "skip"


class ContactDecision(msgspec.Struct, frozen=True):
    verdict: Verdict
    reason: Reason
    channel: str | None = None  # SEND: voice | sms
    destination: str | None = None  # SEND: E.164
    not_before: datetime | None = None  # DELAY: when the contact comes due (UTC)
    time_zone: str | None = None  # the zone quiet hours were judged in


def _skip(reason: Reason) -> ContactDecision:
    return ContactDecision(Verdict.SKIP, reason)


def watched_date(profile: CustomerProfile, campaign: Campaign) -> date | None:
    value = getattr(profile, campaign.watches)
    return value if isinstance(value, date) else None


def consented_channels(profile: CustomerProfile, campaign: Campaign, sms_enabled: bool = True) -> tuple[str, ...]:
    """The campaign's channels the customer agreed to (and that are enabled), best first."""
    usable = {"voice": profile.consent_voice, "sms": profile.consent_sms and sms_enabled}
    return tuple(channel for channel in campaign.channel_order(profile.preferred_channel) if usable[channel])


def reachable_number(profile: CustomerProfile) -> str | None:
    number = parse_phone(profile.phone)
    return number.e164 if number.status is NumberStatus.VALID else None


def screen_profile(profile: CustomerProfile, campaign: Campaign, cap: ContactCap | None, cycle: str,
                   now: datetime, cap_days: int) -> Reason:
    """The planner's decision: ELIGIBLE, or why the customer is skipped this cycle."""
    if profile.opted_out:
        return Reason.OPTED_OUT
    if not consented_channels(profile, campaign):
        return Reason.NO_CONSENT
    if reachable_number(profile) is None:
        return Reason.NO_REACHABLE_NUMBER
    if cap is not None and cap.blocks(cycle, now, cap_days):
        return Reason.FREQUENCY_CAP
    return Reason.ELIGIBLE


def decide_contact(profile: CustomerProfile | None, campaign: Campaign, expires: date, now: datetime,
                   sms_enabled: bool) -> ContactDecision:
    """The sender's decision at send time: SEND (channel, number), DELAY (until when) or SKIP (why)."""
    if profile is None:
        return _skip(Reason.UNKNOWN_CUSTOMER)
    if profile.opted_out:
        return _skip(Reason.OPTED_OUT)
    if watched_date(profile, campaign) != expires:
        return _skip(Reason.EXPIRY_CHANGED)
    destination = reachable_number(profile)
    if destination is None:
        return _skip(Reason.NO_REACHABLE_NUMBER)
    zone = customer_zone(profile, destination, campaign.schedule.time_zone)
    if now.astimezone(ZoneInfo(zone)).date() >= expires:
        return _skip(Reason.EXPIRED)
    if not consented_channels(profile, campaign):
        return _skip(Reason.NO_CONSENT)
    channels = consented_channels(profile, campaign, sms_enabled)
    if not channels:
        return _skip(Reason.NO_CHANNEL)
    resume = campaign.quiet_hours.resume_at(now, ZoneInfo(zone))
    if resume is not None:
        return ContactDecision(Verdict.DELAY, Reason.QUIET_HOURS, channels[0], destination,
                               resume.astimezone(UTC), zone)
    return ContactDecision(Verdict.SEND, Reason.ELIGIBLE, channels[0], destination, time_zone=zone)
