"""A load test of the local path under Amazon Connect's rate quotas, in simulated time.

The simulated Connect (callcenter/connect_emulator.py) enforces each API's quota as AWS does (token bucket:
rate, burst; 429 TooManyRequestsException beyond) on the backend's pace clock, the same clock the
functions pace themselves on (functions/common/pacing.py), so nothing sleeps for real. Two scenarios,
each through the real queues (moto), rules and handlers:

- `survey_load`: `per_second` answered inbound calls end every simulated second for `seconds`; their
  DISCONNECTED events go through EventBridge to the survey queue and the dispatcher, which reads each
  contact's attributes and places the survey calls.
- `outreach_load`: `due` customers are due for the warranty campaign; its schedule fires, the planner
  spreads them, the sender places the calls.

Each reports what the deadline and the quota ask: messages in, outcomes recorded, requests per API and the
most in any one-second window, 429s, deferrals, messages in the dead-letter queue, still waiting, and
the worst delay from a contact's moment (disconnect, planning) to its call.

Locally one instance of each consumer runs, so it paces at its share over the source's maximum
concurrency (what one deployed instance does), and the simulated day takes longer than a deployed one.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import boto3

from callcenter.backend import INSTANCE_ARN, REGION, LocalBackend, function_arn, queue_arn
from callcenter.event_sources import deliver
from functions.manifest import CONNECT_API_QUOTAS, FUNCTIONS
from functions.profiles.profile import CustomerProfile

SURVEY_QUEUE = "survey-requests"
OUTREACH_QUEUE = "outreach-requests"


@dataclass
class LoadReport:
    scenario: str
    messages_in: int  # disconnects published, or contacts the planner enqueued
    outcomes: Counter[str] = field(default_factory=Counter)  # final record statuses
    requests: dict[str, int] = field(default_factory=dict)  # Connect requests admitted, per API
    busiest_second: dict[str, int] = field(default_factory=dict)  # most admitted in any 1-s window, per API
    throttled: dict[str, int] = field(default_factory=dict)  # 429s Connect answered, per API
    deferred: int = 0  # messages put back on the queue because of Connect's rate
    dead_letters: int = 0
    waiting: int = 0  # messages still on the queue or held (delayed) at the end
    calls: int = 0  # outbound calls placed
    worst_delay_s: float = 0.0  # from the contact's moment to its call, simulated seconds
    late: int = 0  # calls placed after the deadline
    simulated_s: float = 0.0

    def within_quota(self) -> bool:
        return all(self.busiest_second.get(api, 0) <= quota.burst and not self.throttled.get(api)
                   for api, quota in CONNECT_API_QUOTAS.items())


def enforce_connect_quotas(backend: LocalBackend, quotas: dict[str, tuple[float, int]] | None = None) -> None:
    """The simulated Connect refuses what AWS would: the manifest's declared quotas unless told otherwise."""
    declared = {api: (q.rate_per_second, q.burst) for api, q in CONNECT_API_QUOTAS.items()}
    backend.connect.enforce(quotas or declared, backend.pace_clock.now)


def _busiest_second(times: list[float]) -> int:
    busiest, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest


def _queue_counts(backend: LocalBackend, queue: str) -> tuple[int, int]:
    sqs = boto3.client("sqs", region_name=REGION)

    def count(url: str) -> int:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    held = sum(1 for m in backend.sqs_delays.held if m.queue_url == backend.queue_urls[queue])
    return count(backend.queue_urls[queue]) + held, count(backend.dlq_urls[queue])


def _finish(report: LoadReport, backend: LocalBackend, queue: str, started: float) -> LoadReport:
    for api, times in backend.connect.requests.items():
        report.requests[api] = len(times)
        report.busiest_second[api] = _busiest_second(times)
    report.throttled = dict(backend.connect.throttled)
    report.deferred = backend.metric_total("SurveyRequestsDeferred") + backend.metric_total("OutreachRequestsDeferred")
    report.waiting, report.dead_letters = _queue_counts(backend, queue)
    report.simulated_s = backend.pace_clock.now() - started
    return report


def _drive(backend: LocalBackend, queue: str, start: datetime, arrivals: list[tuple[float, list[dict]]],
           placed: dict[str, float], key: str, max_batches: int = 4) -> None:
    """Feed `queue` until nothing is left: publish each second's events when the clock reaches it, deliver a few
    batches at a time (the consumer's pacing moves the clock), jump over idle time; note when each call was placed."""
    clock, events = backend.pace_clock, boto3.client("events", region_name=REGION)
    origin = clock.now()
    pending = list(arrivals)
    while True:
        elapsed = clock.now() - origin
        while pending and pending[0][0] <= elapsed:
            _, entries = pending.pop(0)
            for chunk in range(0, len(entries), 10):
                events.put_events(Entries=entries[chunk:chunk + 10])
        backend.now = start + timedelta(seconds=elapsed)
        try:
            report = deliver(backend, queue, max_batches=max_batches)
        finally:
            backend.now = None
        for call in backend.connect.take_outbound_calls():
            placed.setdefault(call.attributes.get(key, call.contact_id), clock.now() - origin)
        if report.messages:
            continue
        url = backend.queue_urls[queue]
        held = [(m.visible_at - start).total_seconds() for m in backend.sqs_delays.held if m.queue_url == url]
        upcoming = [moment for moment in (pending[0][0] if pending else None, min(held, default=None))
                    if moment is not None]
        if not upcoming:
            return
        clock.advance_to(origin + max(min(upcoming), elapsed + 1.0))


# --- surveys ---------------------------------------------------------------------------------------

def survey_customers(count: int, zone: str = "America/New_York", consent_every: int = 1) -> list[CustomerProfile]:
    """`count` customers; one in `consent_every` agreed to surveys (the others are skipped, NO_CONSENT)."""
    return [CustomerProfile(customer_id=f"load-{n:06d}", phone=_number("212", n), name=f"Load {n}", time_zone=zone,
                            consent_voice=True, consent_sms=True, consent_surveys=n % consent_every == 0)
            for n in range(count)]


def _number(area: str, n: int) -> str:
    """A valid North American number, distinct for each n below 800,000."""
    return f"+1{area}{200 + n // 10000}{n % 10000:04d}"


def _disconnected(contact_id: str, at: datetime) -> dict:
    detail = {
        "eventType": "DISCONNECTED", "contactId": contact_id, "initialContactId": contact_id, "channel": "VOICE",
        "instanceArn": INSTANCE_ARN, "initiationMethod": "INBOUND",
        "initiationTimestamp": (at - timedelta(minutes=5)).isoformat(),
        "queueInfo": {"queueArn": queue_arn("general"), "queueType": "STANDARD",
                      "enqueueTimestamp": (at - timedelta(minutes=4)).isoformat()},
        "agentInfo": {"agentArn": f"{INSTANCE_ARN}/agent/load",
                      "connectedToAgentTimestamp": (at - timedelta(minutes=3)).isoformat()},
        "disconnectTimestamp": at.isoformat(),
    }
    return {"Source": "aws.connect", "DetailType": "Amazon Connect Contact Event", "Detail": json.dumps(detail),
            "Resources": [f"{INSTANCE_ARN}/contact/{contact_id}"], "Time": at}


def survey_load(backend: LocalBackend, *, per_second: int, seconds: int, start: datetime,
                deadline: timedelta, consent_every: int = 1) -> LoadReport:
    """`per_second` x `seconds` answered calls end, each by a different customer (daytime for all of them)."""
    from functions.surveys.store import SurveyItem

    total = per_second * seconds
    backend.load_profiles(survey_customers(total, consent_every=consent_every))
    arrivals: list[tuple[float, list[dict]]] = []
    for second in range(seconds):
        entries = []
        for n in range(second * per_second, (second + 1) * per_second):
            contact_id = f"contact-{n:06d}"
            backend.connect.contact_attributes[contact_id] = {"customer_id": f"load-{n:06d}"}
            entries.append(_disconnected(contact_id, start + timedelta(seconds=second)))
        arrivals.append((float(second), entries))
    started, placed = backend.pace_clock.now(), {}
    _drive(backend, SURVEY_QUEUE, start, arrivals, placed, key="survey_contact_id")
    report = LoadReport("surveys", total)
    report.outcomes = Counter(item.status for item in SurveyItem.scan())
    report.calls = len(placed)
    delays = [moment - int(contact_id.split("-")[1]) // per_second for contact_id, moment in placed.items()]
    report.worst_delay_s = max(delays, default=0.0)
    report.late = sum(1 for delay in delays if delay > deadline.total_seconds())
    return _finish(report, backend, SURVEY_QUEUE, started)


# --- outreach --------------------------------------------------------------------------------------

def outreach_customers(count: int, expires: date, zone: str = "America/New_York") -> list[CustomerProfile]:
    return [CustomerProfile(customer_id=f"renew-{n:06d}", phone=_number("646", n), name=f"Renew {n}", time_zone=zone,
                            consent_voice=True, warranty_expires=expires) for n in range(count)]


def outreach_load(backend: LocalBackend, *, due: int, day: date, deadline: timedelta) -> LoadReport:
    """`due` customers whose warranty ends in the campaign's window; the warranty campaign's run that day."""
    from callcenter.outreach_day import fire_time
    from functions.outreach.campaigns import load_campaigns
    from functions.outreach.store import OutreachItem

    campaign = load_campaigns().campaign("warranty-expiry")
    backend.load_profiles(outreach_customers(due, day + timedelta(days=campaign.days_before)))
    fired = fire_time(campaign.schedule.expression, campaign.schedule.time_zone, day)
    planner = FUNCTIONS["outreach-planner"]
    started = backend.pace_clock.now()
    backend.now = fired
    try:
        plan = backend.invoke_lambda(function_arn(planner.name), {
            **campaign.schedule_input(), "scheduled_time": fired.isoformat(), "run_date": day.isoformat()},
            planner.timeout_seconds)
    finally:
        backend.now = None
    placed: dict[str, float] = {}
    _drive(backend, OUTREACH_QUEUE, fired, [], placed, key="outreach_customer_id")
    report = LoadReport("outreach", int(plan["enqueued"]))
    report.outcomes = Counter(item.status for item in OutreachItem.scan())
    report.calls = len(placed)
    report.worst_delay_s = max(placed.values(), default=0.0)
    report.late = sum(1 for moment in placed.values() if moment > deadline.total_seconds())
    return _finish(report, backend, OUTREACH_QUEUE, started)
