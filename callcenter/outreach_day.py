"""One day of proactive outreach on the local backend: each campaign's schedule fires, the planner
queues the customers due, the sender places the contacts (quiet hours move them, in simulated
time), and each reminder call runs through the outreach flow file with a respondent's keys.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from callcenter.backend import LocalBackend, function_arn
from callcenter.connect_emulator import OutboundCall
from callcenter.event_sources import deliver
from flowlang.simulator import CallResult, ContactStart, FlowCoverage
from functions.manifest import FUNCTIONS

OUTREACH_FLOW = "outreach"
_CRON = re.compile(r"^cron\((?P<minute>\d+) (?P<hour>\d+) ")


@dataclass(frozen=True)
class OutreachLine:
    """One customer's state in one campaign at the end of the run, for the report."""

    customer_id: str
    campaign_id: str
    expires: str
    status: str
    channel: str | None
    reason: str | None


@dataclass
class OutreachRun:
    day: date
    plans: dict[str, dict] = field(default_factory=dict)  # campaign id -> the planner's summary
    lines: list[OutreachLine] = field(default_factory=list)
    calls: list[CallResult] = field(default_factory=list)
    starts: list[ContactStart] = field(default_factory=list)  # each reminder call's start, beside `calls`
    texts: int = 0


def fire_time(expression: str, zone: str, day: date) -> datetime:
    """When a daily `cron(M H * * ? *)` schedule fires on `day` in its time zone."""
    match = _CRON.match(expression)
    if match is None:
        raise ValueError(f"only daily cron(M H * * ? *) schedules are run locally, got {expression!r}")
    return datetime.combine(day, time(int(match["hour"]), int(match["minute"])), tzinfo=ZoneInfo(zone))


def respondent(rng: random.Random) -> Sequence[str | None]:
    """Most listen and hang up or ask to be reminded; some talk to an agent now; a few say stop."""
    return rng.choices([("1",), ("2",), ("9",), (None, None), ("7", "2")], [25, 30, 10, 25, 10])[0]


def _run_reminder_calls(backend: LocalBackend, at: datetime, rng: random.Random,
                        coverage: FlowCoverage | None, scripted: Sequence[str | None] | None,
                        starts: list[ContactStart]) -> list[CallResult]:
    from callcenter.calls import local_flow, run_flow_at

    results = []
    calls: list[OutboundCall] = backend.connect.take_outbound_calls()
    for call in calls:
        start = ContactStart(contact_id=call.contact_id, channel="VOICE", initiation_method="API",
                             customer_address=call.destination, system_address=None,
                             attributes=dict(call.attributes), now=at)
        keys = list(scripted) if scripted is not None else list(respondent(rng))
        starts.append(start)
        results.append(run_flow_at(backend, local_flow(OUTREACH_FLOW), start, keys, OUTREACH_FLOW, coverage))
    return results


def run_outreach_day(backend: LocalBackend, day: date, *, dry_run: bool = False, seed: int = 1,
                     coverage: FlowCoverage | None = None, keys: Sequence[str | None] | None = None,
                     max_hops: int = 2000) -> OutreachRun:
    from functions.outreach.campaigns import load_campaigns
    from functions.outreach.store import OutreachItem

    rng = random.Random(seed)
    run = OutreachRun(day)
    planner = FUNCTIONS["outreach-planner"]
    texts_before = len(backend.connect.texts)
    for campaign in load_campaigns().scheduled():
        fired = fire_time(campaign.schedule.expression, campaign.schedule.time_zone, day)
        event = {**campaign.schedule_input(), "scheduled_time": fired.astimezone(ZoneInfo("UTC")).isoformat(),
                 "run_date": day.isoformat()}
        backend.now = fired
        try:
            run.plans[campaign.id] = backend.invoke_lambda(function_arn(planner.name), event, planner.timeout_seconds)
        finally:
            backend.now = None
        if dry_run:
            continue
        # The sender takes the queue; contacts held by quiet hours are followed until the day after.
        moment: datetime | None = fired
        for _ in range(max_hops):
            if moment is None or moment > fired + timedelta(days=1):
                break
            backend.now = moment
            try:
                deliver(backend, "outreach-requests")
            finally:
                backend.now = None
            run.calls += _run_reminder_calls(backend, moment + timedelta(minutes=1), rng, coverage, keys, run.starts)
            moment = backend.sqs_delays.next_visible_at()
    run.texts = len(backend.connect.texts) - texts_before
    run.lines = sorted(
        (OutreachLine(i.customer_id, i.campaign_id, i.expires, i.status, i.channel, i.reason)
         for i in OutreachItem.scan()),
        key=lambda line: (line.campaign_id, line.status, line.customer_id))
    return run
