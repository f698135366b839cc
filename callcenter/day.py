"""A synthetic day of calls through the real flow, handlers and tables, and its KPI report.

About 400 lines, kept as one module: the day's SimPy processes, its plan and its tally share the DayReport being
filled in; what is not the voice day already lives beside it (channel_mix.py, post_call.py, tickets_day.py,
records.py). The next thing to move out when it grows is the tally (DayReport and its summary).
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import simpy

from callcenter.backend import DynamoDBTraffic, LocalBackend
from callcenter.calls import MAIN_LINE, CallRequest, place_call
from callcenter.event_sources import deliver
from callcenter.lines import local_line_numbers
from callcenter.post_call import (
    AgentOutcome,
    Respondent,
    contact_event_detail,
    deliver_survey_requests,
    next_held,
    publish_contact_event,
    random_respondent,
    run_survey_calls,
)
from callcenter.queueing.model import QueueModel, QueueOutcome, QueueStatus
from callcenter.records import IVR_SECONDS, ContactLog
from callcenter.sentiment_day import SentimentPlayer
from flowlang.simulator import CallResult, FlowCoverage
from functions.profiles.pin import hash_pin
from functions.profiles.profile import CustomerProfile
from functions.routing.policy import load_policy

if TYPE_CHECKING:
    from callcenter.channel_mix import ChatPlan, SmsPlan
    from callcenter.queueing.staffing import Staffing
    from callcenter.tickets_day import TicketTally

FALLBACK_REASON = "ROUTING_FALLBACK"


@dataclass(frozen=True)
class CallPlan:
    request: CallRequest
    kind: str  # known, unknown, withheld, invalid, chat, vip-line
    fault: str | None = None  # routing fault to inject: error | timeout | throttle
    queue_full: bool = False  # the default queue is full whatever the model says (queues also fill up by load)

    @property
    def report_channel(self) -> str:
        """The KPI report's channel: VOICE, CHAT, or SMS for a text's contact (callcenter/channel_mix.py)."""
        return "SMS" if self.kind.startswith("sms-") else self.request.channel


@dataclass
class DayReport:
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    routed: Counter[tuple[str, str]] = field(default_factory=Counter)  # (queue, reason) of queued calls
    reasons: Counter[str] = field(default_factory=Counter)
    caller_kinds: Counter[str] = field(default_factory=Counter)
    faults_injected: Counter[str] = field(default_factory=Counter)
    failed_invocations: Counter[str] = field(default_factory=Counter)  # "function outcome": error | timeout
    fallbacks: int = 0
    without_profile: int = 0  # decided by the handler, but DynamoDB could not answer
    after_hours: int = 0
    menu_offered: int = 0
    menu_chosen: int = 0
    handler_ms_per_call: list[float] = field(default_factory=list)
    dynamodb_calls_per_call: list[int] = field(default_factory=list)
    invocations: int = 0
    answered_by_agent: int = 0
    abandoned_in_queue: int = 0
    dispatcher_ms_per_message: list[float] = field(default_factory=list)
    dynamodb_calls_per_survey_message: list[float] = field(default_factory=list)
    survey_calls: int = 0
    surveys: SurveyTally | None = None
    tickets: TicketTally | None = None
    channels: Counter[str] = field(default_factory=Counter)  # contacts by the KPI report's channel (TASK: ended)
    not_contacts: Counter[str] = field(default_factory=Counter)  # chats refused, texts that started no contact
    tasks_started: int = 0

    def add(self, plan: CallPlan, result: CallResult, handler_s: float, ddb_calls: int, invocations: int) -> None:
        self.calls += 1
        self.caller_kinds[plan.kind] += 1
        self.channels[plan.report_channel] += 1
        if plan.fault:
            self.faults_injected[plan.fault] += 1
        self.outcomes[result.outcome] += 1
        reason = result.attributes.get("reason", "")
        self.reasons[reason] += 1
        if result.outcome == "queued":
            self.routed[(result.queue or "?", reason)] += 1
        if reason == FALLBACK_REASON:
            self.fallbacks += 1
        if reason == "PROFILE_UNAVAILABLE":
            self.without_profile += 1
        if any(step.action_id.startswith("after-hours") for step in result.steps):
            self.after_hours += 1
        if any(step.action_id == "menu" for step in result.steps):
            self.menu_offered += 1
        if result.attributes.get("intent"):
            self.menu_chosen += 1
        self.handler_ms_per_call.append(handler_s * 1000)
        self.dynamodb_calls_per_call.append(ddb_calls)
        self.invocations += invocations


@dataclass
class SurveyTally:
    """The surveys of the day, read back from the surveys and follow-ups tables."""

    statuses: Counter[str] = field(default_factory=Counter)
    skip_reasons: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    scores: list[int] = field(default_factory=list)
    resolved: Counter[str] = field(default_factory=Counter)
    followups: Counter[str] = field(default_factory=Counter)

    @property
    def dispatched(self) -> int:
        return sum(self.channels.values())

    @property
    def csat(self) -> float:
        """Share of 4 and 5 among the scores given."""
        return sum(1 for s in self.scores if s >= 4) / len(self.scores) if self.scores else 0.0

    @property
    def response_rate(self) -> float:
        return len(self.scores) / self.dispatched if self.dispatched else 0.0

    @property
    def first_contact_resolution(self) -> float:
        answered = self.resolved["yes"] + self.resolved["no"]
        return self.resolved["yes"] / answered if answered else 0.0


def tally_surveys() -> SurveyTally:
    """Local reporting only: a scan of the day's tables (the deployed product reads its KPIs elsewhere)."""
    from functions.surveys.store import FollowUpItem, SurveyItem

    tally = SurveyTally()
    for item in SurveyItem.scan():
        tally.statuses[item.status] += 1
        if item.reason and item.status in ("skipped", "abandoned", "failed"):
            tally.skip_reasons[item.reason] += 1
        if item.channel and item.status in ("dispatched", "answered"):
            tally.channels[item.channel] += 1
        if item.score is not None:
            tally.scores.append(int(item.score))
        if item.resolved:
            tally.resolved[item.resolved] += 1
    for followup in FollowUpItem.scan():
        tally.followups[followup.reason] += 1
    return tally


def _percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timing_summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "mean": statistics.fmean(values) if values else 0.0,
        "p50": _percentile(values, 50),
        "p95": _percentile(values, 95),
        "max": max(values) if values else 0.0,
    }


def _arrival(rng: random.Random, day: date, zone: ZoneInfo) -> datetime:
    """Most calls in business hours, peaking late morning; some early, late and overnight."""
    if rng.random() < 0.8:
        minutes = int(min(max(rng.gauss(13 * 60, 150), 8 * 60), 20 * 60 - 1))
    else:
        minutes = rng.choice([rng.randrange(0, 8 * 60), rng.randrange(20 * 60, 24 * 60)])
    return datetime.combine(day, time(minutes // 60, minutes % 60, rng.randrange(60)), tzinfo=zone)


#: The phone PIN every simulated customer who asks for a ticket's status has on file (and types).
DEMO_PIN = "2468"


def _give_pin(caller: str | None, pin_hash: str, given: set[str], at: datetime) -> None:
    """As if an agent had set the caller's PIN before (once per customer), so option 4 can verify them."""
    from functions.profiles.store import find_by_phone, set_pin

    if caller is None or caller in given:
        return
    given.add(caller)
    profile = find_by_phone(caller)
    if profile is not None:
        set_pin(profile.customer_id, pin_hash, at)


def _keys(rng: random.Random) -> tuple[str | None, ...]:
    roll = rng.random()
    if roll < 0.44:
        return (rng.choice("123"),)
    if roll < 0.52:
        # The status of my ticket (4), the PIN, then mostly 1: talk to its team, or "it is fixed" for a resolved
        # one. A customer without a ticket hears so, and the 1 then chooses billing from the menu; a caller whose
        # number is on no profile is not verified and goes to an agent.
        return ("4", DEMO_PIN, rng.choice("1112"))
    if roll < 0.60:
        return ("0",)
    if roll < 0.75:
        return (None,)  # silence
    if roll < 0.90:
        return (rng.choice("789*#"), rng.choice("123"))  # a wrong key, then a right one
    return (rng.choice("789*#"), rng.choice("789*#"))  # wrong twice


def plan_day(profiles: Sequence[CustomerProfile], calls: int, seed: int, day: date,
             web_chats: bool = True) -> list[CallPlan]:
    """The day's calls. With `web_chats` some are chats run through the inbound flow (the voice-only day's own
    stand-in); without, those are VIP-line calls, and real chats come from callcenter/channel_mix.py."""
    rng = random.Random(seed)
    policy = load_policy()
    zone = ZoneInfo(policy.center_time_zone)
    vip_line = next(iter(local_line_numbers(policy).get("vip", ())), MAIN_LINE)
    known_phones = {p.phone for p in profiles}
    plans = []
    for index in range(calls):
        at = _arrival(rng, day, zone)
        roll = rng.random()
        dialed, channel, caller = MAIN_LINE, "VOICE", None
        if profiles and roll < 0.72:
            kind, caller = "known", rng.choice(profiles).phone
        elif roll < 0.84:
            kind = "unknown"
            while caller is None or caller in known_phones:
                caller = f"+1{rng.choice(['212', '312', '415', '617', '713'])}555{rng.randrange(100, 200):04d}"
        elif roll < 0.89:
            kind = "withheld"
        elif roll < 0.92:
            kind, caller = "invalid", rng.choice(["12345", "+999", "0000000"])
        elif roll < 0.95 and web_chats:
            kind, channel = "chat", "CHAT"
        else:
            kind, dialed = "vip-line", vip_line
            caller = rng.choice(profiles).phone if profiles and rng.random() < 0.5 else "+16175550142"
        fault_roll = rng.random()
        fault = "error" if fault_roll < 0.02 else "timeout" if fault_roll < 0.03 else (
            "throttle" if fault_roll < 0.05 else None)
        request = CallRequest(
            caller=caller, at=at, dialed=dialed, keys=_keys(rng), channel=channel,
            contact_id=f"sim-{seed}-{index:05d}")
        plans.append(CallPlan(request, kind, fault))
    return sorted(plans, key=lambda p: p.request.at)


def after_the_call(backend: LocalBackend, plan: CallPlan, result: CallResult, report: DayReport,
                   respondent: Respondent, coverage: FlowCoverage | None, queued: QueueOutcome | None = None,
                   log: ContactLog | None = None, sentiment: SentimentPlayer | None = None) -> datetime:
    """The contact ends: Connect publishes DISCONNECTED, the dispatcher decides, a survey call may follow.
    Returns when the contact ended. `queued` is the queue model's outcome of a queued call."""
    outcome = None
    if queued is not None:
        outcome = AgentOutcome(answered=queued.answered, agent=queued.agent,
                               waited=timedelta(seconds=queued.waited_s),
                               talked=timedelta(seconds=queued.talk_s + queued.hold_s))
        if outcome.answered:
            report.answered_by_agent += 1
        else:
            report.abandoned_in_queue += 1
    detail, ended = contact_event_detail(result, plan.request.contact_id or "", plan.request.at, outcome,
                                         channel=plan.request.channel)
    if log is not None:
        log.inbound(plan.request, result, queued, ended)
    if sentiment is not None and outcome is not None and outcome.answered:
        sentiment.answered(plan.request.contact_id or "", ended)  # Contact Lens: the call's segments
    publish_contact_event(detail, ended)
    first_invocation = len(backend.invocations)
    backend.now = ended
    try:
        delivery = deliver(backend, "survey-requests")
    finally:
        backend.now = None
    dispatcher_runs = [i for i in backend.invocations[first_invocation:] if i.function == "survey-dispatcher"]
    if delivery.messages:
        report.dispatcher_ms_per_message.append(sum(i.elapsed_s for i in dispatcher_runs) * 1000 / delivery.messages)
        report.dynamodb_calls_per_survey_message.append(
            sum(i.dynamodb_calls for i in dispatcher_runs) / delivery.messages)
    report.survey_calls += len(run_survey_calls(backend, respondent, ended + timedelta(minutes=2), coverage,
                                                on_call=log.automated if log is not None else None))
    return ended


def end_of_day(plans: Sequence[CallPlan | ChatPlan | SmsPlan]) -> datetime | None:
    """Midnight after the day's last call, in the call times' zone (the center's)."""
    if not plans:
        return None
    last = max(plan.request.at for plan in plans)
    return datetime.combine(last.date() + timedelta(days=1), time(0), tzinfo=last.tzinfo)


def run_day(backend: LocalBackend, plans: Sequence[CallPlan | ChatPlan | SmsPlan], coverage: FlowCoverage | None = None,
            on_call: Callable[[], None] | None = None, seed: int = 0, staffing: Staffing | None = None,
            log: ContactLog | None = None, watch: QueueWatch | None = None, tasks: bool = False) -> DayReport:
    """The day on a SimPy clock: each call arrives at its moment, runs the real flow and routing, and a queued call
    waits in the queue model (callcenter/queueing) for an agent of the staffing file (default demo/staffing.json)
    or hangs up; its end is published, surveyed and ticketed at the moment it ends. `log` collects the contact
    records; `watch` sees the queues every `watch.every_s` simulated seconds (the live view). Chats and texts
    among `plans`, and the tasks of escalated tickets (`tasks`), are played by callcenter/channel_mix.py."""
    from callcenter.queueing.staffing import load_staffing
    from callcenter.tickets_day import TicketDesk

    report = DayReport()
    policy = load_policy()
    respondent = random_respondent(random.Random(seed))
    desk = TicketDesk(backend, seed, tuple(policy.queues))
    sentiment = SentimentPlayer(backend, seed)
    demo_pin_hash, pins_given = hash_pin(DEMO_PIN), set[str]()
    midnight = end_of_day(plans)
    env = simpy.Environment()
    if plans and midnight is not None:
        origin = midnight - timedelta(days=1)
        model = QueueModel(env, staffing or load_staffing(), policy, origin=origin,
                           until=midnight + timedelta(days=1), seed=seed)
        if log is not None:
            log.moment = model.moment

        def call(plan: CallPlan) -> Generator[Any, Any, None]:
            yield env.timeout(max(0.0, model.seconds(plan.request.at)))
            desk.run_until(plan.request.at)  # the ticket work due before this call, outside its measures
            if plan.request.keys[:1] == ("4",):
                _give_pin(plan.request.caller, demo_pin_hash, pins_given, plan.request.at)
            backend.faults = {"routing": plan.fault} if plan.fault else {}
            backend.full_queues = model.full_queues() | ({policy.default_queue} if plan.queue_full else set())
            first_invocation = len(backend.invocations)
            calls_before = DynamoDBTraffic.total_calls()
            result = place_call(backend, plan.request, coverage)
            invocations = backend.invocations[first_invocation:]
            report.add(plan, result, sum(i.elapsed_s for i in invocations if i.outcome != "timeout"),
                       DynamoDBTraffic.total_calls() - calls_before, len(invocations))
            backend.faults, backend.full_queues = {}, set()
            queued = None
            if result.outcome == "queued" and result.queue in model.queues:
                yield env.timeout(IVR_SECONDS)
                queued = yield model.offer(plan.request.contact_id or "", result.queue, result.priority)
                yield env.timeout(max(0.0, queued.disconnected_s - env.now))
            ended = after_the_call(backend, plan, result, report, respondent, coverage, queued, log, sentiment)
            desk.after_call(plan.request.contact_id or "", result.attributes, result.queue,
                            queued.agent if queued is not None else None, ended)
            if on_call:
                on_call()

        def ended(plan: CallPlan, result: CallResult, queued: QueueOutcome | None) -> datetime:
            at = after_the_call(backend, plan, result, report, respondent, coverage, queued)
            desk.after_call(plan.request.contact_id or "", result.attributes, result.queue,
                            queued.agent if queued is not None else None, at)
            if on_call:
                on_call()
            return at

        channels = None
        if tasks or not all(isinstance(plan, CallPlan) for plan in plans):
            from callcenter.channel_mix import ChannelDay

            channels = ChannelDay(backend, env, model, report, log, coverage, desk.run_until, ended)
            if tasks:
                env.process(channels.tasks(model.seconds(midnight)))
        for plan in plans:
            env.process(call(plan) if isinstance(plan, CallPlan) else channels.contact(plan))  # type: ignore[union-attr]
        if watch is not None:
            env.process(_watched(env, model, watch, model.seconds(midnight)))
        env.run()
    if midnight is not None:
        report.tickets = desk.finish(midnight)
    held = next_held(backend, "survey-requests")
    if plans and held is not None:  # surveys held back by quiet hours, followed into the next day
        last = max(plan.request.at for plan in plans)
        report.survey_calls += len(deliver_survey_requests(
            backend, held, respondent, coverage, until=last + timedelta(days=1),
            on_call=log.automated if log is not None else None))
    report.surveys = tally_surveys()
    # A failed invocation (an error, or a timeout: injected only) took its flow's error branch or was retried as
    # its event source would; it is counted here and never ends the day.
    report.failed_invocations = Counter(f"{i.function} {i.outcome}" for i in backend.invocations if i.outcome != "ok")
    return report


class QueueWatch:
    """What the live view is given: every `every_s` simulated seconds, the moment and each queue's status."""

    def __init__(self, show: Callable[[datetime, dict[str, QueueStatus]], None], every_s: float = 60.0) -> None:
        self.show, self.every_s = show, every_s


def _watched(env: simpy.Environment, model: QueueModel, watch: QueueWatch, until_s: float) -> Generator[Any, Any, None]:
    while env.now < until_s:
        watch.show(model.moment(env.now), model.status())
        yield env.timeout(watch.every_s)
