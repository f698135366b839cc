"""The roster: shifts that cover each half hour's required agents with the fewest agent-hours, by PuLP (CBC).

The shift file (JSON, version 1; ``demo/shifts.json`` is the default and an example)::

    {
      "version": 1,
      "shifts": [
        {"name": "full", "hours": 8, "earliest_start": "06:00", "latest_start": "16:00", "every_minutes": 30},
        {"name": "part", "hours": 4, "earliest_start": "00:00", "latest_start": "20:00", "every_minutes": 30}
      ]
    }

Each kind of shift may start at every `every_minutes` from `earliest_start` to `latest_start` (local time, the
center's zone) and must end by midnight (the staffing file splits a shift that crosses it). For one queue and one
day the integer program is: x_s agents on candidate shift s, minimise sum(hours_s x_s) subject to, for every half
hour t, sum of x_s over the shifts covering t >= required_t. A half hour no candidate shift covers is left
uncovered and reported rather than making the program infeasible.

The roster writes the staffing file the queue model reads (callcenter/queueing/staffing.py): one shift per
(kind, start) on that day's weekday, agents of the queue's routing profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from msgspec import Meta

from functions.common.documents import Strict, decode_document, read_document

SLOTS = 48
DEMO_SHIFTS = Path(__file__).resolve().parent.parent / "demo" / "shifts.json"
_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[03]0$")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class ShiftFileError(ValueError):
    """The shift file is invalid; the message says where and why."""


class ShiftKind(Strict, kw_only=True):
    name: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9-]{0,19}$")]
    hours: Annotated[float, Meta(gt=0, le=24)]
    earliest_start: str
    latest_start: str
    every_minutes: Literal[30, 60, 120] = 30

    def __post_init__(self) -> None:
        for clock in (self.earliest_start, self.latest_start):
            if not _CLOCK.match(clock):
                raise ValueError(f"{self.name}: start times are HH:00 or HH:30, got {clock}")
        if (self.hours * 2) != int(self.hours * 2):
            raise ValueError(f"{self.name}: hours must be whole half hours, got {self.hours}")
        if _slot(self.earliest_start) > _slot(self.latest_start):
            raise ValueError(f"{self.name}: earliest_start {self.earliest_start} is after latest_start "
                             f"{self.latest_start}")
        if _slot(self.latest_start) + self.length > SLOTS:
            raise ValueError(f"{self.name}: a {self.hours:g}-hour shift starting at {self.latest_start} ends after "
                             "midnight (make latest_start earlier)")

    @property
    def length(self) -> int:
        return int(self.hours * 2)

    def starts(self) -> list[int]:
        step = self.every_minutes // 30
        return list(range(_slot(self.earliest_start), _slot(self.latest_start) + 1, step))


class ShiftFile(Strict, kw_only=True):
    version: Literal[1]
    shifts: Annotated[tuple[ShiftKind, ...], Meta(min_length=1)]
    description: str = ""

    def __post_init__(self) -> None:
        names = [kind.name for kind in self.shifts]
        if len(set(names)) != len(names):
            raise ValueError("a shift name is listed twice")


def _slot(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 2 + int(minutes) // 30


def clock(slot: int) -> str:
    return f"{slot // 2:02d}:{30 * (slot % 2):02d}" if slot < SLOTS else "24:00"


def parse_shifts(document: str | bytes | dict) -> ShiftFile:
    return decode_document(document, ShiftFile, ShiftFileError, "shift file")


@lru_cache(maxsize=4)
def load_shifts(path: Path = DEMO_SHIFTS) -> ShiftFile:
    return read_document(path, parse_shifts, ShiftFileError, "shift file")


@dataclass(frozen=True)
class Assignment:
    kind: str
    start: int  # half-hour slot
    length: int  # half hours
    agents: int


@dataclass(frozen=True)
class DayRoster:
    queue: str
    day: date
    assignments: tuple[Assignment, ...]
    required: tuple[int, ...]
    uncovered: tuple[int, ...]  # slots with a requirement no shift can cover
    status: str

    @property
    def scheduled(self) -> list[int]:
        counts = [0] * SLOTS
        for item in self.assignments:
            for slot in range(item.start, item.start + item.length):
                counts[slot] += item.agents
        return counts

    @property
    def agent_hours(self) -> float:
        return sum(item.agents * item.length / 2 for item in self.assignments)


def solve_day(queue: str, day: date, required: list[int], shifts: ShiftFile) -> DayRoster:
    """The fewest agent-hours covering `required` (48 half hours) with the shift file's shifts."""
    import pulp

    if len(required) != SLOTS or any(r < 0 for r in required):
        raise ValueError("required agents: 48 half hours, none negative")
    candidates = [(kind, start) for kind in shifts.shifts for start in kind.starts()]
    coverable = {slot for kind, start in candidates for slot in range(start, start + kind.length)}
    uncovered = tuple(slot for slot in range(SLOTS) if required[slot] > 0 and slot not in coverable)
    if not any(required[slot] for slot in coverable):
        return DayRoster(queue, day, (), tuple(required), uncovered, "Optimal")
    problem = pulp.LpProblem(f"roster_{queue}_{day:%Y%m%d}".replace("-", "_"), pulp.LpMinimize)
    agents = {(kind.name, start): pulp.LpVariable(f"x_{kind.name.replace('-', '_')}_{start}", lowBound=0,
                                                  cat="Integer") for kind, start in candidates}
    problem += pulp.lpSum(kind.hours * agents[kind.name, start] for kind, start in candidates)
    for slot in sorted(coverable):
        if required[slot] > 0:
            problem += pulp.lpSum(agents[kind.name, start] for kind, start in candidates
                                  if start <= slot < start + kind.length) >= required[slot], f"cover_{slot}"
    problem.solve(pulp.PULP_CBC_CMD(msg=False))
    status = pulp.LpStatus[problem.status]
    if status != "Optimal":
        raise RuntimeError(f"the roster for {queue} on {day} could not be solved ({status})")
    assignments = tuple(Assignment(kind.name, start, kind.length, round(agents[kind.name, start].value() or 0))
                        for kind, start in candidates if round(agents[kind.name, start].value() or 0) > 0)
    return DayRoster(queue, day, assignments, tuple(required), uncovered, status)


def staffing_document(rosters: list[DayRoster], time_zone: str, description: str) -> dict:
    """The staffing file (callcenter/queueing/staffing.py, version 1) for the rosters (any queues and days)."""
    shifts: dict[str, dict] = {}
    agents = []
    for roster in rosters:
        weekday = WEEKDAYS[roster.day.weekday()]
        for item in roster.assignments:
            name = f"{roster.day:%a}-{item.kind}-{clock(item.start).replace(':', '')}".lower()
            shift = shifts.setdefault(name, {"start": clock(item.start), "end": clock(item.start + item.length),
                                             "days": []})
            if weekday not in shift["days"]:
                shift["days"].append(weekday)
            agents.append({"shift": name, "routing_profile": roster.queue, "count": item.agents})
    return {"version": 1, "description": description, "time_zone": time_zone, "shifts": shifts, "agents": agents}
