"""Tickets and Amazon Connect tasks on the local backend: what AWS would run after a ticket change.

After the ticket API changed tickets, `sync_tasks` plays the rest as AWS does: the tickets table's stream to
ticket-events (TicketStatusChanged on our bus), the `ticket-task-changes` rule to the ticket-tasks queue, and
the ticket-tasks function, whose StartTaskContact and StopContact the Connect emulator answers. A task that
ends (our StopContact, or an agent completing it: `complete_task`) gets its DISCONNECTED contact event on the
default bus, as Connect publishes it, and the `task-disconnected` rule brings it back to ticket-tasks.

`task_rows` lists a ticket's tasks from the ticket_tasks table, for `callcenter tickets show`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callcenter.backend import INSTANCE_ARN, LocalBackend
from callcenter.post_call import publish_contact_event

MAX_ROUNDS = 5  # a change, its task, the superseded task's DISCONNECTED: three rounds at most in practice


@dataclass
class TaskSyncReport:
    stream_records: int = 0
    task_messages: int = 0
    task_failures: int = 0
    disconnected_published: int = 0


def _now(backend: LocalBackend) -> datetime:
    from functions.common.clock import utc_now

    return backend.now or utc_now()


def publish_ended_tasks(backend: LocalBackend) -> int:
    """The DISCONNECTED contact event of every task that ended since the last call."""
    ended = backend.connect.take_ended_tasks()
    for contact_id in ended:
        at = _now(backend)
        detail = {"eventType": "DISCONNECTED", "contactId": contact_id, "initialContactId": contact_id,
                  "channel": "TASK", "instanceArn": INSTANCE_ARN, "initiationMethod": "API",
                  "disconnectTimestamp": at.isoformat()}
        task = backend.connect.tasks[contact_id]
        if task.ended_by == "agent":  # an agent had it: Connect's event names the agent
            detail["agentInfo"] = {"agentArn": f"{INSTANCE_ARN}/agent/local-agent",
                                   "connectedToAgentTimestamp": at.isoformat()}
        publish_contact_event(detail, at)
    return len(ended)


def sync_tasks(backend: LocalBackend) -> TaskSyncReport:
    """Deliver the ticket stream and the ticket-tasks queue until nothing more happens."""
    from callcenter.event_sources import deliver, deliver_stream

    report = TaskSyncReport()
    for _ in range(MAX_ROUNDS):
        stream = deliver_stream(backend, "tickets")
        tasks = deliver(backend, "ticket-tasks")
        published = publish_ended_tasks(backend)
        report.stream_records += stream.succeeded
        report.task_messages += tasks.messages
        report.task_failures += tasks.failed
        report.disconnected_published += published
        if not (stream.succeeded or tasks.messages or published):
            break
    return report


def complete_task(backend: LocalBackend, contact_id: str) -> TaskSyncReport:
    """An agent completes the task in Connect (the CCP's "End task"); its ticket follows."""
    task = backend.connect.tasks.get(contact_id)
    if task is None:
        raise KeyError(f"no task {contact_id} on the local instance")
    if task.ended_by is not None:
        raise ValueError(f"task {contact_id} has already ended ({task.ended_by})")
    backend.connect.end_task(contact_id, "agent")
    return sync_tasks(backend)


def task_rows(ticket_id: str) -> list[dict[str, Any]]:
    """The ticket's tasks as the ticket_tasks table has them (oldest first)."""
    from functions.tickets.task_store import DynamoDBTaskStore

    return [{"task_contact_id": task.contact_id, "team": task.team, "status": task.status.value,
             "history_entry": task.seq, "reason": task.reason}
            for task in DynamoDBTaskStore().tasks_of_ticket(ticket_id)]
