"""The calendar file: how many calls a day and an hour bring, relative to an ordinary weekday.

Format (JSON, version 1; ``demo/calendar.json`` is the default and an example)::

    {
      "version": 1,
      "weekly": {"MONDAY": 1.2, ..., "SUNDAY": 0.1},      # each day's volume, 1.0 = --calls-per-day
      "intraday": [0.1, 0.05, ..., 0.2],                  # 24 relative weights, one per local hour (center's zone)
      "holidays": [{"date": "2026-12-25", "name": "Christmas Day", "volume": 0.1}],
      "events": [{"date": "2026-12-01", "name": "Invoices sent", "volume": 1.6, "intents": {"billing": 3.0}}]
    }

A holiday or an event multiplies its day's volume; an event may also make some menu choices more likely
(`intents`: a weight multiplier per intent of the routing policy). The routing policy's hours still decide when the
center is open (it has no holiday closures), so a holiday is a quiet day, not a closed one.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from msgspec import Meta

from functions.common.documents import Strict, decode_document, read_document
from functions.routing.policy import WEEKDAYS

DEMO_CALENDAR = Path(__file__).resolve().parent.parent.parent / "demo" / "calendar.json"
Weekday = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
Factor = Annotated[float, Meta(ge=0, le=100)]


class CalendarError(ValueError):
    """The calendar file is invalid; the message says where and why."""


class SpecialDay(Strict, kw_only=True):
    date: date
    name: Annotated[str, Meta(min_length=1, max_length=80)]
    volume: Factor
    intents: dict[str, Factor] = {}


class Calendar(Strict, kw_only=True):
    version: Literal[1]
    weekly: dict[Weekday, Factor]
    intraday: Annotated[tuple[Factor, ...], Meta(min_length=24, max_length=24)]
    holidays: tuple[SpecialDay, ...] = ()
    events: tuple[SpecialDay, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        missing = [day for day in WEEKDAYS if day not in self.weekly]
        if missing:
            raise ValueError(f"weekly needs every day; missing {', '.join(missing)}")
        if not any(self.intraday):
            raise ValueError("intraday needs at least one hour with calls")
        seen: set[date] = set()
        for special in (*self.holidays, *self.events):
            if special.date in seen:
                raise ValueError(f"{special.date} is listed twice")
            seen.add(special.date)

    def special(self, day: date) -> SpecialDay | None:
        return next((s for s in (*self.holidays, *self.events) if s.date == day), None)

    def volume(self, day: date) -> float:
        """The day's volume relative to an ordinary weekday (1.0)."""
        special = self.special(day)
        return self.weekly[WEEKDAYS[day.weekday()]] * (special.volume if special else 1.0)  # type: ignore[index]


def parse_calendar(document: str | bytes | dict, intents: frozenset[str] | None = None) -> Calendar:
    calendar = decode_document(document, Calendar, CalendarError, "calendar file")
    if intents is not None:
        unknown = sorted({i for e in calendar.events for i in e.intents} - intents)
        if unknown:
            raise CalendarError(f"calendar file is invalid:\n  events name intents the routing policy does not know: "
                                f"{', '.join(unknown)} (known: {', '.join(sorted(intents))})")
    return calendar


@lru_cache(maxsize=4)
def load_calendar(path: Path = DEMO_CALENDAR) -> Calendar:
    from functions.routing.policy import load_policy

    intents = load_policy().intents
    return read_document(path, lambda text: parse_calendar(text, intents), CalendarError, "calendar file")
