"""IANA time zone names, validated once the same way everywhere."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def require_zone(name: str, field: str | None = None) -> str:
    """Return `name` if it is a known IANA time zone, else raise ValueError saying so (and naming `field`)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{field + ': ' if field else ''}unknown IANA time zone {name!r}") from exc
    return name
