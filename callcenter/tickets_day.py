"""The tickets of a simulated day: agents open them after calls, work them through the ticket API, and
customers are told of each change. Reported at the end of the day from the tickets table itself.

After a call an agent answered, the agent may open a ticket (POST /tickets as that agent, in the team of
the queue that took the call, linked to the contact, with the contact id as request id, so a retried
request finds the ticket it created instead of opening a second). A caller who already has an open
ticket is often calling about it: the agent adds a note linking the call instead. Each new ticket gets a
plan, played later in simulated time as the day goes on: picked up and resolved (most), escalated to
another team that works it (some), left waiting on the customer or untouched (the rest). Each step is
what an agent's desktop does: read the ticket (GET, which gives its version), then change it with that
version. Now and then a colleague adds a note between the read and the write: the change gets 409, the
agent reads again and retries, and nothing is lost. Steps that would fall after midnight do not happen,
so tickets opened late (or whose urgent SLA runs out before anyone gets to them) are open, or overdue,
at the end of the day.

Around the API, what AWS runs is played too: the tickets table's stream feeds ticket-events
(`deliver_stream`), whose TicketStatusChanged events reach the notifier through its queue (`deliver`),
and low survey scores reach survey-followup-tickets through theirs. All randomness comes from
`random.Random(f"tickets:{seed}")`, separate from the calls' generator, so the calls of a day do not
change with the ticket work and the same seed gives the same tickets.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from callcenter.api_client import Agent, ApiError, TicketApi
from callcenter.backend import LocalBackend
from flowlang.simulator import LambdaInvocationError

BAD_GATEWAY = 502  # what API Gateway answers when the function fails or times out
OPEN_PROBABILITY = 0.25  # an answered call by a known customer leaves a ticket behind
NOTE_ON_OPEN_TICKET = 0.6  # a caller with an open ticket is calling about it: the agent adds a note
DUPLICATE_SUBMIT = 0.03  # the desktop sends the create request twice (a retry after a slow answer)
RACING_COLLEAGUE = 0.06  # a colleague adds a note between an agent's read and write
DELIVERY_EVERY = timedelta(minutes=30)  # how often (simulated) the stream and queues are drained
ESCALATION_TEAMS = ("support", "billing", "senior")
CATEGORY_OF_QUEUE = {"billing": ("billing",), "support": ("technical",), "sales": ("sales",),
                     "senior": ("complaint",), "vip": ("account", "technical", "billing"),
                     "spanish": ("billing", "technical", "account"),
                     "general": ("account", "other", "billing", "technical")}
SUBJECTS = {
    "billing": ("Charged twice for the monthly invoice", "Refund not received", "Wrong tariff applied"),
    "technical": ("Router keeps dropping the connection", "App login fails", "No signal since the upgrade"),
    "sales": ("Quote for the business plan", "Upgrade not applied", "Promotion price missing"),
    "complaint": ("Unhappy with the last repair visit", "Promised call-back never came"),
    "account": ("Change of address", "Cannot reset the account password", "Add a second line holder"),
    "other": ("Question about the contract terms", "Request for a paper copy of the contract"),
}
PRIORITY_WEIGHTS = {1: 8, 2: 22, 3: 55, 4: 15}


@dataclass
class TicketTally:
    """The tickets at the end of the day, read back from the tables, and the day's API traffic."""

    opened_at_calls: int = 0  # created through the API by the agent who took the call
    repeated_creates: int = 0  # create requests sent again: answered 200 with the same ticket
    notes_on_open_tickets: int = 0  # calls about an open ticket: a note instead of a new ticket
    conflicts_retried: int = 0  # 409 version conflicts met by agents, read again and retried
    statuses: Counter[str] = field(default_factory=Counter)  # every ticket, by status at the end of the day
    opened_by: Counter[str] = field(default_factory=Counter)  # actor kind of the creator (agent, system)
    escalated: int = 0  # tickets escalated at least once
    resolved_during_day: int = 0  # tickets that reached `resolved` (some were closed since)
    open_at_end: int = 0
    overdue_at_end: int = 0
    screen_pops: int = 0  # calls whose routing attributes showed an open ticket
    screen_pops_overdue: int = 0  # ... one of them past its SLA
    notifications: Counter[str] = field(default_factory=Counter)  # by record status: sent, delayed, skipped...
    notification_reasons: Counter[str] = field(default_factory=Counter)  # skipped, by reason
    notification_channels: Counter[str] = field(default_factory=Counter)  # sent, by channel
    api_statuses: Counter[int] = field(default_factory=Counter)
    api_ms: list[float] = field(default_factory=list)
    api_dynamodb_calls: list[int] = field(default_factory=list)
    stream_records: int = 0
    stream_dead_letters: int = 0

    @property
    def opened(self) -> int:
        return sum(self.statuses.values())

    @property
    def api_requests(self) -> int:
        return sum(self.api_statuses.values())


Change = Callable[[TicketApi, dict[str, Any]], dict[str, Any]]  # (api, ticket as read) -> ticket as changed


@dataclass(order=True)
class _Step:
    at: datetime
    order: int
    run: Callable[[], None] = field(compare=False)


class TicketDesk:
    """The agents' ticket work over one simulated day, and the deliveries AWS would make meanwhile."""

    def __init__(self, backend: LocalBackend, seed: int, teams: tuple[str, ...]) -> None:
        self.backend = backend
        self.rng = random.Random(f"tickets:{seed}")
        self.teams = teams
        self.api = TicketApi(backend, Agent("ticket-desk"))
        self.tally = TicketTally()
        self._steps: list[_Step] = []
        self._order = count()
        self._invocations_from = len(backend.invocations)
        self._delivered_at: datetime | None = None

    # --- the calls ------------------------------------------------------------------------------------
    def after_call(self, contact_id: str, attributes: dict[str, str], queue: str | None, agent: str | None,
                   ended: datetime) -> None:
        """The call `contact_id` has ended; `agent` answered it in `queue` (None: nobody answered)."""
        open_count = _int(attributes.get("open_ticket_count"))
        if open_count:
            self.tally.screen_pops += 1
            if _int(attributes.get("overdue_ticket_count")):
                self.tally.screen_pops_overdue += 1
        customer_id = attributes.get("customer_id") or ""
        if not (agent and queue in self.teams and customer_id):
            return
        desk = self.api.as_agent(Agent(agent, (queue,)))
        latest = attributes.get("latest_ticket_id") or ""
        with self._at(ended):
            if open_count and latest and self.rng.random() < NOTE_ON_OPEN_TICKET:
                if self._call(lambda: desk.add_note(latest, "Customer called about this ticket again.",
                                                    contact_id=contact_id)) is not None:
                    self.tally.notes_on_open_tickets += 1
                return
            if self.rng.random() >= OPEN_PROBABILITY:
                return
            category = self.rng.choice(CATEGORY_OF_QUEUE.get(queue, ("other",)))
            request = dict(customer_id=customer_id, subject=self.rng.choice(SUBJECTS[category]), category=category,
                           team=queue, priority=self.rng.choices(list(PRIORITY_WEIGHTS),
                                                                 list(PRIORITY_WEIGHTS.values()))[0],
                           contact_id=contact_id, request_id=contact_id)
            answer = self._call(lambda: desk.create(**request))
            if answer is None:
                return
            created, ticket = answer
            if created:
                self.tally.opened_at_calls += 1
            if self.rng.random() < DUPLICATE_SUBMIT:
                again = self._call(lambda: desk.create(**request))
                if again is not None and not again[0] and again[1]["ticket_id"] == ticket["ticket_id"]:
                    self.tally.repeated_creates += 1
            if created:
                self._plan(ticket["ticket_id"], queue, agent, ended)

    # --- a ticket's day -------------------------------------------------------------------------------
    def _plan(self, ticket_id: str, team: str, agent: str, opened: datetime) -> None:
        rng = self.rng
        owner = Agent(agent, (team,))
        roll = rng.random()
        at = opened + timedelta(minutes=rng.randrange(5, 90))
        if roll < 0.18:  # escalated to a team that works it
            others = [t for t in ESCALATION_TEAMS if t != team and t in self.teams]
            target = rng.choice(others)
            raise_to = 2 if rng.random() < 0.3 else None
            self._later(at, owner, ticket_id, lambda api, t: api.escalate(
                ticket_id, target, "Needs the specialist team", t["version"],
                priority=min(raise_to, t["priority"]) if raise_to else None))
            specialist = Agent(f"agent-{rng.randrange(13, 25):02d}", (target,))
            at += timedelta(minutes=rng.randrange(20, 150))
            self._work(ticket_id, specialist, at, resolve=rng.random() < 0.7)
        elif roll < 0.82:  # picked up by the team that took the call
            worker = owner if rng.random() < 0.6 else Agent(f"agent-{rng.randrange(1, 13):02d}", (team,))
            self._work(ticket_id, worker, at, resolve=rng.random() < 0.88)
        # else: nobody gets to it today

    def _work(self, ticket_id: str, agent: Agent, at: datetime, resolve: bool) -> None:
        rng = self.rng
        pick_up: list[Change] = [lambda api, t: api.change_status(ticket_id, "in_progress", t["version"])]
        if rng.random() < 0.5:  # some agents assign it to themselves first
            pick_up.insert(0, lambda api, t: api.assign(ticket_id, agent.name, t["version"]))
        self._later(at, agent, ticket_id, *pick_up)
        at += timedelta(minutes=rng.randrange(15, 360))
        if not resolve:
            self._later(at, agent, ticket_id, lambda api, t: api.change_status(
                ticket_id, "waiting_on_customer", t["version"], note="Asked the customer for the details"))
            return
        self._later(at, agent, ticket_id, lambda api, t: api.change_status(
            ticket_id, "resolved", t["version"], note="Fixed; the customer is asked to confirm"))
        if rng.random() < 0.2:  # the customer confirms on the phone the same day
            at += timedelta(minutes=rng.randrange(30, 180))
            self._later(at, agent, ticket_id, lambda api, t: api.change_status(
                ticket_id, "closed", t["version"], note="Customer confirmed the fix"))

    def _later(self, at: datetime, agent: Agent, ticket_id: str, *changes: Change) -> None:
        """At `at`, `agent` reads the ticket and makes `changes` in turn, each with the version the previous
        answer (or the read) gave."""
        race = self.rng.random() < RACING_COLLEAGUE

        def step() -> None:
            api = self.api.as_agent(agent)
            ticket = self._call(lambda: api.get(ticket_id))
            if ticket is None:
                return
            if race:  # a colleague's note lands between this agent's read and write
                self._call(lambda: api.as_agent(Agent("agent-colleague", agent.teams)).add_note(
                    ticket_id, "Customer sent an email about this"))
            for change in changes:
                ticket = self._change(api, ticket_id, ticket, change)
                if ticket is None:
                    return

        heapq.heappush(self._steps, _Step(at, next(self._order), step))

    def _change(self, api: TicketApi, ticket_id: str, ticket: dict[str, Any], change: Change) -> dict[str, Any] | None:
        """One change; on a version conflict the agent reads the ticket again and retries once."""
        try:
            answer = change(api, ticket)
        except LambdaInvocationError:  # the function failed or timed out: API Gateway answers 502
            self.tally.api_statuses[BAD_GATEWAY] += 1
            return None
        except ApiError as exc:
            self.tally.api_statuses[exc.status] += 1
            if exc.code != "version_conflict":
                return None  # e.g. the ticket moved on in a way this step no longer applies to
            self.tally.conflicts_retried += 1
            fresh = self._call(lambda: api.get(ticket_id))
            return None if fresh is None else self._call(lambda: change(api, fresh))
        self.tally.api_statuses[200] += 1
        return answer

    # --- time -----------------------------------------------------------------------------------------
    def run_until(self, moment: datetime) -> None:
        """Every planned step due by `moment`, in time order, then the deliveries AWS would have made."""
        while self._steps and self._steps[0].at <= moment:
            step = heapq.heappop(self._steps)
            if self._delivered_at is not None and step.at - self._delivered_at >= DELIVERY_EVERY:
                self.deliver(step.at)
            with self._at(step.at):
                step.run()
        if self._delivered_at is None or moment - self._delivered_at >= DELIVERY_EVERY:
            self.deliver(moment)

    def deliver(self, moment: datetime) -> None:
        """Stream -> ticket-events -> bus -> notifier queue -> ticket-notifier; survey follow-ups -> tickets."""
        from callcenter.event_sources import deliver, deliver_stream
        from callcenter.post_call import next_held

        with self._at(moment):
            deliver(self.backend, "survey-followups")
            stream = deliver_stream(self.backend, "tickets")
            self.tally.stream_records += stream.succeeded
            self.tally.stream_dead_letters += stream.in_dead_letter_queue
            held = next_held(self.backend, "ticket-notifications")
            if stream.succeeded or (held is not None and held <= moment):  # else the queue is empty
                deliver(self.backend, "ticket-notifications")
        self._delivered_at = moment

    def finish(self, end_of_day: datetime) -> TicketTally:
        """Play the steps due before midnight (later ones do not happen), deliver, and count."""
        self.run_until(end_of_day)
        self.deliver(end_of_day)
        self._steps.clear()
        self._count(end_of_day)
        return self.tally

    def _count(self, end_of_day: datetime) -> None:
        """Local reporting only: scans of the day's tables (the deployed product reads its KPIs elsewhere)."""
        from functions.common.ticket_overview import Status
        from functions.tickets.notification_store import TicketNotificationItem
        from functions.tickets.store import TicketItem, to_ticket

        tally = self.tally
        for item in TicketItem.scan():
            ticket = to_ticket(item)
            tally.statuses[ticket.status.value] += 1
            tally.opened_by[ticket.history[0].actor.partition(":")[0] if ticket.history else "?"] += 1
            if any(e.action == "escalated" for e in ticket.history):
                tally.escalated += 1
            if any(e.to_status is Status.RESOLVED for e in ticket.history):
                tally.resolved_during_day += 1
            if ticket.is_open:
                tally.open_at_end += 1
                tally.overdue_at_end += ticket.overdue(end_of_day)
        for record in TicketNotificationItem.scan():
            tally.notifications[record.status] += 1
            if record.status == "skipped":
                tally.notification_reasons[record.reason or "?"] += 1
            if record.status == "sent":
                tally.notification_channels[record.channel or "?"] += 1
        runs = [i for i in self.backend.invocations[self._invocations_from:] if i.function == "ticket-api"]
        tally.api_ms = [i.elapsed_s * 1000 for i in runs]
        tally.api_dynamodb_calls = [i.dynamodb_calls for i in runs]

    # --- helpers --------------------------------------------------------------------------------------
    def _call(self, request: Callable[[], Any]) -> Any:
        """One API request; its status counted. A refusal is part of the day (None), not a crash."""
        try:
            answer = request()
        except ApiError as exc:
            self.tally.api_statuses[exc.status] += 1
            return None
        except LambdaInvocationError:  # the function failed or timed out: API Gateway answers 502
            self.tally.api_statuses[BAD_GATEWAY] += 1
            return None
        self.tally.api_statuses[201 if isinstance(answer, tuple) and answer[0] else 200] += 1
        return answer

    def _at(self, moment: datetime) -> Any:
        return _Pinned(self.backend, moment)


class _Pinned:
    """backend.now = moment for the block: the handlers' clock reads the simulated time."""

    def __init__(self, backend: LocalBackend, moment: datetime) -> None:
        self.backend, self.moment = backend, moment

    def __enter__(self) -> None:
        self.previous, self.backend.now = self.backend.now, self.moment

    def __exit__(self, *exc: object) -> None:
        self.backend.now = self.previous


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
