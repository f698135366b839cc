"""Tickets that outlive one `callcenter` command: the local tickets table, saved to a JSON file between runs.

Every command starts a fresh in-process moto backend, so without this a ticket created by one
`callcenter tickets create` would be gone for the next `callcenter tickets show`. The state file holds
the tickets table's items exactly as DynamoDB returns them (a Scan's attribute values), so version,
history and the sparse index keys come back as they were, and the stored form is the deployed one.

Profiles are not saved: each run loads them from the profile file (--profiles) as every other command
does. The one profile attribute tickets write, the screen-pop map `open_tickets`, is rebuilt from the
restored tickets with the same `summary_entry` the ticket store writes in its transaction, so the map
cannot disagree with the tickets it summarises. Tickets of customers missing from the profile file are
kept in the file (and still readable) but no profile shows them.

Two commands run at once would each save what they saw; an exclusive lock on `<state>.lock` for the
whole run makes the second wait for the first instead of overwriting it. The file is replaced
atomically (write a temporary file, then rename), so an interrupted save leaves the previous state.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from callcenter.backend import REGION

STATE_FORMAT = 1
DEFAULT_STATE = Path(".callcenter") / "state.json"

try:  # POSIX; elsewhere runs are simply not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class StateFileError(Exception):
    """The state file cannot be read or is not ours; nothing is overwritten."""


@dataclass
class Restored:
    tickets: int = 0
    customers_missing: list[str] = field(default_factory=list)  # ticket owners not in the profile file


def _tickets_table() -> str:
    from functions.tickets.store import TicketItem

    return TicketItem.Meta.table_name


def _profiles_table() -> str:
    from functions.profiles.store import ProfileItem

    return ProfileItem.Meta.table_name


def read_state(path: Path) -> list[dict[str, Any]]:
    """The saved ticket items (DynamoDB attribute-value form); [] when there is no file yet."""
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StateFileError(f"cannot read the state file {path}: {exc}; move it away to start afresh") from exc
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise StateFileError(f"{path} is not a callcenter state file (format {STATE_FORMAT}); "
                             "move it away to start afresh")
    items = document.get("tickets")
    if not isinstance(items, list) or not all(isinstance(i, dict) and "ticket_id" in i for i in items):
        raise StateFileError(f"{path}: 'tickets' must be a list of ticket items; move it away to start afresh")
    return items


def read_section(path: Path, name: str) -> list[dict[str, Any]]:
    """Another list kept in the state file beside the tickets (`ticket_tasks`, `connect_tasks`); [] if none.
    Call after `read_state`, which checks the file is ours."""
    if not path.exists():
        return []
    section = json.loads(path.read_text(encoding="utf-8")).get(name) or []
    if not isinstance(section, list) or not all(isinstance(i, dict) for i in section):
        raise StateFileError(f"{path}: {name!r} must be a list of objects; move it away to start afresh")
    return section


def write_state(path: Path, items: list[dict[str, Any]], sections: dict[str, list[dict[str, Any]]] | None = None
                ) -> None:
    # Sections this command does not write (another command's: `sms` keeps surveys, `tickets` tasks) stay.
    kept: dict[str, Any] = {}
    if path.exists():
        with contextlib.suppress(OSError, ValueError):
            previous = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(previous, dict):
                kept = {k: v for k, v in previous.items() if k not in ("format", "saved_at", "tickets")}
    document = {**kept, "format": STATE_FORMAT, "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "tickets": sorted(items, key=lambda i: i["ticket_id"]["S"]), **(sections or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=1, sort_keys=True)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def restore(items: list[dict[str, Any]]) -> Restored:
    """Put the saved tickets into the (empty) local table and rebuild the profiles' screen-pop maps."""
    from boto3.dynamodb.types import TypeSerializer

    from functions.common.ticket_overview import Status
    from functions.tickets.store import TicketItem, to_ticket
    from functions.tickets.ticket import summary_entry

    client = boto3.client("dynamodb", region_name=REGION)
    table = _tickets_table()
    for start in range(0, len(items), 25):
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    summaries: dict[str, dict[str, Any]] = defaultdict(dict)
    for item in items:
        ticket = to_ticket(TicketItem.from_raw_data(item))
        if ticket.status is not Status.CLOSED:
            summaries[ticket.customer_id][ticket.ticket_id] = summary_entry(ticket)
    serializer = TypeSerializer()
    restored = Restored(tickets=len(items))
    for customer_id, entries in sorted(summaries.items()):
        try:
            client.update_item(
                TableName=_profiles_table(), Key={"customer_id": {"S": customer_id}},
                UpdateExpression="SET open_tickets = :entries",
                ConditionExpression="attribute_exists(customer_id)",
                ExpressionAttributeValues={":entries": serializer.serialize(entries)})
        except client.exceptions.ConditionalCheckFailedException:
            restored.customers_missing.append(customer_id)
    return restored


def snapshot(table: str | None = None) -> list[dict[str, Any]]:
    """Every item of the local tickets table (or `table`), as a Scan returns it."""
    client = boto3.client("dynamodb", region_name=REGION)
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table or _tickets_table(), ConsistentRead=True):
        items += page["Items"]
    return items


# --- more than tickets: surveys answered by SMS, opt-outs, tasks --------------------------------------

def _table_of(logical: str) -> str:
    from functions.tables import TABLES

    return str(TABLES[logical].model.Meta.table_name)


#: The tables `callcenter sms` keeps beside the tickets (their items as a Scan returns them).
SMS_TABLES = ("surveys", "followups", "sms_conversations")


def table_sections(logicals: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    return {f"table:{logical}": snapshot(_table_of(logical)) for logical in logicals}


def restore_table_sections(path: Path, logicals: tuple[str, ...]) -> int:
    client = boto3.client("dynamodb", region_name=REGION)
    count = 0
    for logical in logicals:
        for item in read_section(path, f"table:{logical}"):
            client.put_item(TableName=_table_of(logical), Item=item)
            count += 1
    return count


def opted_out_section() -> dict[str, list[dict[str, Any]]]:
    """Customers opted out in the local profiles table (by STOP): re-applied over the profile file next run."""
    items = snapshot(_profiles_table())
    return {"opted_out": [{"customer_id": i["customer_id"]["S"]} for i in items
                          if i.get("opted_out", {}).get("BOOL")]}


def restore_opted_out(path: Path) -> int:
    client = boto3.client("dynamodb", region_name=REGION)
    restored = 0
    for entry in read_section(path, "opted_out"):
        try:
            client.update_item(TableName=_profiles_table(), Key={"customer_id": {"S": str(entry["customer_id"])}},
                               UpdateExpression="SET opted_out = :yes",
                               ConditionExpression="attribute_exists(customer_id)",
                               ExpressionAttributeValues={":yes": {"BOOL": True}})
            restored += 1
        except client.exceptions.ConditionalCheckFailedException:
            continue  # no longer in the profile file
    return restored


# --- tickets as tasks: the ticket_tasks table and the Connect emulator's tasks -----------------------

def _tasks_table() -> str:
    from functions.tickets.task_store import TicketTaskItem

    return TicketTaskItem.Meta.table_name


def task_sections(connect: Any) -> dict[str, list[dict[str, Any]]]:
    """What to keep of the tasks: the ticket_tasks items and the tasks the Connect emulator started."""
    from dataclasses import asdict

    return {"ticket_tasks": sorted(snapshot(_tasks_table()), key=lambda i: (i["ticket_id"]["S"], i["seq"]["N"])),
            "connect_tasks": [asdict(task) for task in connect.tasks.values()]}


def restore_tasks(path: Path, connect: Any) -> int:
    """Put back the tasks an earlier run kept; the number of ticket task records."""
    from callcenter.connect_emulator import TaskContact

    items = read_section(path, "ticket_tasks")
    client = boto3.client("dynamodb", region_name=REGION)
    for item in items:
        client.put_item(TableName=_tasks_table(), Item=item)
    for task in read_section(path, "connect_tasks"):
        try:
            connect.restore_task(TaskContact(**task))
        except TypeError as exc:
            raise StateFileError(f"{path}: a kept Connect task is unreadable ({exc}); move it away") from exc
    return len(items)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold `<path>.lock` exclusively: one command at a time reads and writes this state file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w", encoding="utf-8") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)
