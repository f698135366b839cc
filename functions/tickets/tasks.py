"""Tickets as Amazon Connect tasks: agents work tickets in the same place they take calls. Plain Python.

When a ticket is escalated to a team, or opened for a survey follow-up, the team also gets a task in its
queue (StartTaskContact with the stack's task template, the ticket's id and a link back as references);
tasks and tickets then stay in step:
- the ticket resolved or closed (by anyone) completes its open tasks (StopContact);
- the ticket escalated again: the new team gets a task, the previous team's task is completed (superseded);
- a task an agent completes in Connect (its DISCONNECTED contact event) resolves the ticket (the customer is
  then asked to confirm, as for any resolution; an escalated ticket cannot be closed directly, ticket.py).

Exactly once per escalation, however often the TicketStatusChanged event arrives: one `TaskRecord` per
(ticket, history entry), created with a conditional put (functions/storage/claims.py), is both the business
fact ("task X in billing's queue, open") and the claim. StartTaskContact carries a ClientToken derived from
the same key, so a takeover of a crashed claim (the rule of functions/common/claims.py) asks Connect for the
same task again and gets the one it already made (at least once to us, once in Connect).

Every event is checked against the tickets table (`status_changes.verified_change`): an event that claims a
change the ticket does not have starts nothing. The ports (store, Connect, tickets) are passed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import msgspec
from msgspec.structs import replace

from functions.common.claims import ClaimHeld, ClaimState, claim_state
from functions.common.ticket_overview import Status
from functions.tickets.status_changes import StatusChange, verified_change
from functions.tickets.ticket import Actor, ActorKind, HistoryEntry, Ticket, TicketError, TicketNotFound

#: The actor that resolves a ticket when its task is completed in Amazon Connect.
TASKS_ACTOR = Actor("connect-tasks", ActorKind.SYSTEM)
#: Who opens survey follow-up tickets (functions/tickets/followups.py FOLLOWUP_ACTOR's label).
FOLLOWUP_CREATOR = "system:survey-followup-tickets"
#: Ticket statuses that end the team's work: their tasks are completed.
ENDING_STATUSES = (Status.RESOLVED, Status.CLOSED)
CLIENT_TOKEN_NAMESPACE = uuid.UUID("0b5b8a8e-3f7e-4d0c-9a55-5c1e2f6a7d13")
MAX_NAME_CHARS = 512  # Connect: a task's Name
MAX_DESCRIPTION_CHARS = 4096  # Connect: a task's Description


class TaskStatus(StrEnum):
    STARTING = "starting"  # claimed: StartTaskContact under way
    FAILED = "failed"  # StartTaskContact failed; the redelivered message claims it again
    OPEN = "open"  # the task is in the team's queue (or with an agent)
    STOPPING = "stopping"  # our StopContact under way (the ticket was resolved, closed or escalated again)
    STOPPED = "stopped"  # completed by us; `reason` says why
    COMPLETED = "completed"  # completed by an agent in Connect: the ticket was resolved


class TaskRecord(msgspec.Struct, frozen=True):
    """One per ticket history entry that asked for a task (an escalation, a follow-up's creation)."""

    ticket_id: str
    seq: int
    team: str
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
    contact_id: str | None = None  # the task contact's id, once started
    reason: str | None = None  # why failed / stopped (SUPERSEDED, TICKET_RESOLVED, ...), an error code
    version: int | None = None

    @property
    def key(self) -> str:
        return f"{self.ticket_id}#{self.seq}"

    def moved(self, status: TaskStatus, now: datetime, **changes: object) -> TaskRecord:
        return replace(self, status=status, updated_at=now, **changes)


class TaskStoreUnavailable(RuntimeError):
    """DynamoDB did not answer (throttled, slow, failing) after bounded retries; carries only the code."""


class TaskStartFailed(RuntimeError):
    """StartTaskContact or StopContact failed; `code` is Connect's error code (PacingDeferred: our own pace)."""

    def __init__(self, key: str, code: str) -> None:
        super().__init__(f"task {key}: {code}")
        self.key = key
        self.code = code


class TaskRequest(msgspec.Struct, frozen=True):
    """What StartTaskContact is given: the team's queue, what the agent reads, the link back, the token."""

    ticket_id: str
    team: str
    queue_arn: str
    name: str
    description: str
    ticket_url: str
    client_token: str


class TaskStore(Protocol):
    def get(self, ticket_id: str, seq: int) -> TaskRecord | None: ...
    def create(self, record: TaskRecord) -> TaskRecord | None: ...
    def replace(self, record: TaskRecord, expected: TaskRecord) -> TaskRecord | None: ...
    def tasks_of_ticket(self, ticket_id: str) -> list[TaskRecord]: ...
    def task_by_contact(self, contact_id: str) -> TaskRecord | None: ...


class TaskContacts(Protocol):
    """Amazon Connect's task contacts (functions/tickets/task_adapters.py); failures raise TaskStartFailed."""

    def start(self, request: TaskRequest) -> str: ...
    def stop(self, contact_id: str) -> bool:
        """True if stopped now, False if the contact had already ended (or is unknown to Connect)."""
        ...


class TicketDesk(Protocol):
    """The tickets the sync reads and resolves (the tickets store and service)."""

    def get(self, ticket_id: str) -> Ticket | None: ...
    def resolve(self, ticket: Ticket, note: str, contact_id: str) -> Ticket: ...


class Outcome(StrEnum):
    STARTED = "started"
    DUPLICATE = "duplicate"  # the task of this change exists already (or is settled)
    NOT_A_TASK = "not_a_task"  # a change that asks for no task (nor ends any)
    UNVERIFIED = "unverified"  # the event's change is not the ticket's
    STOPPED = "stopped"  # the ticket's open tasks were completed
    TICKET_RESOLVED = "ticket_resolved"  # a task completed in Connect resolved its ticket
    TICKET_UNCHANGED = "ticket_unchanged"  # ... but the ticket was already past it
    TASK_UNWORKED = "task_unworked"  # the task ended before any agent had it: the ticket stays as it is
    NOT_OURS = "not_ours"  # a DISCONNECTED task contact no record knows (another team's tool, our own stop)


class SyncResult(msgspec.Struct, frozen=True):
    outcome: Outcome
    ticket_id: str | None = None
    task_contact_id: str | None = None
    stopped: int = 0
    stale_claim: bool = False


def client_token(ticket_id: str, seq: int) -> str:
    return str(uuid.uuid5(CLIENT_TOKEN_NAMESPACE, f"{ticket_id}#{seq}"))


def entry_of(ticket: Ticket, seq: int) -> HistoryEntry | None:
    return next((entry for entry in ticket.history if entry.seq == seq), None)


def latest_escalation(ticket: Ticket) -> int | None:
    return max((entry.seq for entry in ticket.history if entry.action == "escalated"), default=None)


def wants_task(entry: HistoryEntry) -> bool:
    """An escalation to a team, or the opening of a survey follow-up ticket."""
    return entry.action == "escalated" or (entry.action == "created" and entry.actor == FOLLOWUP_CREATOR)


def task_request(ticket: Ticket, entry: HistoryEntry, team: str, queue_arn: str, ticket_url: str) -> TaskRequest:
    """Name and description say what the ticket is about, never who the customer is (the agent opens the
    ticket for that: the reference links it)."""
    kind = "Escalated ticket" if entry.action == "escalated" else "Survey follow-up"
    name = f"{kind} {ticket.ticket_id}: {ticket.subject}"[:MAX_NAME_CHARS]
    description = (f"Ticket {ticket.ticket_id} for the {team} team, priority {ticket.priority}, "
                   f"category {ticket.category}, due {ticket.sla_due_at.isoformat()}. Work it in the agent "
                   "desktop; completing this task resolves the ticket.")[:MAX_DESCRIPTION_CHARS]
    return TaskRequest(ticket.ticket_id, team, queue_arn, name, description, ticket_url,
                       client_token(ticket.ticket_id, entry.seq))


class TaskSync:
    def __init__(self, *, store: TaskStore, contacts: TaskContacts, desk: TicketDesk, queue_arns: dict[str, str],
                 default_team: str, ticket_url: Callable[[str], str], clock: Callable[[], datetime],
                 claim_lease: timedelta) -> None:
        self.store = store
        self.contacts = contacts
        self.desk = desk
        self.queue_arns = queue_arns
        self.default_team = default_team
        self.ticket_url = ticket_url
        self.clock = clock
        self.claim_lease = claim_lease

    # --- a ticket changed ------------------------------------------------------------------------------
    def on_status_change(self, claimed: StatusChange) -> SyncResult:
        """TicketStatusChanged: a follow-up's creation starts a task; resolved or closed completes them."""
        ticket = self.desk.get(claimed.ticket_id)
        change = verified_change(ticket, claimed)
        if ticket is None or change is None:
            return SyncResult(Outcome.UNVERIFIED, claimed.ticket_id)
        entry = entry_of(ticket, change.seq)
        if entry is not None and entry.action == "created" and wants_task(entry):
            return self._start(ticket, entry)
        if change.to_status in ENDING_STATUSES:
            stopped = self._stop_open(ticket.ticket_id, f"TICKET_{change.to_status.value.upper()}")
            return SyncResult(Outcome.STOPPED, ticket.ticket_id, stopped=stopped)
        return SyncResult(Outcome.NOT_A_TASK, ticket.ticket_id)

    def on_escalated(self, ticket_id: str, seq: int) -> SyncResult:
        """TicketEscalated: the team the ticket went to gets a task (once), the previous team's is completed."""
        ticket = self.desk.get(ticket_id)
        entry = entry_of(ticket, seq) if ticket is not None else None
        if ticket is None or entry is None or entry.action != "escalated":
            return SyncResult(Outcome.UNVERIFIED, ticket_id)
        if ticket.status in ENDING_STATUSES or latest_escalation(ticket) != seq:
            return SyncResult(Outcome.NOT_A_TASK, ticket_id)  # resolved since, or escalated again: no task now
        return self._start(ticket, entry)

    def _start(self, ticket: Ticket, entry: HistoryEntry) -> SyncResult:
        now = self.clock()
        team = entry.team or ticket.team
        fresh = TaskRecord(ticket.ticket_id, entry.seq, team, TaskStatus.STARTING, now, now)
        claimed = self.store.create(fresh)
        stale = False
        if claimed is None:
            existing = self.store.get(ticket.ticket_id, entry.seq)
            if existing is None:
                raise TaskStoreUnavailable("ClaimVanished")  # created and gone: retried later
            # No task is ever delayed: `delayed` names FAILED, which `retryable` has already made FREE.
            state = claim_state(existing.status, now=now, not_before=None, updated_at=existing.updated_at,
                                claim_lease=self.claim_lease, retryable=(TaskStatus.FAILED,),
                                delayed=TaskStatus.FAILED, in_flight=TaskStatus.STARTING)
            if state is ClaimState.HELD:
                raise ClaimHeld(existing.key, existing.status.value)
            if state is ClaimState.DONE:
                return SyncResult(Outcome.DUPLICATE, ticket.ticket_id, existing.contact_id)
            stale = state is ClaimState.STALE
            claimed = self.store.replace(existing.moved(TaskStatus.STARTING, now, reason=None), existing)
            if claimed is None:
                raise ClaimHeld(existing.key, "taken by another delivery")
        queue_arn = self.queue_arns.get(team) or self.queue_arns[self.default_team]
        request = task_request(ticket, entry, team, queue_arn, self.ticket_url(ticket.ticket_id))
        try:
            contact_id = self.contacts.start(request)
        except TaskStartFailed as failed:
            self.store.replace(claimed.moved(TaskStatus.FAILED, self.clock(), reason=failed.code), claimed)
            raise
        opened = claimed.moved(TaskStatus.OPEN, self.clock(), contact_id=contact_id)
        if self.store.replace(opened, claimed) is None:
            raise ClaimHeld(claimed.key, "changed while the task was started")
        stopped = self._stop_open(ticket.ticket_id, "SUPERSEDED", keep=entry.seq)
        # The ticket may have been resolved or closed while the task was being started: that change's event found
        # no open task to complete (this one was `starting`), so look again now that it is open.
        now_ticket = self.desk.get(ticket.ticket_id)
        if now_ticket is not None and now_ticket.status in ENDING_STATUSES:
            stopped += self._stop_open(ticket.ticket_id, f"TICKET_{now_ticket.status.value.upper()}")
        return SyncResult(Outcome.STARTED, ticket.ticket_id, contact_id, stopped=stopped, stale_claim=stale)

    def _stop_open(self, ticket_id: str, reason: str, keep: int | None = None) -> int:
        """Complete the ticket's open tasks (but the one of history entry `keep`); how many were stopped."""
        stopped = 0
        for task in self.store.tasks_of_ticket(ticket_id):
            if task.seq == keep or task.contact_id is None:
                continue
            if task.status is TaskStatus.OPEN:
                stopping = self.store.replace(task.moved(TaskStatus.STOPPING, self.clock(), reason=reason), task)
                if stopping is None:
                    continue  # someone else moved it (an agent's completion, another delivery): theirs
            elif task.status is TaskStatus.STOPPING and self.clock() - task.updated_at >= self.claim_lease:
                stopping = task  # a stop that crashed half way: StopContact again (it is idempotent enough)
            else:
                continue
            self.contacts.stop(task.contact_id)
            if self.store.replace(stopping.moved(TaskStatus.STOPPED, self.clock()), stopping) is not None:
                stopped += 1
        return stopped

    # --- a task ended in Connect -----------------------------------------------------------------------
    def on_task_ended(self, contact_id: str, worked: bool) -> SyncResult:
        """A task contact ended. `worked`: an agent had it (the event's agentInfo); one that never reached an
        agent (the queue was full, the task expired) leaves the ticket as it is: it is still to be worked."""
        task = self.store.task_by_contact(contact_id)
        if task is None or task.status is not TaskStatus.OPEN:
            # Unknown, or stopped by us (the DISCONNECTED of our own StopContact), or already settled.
            return SyncResult(Outcome.NOT_OURS if task is None else Outcome.DUPLICATE,
                              task.ticket_id if task else None, contact_id)
        if not worked:
            self.store.replace(task.moved(TaskStatus.STOPPED, self.clock(), reason="ENDED_UNWORKED"), task)
            return SyncResult(Outcome.TASK_UNWORKED, task.ticket_id, contact_id)
        ticket = self.desk.get(task.ticket_id)
        outcome = Outcome.TICKET_UNCHANGED
        if ticket is not None and ticket.status not in ENDING_STATUSES:
            try:
                self.desk.resolve(ticket, f"Task completed in Amazon Connect ({task.team} team).", contact_id)
                outcome = Outcome.TICKET_RESOLVED
            except (TicketError, TicketNotFound):
                outcome = Outcome.TICKET_UNCHANGED  # a status the lifecycle does not resolve from: left as is
        # The ticket first, then the record: a crash in between is retried and finds the ticket resolved.
        self.store.replace(task.moved(TaskStatus.COMPLETED, self.clock(), reason="AGENT_COMPLETED"), task)
        return SyncResult(outcome, task.ticket_id, contact_id)
