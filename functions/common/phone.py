"""Phone numbers: parse, normalise to E.164, mask for logs. Always through `phonenumbers`."""

from __future__ import annotations

from enum import StrEnum

import msgspec

# From the submodule, not the package: the package's __init__ (deferred, functions/deferred_packages.py)
# would also load the formatter, matcher and short-number parts, which we do not use.
from phonenumbers import phonenumberutil as phonenumbers
from phonenumbers.phonenumberutil import NumberParseException, PhoneNumberFormat


class NumberStatus(StrEnum):
    VALID = "valid"
    WITHHELD = "withheld"
    INVALID = "invalid"


# What carriers and Connect put in CustomerEndpoint.Address when the caller hides the number.
_WITHHELD_MARKERS = {"", "anonymous", "private", "restricted", "unavailable", "unknown", "withheld"}


class ParsedNumber(msgspec.Struct, frozen=True):
    status: NumberStatus
    e164: str | None = None
    problem: str | None = None


class InvalidPhoneNumber(ValueError):
    """A phone number that cannot be normalised to a valid E.164 number."""


def parse_phone(raw: object, default_region: str = "US") -> ParsedNumber:
    """Classify a caller address as a valid E.164 number, withheld, or invalid (with the reason)."""
    if raw is None:
        return ParsedNumber(NumberStatus.WITHHELD)
    if not isinstance(raw, str):
        return ParsedNumber(NumberStatus.INVALID, problem=f"not a string ({type(raw).__name__})")
    text = raw.strip()
    if text.lower() in _WITHHELD_MARKERS:
        return ParsedNumber(NumberStatus.WITHHELD)
    if len(text) > 40:
        return ParsedNumber(NumberStatus.INVALID, problem="too long to be a phone number")
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        return ParsedNumber(NumberStatus.INVALID, problem=str(exc.args[0]) if exc.args else "unparseable")
    if not phonenumbers.is_valid_number(number):
        return ParsedNumber(NumberStatus.INVALID, problem="not a valid number for its region")
    return ParsedNumber(NumberStatus.VALID, e164=phonenumbers.format_number(number, PhoneNumberFormat.E164))


def normalize_e164(raw: object, default_region: str = "US") -> str:
    """Return the E.164 form of `raw` or raise InvalidPhoneNumber saying why."""
    parsed = parse_phone(raw, default_region)
    if parsed.status is NumberStatus.VALID and parsed.e164:
        return parsed.e164
    if parsed.status is NumberStatus.WITHHELD:
        raise InvalidPhoneNumber("no phone number given")
    raise InvalidPhoneNumber(parsed.problem or "invalid phone number")


def mask_phone(raw: object) -> str:
    """Mask a phone number for logs: keep the country code and the last two digits."""
    if not isinstance(raw, str) or not raw.strip():
        return "<none>"
    digits = [c for c in raw if c.isdigit()]
    if len(digits) <= 4:
        return "*" * len(digits)
    parsed = parse_phone(raw)
    prefix = ""
    if parsed.e164:
        prefix = "+" + str(phonenumbers.parse(parsed.e164).country_code)
    hidden = len(digits) - len(prefix.lstrip("+")) - 2
    return f"{prefix}{'*' * max(hidden, 1)}{''.join(digits[-2:])}"


def mask_name(name: object) -> str:
    """Mask a person's name for logs: initials only."""
    if not isinstance(name, str) or not name.strip():
        return "<none>"
    return " ".join(part[0] + "." for part in name.split())


def time_zones_for(e164: str) -> tuple[str, ...]:
    """IANA time zones the number may belong to (from phonenumbers' metadata), best effort."""
    from phonenumbers import timezone as number_timezone

    try:
        zones = number_timezone.time_zones_for_number(phonenumbers.parse(e164))
    except NumberParseException:
        return ()
    return tuple(z for z in zones if z != number_timezone.UNKNOWN_TIMEZONE)
