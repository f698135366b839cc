"""`callcenter tickets ...`: an agent's ticket work on the local backend, through the real ticket API.

Each command signs in as a local agent (--agent, --team, --supervisor: the user pool claims the API reads),
starts the local backend, loads the profiles, restores the tickets saved by earlier commands
(callcenter/local_state.py), sends its request(s) through the ticket-api handler, and saves the tickets
again when it changed anything. What is printed is what the API answered; a refusal (4xx) is printed
with its status, code and message on stderr, and the command exits 1.

Updates and versions. Every change except a note carries the version the agent read (optimistic
locking: a stale version gets 409 and writes nothing). `update` without --expected-version does not
guess: it reads the ticket, prints its current version and status, changes nothing and exits 2, so the
agent looks at the ticket before changing it (a read-then-write on the agent's behalf would turn
"somebody changed this since you looked" into a silent overwrite of their decision). A note alone needs
no version: notes never conflict.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from callcenter.api_client import Agent, ApiError, TicketApi

EXIT_REFUSED = 1  # the API answered 4xx (or the state file is unusable)
EXIT_NEEDS_VERSION = 2  # update without --expected-version: nothing changed, the current version printed
VERSIONED_CHANGES = ("status", "assign", "escalate", "priority")


# --- rendering ---------------------------------------------------------------------------------------------

def _when(text: str | None) -> str:
    if not text:
        return "-"
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(text)


def ticket_list_table(title: str, tickets: Sequence[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=f"{title} ({len(tickets)})")
    for column in ("ticket", "customer", "subject", "status", "pri", "team", "agent", "SLA due", "overdue", "ver"):
        table.add_column(column, justify="right" if column in ("pri", "ver") else "left")
    for t in tickets:
        table.add_row(t["ticket_id"], t["customer_id"], t["subject"], t["status"], str(t["priority"]), t["team"],
                      t.get("agent") or "-", _when(t.get("sla_due_at")), "OVERDUE" if t.get("overdue") else "",
                      str(t["version"]))
    return table


def ticket_tables(ticket: dict[str, Any]) -> list[Any]:
    from rich.table import Table

    facts = Table(title=f"Ticket {ticket['ticket_id']}", show_header=False)
    facts.add_column("field")
    facts.add_column("value")
    rows = [
        ("customer", ticket["customer_id"]),
        ("subject", ticket["subject"]),
        ("category", ticket["category"]),
        ("status", ticket["status"]),
        ("priority", str(ticket["priority"])),
        ("team", ticket["team"] + (" (restricted)" if ticket.get("restricted") else "")),
        ("agent", ticket.get("agent") or "-"),
        ("SLA due", _when(ticket.get("sla_due_at")) + ("  OVERDUE" if ticket.get("overdue") else "")),
        ("created / updated", f"{_when(ticket.get('created_at'))} / {_when(ticket.get('updated_at'))}"),
        ("contacts", ", ".join(ticket.get("contact_ids") or []) or "-"),
        ("version", str(ticket["version"])),
    ]
    for name, value in rows:
        facts.add_row(name, value)
    history = Table(title="History")
    for column in ("#", "at", "who", "action", "change", "note"):
        history.add_column(column, justify="right" if column == "#" else "left")
    for entry in ticket.get("history") or []:
        change = []
        if entry.get("to_status") and entry.get("to_status") != entry.get("from_status"):
            change.append(f"{entry.get('from_status') or '-'} -> {entry['to_status']}")
        if entry.get("team") and entry.get("action") in ("created", "escalated"):
            change.append(f"team {entry['team']}")
        if entry.get("agent"):
            change.append(f"agent {entry['agent']}")
        history.add_row(str(entry["seq"]), _when(entry.get("at")), entry["actor"], entry["action"],
                        ", ".join(change) or "-", entry.get("note") or "")
    return [facts, history]


# --- the commands ------------------------------------------------------------------------------------------

def do_create(api: TicketApi, args: argparse.Namespace, out: Any) -> int:
    created, ticket = api.create(
        customer_id=args.customer, subject=args.subject, category=args.category, team=args.team,
        priority=args.priority, restricted=args.restricted or None, contact_id=args.contact_id, note=args.note,
        request_id=args.request_id)
    if args.json:
        return _print_json(out, ticket)
    what = "Created" if created else f"Request {args.request_id} had already created"
    out.print(f"{what} ticket [bold]{ticket['ticket_id']}[/bold] (version {ticket['version']})")
    for table in ticket_tables(ticket):
        out.print(table)
    return 0


def do_list(api: TicketApi, args: argparse.Namespace, out: Any) -> int:
    if args.customer:
        tickets = api.customer_tickets(args.customer, include_closed=args.all)
        title = f"{'Tickets' if args.all else 'Open tickets'} of customer {args.customer}"
    elif args.team:
        tickets, title = api.team_tickets(args.team), f"Open tickets of team {args.team}, soonest due first"
    else:
        tickets, title = api.overdue(), "Open tickets past their SLA, most overdue first"
    if args.json:
        return _print_json(out, tickets)
    out.print(ticket_list_table(title, tickets))
    return 0


def do_show(api: TicketApi, args: argparse.Namespace, out: Any) -> int:
    ticket = api.get(args.ticket_id)
    if args.json:
        return _print_json(out, ticket)
    for table in ticket_tables(ticket):
        out.print(table)
    return 0


def check_update(args: argparse.Namespace) -> str | None:
    """Which versioned change `update` makes (None: a note alone); argparse.ArgumentTypeError if it is unclear."""
    chosen = [name for name in VERSIONED_CHANGES if getattr(args, name) is not None]
    if args.escalate is not None and args.priority is not None:
        chosen.remove("priority")  # escalate --priority: the escalation raises the priority
    if len(chosen) > 1:
        raise argparse.ArgumentTypeError(
            "one change per update: " + ", ".join(f"--{name}" for name in chosen) + " were given together")
    if not chosen and args.note is None:
        raise argparse.ArgumentTypeError(
            "nothing to change: give one of --status, --assign, --escalate, --priority, or --note")
    if args.escalate is not None and not args.reason:
        raise argparse.ArgumentTypeError("--escalate needs --reason (the receiving team reads it)")
    if args.reason and args.escalate is None:
        raise argparse.ArgumentTypeError("--reason goes with --escalate")
    return chosen[0] if chosen else None


def do_update(api: TicketApi, args: argparse.Namespace, out: Any) -> int:
    change = check_update(args)
    if change is not None and args.expected_version is None:
        current = api.get(args.ticket_id)
        out.print(f"Ticket {current['ticket_id']} is at version {current['version']} "
                  f"(status {current['status']}, team {current['team']}, agent {current.get('agent') or '-'}). "
                  f"Nothing was changed: check it is the ticket you mean, then repeat with "
                  f"--expected-version {current['version']}.")
        return EXIT_NEEDS_VERSION
    version = args.expected_version
    ticket: dict[str, Any] | None = None
    note_done = False
    if change == "status":
        ticket = api.change_status(args.ticket_id, args.status, version, note=args.note, contact_id=args.contact_id)
        note_done = True
    elif change == "assign":
        ticket = api.assign(args.ticket_id, args.assign, version)
    elif change == "escalate":
        ticket = api.escalate(args.ticket_id, args.escalate, args.reason, version, priority=args.priority)
    elif change == "priority":
        ticket = api.change_priority(args.ticket_id, args.priority, version)
    if args.note is not None and not note_done:
        ticket = api.add_note(args.ticket_id, args.note, contact_id=args.contact_id)
    assert ticket is not None
    if args.json:
        return _print_json(out, ticket)
    out.print(f"Ticket [bold]{ticket['ticket_id']}[/bold] is now {ticket['status']} in team {ticket['team']} "
              f"(version {ticket['version']})")
    for table in ticket_tables(ticket):
        out.print(table)
    return 0


def _print_json(out: Any, value: Any) -> int:
    import json

    out.print_json(json.dumps(value), indent=2)
    return 0


# --- the session -------------------------------------------------------------------------------------------

ACTIONS: dict[str, tuple[Callable[[TicketApi, argparse.Namespace, Any], int], bool]] = {
    # name -> (action, whether it may change the tickets: the state is saved afterwards)
    "create": (do_create, True),
    "list": (do_list, False),
    "show": (do_show, False),
    "update": (do_update, True),
}


@contextmanager
def session(state: Path, profiles: Sequence[Any], agent: Agent, at: datetime | None, warn: Any,
            save: bool) -> Iterator[TicketApi]:
    """The local backend with the profiles and the saved tickets, as `agent`; the tickets saved afterwards
    (when `save`), also after a refused request: a change made before the refusal is kept."""
    from callcenter.backend import LocalBackend
    from callcenter.local_state import locked, read_state, restore, snapshot, write_state

    with locked(state):
        items = read_state(state)
        with LocalBackend() as backend:
            backend.load_profiles(list(profiles))
            restored = restore(items)
            if restored.customers_missing:
                warn.print(f"note: {len(restored.customers_missing)} customer(s) with saved tickets are not in the "
                           f"profile file: {', '.join(restored.customers_missing[:5])}")
            backend.now = at
            try:
                yield TicketApi(backend, agent)
            finally:
                backend.now = None
                if save:
                    write_state(state, snapshot())


def run(args: argparse.Namespace, profiles: Sequence[Any], out: Any, err: Any) -> int:
    from callcenter.local_state import StateFileError
    from flowlang.simulator import LambdaInvocationError

    action, writes = ACTIONS[args.tickets_command]
    agent = Agent(args.agent, tuple(dict.fromkeys(args.agent_teams)), args.supervisor)
    try:
        if args.tickets_command == "update":
            check_update(args)  # before starting anything
        with session(args.state, profiles, agent, args.at, err, save=writes) as api:
            return action(api, args, out)
    except argparse.ArgumentTypeError as exc:
        raise SystemExit(f"callcenter tickets {args.tickets_command}: {exc}") from exc
    except ApiError as exc:
        err.print(f"callcenter: the ticket API refused the request: {exc.describe()}", markup=False, highlight=False)
        if exc.code == "version_conflict" and exc.body.get("current_version") is not None:
            err.print(f"Read it again (callcenter tickets show {getattr(args, 'ticket_id', '')}), then retry with "
                      f"--expected-version {exc.body['current_version']} if the change still makes sense.",
                      markup=False, highlight=False)
        return EXIT_REFUSED
    except LambdaInvocationError as exc:
        err.print(f"callcenter: the ticket API failed (API Gateway would answer 502): {exc}", markup=False,
                  highlight=False)
        return EXIT_REFUSED
    except StateFileError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
