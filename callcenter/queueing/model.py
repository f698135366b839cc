"""Contacts queueing for agents, on SimPy: who answers, after how long, or whether the caller gives up.

Agents come from the staffing file (callcenter/queueing/staffing.py): each works their shifts and takes the queues
of their routing profile, in the profile's order, as Amazon Connect routes: when an agent becomes available they
take the contact from their profile's first queue that has one, the highest routing priority there (1 before 5),
the oldest among equals; a contact that arrives while several agents are available goes to the one available the
longest. A contact waits until an agent with the skill takes it or the caller's patience runs out (abandoned); a
queue holding the staffing file's `max_contacts_in_queue` is full, so the flow takes its at-capacity branch.
Talk, hold, after-contact work and patience are drawn from distributions (`Handling`) with a seeded generator,
so the same arrivals and seed give the same outcomes on any machine.

SimPy runs the clock and the events (timeouts, a contact's answer-or-patience race); this module only keeps the
waiting lines and picks who answers whom. Times inside the model are seconds since `origin` (an aware moment).
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import simpy

from callcenter.queueing.staffing import Staffing, routing_profiles, shift_windows
from functions.routing.policy import RoutingPolicy

#: Window of the live service level (Connect's real-time "service level, last 15 minutes").
LIVE_WINDOW_S = 15 * 60
DEFAULT_SERVICE_LEVEL_S = 20


@dataclass(frozen=True)
class Distribution:
    """A duration in seconds: exponential (mean), lognormal (mean and standard deviation) or fixed (mean)."""

    kind: Literal["exponential", "lognormal", "fixed"]
    mean: float
    sd: float = 0.0

    def __post_init__(self) -> None:
        if self.mean < 0 or self.sd < 0:
            raise ValueError("a duration's mean and deviation cannot be negative")

    def sample(self, rng: random.Random) -> float:
        if self.kind == "fixed" or self.mean == 0:
            return self.mean
        if self.kind == "exponential":
            return rng.expovariate(1 / self.mean)
        sigma2 = math.log(1 + (self.sd / self.mean) ** 2)
        return rng.lognormvariate(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2))


@dataclass(frozen=True)
class Handling:
    """How long contacts take and how long callers wait before hanging up; `patience` None: they never do."""

    talk: Distribution
    acw: Distribution
    patience: Distribution | None
    hold_share: float = 0.0  # share of answered contacts the agent puts on hold (once)
    hold: Distribution = Distribution("fixed", 0)
    talk_factor: Mapping[str, float] = field(default_factory=dict)  # per queue: its contacts take longer or less
    patience_factor: Mapping[int, float] = field(default_factory=dict)  # per routing priority


#: The demo's contacts: talk about four minutes, a quarter put on hold, under a minute of after-contact work;
#: callers wait two and a half minutes on average before giving up, VIPs (priority 1) longer.
DEMO_HANDLING = Handling(
    talk=Distribution("lognormal", 240, 150),
    acw=Distribution("lognormal", 40, 20),
    patience=Distribution("lognormal", 150, 100),
    hold_share=0.25,
    hold=Distribution("lognormal", 45, 30),
    talk_factor={"support": 1.3, "senior": 1.5, "vip": 1.2, "billing": 0.9, "general": 0.8},
    patience_factor={1: 1.5, 2: 1.2},
)


@dataclass(eq=False)
class Agent:
    name: str
    routing_profile: str
    queues: tuple[str, ...]  # in the profile's priority order
    on_shift: bool = False
    busy: bool = False
    available_since: float = 0.0


@dataclass(eq=False)
class Waiting:
    contact_id: str
    queue: str
    priority: int
    enqueued: float
    seq: int
    answer: simpy.Event
    agent: Agent | None = None
    gone: bool = False  # abandoned: skipped when an agent looks for work


@dataclass(frozen=True)
class QueueOutcome:
    """A contact's time in the queue and with the agent. Seconds since the model's origin."""

    contact_id: str
    queue: str
    priority: int
    enqueued_s: float
    dequeued_s: float
    agent: str | None  # None: the caller hung up before an agent answered
    routing_profile: str | None = None
    talk_s: float = 0.0
    hold_s: float = 0.0
    acw_s: float = 0.0

    @property
    def answered(self) -> bool:
        return self.agent is not None

    @property
    def waited_s(self) -> float:
        return self.dequeued_s - self.enqueued_s

    @property
    def disconnected_s(self) -> float:
        """When the caller's line closes: after talk and hold, or on hanging up in the queue."""
        return self.dequeued_s + self.talk_s + self.hold_s


@dataclass(frozen=True)
class QueueStatus:
    """One queue right now, as Connect's real-time metrics show it."""

    contacts_in_queue: int
    oldest_contact_age_s: float
    agents_available: int
    agents_staffed: int
    service_level: float | None  # last 15 minutes: removed within the threshold / removed; None: none removed


class QueueModel:
    """Agents and waiting lines in a SimPy environment whose time 0 is `origin`."""

    def __init__(self, env: simpy.Environment, staffing: Staffing, policy: RoutingPolicy, *, origin: datetime,
                 until: datetime, seed: int, handling: Handling = DEMO_HANDLING) -> None:
        if origin.tzinfo is None or until.tzinfo is None:
            raise ValueError("the model's origin and end must be timezone-aware")
        self.env, self.origin, self.handling = env, origin, handling
        self.rng = random.Random(seed)
        self.capacity = staffing.max_contacts_in_queue
        self.queues = tuple(policy.queues)
        self.thresholds = {q: _threshold(policy, q) for q in self.queues}
        self._waiting: dict[str, list[tuple[int, float, int, Waiting]]] = {q: [] for q in self.queues}
        self._in_queue = dict.fromkeys(self.queues, 0)
        self._removed: dict[str, deque[tuple[float, bool]]] = {q: deque() for q in self.queues}
        self._seq = itertools.count()
        self.agents: list[Agent] = []
        profiles = routing_profiles(policy)
        zone = staffing.zone
        first, last = (origin.astimezone(zone) - timedelta(days=1)).date(), until.astimezone(zone).date()
        for group in staffing.agents:
            windows = self._windows(merged_windows(shift_windows(staffing.shifts[group.shift], zone, first, last)))
            for number in range(1, group.count + 1):
                agent = Agent(agent_name(group.routing_profile, group.shift, number), group.routing_profile,
                              profiles[group.routing_profile])
                self.agents.append(agent)
                env.process(self._works_shifts(agent, windows))

    # --- time ----------------------------------------------------------------------------------------------
    def seconds(self, at: datetime) -> float:
        return (at - self.origin).total_seconds()

    def moment(self, seconds: float) -> datetime:
        return (self.origin + timedelta(seconds=seconds)).astimezone(UTC)

    # --- contacts ------------------------------------------------------------------------------------------
    def is_full(self, queue: str) -> bool:
        return self.capacity is not None and self._in_queue.get(queue, 0) >= self.capacity

    def full_queues(self) -> set[str]:
        return {q for q in self.queues if self.is_full(q)}

    def offer(self, contact_id: str, queue: str, priority: int | None, *, abandons: bool = True) -> simpy.Process:
        """Queue a contact now; the process's value is its QueueOutcome once answered or abandoned. A contact
        that never `abandons` (a task: nobody is on the line) waits until an agent takes it."""
        if queue not in self._waiting:
            raise ValueError(f"unknown queue {queue!r}")
        return self.env.process(self._waits(contact_id, queue, priority or 5, abandons))

    def _waits(self, contact_id: str, queue: str, priority: int, abandons: bool = True
               ) -> Generator[Any, Any, QueueOutcome]:
        env, handling = self.env, self.handling
        # Drawn up front, in arrival order, so an outcome never depends on the order events resolve in.
        talk = handling.talk.sample(self.rng) * handling.talk_factor.get(queue, 1.0)
        hold = handling.hold.sample(self.rng) if self.rng.random() < handling.hold_share else 0.0
        acw = handling.acw.sample(self.rng)
        patience = (handling.patience.sample(self.rng) * handling.patience_factor.get(priority, 1.0)
                    if handling.patience is not None else None)
        if not abandons:
            patience = None  # drawn all the same, so the draws of the contacts after it do not move
        waiting = Waiting(contact_id, queue, priority, env.now, next(self._seq), env.event())
        agent = self._available_agent(queue)
        if agent is not None:
            self._connect(agent, waiting)
        else:
            heapq.heappush(self._waiting[queue], (priority, env.now, waiting.seq, waiting))
            self._in_queue[queue] += 1
            if patience is None:
                yield waiting.answer
            else:
                yield waiting.answer | env.timeout(patience)
        if waiting.agent is None:  # patience ran out first
            waiting.gone = True
            self._in_queue[queue] -= 1
            self._record_removal(queue, env.now - waiting.enqueued)
            return QueueOutcome(contact_id, queue, priority, waiting.enqueued, env.now, None)
        dequeued = env.now
        self._record_removal(queue, dequeued - waiting.enqueued)
        agent = waiting.agent
        env.timeout(talk + hold + acw).callbacks.append(lambda _event: self._finished(agent))
        return QueueOutcome(contact_id, queue, priority, waiting.enqueued, dequeued, agent.name,
                            agent.routing_profile, round(talk), round(hold), round(acw))

    def _available_agent(self, queue: str) -> Agent | None:
        best = None
        for agent in self.agents:
            if agent.on_shift and not agent.busy and queue in agent.queues and (
                    best is None or agent.available_since < best.available_since):
                best = agent
        return best

    def _connect(self, agent: Agent, waiting: Waiting) -> None:
        agent.busy = True
        waiting.agent = agent
        waiting.answer.succeed()

    def _finished(self, agent: Agent) -> None:
        agent.busy = False
        agent.available_since = self.env.now
        if agent.on_shift:
            self._take_next(agent)

    def _take_next(self, agent: Agent) -> None:
        """The agent takes the first contact of their profile's first queue that has one."""
        for queue in agent.queues:
            line = self._waiting[queue]
            while line and line[0][3].gone:
                heapq.heappop(line)
            if line:
                waiting = heapq.heappop(line)[3]
                self._in_queue[queue] -= 1
                self._connect(agent, waiting)
                return

    def _works_shifts(self, agent: Agent, windows: list[tuple[float, float]]) -> Generator[Any, Any, None]:
        env = self.env
        for start, end in windows:
            if end <= env.now:
                continue
            if start > env.now:
                yield env.timeout(start - env.now)
            agent.on_shift = True
            if not agent.busy:
                agent.available_since = env.now
                self._take_next(agent)
            yield env.timeout(end - env.now)
            agent.on_shift = False  # a contact in progress is finished; no new one is taken

    # --- what a supervisor sees ---------------------------------------------------------------------------
    def _record_removal(self, queue: str, waited: float) -> None:
        """Connect's service level counts every contact removed from the queue (answered or abandoned)."""
        removed = self._removed[queue]
        removed.append((self.env.now, waited <= self.thresholds[queue]))
        while removed and removed[0][0] < self.env.now - LIVE_WINDOW_S:
            removed.popleft()

    def status(self) -> dict[str, QueueStatus]:
        now, result = self.env.now, {}
        for queue in self.queues:
            live = [entry[1] for entry in self._waiting[queue] if not entry[3].gone]
            removed = [within for moment, within in self._removed[queue] if moment >= now - LIVE_WINDOW_S]
            staffed = [a for a in self.agents if a.on_shift and queue in a.queues]
            result[queue] = QueueStatus(
                contacts_in_queue=len(live),
                oldest_contact_age_s=now - min(live) if live else 0.0,
                agents_available=sum(1 for a in staffed if not a.busy),
                agents_staffed=len(staffed),
                service_level=sum(removed) / len(removed) if removed else None,
            )
        return result

    def _windows(self, windows: Iterable[tuple[datetime, datetime]]) -> list[tuple[float, float]]:
        return [(self.seconds(a), self.seconds(b)) for a, b in windows]


def agent_name(routing_profile: str, shift: str, number: int) -> str:
    """The username of the `number`th agent (from 1) of a staffing group, as contact records name them."""
    return f"{routing_profile}-{shift}-{number:02d}"


def merged_windows(windows: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Back-to-back windows (a 24-hour shift on consecutive days) as one: the agent never logs out between."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _threshold(policy: RoutingPolicy, queue: str) -> float:
    level = getattr(policy.queues[queue], "service_level", None)
    return level.seconds if level is not None else DEFAULT_SERVICE_LEVEL_S


@dataclass(frozen=True)
class Offer:
    """A contact reaching a queue `at_s` seconds after the model's origin."""

    at_s: float
    contact_id: str
    queue: str
    priority: int = 5


def serve(offers: Iterable[Offer], staffing: Staffing, policy: RoutingPolicy, *, origin: datetime, until: datetime,
          seed: int, handling: Handling = DEMO_HANDLING) -> list[QueueOutcome]:
    """Run the model over contacts known in advance (in arrival order); their outcomes in the order they were
    offered. For runs where nothing else reacts to an outcome (weeks of history, the outreach day's agents)."""
    env = simpy.Environment()
    model = QueueModel(env, staffing, policy, origin=origin, until=until, seed=seed, handling=handling)
    outcomes: list[QueueOutcome | None] = []

    def arrivals() -> Generator[Any, Any, None]:
        for offer in offers:
            if offer.at_s > env.now:
                yield env.timeout(offer.at_s - env.now)
            index = len(outcomes)
            outcomes.append(None)
            model.offer(offer.contact_id, offer.queue, offer.priority).callbacks.append(
                lambda event, index=index: outcomes.__setitem__(index, event.value))

    env.process(arrivals())
    env.run()
    return [outcome for outcome in outcomes if outcome is not None]
