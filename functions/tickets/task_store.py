"""Ticket tasks in DynamoDB: one record per ticket history entry that asked for an Amazon Connect task.

Key design
- `TicketTaskItem` (table `ticket_tasks`): hash key `ticket_id`, range key `seq` (the escalation's or the
  follow-up's history entry). Creating it is a conditional put (attribute_not_exists): of any number of
  deliveries of the same TicketStatusChanged event exactly one claims the task (functions/storage/claims.py).
  A ticket's tasks are one Query on its partition (to complete them when the ticket is resolved or closed).
- `by_contact` (the task contact's id; sparse: only started tasks have one): a DISCONNECTED contact event
  names only the contact, and this index finds its ticket with one Query, without DescribeContact (whose
  quota the tasks would share with everyone else).
- Every later change is conditional on status, updated_at and the optimistic-lock version the writer read.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from functions.storage.claims import ClaimStore
from functions.storage.errors import STORE_ERRORS, store_error_code
from functions.tickets.tasks import TaskRecord, TaskStatus, TaskStoreUnavailable


class TasksByContact(GlobalSecondaryIndex["TicketTaskItem"]):
    class Meta:
        index_name = "by_contact"
        projection = AllProjection()

    contact_id = UnicodeAttribute(hash_key=True)


class TicketTaskItem(Model):
    class Meta:
        table_name = "ticket_tasks"  # bound at run time from table_env_var (functions/storage/tables.py)
        table_env_var = "TICKET_TASKS_TABLE_NAME"
        billing_mode = "PAY_PER_REQUEST"

    ticket_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    team = UnicodeAttribute()
    status = UnicodeAttribute()  # starting | failed | open | stopping | stopped | completed
    contact_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_contact = TasksByContact()


def to_record(item: TicketTaskItem) -> TaskRecord:
    return TaskRecord(ticket_id=item.ticket_id, seq=int(item.seq), team=item.team, status=TaskStatus(item.status),
                      created_at=item.created_at, updated_at=item.updated_at, contact_id=item.contact_id,
                      reason=item.reason, version=item.version)


def to_item(record: TaskRecord, version: int | None = None) -> TicketTaskItem:
    item = TicketTaskItem(record.ticket_id, record.seq, team=record.team, status=record.status.value,
                          contact_id=record.contact_id, reason=record.reason, created_at=record.created_at,
                          updated_at=record.updated_at)
    if version is not None:
        item.version = version
    return item


_CLAIMS = ClaimStore(TicketTaskItem, to_record, to_item, TaskStoreUnavailable)


class DynamoDBTaskStore:
    """The TaskStore port (functions/tickets/tasks.py) on the ticket_tasks table."""

    def get(self, ticket_id: str, seq: int) -> TaskRecord | None:
        return _CLAIMS.get(ticket_id, seq)

    def create(self, record: TaskRecord) -> TaskRecord | None:
        return _CLAIMS.create(record)

    def replace(self, record: TaskRecord, expected: TaskRecord) -> TaskRecord | None:
        return _CLAIMS.replace(record, expected)

    def tasks_of_ticket(self, ticket_id: str) -> list[TaskRecord]:
        try:
            return [to_record(item) for item in TicketTaskItem.query(ticket_id, consistent_read=True)]
        except STORE_ERRORS as exc:
            raise TaskStoreUnavailable(store_error_code(exc)) from exc

    def task_by_contact(self, contact_id: str) -> TaskRecord | None:
        """The task of a contact, read back from the table itself (the index is eventually consistent)."""
        try:
            for item in TicketTaskItem.by_contact.query(contact_id, limit=1):
                return self.get(item.ticket_id, int(item.seq))
        except STORE_ERRORS as exc:
            raise TaskStoreUnavailable(store_error_code(exc)) from exc
        return None
