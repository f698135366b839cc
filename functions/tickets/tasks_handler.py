"""Ticket tasks Lambda: consumes `ticket-tasks` (batches, partial batch failures); keeps tickets and Amazon
Connect tasks in step (functions/tickets/tasks.py says how and why exactly once).

Three kinds of message arrive on the queue, from two EventBridge rules:
- TicketEscalated (our bus): the team the ticket went to gets a task in its queue;
- TicketStatusChanged (our bus): a survey follow-up's creation starts a task in the team's queue; a
  resolution or closing completes the ticket's open tasks;
- Amazon Connect's DISCONNECTED contact event of a TASK contact (the default bus): a task an agent completed
  resolves its ticket.

Amazon Connect's quotas (functions/common/pacing.py): StartTaskContact and StopContact each take a token of
this function's pace first; a request the pace would make wait too long, or that Connect throttles, puts the
message back on the queue as a new, delayed message (TicketTasksDeferred), never towards the DLQ. Any other
failure fails the record (retried, then the dead-letter queue). Logs carry ids and codes, no ticket text.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.aws import aws_client, error_code, resource_id
from functions.common.batches import process_batch
from functions.common.claims import ClaimHeld
from functions.common.clock import utc_now
from functions.common.observability import count_metric, describe_error, logger, metrics
from functions.common.outbound import CONNECT
from functions.common.pacing import THROTTLING_CODES, PacingDeferred, TokenBucket, deferral_seconds, pacer
from functions.common.settings import ClientBounds, optional_env, require_env, routing_settings
from functions.common.ticket_overview import Status
from functions.manifest import QUEUES, claim_lease
from functions.profiles.store import ProfileItem
from functions.routing.policy import load_policy
from functions.storage.tables import configure_data_access
from functions.surveys.contact_event import CONTACT_EVENT_DETAIL_TYPE, DISCONNECTED, parse_contact_event
from functions.tickets import store as ticket_store
from functions.tickets.service import TicketService
from functions.tickets.status_changes import TICKET_ESCALATED, MalformedNotification, parse_notification_request
from functions.tickets.task_store import DynamoDBTaskStore, TicketTaskItem
from functions.tickets.tasks import TASKS_ACTOR, SyncResult, TaskRequest, TaskStartFailed, TaskSync
from functions.tickets.ticket import Ticket, TicketNotFound, VersionConflict

DDB_BOUNDS = ClientBounds(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=3)
TASKS_FUNCTION = "ticket-tasks"  # its name in functions/manifest.py
DEFERRED = "deferred"
RESOLVE_ATTEMPTS = 3


class MalformedTaskMessage(ValueError):
    pass


# --- adapters --------------------------------------------------------------------------------------

class ConnectTasks:
    """StartTaskContact with the stack's task template, StopContact; each paced (TokenBucket)."""

    def __init__(self, instance_id: str, template_id: str, start_pace: TokenBucket | None = None,
                 stop_pace: TokenBucket | None = None) -> None:
        self.instance_id = instance_id
        self.template_id = resource_id(template_id)
        self.start_pace = start_pace
        self.stop_pace = stop_pace

    @staticmethod
    def _take(pace: TokenBucket | None, key: str) -> None:
        if pace is not None:
            try:
                pace.acquire()
            except PacingDeferred as exc:
                raise TaskStartFailed(key, exc.code) from None

    def start(self, request: TaskRequest) -> str:
        self._take(self.start_pace, request.ticket_id)
        references = {"ticket_id": {"Value": request.ticket_id, "Type": "STRING"}}
        if request.ticket_url.startswith("https://"):
            references["ticket"] = {"Value": request.ticket_url, "Type": "URL"}
        try:
            response = aws_client(CONNECT).start_task_contact(
                InstanceId=self.instance_id, TaskTemplateId=self.template_id, Name=request.name,
                Description=request.description, References=references, ClientToken=request.client_token,
                # The task flow sets the working queue from this attribute (infra/flows/task.json).
                Attributes={"ticket_id": request.ticket_id, "task_team": request.team,
                            "task_queue_arn": request.queue_arn, "call_type": "ticket_task"})
        except (ClientError, BotoCoreError) as exc:
            raise TaskStartFailed(request.ticket_id, error_code(exc)) from None
        return str(response["ContactId"])

    def stop(self, contact_id: str) -> bool:
        self._take(self.stop_pace, contact_id)
        try:
            aws_client(CONNECT).stop_contact(ContactId=contact_id, InstanceId=self.instance_id)
        except ClientError as exc:
            if error_code(exc) == "ContactNotFoundException":
                return False  # ended already (completed by an agent, or expired)
            raise TaskStartFailed(contact_id, error_code(exc)) from None
        except BotoCoreError as exc:
            raise TaskStartFailed(contact_id, error_code(exc)) from None
        return True


class TicketDeskService:
    """Reads tickets from the store; resolves one as the tasks actor, re-reading on a version conflict."""

    def __init__(self, service: TicketService) -> None:
        self.service = service

    def get(self, ticket_id: str) -> Ticket | None:
        try:
            return ticket_store.get_ticket(ticket_id)
        except TicketNotFound:
            return None

    def resolve(self, ticket: Ticket, note: str, contact_id: str) -> Ticket:
        for attempt in range(RESOLVE_ATTEMPTS):
            try:
                return self.service.change_status(TASKS_ACTOR, ticket.ticket_id, Status.RESOLVED, ticket.version,
                                                  note=note, contact_id=contact_id)
            except VersionConflict:
                if attempt == RESOLVE_ATTEMPTS - 1:
                    raise
                ticket = ticket_store.get_ticket(ticket.ticket_id)
        raise AssertionError("unreachable")


class SqsTaskQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send_again(self, body: str, delay_seconds: int) -> None:
        aws_client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=body, DelaySeconds=delay_seconds)


# --- wiring ----------------------------------------------------------------------------------------

def ticket_link(origin: str) -> Any:
    return lambda ticket_id: f"{origin.rstrip('/')}/?ticket={ticket_id}" if origin else ticket_id


def build_sync() -> TaskSync:
    policy = load_policy()
    contacts = ConnectTasks(require_env("CONNECT_INSTANCE_ID"), require_env("TASK_TEMPLATE_ID"),
                            pacer(TASKS_FUNCTION, "StartTaskContact"), pacer(TASKS_FUNCTION, "StopContact"))
    return TaskSync(store=DynamoDBTaskStore(), contacts=contacts,
                    desk=TicketDeskService(TicketService(tuple(policy.queues))),
                    queue_arns=dict(routing_settings().queue_arns), default_team=policy.default_queue,
                    ticket_url=ticket_link(optional_env("DESKTOP_ORIGIN") or ""), clock=utc_now,
                    claim_lease=_claim_lease())


def _claim_lease() -> timedelta:
    return claim_lease(TASKS_FUNCTION)


def handle_message(sync: TaskSync, body: str) -> SyncResult | None:
    """One message of either kind; None for a contact event that is not an ended task."""
    try:
        message = json.loads(body)
    except ValueError:
        raise MalformedTaskMessage("the message body is not JSON") from None
    kind = message.get("detail-type") if isinstance(message, dict) else None
    if kind == CONTACT_EVENT_DETAIL_TYPE:
        event = parse_contact_event(message)
        if event.channel != "TASK" or event.event_type != DISCONNECTED:
            return None
        return sync.on_task_ended(event.contact_id, worked=event.reached_agent)
    if kind == TICKET_ESCALATED:
        data = (message.get("detail") or {}).get("data") if isinstance(message.get("detail"), dict) else None
        ticket_id, seq = (data or {}).get("ticket_id"), (data or {}).get("seq")
        if not isinstance(ticket_id, str) or not ticket_id or not isinstance(seq, int) or seq < 1:
            raise MalformedTaskMessage("a TicketEscalated event needs data.ticket_id and data.seq")
        return sync.on_escalated(ticket_id, seq)
    try:
        request = parse_notification_request(message if isinstance(message, dict) else body)
    except MalformedNotification as exc:
        raise MalformedTaskMessage(str(exc)) from None
    return sync.on_status_change(request.change)


def handle_record(sync: TaskSync, record: SQSRecord, requeue: SqsTaskQueue | None = None) -> str:
    try:
        result = handle_message(sync, record.body)
    except TaskStartFailed as exc:
        if exc.code in THROTTLING_CODES and requeue is not None:
            delay = deferral_seconds(record.message_id)
            requeue.send_again(record.body, delay)
            logger.info("ticket task deferred: Amazon Connect's rate", extra={
                "message_id": record.message_id, "error": exc.code, "delay_seconds": delay})
            count_metric("TicketTasksDeferred")
            return DEFERRED
        logger.warning("ticket task failed; the message will be retried", extra={
            "message_id": record.message_id, "error": exc.code})
        count_metric("TicketTaskFailed")
        raise
    except Exception as exc:
        logger.warning("ticket task message failed; it will be retried", extra={
            "message_id": record.message_id, "error": describe_error(exc, (ClaimHeld, MalformedTaskMessage))})
        count_metric("TicketTaskMessagesFailed")
        raise
    if result is None:
        return "ignored"
    logger.info("ticket task", extra={"message_id": record.message_id, "outcome": result.outcome.value,
                                      "ticket_id": result.ticket_id, "task_contact_id": result.task_contact_id,
                                      "stopped": result.stopped, "stale_claim": result.stale_claim})
    count_metric("TicketTasks", outcome=result.outcome.value)
    if result.stale_claim:
        count_metric("StaleClaimsTakenOver")
    return result.outcome.value


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure_data_access((TicketTaskItem, ticket_store.TicketItem, ProfileItem), DDB_BOUNDS)
    sync = build_sync()
    requeue = SqsTaskQueue(require_env(QUEUES["ticket-tasks"].env_var))
    return process_batch(event, context, lambda record: handle_record(sync, record, requeue),
                         requests_metric="TicketTaskMessages")
