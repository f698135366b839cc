"""The channels of a simulated day: how many contacts come by voice, web chat and SMS (a channels file), and how
the chats and texts are played beside the calls (`simulate --channels FILE`; format below).

The channels file (demo/channels.json)::

    {
      "version": 1,
      "description": "why these shares",
      "shares": {"voice": 0.7, "chat": 0.2, "sms": 0.1},
      "chat_identity": {"signed": 0.5, "typed": 0.3, "anonymous": 0.2}
    }

- `shares`: the day's customer-initiated contacts by channel, each from 0 to 1, summing to 1 (within 0.001);
  a channel left out has share 0. The day has exactly the largest-remainder split of `--calls` by these shares
  (not a random draw), so 60 contacts at 0.7/0.2/0.1 are 42 calls, 12 chats and 6 texts; which contact comes
  when is drawn from the seed.
- `chat_identity`: who the web chats are (default 0.5/0.3/0.2): `signed` a known customer signed in on the
  company site (a claim signed by the site's backend, callcenter/chats.py), `typed` a phone number or email
  typed in the chat form (a known customer's, or a stranger's), `anonymous` nothing. Shares from 0 to 1 summing
  to 1; a kind left out has share 0.
- Tasks have no share: they arise from the day's tickets, as in production. A ticket escalated to a team, or a
  survey follow-up ticket, makes the ticket-tasks function start a task (StartTaskContact) in that team's queue.

A field that is wrong or missing, or one the file should not have, is an error naming the field.

How each channel is played (callcenter/day.py runs the day on one SimPy clock):
- a chat: `POST /chat/start` through the real chat-start handler, the chat flow (infra/flows/chat.json) with the
  real routing handler, the customer's quick replies drawn from the menu's (or something the menu does not know);
- an SMS: End User Messaging's inbound document through the real sms-inbound function, which starts an SMS
  contact (attribute channel_subtype=sms) on infra/flows/sms.json;
- a task: every half hour of simulated time the ticket-tasks queue is delivered (the function starts and stops
  tasks); each new task waits in its team's queue and never abandons (nobody is on the line).
A queued chat, SMS or task then waits in the queue model (callcenter/queueing/model.py) like a call, and its
contact record (Channel CHAT or TASK, InitiationMethod API, its attributes, queue and agent legs) joins the day's.

Simplifications, said here so nobody reads more into the figures: an agent takes one contact at a time whatever
the channel (the queue model has no chat concurrency), and a chat or task takes the same handling-time
distributions as a call of its queue. A task still waiting at the end of the run ends nowhere, so it has no
record (Connect writes a record when a contact ends). The chats and texts of a day leave no record in the
contact-history table (the day's calls do not either), and a task an agent handled is not completed through
Connect: its ticket follows the ticket desk's own plan (callcenter/tickets_day.py), which stops the task.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from msgspec import Meta, field

from callcenter.calls import CallRequest
from callcenter.chats import ChatRequest
from callcenter.day import CallPlan
from callcenter.records import IVR_SECONDS, inbound_record, task_record
from functions.common.documents import Strict, decode_document, read_document
from functions.profiles.profile import CustomerProfile

if TYPE_CHECKING:
    import simpy

    from callcenter.backend import LocalBackend
    from callcenter.day import DayReport
    from callcenter.queueing.model import QueueModel, QueueOutcome
    from callcenter.records import ContactLog
    from flowlang.simulator import CallResult, FlowCoverage

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_CHANNELS = REPO_ROOT / "demo" / "channels.json"
CHANNELS = ("voice", "chat", "sms")
#: The KPI report's name of each channel (analytics/report.py).
REPORT_CHANNEL = {"voice": "VOICE", "chat": "CHAT", "sms": "SMS", "task": "TASK"}
SUM_TOLERANCE = 0.001

Share = Annotated[float, Meta(ge=0, le=1)]

#: What customers write in a web chat: the chat menu's quick replies, or something the menu does not know.
CHAT_SAYS = (("billing",), ("support",), ("sales",), ("agent",), ("I want to change my plan", "agent"))
#: What customers text (never STOP, START or a survey score: those are not contacts).
SMS_TEXTS = ("Hi, my internet has been down since this morning", "Can someone explain my last bill?",
             "I would like to upgrade my plan", "Is there an outage in my area?", "Please call me back about my order")


class ChannelMixError(ValueError):
    pass


class Shares(Strict, frozen=True, kw_only=True):
    voice: Share = 0.0
    chat: Share = 0.0
    sms: Share = 0.0

    def __post_init__(self) -> None:
        _sums_to_one("shares", {"voice": self.voice, "chat": self.chat, "sms": self.sms})


class ChatIdentity(Strict, frozen=True, kw_only=True):
    signed: Share = 0.0
    typed: Share = 0.0
    anonymous: Share = 0.0

    def __post_init__(self) -> None:
        _sums_to_one("chat_identity", {"signed": self.signed, "typed": self.typed, "anonymous": self.anonymous})


class ChannelMix(Strict, frozen=True, kw_only=True):
    version: Annotated[int, Meta(ge=1, le=1)]
    shares: Shares
    description: str = ""
    chat_identity: ChatIdentity = field(default_factory=lambda: ChatIdentity(signed=0.5, typed=0.3, anonymous=0.2))

    def counts(self, contacts: int) -> dict[str, int]:
        """`contacts` split by the shares, largest remainder first (ties in the order voice, chat, sms)."""
        exact = {channel: getattr(self.shares, channel) * contacts for channel in CHANNELS}
        counts = {channel: int(value) for channel, value in exact.items()}
        left = contacts - sum(counts.values())
        for channel in sorted(CHANNELS, key=lambda c: -(exact[c] - counts[c]))[:left]:
            counts[channel] += 1
        return counts


def _sums_to_one(name: str, shares: dict[str, float]) -> None:
    total = sum(shares.values())
    if abs(total - 1) > SUM_TOLERANCE:
        listed = ", ".join(f"{k} {v:g}" for k, v in shares.items())
        raise ValueError(f"`{name}` must sum to 1, got {total:g} ({listed})")


def parse_channel_mix(document: str | bytes | dict) -> ChannelMix:
    return decode_document(document, ChannelMix, ChannelMixError, "channels file")


def load_channel_mix(path: Path = DEMO_CHANNELS) -> ChannelMix:
    """The channels file, validated; a problem raises ChannelMixError naming the file and the field."""
    return read_document(path, parse_channel_mix, ChannelMixError, "channels file")


# --- the day's chats and texts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChatPlan:
    request: ChatRequest
    identity: str  # signed | typed | anonymous

    channel = "chat"


@dataclass(frozen=True)
class SmsText:
    sender: str
    text: str
    at: datetime
    contact_id: str  # the day's name of the text (its SMS contact gets the id the function's chat got)


@dataclass(frozen=True)
class SmsPlan:
    request: SmsText
    known: bool

    channel = "sms"


def _stranger(rng: random.Random, known: set[str]) -> str:
    while True:
        phone = f"+1{rng.choice(['212', '312', '415', '617', '713'])}555{rng.randrange(200, 300):04d}"
        if phone not in known:
            return phone


def plan_chats_and_texts(profiles: Sequence[CustomerProfile], mix: ChannelMix, chats: int, texts: int, seed: int,
                         day: date) -> list[ChatPlan | SmsPlan]:
    """The day's chats and texts, at moments drawn as the calls' are, from their own generator (so the calls of
    a seed are the same whatever the chats and texts)."""
    from zoneinfo import ZoneInfo

    from callcenter.day import _arrival
    from functions.routing.policy import load_policy

    rng = random.Random(f"channels:{seed}")
    zone = ZoneInfo(load_policy().center_time_zone)
    known = {p.phone for p in profiles}
    identities = mix.chat_identity
    plans: list[ChatPlan | SmsPlan] = []
    for index in range(chats):
        at = _arrival(rng, day, zone)
        identity = rng.choices(("signed", "typed", "anonymous"),
                               (identities.signed, identities.typed, identities.anonymous))[0]
        if identity != "anonymous" and not profiles:
            identity = "typed" if identity == "signed" else identity
        customer = ""
        if identity == "signed":
            customer = rng.choice(profiles).customer_id
        elif identity == "typed":
            profile = rng.choice(profiles) if profiles and rng.random() < 0.7 else None
            if profile is None:
                customer = _stranger(rng, known)
            else:
                customer = profile.email if profile.email and rng.random() < 0.3 else profile.phone
        plans.append(ChatPlan(ChatRequest(customer=customer, at=at, says=rng.choice(CHAT_SAYS),
                                          contact_id=f"sim-{seed}-chat-{index:05d}"), identity))
    for index in range(texts):
        at = _arrival(rng, day, zone)
        is_known = bool(profiles) and rng.random() < 0.75
        sender = rng.choice(profiles).phone if is_known else _stranger(rng, known)
        plans.append(SmsPlan(SmsText(sender, rng.choice(SMS_TEXTS), at, f"sim-{seed}-sms-{index:05d}"), is_known))
    return plans


def plan_mixed_day(profiles: Sequence[CustomerProfile], mix: ChannelMix, contacts: int, seed: int,
                   day: date) -> list[CallPlan | ChatPlan | SmsPlan]:
    """`contacts` split by the mix: the calls (callcenter/day.py plan_day, without its inbound-flow chats), the
    chats and the texts, in the order they arrive."""
    from callcenter.day import plan_day

    counts = mix.counts(contacts)
    calls = plan_day(profiles, counts["voice"], seed, day, web_chats=False)
    others = plan_chats_and_texts(profiles, mix, counts["chat"], counts["sms"], seed, day)
    return sorted([*calls, *others], key=lambda plan: plan.request.at)


# --- playing them on the day's clock ---------------------------------------------------------------------------

#: How often (simulated) the ticket-tasks queue is delivered, as its event source would poll it.
TASK_SWEEP_S = 30 * 60


class ChannelDay:
    """The chats, texts and tasks of a day, as SimPy processes beside the calls (callcenter/day.py `run_day`).
    `before(at)` plays the ticket work due by `at`; `ended(plan, result, queued)` ends a contact as a call's end
    is played (its DISCONNECTED event, surveys, tickets) and returns when it ended."""

    def __init__(self, backend: LocalBackend, env: simpy.Environment, model: QueueModel, report: DayReport,
                 log: ContactLog | None, coverage: FlowCoverage | None, before: Callable[[datetime], None],
                 ended: Callable[[CallPlan, CallResult, QueueOutcome | None], datetime]) -> None:
        self.backend, self.env, self.model, self.report, self.log = backend, env, model, report, log
        self.coverage, self.before, self.ended = coverage, before, ended

    def contact(self, plan: ChatPlan | SmsPlan) -> Generator[Any, Any, None]:
        from callcenter.backend import DynamoDBTraffic
        from callcenter.chats import run_chat
        from callcenter.sms_local import receive_sms

        backend, model = self.backend, self.model
        at = plan.request.at
        yield self.env.timeout(max(0.0, model.seconds(at)))
        self.before(at)
        backend.full_queues = model.full_queues()
        first_invocation, calls_before = len(backend.invocations), DynamoDBTraffic.total_calls()
        try:
            if isinstance(plan, ChatPlan):
                chat = run_chat(backend, plan.request, self.coverage, remember=False)
                backend.connect.take_chats()  # played: not an SMS contact waiting for the SMS flow
                contacts = [(chat.contact_id, chat.flow)] if chat.flow is not None else []
                kind = f"chat-{plan.identity}"
            else:
                text = plan.request
                contacts = receive_sms(backend, text.sender, text.text, at).contacts
                kind = f"sms-{'known' if plan.known else 'unknown'}"
        finally:
            backend.full_queues = set()
        invocations = backend.invocations[first_invocation:]
        handler_s = sum(i.elapsed_s for i in invocations if i.outcome != "timeout")
        ddb_calls = DynamoDBTraffic.total_calls() - calls_before
        if not contacts:
            self.report.not_contacts[plan.channel] += 1  # e.g. chat-start refused it
        for contact_id, result in contacts:
            shim = CallPlan(CallRequest(caller=None, at=at, channel="CHAT", contact_id=contact_id), kind)
            self.report.add(shim, result, handler_s, ddb_calls, len(invocations))
            self.env.process(self._queued(plan, shim, result))

    def _queued(self, plan: ChatPlan | SmsPlan, shim: CallPlan, result: CallResult) -> Generator[Any, Any, None]:
        queued = None
        if result.outcome == "queued" and result.queue in self.model.queues:
            yield self.env.timeout(IVR_SECONDS)
            queued = yield self.model.offer(shim.request.contact_id or "", result.queue, result.priority)
            yield self.env.timeout(max(0.0, queued.disconnected_s - self.env.now))
        ended = self.ended(shim, result, queued)
        if self.log is not None:
            self.log.records.append(inbound_record(
                contact_id=shim.request.contact_id or "", channel="CHAT", caller=None, dialed=None, at=plan.request.at,
                ended=ended, attributes=result.attributes, flow_outcome=result.outcome, queue_arn=result.queue_arn,
                outcome=queued, moment=self.model.moment, initiation_method="API"))

    def tasks(self, until_s: float) -> Generator[Any, Any, None]:
        """Every TASK_SWEEP_S: the ticket-tasks queue delivered; each new task waits in its team's queue."""
        from callcenter.event_sources import deliver
        from callcenter.ticket_tasks import publish_ended_tasks

        backend, seen = self.backend, set(self.backend.connect.tasks)
        while self.env.now + TASK_SWEEP_S < until_s:
            yield self.env.timeout(TASK_SWEEP_S)
            self.before(self.model.moment(self.env.now))
            backend.now = self.model.moment(self.env.now)
            try:
                deliver(backend, "ticket-tasks")
                if publish_ended_tasks(backend):
                    deliver(backend, "ticket-tasks")
            finally:
                backend.now = None
            for contact_id, task in list(backend.connect.tasks.items()):
                if contact_id not in seen:
                    seen.add(contact_id)
                    self.report.tasks_started += 1
                    team = task.attributes.get("task_team", "")
                    if team in self.model.queues:
                        self.env.process(self._task(contact_id, team, dict(task.attributes)))

    def _task(self, contact_id: str, team: str, attributes: dict[str, str]) -> Generator[Any, Any, None]:
        started_s = self.env.now
        queued = yield self.model.offer(contact_id, team, None, abandons=False)
        yield self.env.timeout(max(0.0, queued.disconnected_s - self.env.now))
        self.report.channels["TASK"] += 1
        if self.log is not None:
            self.log.records.append(task_record(contact_id=contact_id, attributes=attributes, started_s=started_s,
                                                outcome=queued, moment=self.model.moment))
