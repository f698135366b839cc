"""`callcenter tickets ...`: an agent's ticket work on the local backend, through the real ticket API.

About 420 lines, kept as one module: each subcommand is a few lines of argparse and one API request through the
same sign-in, state restore and printing; splitting them would scatter that shared path. The task commands
(complete-task) are the first to move out when it grows.

Each command signs in as a local agent (--agent, --team/--agent-team, --supervisor: the user pool claims the API
reads; given before or after the subcommand, except --team, which after `create` and `list` means the ticket's
team),
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
from callcenter.cli.common import DEMO_PROFILES, aware_datetime, console, error_console, import_profiles, positive

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


def task_table(tasks: Sequence[dict[str, Any]]) -> Any:
    """The ticket's Amazon Connect tasks (callcenter/ticket_tasks.py)."""
    from rich.table import Table

    table = Table(title=f"Amazon Connect tasks ({len(tasks)})")
    for column in ("task", "team", "status", "history #", "reason"):
        table.add_column(column)
    for task in tasks:
        table.add_row(task["task_contact_id"] or "-", task["team"], task["status"], str(task["history_entry"]),
                      task["reason"] or "")
    return table


def _print_ticket(api: TicketApi, ticket: dict[str, Any], out: Any) -> None:
    """The ticket's tables, then its tasks, after playing what AWS runs after a change (the stream, tasks)."""
    from callcenter.ticket_tasks import sync_tasks, task_rows

    sync_tasks(api.backend)
    for table in ticket_tables(ticket):
        out.print(table)
    tasks = task_rows(ticket["ticket_id"])
    if tasks:
        out.print(task_table(tasks))


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
    _print_ticket(api, ticket, out)
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
    from callcenter.ticket_tasks import task_rows

    ticket = api.get(args.ticket_id)
    if args.json:  # the API's ticket, and its Amazon Connect tasks from the ticket_tasks table
        return _print_json(out, {**ticket, "tasks": task_rows(ticket["ticket_id"])})
    _print_ticket(api, ticket, out)
    return 0


def do_complete_task(api: TicketApi, args: argparse.Namespace, out: Any) -> int:
    """An agent completes a task in Amazon Connect: the ticket it stands for is resolved."""
    from callcenter.ticket_tasks import complete_task, task_rows
    from functions.tickets.task_store import DynamoDBTaskStore

    task = DynamoDBTaskStore().task_by_contact(args.task_id)
    try:
        complete_task(api.backend, args.task_id)
    except (KeyError, ValueError) as exc:
        raise SystemExit(f"callcenter tickets complete-task: {exc.args[0]}") from None
    if task is None:
        out.print(f"Task {args.task_id} completed; it stands for no ticket.")
        return 0
    ticket = api.get(task.ticket_id)
    if args.json:
        return _print_json(out, {**ticket, "tasks": task_rows(ticket["ticket_id"])})
    out.print(f"Task {args.task_id} completed: ticket [bold]{ticket['ticket_id']}[/bold] is {ticket['status']}")
    _print_ticket(api, ticket, out)
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
    _print_ticket(api, ticket, out)
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
    "complete-task": (do_complete_task, True),
}


@contextmanager
def session(state: Path, profiles: Sequence[Any], agent: Agent, at: datetime | None, warn: Any,
            save: bool) -> Iterator[TicketApi]:
    """The local backend with the profiles and the saved tickets, as `agent`; the tickets saved afterwards
    (when `save`), also after a refused request: a change made before the refusal is kept."""
    from callcenter.backend import LocalBackend
    from callcenter.local_state import locked, read_state, restore, restore_tasks, snapshot, task_sections, write_state
    from callcenter.ticket_tasks import sync_tasks

    with locked(state):
        items = read_state(state)
        with LocalBackend() as backend:
            backend.load_profiles(list(profiles))
            restored = restore(items)
            restore_tasks(state, backend.connect)
            if restored.customers_missing:
                warn.print(f"note: {len(restored.customers_missing)} customer(s) with saved tickets are not in the "
                           f"profile file: {', '.join(restored.customers_missing[:5])}")
            backend.now = at
            try:
                yield TicketApi(backend, agent)
            finally:
                if save:  # what AWS runs after a change: ticket-events, then tasks (callcenter/ticket_tasks.py)
                    sync_tasks(backend)
                backend.now = None
                if save:
                    write_state(state, snapshot(), task_sections(backend.connect))


def run(args: argparse.Namespace) -> int:
    """The command's entry: the signed-in agent's request through the ticket API, on the local backend."""
    if args.tickets_command is None:
        args.tickets_parser.print_help()
        return 2
    out, err = console(), error_console()
    profiles = import_profiles(args.profiles, err, quiet=True).accepted
    return run_as_agent(args, profiles, out, err)


def run_as_agent(args: argparse.Namespace, profiles: Sequence[Any], out: Any, err: Any) -> int:
    from callcenter.local_state import StateFileError
    from flowlang.simulator import LambdaInvocationError

    action, writes = ACTIONS[args.tickets_command]
    teams = [*args.agent_teams, *getattr(args, "agent_teams_after", [])]
    agent = Agent(args.agent, tuple(dict.fromkeys(teams)), args.supervisor)
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


# --- the arguments -----------------------------------------------------------------------------------------

def _known_team(text: str) -> str:
    from functions.routing.policy import load_policy

    teams = load_policy().queues
    if text not in teams:
        raise argparse.ArgumentTypeError(f"unknown team {text!r}; teams: {', '.join(sorted(teams))}")
    return text


def _identity_options(parser: argparse.ArgumentParser, *, after: bool) -> None:
    """Who is signed in and where the tickets are kept. Given after the subcommand (`after`), an option
    overrides the same option given before it, and --agent-team adds to the teams given before."""
    import os

    from callcenter.local_state import DEFAULT_STATE

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if after else value

    parser.add_argument("--agent", default=default(os.environ.get("CALLCENTER_AGENT", "local-agent")),
                        help="the signed-in agent's user name (default: $CALLCENTER_AGENT or local-agent)")
    if after:
        parser.add_argument("--agent-team", dest="agent_teams_after", action="append", default=argparse.SUPPRESS,
                            type=_known_team, metavar="TEAM",
                            help="a team the agent belongs to (user pool group team-TEAM; repeatable)")
    else:
        parser.add_argument("--team", "--agent-team", dest="agent_teams", action="append", default=[],
                            type=_known_team, metavar="TEAM",
                            help="a team the agent belongs to (user pool group team-TEAM; repeatable; after the "
                                 "subcommand write --agent-team)")
    parser.add_argument("--supervisor", action="store_true", default=default(False),
                        help="the agent is in the supervisors group")
    parser.add_argument("--state", type=Path, default=default(DEFAULT_STATE), metavar="FILE",
                        help=f"where the local tickets are kept between commands (default: {DEFAULT_STATE})")
    parser.add_argument("--profiles", type=Path, default=default(DEMO_PROFILES), metavar="FILE",
                        help="profile file loaded first (default: demo/profiles.csv)")
    parser.add_argument("--at", type=aware_datetime, default=default(None), metavar="DATETIME",
                        help="act as if it were this moment, with its UTC offset (default: now)")
    parser.add_argument("--json", action="store_true", default=default(False),
                        help="print the API's JSON instead of tables")


def add_parser(sub: Any) -> None:
    from functions.common.ticket_overview import Status
    from functions.tickets.ticket import CATEGORIES, PRIORITIES

    tickets = sub.add_parser(
        "tickets", help="an agent's ticket work through the ticket API: create, list, show, update",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Sign in as a local agent and call the ticket API. Tickets are kept between commands in the\n"
                    "state file. The identity options (--agent, --team, --supervisor, --state, --profiles, --at,\n"
                    "--json) may come before or after the subcommand; after it, an agent's team is --agent-team.\n"
                    "For example:\n\n"
                    "  callcenter tickets --agent ana --team billing create --customer cust-ada \\\n"
                    "      --subject 'Charged twice' --category billing --team billing --priority 2\n"
                    "  callcenter tickets --agent ana --team billing list --team billing\n"
                    "  callcenter tickets show T261124ABC123 --agent ana --agent-team billing\n"
                    "  callcenter tickets --agent ana --team billing update T261124ABC123 \\\n"
                    "      --status in_progress --expected-version 1\n"
                    "  callcenter tickets --agent sue --supervisor list --overdue")
    _identity_options(tickets, after=False)
    actions = tickets.add_subparsers(dest="tickets_command", metavar="{create,list,show,update,complete-task}")

    create = actions.add_parser("create", help="open a ticket")
    create.add_argument("--customer", required=True, metavar="ID", help="customer id, e.g. cust-ada")
    create.add_argument("--subject", required=True, help="one line saying what the problem is")
    create.add_argument("--category", required=True, choices=CATEGORIES, help="what kind of problem it is")
    create.add_argument("--team", required=True, help="the team (queue) that owns the ticket")
    create.add_argument("--priority", type=int, choices=PRIORITIES, help="1 is the most urgent (default 3)")
    create.add_argument("--restricted", action="store_true", help="only its team and supervisors may see it")
    create.add_argument("--contact-id", metavar="ID", help="the call the ticket comes from")
    create.add_argument("--note", help="a first note on the ticket")
    create.add_argument("--request-id", metavar="ID",
                        help="idempotency key: the same id again returns the same ticket")

    listing = actions.add_parser("list", help="a customer's tickets, a team's queue, or the overdue tickets")
    which = listing.add_mutually_exclusive_group(required=True)
    which.add_argument("--customer", metavar="ID", help="this customer's open tickets, newest first")
    which.add_argument("--team", help="this team's open tickets, soonest due first")
    which.add_argument("--overdue", action="store_true", help="open tickets past their SLA")
    listing.add_argument("--all", action="store_true", help="with --customer: resolved and closed ones too")

    show = actions.add_parser("show", help="one ticket with its history")
    show.add_argument("ticket_id", metavar="TICKET", help="the ticket's id, e.g. T261124ABC123")

    update = actions.add_parser(
        "update", help="change one thing: status, assignment, team (escalate), priority; or add a note",
        description="Every change except a note needs --expected-version, the version you read (see `show`). "
                    "Without it nothing is changed and the current version is printed.")
    update.add_argument("ticket_id", metavar="TICKET", help="the ticket's id, e.g. T261124ABC123")
    update.add_argument("--expected-version", type=positive, metavar="N", help="the version you read")
    update.add_argument("--status", choices=[s.value for s in Status], help="the new status")
    update.add_argument("--assign", metavar="AGENT", help="assign the ticket to this agent")
    update.add_argument("--escalate", metavar="TEAM",
                        help="hand the ticket to this team (needs --reason)")
    update.add_argument("--reason", help="why it is escalated")
    update.add_argument("--priority", type=int, choices=PRIORITIES, help="new priority (with --escalate: raised to)")
    update.add_argument("--note", help="with --status: the change's note; otherwise added as a note")
    update.add_argument("--contact-id", metavar="ID", help="the call this change comes from")
    complete = actions.add_parser(
        "complete-task", help="an agent completes a ticket's Amazon Connect task (the ticket is then resolved)")
    complete.add_argument("task_id", metavar="TASK", help="the task contact's id, as `show` lists it")
    for action in (create, listing, show, update, complete):
        _identity_options(action, after=True)
    tickets.set_defaults(func=run, tickets_parser=tickets)
