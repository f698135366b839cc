"""Weeks of contacts, fast: the routing decision in memory and the queue model, without the local AWS path.

Each day gets its volume from the calendar (weekday, holiday or event, times --calls-per-day) and its arrivals from
the calendar's intraday curve, in the center's time zone (a DST day has 23 or 25 hours). Every call is decided by the
routing code the Lambda runs (functions/routing/service.py `decide`, so decision.py's rules), with the profiles held
in memory instead of DynamoDB: a second decision follows a menu choice, as in the inbound flow. Calls the decision
queues wait in the queue model (callcenter/queueing) for the staffing file's agents; a share of the answered known
callers is surveyed afterwards (a survey call, InitiationMethod API, with the survey flow's attributes). Each day is
written as soon as it is done (the lake layout, one part per date), so memory stays that of one day.

Each day draws from its own seeded generator (seed and date), so a day's contacts are the same whatever the first
day of the run.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from analytics.lake import CONTACT_RECORDS, write_jsonl
from callcenter.history.calendar import Calendar
from callcenter.queueing.model import DEMO_HANDLING, Handling, Offer, QueueOutcome, serve
from callcenter.queueing.staffing import Staffing
from callcenter.records import IVR_SECONDS, QUEUE_ARN, automated_call_record, inbound_record
from functions.profiles.profile import CustomerProfile
from functions.routing.contact import InboundContact
from functions.routing.policy import RoutingPolicy
from functions.routing.service import INTENT_PARAMETER, decide, to_contact_attributes

MAIN_LINE = "+18005550100"
#: Menu keys the callers press, by intent ("" : silence or a key no rule knows: the default queue).
MENU_CHOICES = {"billing": 30.0, "support": 30.0, "sales": 15.0, "": 25.0}
SURVEYED_SHARE = 0.3


@dataclass
class HistoryRun:
    days: int = 0
    contacts: int = 0
    kinds: Counter[str] = field(default_factory=Counter)  # inbound, survey
    queued: int = 0
    answered: int = 0
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class _Call:
    contact_id: str
    at: datetime
    channel: str
    caller: str | None
    dialed: str
    attributes: dict[str, str]
    queued: bool


class HistoryDay:
    """One day's contacts, decided and queued."""

    def __init__(self, policy: RoutingPolicy, staffing: Staffing, calendar: Calendar,
                 profiles: Sequence[CustomerProfile], seed: int, calls_per_day: int,
                 handling: Handling = DEMO_HANDLING) -> None:
        self.policy, self.staffing, self.calendar, self.seed, self.handling = policy, staffing, calendar, seed, handling
        self.calls_per_day = calls_per_day
        self.zone = ZoneInfo(policy.center_time_zone)
        self.profiles = list(profiles)
        self.by_phone = {p.phone: p for p in profiles}
        self.queue_arns = {q: QUEUE_ARN.format(q) for q in policy.queues}
        self.vip_line = next(iter(policy.lines.get("vip", ())), MAIN_LINE)

    def _arrivals(self, rng: random.Random, day: date, calls: int) -> list[datetime]:
        hours = rng.choices(range(24), self.calendar.intraday, k=calls)
        moments = []
        for hour in hours:
            second = rng.randrange(3600)
            local = datetime.combine(day, time(hour, second // 60, second % 60), tzinfo=self.zone)
            moments.append(local)
        return sorted(moments, key=lambda m: m.timestamp())

    def _caller(self, rng: random.Random) -> tuple[str, str | None, str, str]:
        """(kind, caller, dialed, channel)."""
        roll = rng.random()
        if self.profiles and roll < 0.72:
            return "known", rng.choice(self.profiles).phone, MAIN_LINE, "VOICE"
        if roll < 0.84:
            caller = f"+1{rng.choice(('212', '312', '415', '617', '713'))}555{rng.randrange(100, 200):04d}"
            return "unknown", caller, MAIN_LINE, "VOICE"
        if roll < 0.89:
            return "withheld", None, MAIN_LINE, "VOICE"
        if roll < 0.92:
            return "invalid", rng.choice(("12345", "+999", "0000000")), MAIN_LINE, "VOICE"
        if roll < 0.95:
            return "chat", None, MAIN_LINE, "CHAT"
        caller = rng.choice(self.profiles).phone if self.profiles and rng.random() < 0.5 else "+16175550142"
        return "vip-line", caller, self.vip_line, "VOICE"

    def _route(self, rng: random.Random, contact_id: str, at: datetime, caller: str | None, dialed: str,
               channel: str, choices: dict[str, float]) -> tuple[dict[str, str], bool]:
        """The routing Lambda's answer (a second one after a menu choice) and whether the call is queued."""
        contact = InboundContact(contact_id, channel, "INBOUND", caller, dialed)
        decision, who = decide(contact, self.policy, self.by_phone.get, at)
        attributes = to_contact_attributes(decision, who, self.queue_arns)
        if decision.offer_menu:
            intent = rng.choices(tuple(choices), tuple(choices.values()))[0]
            if intent:
                again = InboundContact(contact_id, channel, "INBOUND", caller, dialed, attributes,
                                       {INTENT_PARAMETER: intent})
                decision, who = decide(again, self.policy, self.by_phone.get, at)
                attributes = to_contact_attributes(decision, who, self.queue_arns)
        return attributes, not decision.after_hours

    def contacts(self, day: date) -> tuple[list[dict[str, Any]], Counter[str], int, int]:
        """The day's records (inbound calls and the survey calls after them), by kind; queued and answered."""
        rng = random.Random(f"{self.seed}:{day.isoformat()}")
        special = self.calendar.special(day)
        choices = dict(MENU_CHOICES)
        for intent, factor in (special.intents.items() if special else ()):
            choices[intent] = choices.get(intent, 0.0) * factor
        expected = self.calendar.volume(day) * self.calls_per_day
        count = max(0, round(rng.gauss(expected, expected ** 0.5)))
        origin = datetime.combine(day, time(0), tzinfo=self.zone)
        calls, offers = [], []
        for index, at in enumerate(self._arrivals(rng, day, count)):
            _kind, caller, dialed, channel = self._caller(rng)
            contact_id = f"hist-{self.seed}-{day:%Y%m%d}-{index:06d}"
            attributes, queued = self._route(rng, contact_id, at, caller, dialed, channel, choices)
            calls.append(_Call(contact_id, at, channel, caller, dialed, attributes, queued))
            if queued:
                offers.append(Offer((at - origin).total_seconds() + IVR_SECONDS, contact_id, attributes["queue"],
                                    int(attributes["priority"])))
        outcomes = {o.contact_id: o for o in serve(
            offers, self.staffing, self.policy, origin=origin, until=origin + timedelta(days=2),
            seed=rng.randrange(2**32), handling=self.handling)}

        def moment(seconds: float) -> datetime:
            return origin + timedelta(seconds=seconds)

        records, kinds, answered = [], Counter[str](), 0
        for call in calls:
            outcome = outcomes.get(call.contact_id)
            ended = (moment(outcome.disconnected_s) if outcome is not None
                     else call.at + timedelta(seconds=IVR_SECONDS))
            records.append(inbound_record(
                contact_id=call.contact_id, channel=call.channel, caller=call.caller, dialed=call.dialed,
                at=call.at, ended=ended, attributes=call.attributes,
                flow_outcome="queued" if call.queued else "disconnected",
                queue_arn=call.attributes.get("queue_arn"), outcome=outcome, moment=moment))
            kinds["inbound"] += 1
            if outcome is not None and outcome.answered:
                answered += 1
                if call.attributes.get("customer_id") and rng.random() < SURVEYED_SHARE:
                    records.append(self._survey(rng, call, outcome, ended))
                    kinds["survey"] += 1
        return records, kinds, len(offers), answered

    def _survey(self, rng: random.Random, call: _Call, outcome: QueueOutcome, ended: datetime) -> dict[str, Any]:
        """The survey call after an answered call; a long wait makes a low score likelier."""
        waited_long = outcome.waited_s > 60
        weights = (14, 12, 16, 28, 30) if waited_long else (4, 5, 11, 30, 50)
        answers = rng.random()
        score = str(rng.choices(range(1, 6), weights)[0]) if answers > 0.12 else "none"
        resolved = ("1" if rng.random() < 0.85 else "2") if score != "none" else "none"
        attributes = {"survey_contact_id": call.contact_id, "survey_score": score, "survey_resolved": resolved,
                      "customer_id": call.attributes.get("customer_id", "")}
        return automated_call_record(contact_id=f"{call.contact_id}-survey", customer=call.caller,
                                     at=ended + timedelta(minutes=2), attributes=attributes,
                                     prompts=2 if score == "none" else 4)


def generate_history(*, start: date, weeks: int, calls_per_day: int, out: Path, policy: RoutingPolicy,
                     staffing: Staffing, calendar: Calendar, profiles: Sequence[CustomerProfile], seed: int,
                     progress: Callable[[date, int], None] | None = None) -> HistoryRun:
    """Write `weeks` weeks of records from `start` into `out` (the lake layout); `progress` sees each day done."""
    if weeks < 1 or calls_per_day < 1:
        raise ValueError("weeks and calls per day must be at least 1")
    generator = HistoryDay(policy, staffing, calendar, profiles, seed, calls_per_day)
    run = HistoryRun()
    # The dates this run writes (a survey after a late call lands on the next date) are replaced as a whole.
    for offset in range(weeks * 7 + 1):
        shutil.rmtree(Path(out) / CONTACT_RECORDS / f"dt={start + timedelta(days=offset)}", ignore_errors=True)
    for offset in range(weeks * 7):
        day = start + timedelta(days=offset)
        records, kinds, queued, answered = generator.contacts(day)
        run.files += write_jsonl(records, out, part=offset) if records else []
        run.days += 1
        run.contacts += len(records)
        run.kinds.update(kinds)
        run.queued += queued
        run.answered += answered
        if progress is not None:
            progress(day, len(records))
    return run
