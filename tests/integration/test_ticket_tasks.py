"""Tickets as Amazon Connect tasks, on the local backend: the ticket API, the tickets stream, ticket-events, the
rules and the ticket-tasks function, with StartTaskContact/StopContact answered by the Connect emulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from callcenter.backend import function_arn, queue_arn
from callcenter.ticket_tasks import complete_task, sync_tasks, task_rows
from flowlang.simulator import LambdaInvocationError
from functions.common.ticket_overview import Status
from functions.routing.policy import load_policy
from functions.tickets import store as ticket_store
from functions.tickets.service import TicketService
from functions.tickets.tasks import TaskRecord, TaskStatus
from functions.tickets.ticket import Actor, ActorKind

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ANA = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
SUE = Actor("sue", ActorKind.AGENT, frozenset(), supervisor=True)


def service(backend: Any) -> TicketService:
    return TicketService(load_policy().queues, clock=lambda: backend.now)


def open_ticket(backend: Any) -> str:
    backend.now = AT
    return service(backend).create(ANA, customer_id="cust-edsger", subject="Charged twice", category="billing",
                                   team="billing", priority=2).ticket.ticket_id


def escalate(backend: Any, ticket_id: str, team: str, minutes: int) -> None:
    backend.now = AT + timedelta(minutes=minutes)
    ticket = ticket_store.get_ticket(ticket_id)
    service(backend).escalate(SUE, ticket_id, team, "needs them", ticket.version)


def sqs_batch(*bodies: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"r{i}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0", "SenderId": "local",
                       "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:callcenter-local-ticket-tasks",
        "awsRegion": "us-east-1"} for i, body in enumerate(bodies)]}


def escalated_event(ticket_id: str, seq: int) -> str:
    return json.dumps({"version": "0", "id": f"e{seq}", "detail-type": "TicketEscalated", "source": "callcenter",
                       "time": "2026-11-24T20:10:00Z", "region": "us-east-1", "resources": [],
                       "detail": {"data": {"ticket_id": ticket_id, "seq": seq, "team": "support",
                                           "at": "2026-11-24T20:10:00+00:00"}, "metadata": {}}})


def test_an_escalation_becomes_one_task_in_the_team_s_queue_however_often_its_event_arrives(demo_backend: Any
                                                                                          ) -> None:
    # Given a billing ticket escalated to support
    ticket_id = open_ticket(demo_backend)
    escalate(demo_backend, ticket_id, "support", 10)
    # When AWS runs what follows (stream, ticket-events, the rule, ticket-tasks), and the event comes twice more
    sync_tasks(demo_backend)
    event = escalated_event(ticket_id, 2)
    answer = demo_backend.invoke_lambda(function_arn("ticket-tasks"), sqs_batch(event, event), 30)
    assert answer == {"batchItemFailures": []}
    # Then Connect was asked for exactly one task, queued for support, linked to the ticket
    assert len(demo_backend.connect.tasks) == 1
    [task] = demo_backend.connect.tasks.values()
    assert task.attributes["task_queue_arn"] == queue_arn("support")
    assert task.references["ticket_id"] == {"Value": ticket_id, "Type": "STRING"}
    assert task.template_id == "ticket-task" and ticket_id in task.name
    assert "cust-edsger" not in task.name  # nothing about the customer on the task itself
    assert task_rows(ticket_id) == [{"task_contact_id": task.contact_id, "team": "support", "status": "open",
                                     "history_entry": 2, "reason": None}]
    assert demo_backend.metric_total("TicketTasks") >= 3  # started once, then duplicates


def test_a_second_escalation_completes_the_first_team_s_task_and_closing_completes_the_last(demo_backend: Any
                                                                                          ) -> None:
    ticket_id = open_ticket(demo_backend)
    escalate(demo_backend, ticket_id, "support", 10)
    sync_tasks(demo_backend)
    # When the ticket goes on to senior (escalated again: no status change, still a new team's task)
    escalate(demo_backend, ticket_id, "senior", 20)
    sync_tasks(demo_backend)
    rows = task_rows(ticket_id)
    assert [(r["team"], r["status"], r["reason"]) for r in rows] == [
        ("support", "stopped", "SUPERSEDED"), ("senior", "open", None)]
    # And when senior resolves the ticket, the customer confirms and it is closed
    demo_backend.now = AT + timedelta(minutes=30)
    ticket = ticket_store.get_ticket(ticket_id)
    service(demo_backend).change_status(SUE, ticket_id, Status.RESOLVED, ticket.version)
    sync_tasks(demo_backend)
    # Then no task of the ticket is left open in Connect
    assert [r["status"] for r in task_rows(ticket_id)] == ["stopped", "stopped"]
    assert all(task.ended_by == "stop_contact" for task in demo_backend.connect.tasks.values())
    # and the DISCONNECTED events of our own stops changed nothing on the ticket
    assert ticket_store.get_ticket(ticket_id).status is Status.RESOLVED


def test_a_task_an_agent_completes_in_connect_resolves_its_ticket(demo_backend: Any) -> None:
    ticket_id = open_ticket(demo_backend)
    escalate(demo_backend, ticket_id, "support", 10)
    sync_tasks(demo_backend)
    [row] = task_rows(ticket_id)
    # When an agent ends the task in the CCP
    demo_backend.now = AT + timedelta(minutes=40)
    complete_task(demo_backend, row["task_contact_id"])
    # Then the ticket is resolved by the tasks actor, with the task's contact on it, and the task is completed
    ticket = ticket_store.get_ticket(ticket_id)
    assert ticket.status is Status.RESOLVED
    assert ticket.history[-1].actor == "system:connect-tasks"
    assert row["task_contact_id"] in ticket.contact_ids
    assert [r["status"] for r in task_rows(ticket_id)] == ["completed"]


def test_a_task_that_ends_before_any_agent_had_it_leaves_the_ticket_open(demo_backend: Any) -> None:
    ticket_id = open_ticket(demo_backend)
    escalate(demo_backend, ticket_id, "support", 10)
    sync_tasks(demo_backend)
    [row] = task_rows(ticket_id)
    demo_backend.connect.end_task(row["task_contact_id"], "expired")  # no agent: no agentInfo on the event
    sync_tasks(demo_backend)
    assert ticket_store.get_ticket(ticket_id).status is Status.ESCALATED
    assert [(r["status"], r["reason"]) for r in task_rows(ticket_id)] == [("stopped", "ENDED_UNWORKED")]


def test_a_survey_follow_up_ticket_becomes_a_task_an_agent_s_ticket_does_not(demo_backend: Any) -> None:
    from tests.integration.test_followup_tickets import invoke, low_score_event

    demo_backend.now = AT
    open_ticket(demo_backend)  # an agent's own ticket: no task
    assert invoke(demo_backend, json.dumps(low_score_event("cust-ada", score=1, queue="billing"))) == {
        "batchItemFailures": []}
    sync_tasks(demo_backend)
    [task] = demo_backend.connect.tasks.values()
    assert task.attributes["task_queue_arn"] == queue_arn("billing")
    assert task.name.startswith("Survey follow-up")


def test_throttled_start_task_is_deferred_not_lost(demo_backend: Any) -> None:
    # Given Connect refusing every StartTaskContact (another caller used the account's quota)
    ticket_id = open_ticket(demo_backend)
    escalate(demo_backend, ticket_id, "support", 10)
    demo_backend.connect.enforce({"StartTaskContact": (0.0001, 1)}, lambda: 0.0)
    demo_backend.connect.quotas["StartTaskContact"].tokens = 0.0
    demo_backend.connect.quotas["StartTaskContact"].updated = 0.0
    sync_tasks(demo_backend)
    # Then the message went back on the queue with a delay (nothing in the dead-letter queue), the claim is failed
    assert demo_backend.metric_total("TicketTasksDeferred") == 1
    [row] = task_rows(ticket_id)
    assert (row["status"], row["reason"]) == ("failed", "TooManyRequestsException")
    assert len(demo_backend.sqs_delays.held) == 1
    # And when Connect accepts again and the delayed message comes due, the task is started
    demo_backend.connect.quotas.clear()
    demo_backend.now = AT + timedelta(hours=1)
    sync_tasks(demo_backend)
    assert [r["status"] for r in task_rows(ticket_id)] == ["open"]


def test_a_crashed_claim_is_taken_over_with_the_same_client_token(demo_backend: Any) -> None:
    from functions.tickets.task_store import DynamoDBTaskStore

    ticket_id = open_ticket(demo_backend)
    escalate(demo_backend, ticket_id, "support", 10)
    # Given a worker that claimed the escalation's task and crashed before recording it
    crashed = TaskRecord(ticket_id, 2, "support", TaskStatus.STARTING, AT, AT + timedelta(minutes=10))
    assert DynamoDBTaskStore().create(crashed) is not None
    # When its message comes back within the lease, it is retried later (a failed batch item, not dropped)
    demo_backend.now = AT + timedelta(minutes=10, seconds=5)
    event = escalated_event(ticket_id, 2)
    with pytest.raises(LambdaInvocationError, match="ClaimHeld"):  # every record failed: the whole batch again
        demo_backend.invoke_lambda(function_arn("ticket-tasks"), sqs_batch(event), 30)
    assert demo_backend.connect.tasks == {}
    # and after the lease it is taken over: one task
    demo_backend.now = AT + timedelta(minutes=15)
    assert demo_backend.invoke_lambda(function_arn("ticket-tasks"), sqs_batch(event, event), 30) == {
        "batchItemFailures": []}
    assert len(demo_backend.connect.tasks) == 1
    assert demo_backend.metric_total("StaleClaimsTakenOver") == 1


def test_an_escalation_whose_ticket_is_resolved_by_the_time_its_event_comes_starts_no_task(demo_backend: Any
                                                                                           ) -> None:
    # Given an escalation whose event comes after the ticket was resolved (its message waited, throttled)
    ticket_id = open_ticket(demo_backend)
    escalate(demo_backend, ticket_id, "support", 10)
    demo_backend.now = AT + timedelta(minutes=12)
    ticket = ticket_store.get_ticket(ticket_id)
    service(demo_backend).change_status(SUE, ticket_id, Status.RESOLVED, ticket.version)
    resolved_only = json.dumps({"version": "0", "id": "r", "detail-type": "TicketStatusChanged",
                                "source": "callcenter", "time": "2026-11-24T20:12:00Z", "region": "us-east-1",
                                "resources": [], "detail": {"data": {
                                    "ticket_id": ticket_id, "customer_id": "cust-edsger", "seq": 3,
                                    "from_status": "escalated", "to_status": "resolved", "team": "support",
                                    "subject": "Charged twice", "at": "2026-11-24T20:12:00+00:00"}, "metadata": {}}})
    assert demo_backend.invoke_lambda(function_arn("ticket-tasks"), sqs_batch(resolved_only), 30) == {
        "batchItemFailures": []}
    # When the escalation's event comes after it
    assert demo_backend.invoke_lambda(function_arn("ticket-tasks"), sqs_batch(escalated_event(ticket_id, 2)), 30) == {
        "batchItemFailures": []}
    # Then no task is started for a ticket nobody needs to work any more
    assert task_rows(ticket_id) == [] and demo_backend.connect.tasks == {}
