"""Where a customer is: the time zone surveys, reminders, progress updates and routing's screen pop go by.

Apart from profile.py because it reads phonenumbers' time-zone data (functions/common/phone.py): a handler
that only stores or reads profiles (the ticket stream consumer, for one) does not load phonenumbers.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from functions.common.phone import time_zones_for
from functions.profiles.profile import MAX_ZONE_CHARS, CustomerProfile


def customer_zone(profile: CustomerProfile | None, e164: str | None, fallback: str) -> str:
    """Where the customer is: the profile's zone, else the number's when its region has exactly one zone (a
    region spanning several zones tells nothing), else `fallback` (the center's or the campaign's zone).
    A zone that is not a known IANA name (a stale profile, an attribute somebody else set) is skipped."""
    zones = time_zones_for(e164) if e164 else ()
    for candidate in (profile.time_zone if profile else None, *(zones if len(zones) == 1 else ())):
        if candidate and len(candidate) <= MAX_ZONE_CHARS:
            try:
                ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return candidate
    return fallback
