"""The routing policy: queues, hours and ordered rules, as data (policy.json), validated at load.

The same file is read by the routing Lambda, by the CDK app (which creates the
queues and hours of operation from it and validates it at synth) and by the
local simulator (which answers CheckHoursOfOperation from it).

Tickets: the queues are also the ticket teams (functions/tickets), so a rule may route to the queue
of the caller's latest ticket (`route.queue_from: "latest_ticket_team"`, only with
`when.has_ticket: true`), and `overdue_ticket_priority` raises (never lowers) the priority of a
caller who has a ticket past its SLA, whatever rule routed the call.

Lines (`lines`, a rule's `when.dialed_line`): policy.json names each line with a fictional number for local
runs; the deployment supplies the real ones (LINE_NUMBERS, from the `vip_line_number` context) through
`policy_with_lines`.

Validated with msgspec structs (functions/common/documents.py says why not pydantic); each struct checks its
own rules in `__post_init__`, and a problem is reported with its location.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from functions.common.documents import Strict, decode_document, to_document
from functions.common.phone import NumberStatus, parse_phone
from functions.common.zones import require_zone
from functions.profiles.profile import TIERS

POLICY_PATH = Path(__file__).with_name("policy.json")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
Weekday = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
#: Priorities a rule may assign. The inbound flow has one "Change routing priority" branch for each
#: of 1-4; 5 is Connect's default. The synth-time consistency check enforces that pairing.
PRIORITIES = (1, 2, 3, 4, 5)
DEFAULT_PRIORITY = 5
_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


class PolicyError(ValueError):
    """The routing policy file is invalid; the message says where and why."""


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class Hours(Strict, kw_only=True):
    time_zone: str
    open: dict[Weekday, tuple[str, str]]

    def __post_init__(self) -> None:
        require_zone(self.time_zone, "time_zone")
        for day, (start, end) in self.open.items():
            if not _CLOCK.match(start) or not _CLOCK.match(end) or start == "24:00":
                raise ValueError(f"{day}: times must be HH:MM (end may be 24:00), got {start}-{end}")
            if _minutes(start) >= _minutes(end):
                raise ValueError(f"{day}: opening {start} must be before closing {end}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        window = self.open.get(WEEKDAYS[local.weekday()])  # type: ignore[call-overload]
        if window is None:
            return False
        now = local.hour * 60 + local.minute
        return _minutes(window[0]) <= now < _minutes(window[1])

    def next_opening(self, at: datetime) -> datetime | None:
        """The next moment (aware, in the hours' own zone) the hours open after `at`; None if never."""
        local = at.astimezone(self.zone)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            window = self.open.get(WEEKDAYS[day.weekday()])  # type: ignore[call-overload]
            if window is None:
                continue
            start = _minutes(window[0])
            opening = datetime.combine(day, time(start // 60, start % 60), tzinfo=self.zone)
            if opening > local:
                return opening
        return None


class ServiceLevel(Strict, kw_only=True):
    """A queue's service-level goal: `target` (a share, 0-1) of its contacts answered within `seconds`. The
    KPI report (analytics/) measures each queue against it, and the live metrics alarm on it."""

    seconds: Annotated[int, Meta(ge=1, le=3600)] = 20
    target: Annotated[float, Meta(gt=0, le=1)] = 0.8


class Queue(Strict, kw_only=True):
    hours: str
    description: str = ""
    service_level: ServiceLevel = msgspec.field(default_factory=ServiceLevel)


class When(Strict, kw_only=True):
    dialed_line: str | None = None
    tier_in: tuple[str, ...] | None = None
    min_recent_complaints: Annotated[int, Meta(ge=1)] | None = None
    language_in: tuple[str, ...] | None = None
    # Intents are short lower-case names: the routing Lambda accepts (and echoes to Connect) only these.
    intent_in: tuple[Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_-]{0,31}$")], ...] | None = None
    # True: the caller has a latest ticket (not closed) whose team is one of the queues.
    has_ticket: Literal[True] | None = None

    def __post_init__(self) -> None:
        if all(v is None for v in msgspec.structs.astuple(self)):
            raise ValueError("a rule needs at least one condition")
        if self.tier_in is not None and not set(self.tier_in) <= set(TIERS):
            raise ValueError(f"tier_in may only name {TIERS}")


class Route(Strict, kw_only=True):
    queue: str | None = None
    # Instead of a fixed queue: the team (= queue) of the caller's latest ticket.
    queue_from: Literal["latest_ticket_team"] | None = None
    priority: int = DEFAULT_PRIORITY

    def __post_init__(self) -> None:
        if (self.queue is None) == (self.queue_from is None):
            raise ValueError("a route needs exactly one of queue or queue_from")
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}")


class Rule(Strict, kw_only=True):
    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    description: str = ""
    when: When
    route: Route
    reason: Annotated[str, Meta(pattern=r"^[A-Z][A-Z0-9_]{1,39}$")]


class RoutingPolicy(Strict, kw_only=True):
    version: Literal[1]
    center_time_zone: str
    default_queue: str
    hours: dict[str, Hours]
    queues: dict[str, Queue]
    lines: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    tier_priority: dict[str, int] = msgspec.field(default_factory=dict)
    # A caller with an open ticket past its SLA is queued at least at this priority (None: no raise).
    overdue_ticket_priority: int | None = None
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        require_zone(self.center_time_zone, "center_time_zone")
        for name in self.queues:
            if not re.match(r"^[a-z][a-z0-9_]{0,39}$", name):
                raise ValueError(f"queue name {name!r} must be lower_snake_case")
        for line, numbers in self.lines.items():
            for number in numbers:
                parsed = parse_phone(number)
                if parsed.status is not NumberStatus.VALID or parsed.e164 != number:
                    raise ValueError(f"line {line!r}: {number!r} is not a valid E.164 number")
        self._check_references()

    def _check_references(self) -> None:
        problems = []
        if self.default_queue not in self.queues:
            problems.append(f"default_queue {self.default_queue!r} is not a queue")
        for name, queue in self.queues.items():
            if queue.hours not in self.hours:
                problems.append(f"queue {name!r} uses unknown hours {queue.hours!r}")
        for tier, priority in self.tier_priority.items():
            if tier not in TIERS:
                problems.append(f"tier_priority names unknown tier {tier!r}")
            if priority not in PRIORITIES:
                problems.append(f"tier_priority[{tier!r}] must be one of {PRIORITIES}")
        if self.overdue_ticket_priority is not None and self.overdue_ticket_priority not in PRIORITIES:
            problems.append(f"overdue_ticket_priority must be one of {PRIORITIES}")
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                problems.append(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
            if rule.route.queue is not None and rule.route.queue not in self.queues:
                problems.append(f"rule {rule.id!r} routes to unknown queue {rule.route.queue!r}")
            if rule.route.queue_from == "latest_ticket_team" and rule.when.has_ticket is not True:
                problems.append(f"rule {rule.id!r} routes to the latest ticket's team, so it needs "
                                "when.has_ticket: true")
            if rule.when.dialed_line is not None and rule.when.dialed_line not in self.lines:
                problems.append(f"rule {rule.id!r} names unknown line {rule.when.dialed_line!r}")
        if problems:
            raise ValueError("; ".join(problems))

    def hours_for(self, queue: str) -> Hours:
        return self.hours[self.queues[queue].hours]

    @property
    def intents(self) -> frozenset[str]:
        return frozenset(i for rule in self.rules for i in (rule.when.intent_in or ()))

    @property
    def priorities_used(self) -> frozenset[int]:
        used = {rule.route.priority for rule in self.rules} | set(self.tier_priority.values())
        if self.overdue_ticket_priority is not None:
            used.add(self.overdue_ticket_priority)
        return frozenset(used | {DEFAULT_PRIORITY})


def parse_policy(document: str | bytes | dict) -> RoutingPolicy:
    """Validate a policy document; raise PolicyError saying what is wrong and where (`$.rules[0].route`)."""
    return decode_document(document, RoutingPolicy, PolicyError, "routing policy")


def policy_document(policy: RoutingPolicy) -> dict:
    """The policy as the JSON object it was read from (fields left at None omitted)."""
    return to_document(policy)


@lru_cache(maxsize=4)
def load_policy(path: Path = POLICY_PATH) -> RoutingPolicy:
    return parse_policy(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def policy_with_lines(line_numbers: tuple[tuple[str, tuple[str, ...]], ...], path: Path = POLICY_PATH) -> RoutingPolicy:
    """The policy with the deployment's numbers for its lines (LINE_NUMBERS), validated like the file itself.

    policy.json's `lines` hold fictional numbers for local runs; the deployed numbers come from the context
    (`vip_line_number`, infra/context.py), so the file never names a real line. A line given no number
    matches no call. Naming a line the policy does not have is an error.

    Cold start: the file is decoded once and validated once, with the deployment's numbers already in it (not
    validated as written, then again with the numbers: each validation parses every line number).
    """
    if not line_numbers:
        return load_policy(path)
    try:
        document = msgspec.json.decode(Path(path).read_bytes())
    except msgspec.DecodeError:
        document = None
    lines = document.get("lines", {}) if isinstance(document, dict) else None
    if not isinstance(document, dict) or not isinstance(lines, dict):
        return load_policy(path)  # not a policy: raises the PolicyError that says why
    unknown = sorted(set(dict(line_numbers)) - set(lines))
    if unknown:
        load_policy(path)  # a file that is itself invalid is reported as such first
        raise PolicyError(f"LINE_NUMBERS names lines the policy does not have: {', '.join(unknown)}")
    document["lines"] = {**lines, **{line: list(numbers) for line, numbers in line_numbers}}
    return parse_policy(document)
