"""The staffing file: which agents work when, and which queues they take (their routing profile).

The queue model (callcenter/queueing/model.py) reads it; the staffing work (a later issue) writes the same file.
Format (JSON, version 1; ``demo/staffing.json`` is the default and an example)::

    {
      "version": 1,
      "time_zone": "America/New_York",          # shift times are local to this zone (DST-aware)
      "max_contacts_in_queue": 25,              # a queue holding this many waiting contacts is full (optional)
      "shifts": {
        "day":   {"start": "08:00", "end": "16:30", "days": ["MONDAY", "TUESDAY", ...]},
        "night": {"start": "00:00", "end": "24:00", "days": ["SATURDAY", "SUNDAY"]}
      },
      "agents": [
        {"shift": "day", "routing_profile": "billing", "count": 3}
      ]
    }

A routing profile is named after a queue of the routing policy and takes the same queues, in the same order, as
the stack's routing profile of that name (infra/constructs/contact_center.py): its own queue first (priority 1),
then the default queue (priority 2). An agent is available from the start to the end of each of their shifts; a
contact in progress at the end of a shift is finished first. Problems are reported with their location.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from functions.common.documents import Strict, decode_document, read_document
from functions.common.zones import require_zone
from functions.routing.policy import WEEKDAYS, RoutingPolicy, load_policy

DEMO_STAFFING = Path(__file__).resolve().parent.parent.parent / "demo" / "staffing.json"
Weekday = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


class StaffingError(ValueError):
    """The staffing file is invalid; the message says where and why."""


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class Shift(Strict, kw_only=True):
    start: str
    end: str
    days: tuple[Weekday, ...]

    def __post_init__(self) -> None:
        if not _CLOCK.match(self.start) or not _CLOCK.match(self.end) or self.start == "24:00":
            raise ValueError(f"times must be HH:MM (end may be 24:00), got {self.start}-{self.end}")
        if _minutes(self.start) >= _minutes(self.end):
            raise ValueError(f"start {self.start} must be before end {self.end} (split a shift that crosses "
                             "midnight in two)")
        if not self.days:
            raise ValueError("a shift needs at least one day")
        if len(set(self.days)) != len(self.days):
            raise ValueError("a day is listed twice")


class AgentGroup(Strict, kw_only=True):
    shift: str
    routing_profile: str
    count: Annotated[int, Meta(ge=0, le=10_000)]


class Staffing(Strict, kw_only=True):
    version: Literal[1]
    time_zone: str
    shifts: dict[str, Shift]
    agents: tuple[AgentGroup, ...]
    max_contacts_in_queue: Annotated[int, Meta(ge=1)] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        require_zone(self.time_zone, "time_zone")
        problems = [f"agents[{index}]: unknown shift {group.shift!r} (shifts: {', '.join(sorted(self.shifts))})"
                    for index, group in enumerate(self.agents) if group.shift not in self.shifts]
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def headcount(self) -> int:
        return sum(group.count for group in self.agents)


def routing_profiles(policy: RoutingPolicy) -> dict[str, tuple[str, ...]]:
    """Each routing profile's queues in priority order, as the stack defines them: its queue, then the default."""
    default = policy.default_queue
    return {queue: (queue,) if queue == default else (queue, default) for queue in policy.queues}


def check_against_policy(staffing: Staffing, policy: RoutingPolicy) -> None:
    """Every routing profile named is one the stack defines (a queue of the policy)."""
    profiles = routing_profiles(policy)
    problems = [f"agents[{index}]: unknown routing profile {group.routing_profile!r} "
                f"(the policy's queues: {', '.join(sorted(profiles))})"
                for index, group in enumerate(staffing.agents) if group.routing_profile not in profiles]
    if problems:
        raise StaffingError("staffing file is invalid:\n  " + "; ".join(problems))


def parse_staffing(document: str | bytes | dict, policy: RoutingPolicy | None = None) -> Staffing:
    """Validate a staffing document against its format and the routing policy's queues."""
    staffing = decode_document(document, Staffing, StaffingError, "staffing file")
    check_against_policy(staffing, policy or load_policy())
    return staffing


@lru_cache(maxsize=4)
def load_staffing(path: Path = DEMO_STAFFING) -> Staffing:
    return read_document(path, parse_staffing, StaffingError, "staffing file")


def shift_windows(shift: Shift, zone: ZoneInfo, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
    """The shift's (start, end) moments, aware in `zone`, on each of its days from `first` to `last` inclusive."""
    day = first
    start, end = _minutes(shift.start), _minutes(shift.end)
    while day <= last:
        if WEEKDAYS[day.weekday()] in shift.days:
            opens = datetime.combine(day, time(start // 60, start % 60), tzinfo=zone)
            closes = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) if end == 24 * 60
                      else datetime.combine(day, time(end // 60, end % 60), tzinfo=zone))
            yield opens, closes
        day += timedelta(days=1)


def staffing_document(staffing: Staffing) -> dict:
    return msgspec.to_builtins(staffing)
