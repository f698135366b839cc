"""A synthetic day of calls through the real flow, handlers and tables, and its KPI report."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from callcenter.backend import DynamoDBTraffic, LocalBackend
from callcenter.calls import MAIN_LINE, CallRequest, place_call
from flowlang.simulator import CallResult, FlowCoverage
from functions.profiles.profile import CustomerProfile
from functions.routing.policy import load_policy

FALLBACK_REASON = "ROUTING_FALLBACK"


@dataclass(frozen=True)
class CallPlan:
    request: CallRequest
    kind: str  # known, unknown, withheld, invalid, chat, vip-line
    fault: str | None = None  # routing fault to inject: error | timeout | throttle
    queue_full: bool = False


@dataclass
class DayReport:
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    routed: Counter[tuple[str, str]] = field(default_factory=Counter)  # (queue, reason) of queued calls
    reasons: Counter[str] = field(default_factory=Counter)
    caller_kinds: Counter[str] = field(default_factory=Counter)
    faults_injected: Counter[str] = field(default_factory=Counter)
    fallbacks: int = 0
    without_profile: int = 0  # decided by the handler, but DynamoDB could not answer
    after_hours: int = 0
    menu_offered: int = 0
    menu_chosen: int = 0
    handler_ms_per_call: list[float] = field(default_factory=list)
    dynamodb_calls_per_call: list[int] = field(default_factory=list)
    invocations: int = 0

    def add(self, plan: CallPlan, result: CallResult, handler_s: float, ddb_calls: int, invocations: int) -> None:
        self.calls += 1
        self.caller_kinds[plan.kind] += 1
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


def _keys(rng: random.Random) -> tuple[str | None, ...]:
    roll = rng.random()
    if roll < 0.50:
        return (rng.choice("123"),)
    if roll < 0.60:
        return ("0",)
    if roll < 0.75:
        return (None,)  # silence
    if roll < 0.90:
        return (rng.choice("4789*#"), rng.choice("123"))  # a wrong key, then a right one
    return (rng.choice("4789*#"), rng.choice("4789*#"))  # wrong twice


def plan_day(profiles: Sequence[CustomerProfile], calls: int, seed: int, day: date) -> list[CallPlan]:
    rng = random.Random(seed)
    policy = load_policy()
    zone = ZoneInfo(policy.center_time_zone)
    vip_line = next(iter(policy.lines.get("vip", ())), MAIN_LINE)
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
        elif roll < 0.95:
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
        plans.append(CallPlan(request, kind, fault, queue_full=rng.random() < 0.01))
    return sorted(plans, key=lambda p: p.request.at)


def run_day(backend: LocalBackend, plans: Sequence[CallPlan], coverage: FlowCoverage | None = None,
            on_call: Callable[[], None] | None = None) -> DayReport:
    report = DayReport()
    policy = load_policy()
    for plan in plans:
        backend.faults = {"routing": plan.fault} if plan.fault else {}
        backend.full_queues = {policy.default_queue} if plan.queue_full else set()
        first_invocation = len(backend.invocations)
        calls_before = DynamoDBTraffic.total_calls()
        result = place_call(backend, plan.request, coverage)
        invocations = backend.invocations[first_invocation:]
        report.add(plan, result, sum(i.elapsed_s for i in invocations if i.outcome != "timeout"),
                   DynamoDBTraffic.total_calls() - calls_before, len(invocations))
        if on_call:
            on_call()
    backend.faults, backend.full_queues = {}, set()
    return report
