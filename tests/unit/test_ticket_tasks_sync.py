"""TaskSync with in-memory ports: the orderings the queue can deliver in, decided deterministically."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from msgspec.structs import replace

from functions.common.ticket_overview import Status
from functions.tickets import ticket as domain
from functions.tickets.tasks import Outcome, TaskRecord, TaskRequest, TaskStatus, TaskSync
from functions.tickets.ticket import Actor, ActorKind, Ticket

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
ANA = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
TEAMS = ("general", "billing", "support", "senior")


class MemoryTasks:
    def __init__(self) -> None:
        self.records: dict[tuple[str, int], TaskRecord] = {}

    def get(self, ticket_id: str, seq: int) -> TaskRecord | None:
        return self.records.get((ticket_id, seq))

    def create(self, record: TaskRecord) -> TaskRecord | None:
        if (record.ticket_id, record.seq) in self.records:
            return None
        self.records[(record.ticket_id, record.seq)] = stored = replace(record, version=1)
        return stored

    def replace(self, record: TaskRecord, expected: TaskRecord) -> TaskRecord | None:
        if self.records.get((record.ticket_id, record.seq)) != expected:
            return None
        self.records[(record.ticket_id, record.seq)] = stored = replace(record, version=(expected.version or 0) + 1)
        return stored

    def tasks_of_ticket(self, ticket_id: str) -> list[TaskRecord]:
        return [r for (t, _), r in sorted(self.records.items()) if t == ticket_id]

    def task_by_contact(self, contact_id: str) -> TaskRecord | None:
        return next((r for r in self.records.values() if r.contact_id == contact_id), None)


class MemoryConnect:
    def __init__(self) -> None:
        self.started: list[TaskRequest] = []
        self.stopped: list[str] = []

    def start(self, request: TaskRequest) -> str:
        self.started.append(request)
        return f"task-{request.client_token}"

    def stop(self, contact_id: str) -> bool:
        self.stopped.append(contact_id)
        return True


class ChangingDesk:
    """Hands out the given versions of the ticket, one per read (the last one from then on)."""

    def __init__(self, *versions: Ticket) -> None:
        self.versions = list(versions)

    def get(self, ticket_id: str) -> Ticket | None:
        return self.versions.pop(0) if len(self.versions) > 1 else self.versions[0]

    def resolve(self, ticket: Ticket, note: str, contact_id: str) -> Ticket:
        raise AssertionError("not in these tests")


def escalated_ticket() -> tuple[Ticket, Ticket]:
    opened = domain.open_ticket(customer_id="C1", subject="Charged twice", category="billing", team="billing",
                                actor=ANA, now=NOW, known_teams=TEAMS)
    escalated = domain.escalate(opened, "support", actor=ANA, now=NOW + timedelta(minutes=1), reason="tech",
                                known_teams=TEAMS)
    resolved = domain.change_status(escalated, Status.RESOLVED, actor=ANA, now=NOW + timedelta(minutes=2))
    return escalated, resolved


def sync(desk: ChangingDesk, store: MemoryTasks, connect: MemoryConnect) -> TaskSync:
    return TaskSync(store=store, contacts=connect, desk=desk, queue_arns={t: f"arn:{t}" for t in TEAMS},
                    default_team="general", ticket_url=lambda t: t, clock=lambda: NOW + timedelta(minutes=3),
                    claim_lease=timedelta(minutes=1))


def test_a_ticket_resolved_while_its_task_was_being_started_gets_the_task_completed() -> None:
    # Given the escalation read before the resolution was stored, and the resolution read right after the start
    escalated, resolved = escalated_ticket()
    store, connect = MemoryTasks(), MemoryConnect()
    result = sync(ChangingDesk(escalated, resolved), store, connect).on_escalated(escalated.ticket_id, 2)
    # Then the task is started once and completed at once
    assert result.outcome is Outcome.STARTED and result.stopped == 1
    assert [r.status for r in store.tasks_of_ticket(escalated.ticket_id)] == [TaskStatus.STOPPED]
    assert connect.stopped == [result.task_contact_id]


def test_an_escalation_delivered_twice_starts_one_task() -> None:
    escalated, _ = escalated_ticket()
    store, connect = MemoryTasks(), MemoryConnect()
    first = sync(ChangingDesk(escalated), store, connect).on_escalated(escalated.ticket_id, 2)
    again = sync(ChangingDesk(escalated), store, connect).on_escalated(escalated.ticket_id, 2)
    assert (first.outcome, again.outcome) == (Outcome.STARTED, Outcome.DUPLICATE)
    assert len(connect.started) == 1 and connect.started[0].queue_arn == "arn:support"
    assert again.task_contact_id == first.task_contact_id


def test_an_event_for_a_change_the_ticket_does_not_have_starts_nothing() -> None:
    escalated, _ = escalated_ticket()
    store, connect = MemoryTasks(), MemoryConnect()
    result = sync(ChangingDesk(escalated), store, connect).on_escalated(escalated.ticket_id, 1)
    assert result.outcome is Outcome.UNVERIFIED  # history entry 1 is the creation, not an escalation
    assert connect.started == []
