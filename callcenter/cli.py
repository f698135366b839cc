"""`callcenter`: the local command. Everything runs in-process on moto; no AWS account needed.

  callcenter seed FILE                       validate a profile file and load it (locally, or --table on AWS)
  callcenter call --from +14155550100 ...    one call through the inbound flow, with its transcript
  callcenter simulate --calls N --seed S     a synthetic day of calls and its KPI report
  callcenter tickets --agent ana --team billing list --team billing
                                             an agent's ticket work through the ticket API (create, list,
                                             show, update); tickets are kept in .callcenter/state.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_PROFILES = REPO_ROOT / "demo" / "profiles.csv"


def _console() -> Any:
    from rich.console import Console

    # Piped output (CI logs, files) gets a fixed width instead of rich's 80-column default.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


# --- argument types ---------------------------------------------------------------------------

def _aware_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date-time like 2026-11-23T21:00:00-05:00") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. 2026-11-23T21:00:00-05:00")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23") from exc


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# --- profiles ---------------------------------------------------------------------------------

def _import(path: Path, console: Any, quiet: bool = False) -> Any:
    from functions.profiles.importer import ProfileFileError, import_profile_file

    try:
        report = import_profile_file(path)
    except (OSError, ProfileFileError) as exc:
        raise SystemExit(f"callcenter: cannot read {path}: {exc}") from exc
    if not quiet or report.rejected:
        console.print(f"{path}: {len(report.accepted)} profile(s) accepted, {len(report.rejected)} rejected")
        for row in report.rejected:
            console.print(f"  line {row.line}: {row.reason}")
    return report


def cmd_seed(args: argparse.Namespace) -> int:
    console = _console()
    report = _import(args.file, console)
    if args.table:
        from functions.profiles import store as store

        store.ProfileItem.Meta.table_name = args.table
        written = store.save_profiles(report.accepted)
        console.print(f"wrote {written} profile(s) to DynamoDB table {args.table}")
    else:
        from callcenter.backend import LocalBackend

        with LocalBackend() as backend:
            written = backend.load_profiles(report.accepted)
        console.print(f"loaded {written} profile(s) into the local (in-memory) profiles table")
    return 1 if args.strict and report.rejected else 0


# --- call -------------------------------------------------------------------------------------

def _render_call(result: Any, console: Any) -> None:
    from rich.table import Table

    table = Table(title="Call transcript", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("action")
    table.add_column("what happened")
    table.add_column("branch")
    for index, step in enumerate(result.steps, start=1):
        what = step.summary
        if step.data.get("text"):  # the full prompt, not the simulator's one-line summary
            what = f'Play: "{step.data["text"]}"'
        elif step.data.get("prompt"):
            what = f'Ask: "{step.data["prompt"]}" -> {step.summary}'
        table.add_row(str(index), step.action_id, what, step.branch)
    console.print(table)
    shown = {k: v for k, v in result.attributes.items() if v and k != "queue_arn"}
    console.print("Contact attributes: " + ", ".join(f"{k}={v}" for k, v in sorted(shown.items())))
    where = f"queued in [bold]{result.queue}[/bold] (priority {result.priority or 5})" if (
        result.outcome == "queued") else f"[bold]{result.outcome}[/bold]"
    console.print(f"Outcome: {where}; reason {result.attributes.get('reason', '-')}")


def cmd_call(args: argparse.Namespace) -> int:
    from callcenter.backend import FaultSpecError, LocalBackend, parse_faults
    from callcenter.calls import CallRequest, KeyPressError, check_keys, place_call

    console = _console()
    try:
        faults = parse_faults(args.inject_fault)
        keys = tuple(check_keys(args.press))
    except (FaultSpecError, KeyPressError) as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    caller = None if args.caller.lower() in ("withheld", "anonymous", "none") else args.caller
    at = args.at or datetime.now(UTC)
    with LocalBackend(faults=faults, full_queues=args.queue_full,
                      log_level="INFO" if args.verbose else "ERROR") as backend:
        if args.profiles:
            report = _import(args.profiles, console if not args.json else _console_to_stderr(), quiet=True)
            backend.load_profiles(report.accepted)
        if args.state:
            _restore_tickets(args.state)
        if args.pin_on_file:
            _set_callers_pin(caller, args.pin_on_file, at)
        request = CallRequest(caller=caller, at=at, dialed=args.to, keys=keys,
                              channel=args.channel.upper(), initiation_method=args.initiation.upper())
        result = place_call(backend, request)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        _render_call(result, console)
    return 0


def _set_callers_pin(caller: str | None, pin: str, at: datetime) -> None:
    """As if an agent had set the caller's phone PIN before the call (PUT /customers/{id}/pin)."""
    from functions.common.phone import parse_phone
    from functions.profiles.pin import InvalidPin, hash_pin
    from functions.profiles.store import find_by_phone, set_pin

    e164 = parse_phone(caller).e164 if caller else None
    profile = find_by_phone(e164) if e164 else None
    if profile is None:
        raise SystemExit("callcenter: --pin-on-file needs a caller whose number is on a profile")
    try:
        set_pin(profile.customer_id, hash_pin(pin), at)
    except InvalidPin as exc:
        raise SystemExit(f"callcenter: --pin-on-file: {exc}") from exc


def _restore_tickets(state: Path) -> None:
    """The tickets saved by `callcenter tickets` (read only): the caller's screen pop shows them."""
    from callcenter.local_state import StateFileError, locked, read_state, restore

    try:
        with locked(state):
            restore(read_state(state))
    except StateFileError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc


def _console_to_stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


# --- simulate ---------------------------------------------------------------------------------

def _render_day(report: Any, coverage_lines: list[str], wall_s: float, console: Any) -> None:
    from rich.table import Table

    from callcenter.day import timing_summary

    console.print(f"\n[bold]Simulated day[/bold]: {report.calls} calls in {wall_s:.1f} s")
    console.print("Callers: " + ", ".join(f"{k} {v}" for k, v in report.caller_kinds.most_common()))
    console.print("Outcomes: " + ", ".join(f"{k} {v}" for k, v in report.outcomes.most_common()))

    mix = Table(title="Routing mix (queued calls)")
    mix.add_column("queue")
    mix.add_column("reason")
    mix.add_column("calls", justify="right")
    mix.add_column("share", justify="right")
    queued = sum(report.routed.values()) or 1
    for (queue, reason), count in sorted(report.routed.items(), key=lambda kv: (-kv[1], kv[0])):
        mix.add_row(queue, reason, str(count), f"{100 * count / queued:.1f}%")
    console.print(mix)

    handler = timing_summary(report.handler_ms_per_call)
    ddb = report.dynamodb_calls_per_call
    kpis = Table(title="KPIs")
    kpis.add_column("measure")
    kpis.add_column("value", justify="right")
    calls = report.calls or 1
    fallback_share = f"{report.fallbacks} ({100 * report.fallbacks / calls:.1f}%)"
    kpis.add_row("fallbacks (flow error branch -> default queue)", fallback_share)
    kpis.add_row("decided without profile (DynamoDB throttled)", str(report.without_profile))
    kpis.add_row("faults injected", ", ".join(f"{k} {v}" for k, v in report.faults_injected.items()) or "none")
    kpis.add_row("after-hours calls", f"{report.after_hours} ({100 * report.after_hours / calls:.1f}%)")
    kpis.add_row("menu offered / caller chose", f"{report.menu_offered} / {report.menu_chosen}")
    kpis.add_row("handler time per call, ms (mean / p50 / p95 / max)",
                 " / ".join(f"{handler[k]:.1f}" for k in ("mean", "p50", "p95", "max")))
    kpis.add_row("Lambda invocations per call (mean)", f"{report.invocations / calls:.2f}")
    kpis.add_row("DynamoDB requests per call (mean / max)",
                 f"{sum(ddb) / calls:.2f} / {max(ddb) if ddb else 0}")
    console.print(kpis)
    if report.surveys is not None:
        console.print(_survey_table(report))
    if report.tickets is not None:
        console.print(_tickets_table(report.tickets))
    for line in coverage_lines:
        console.print(line)


def _survey_table(report: Any) -> Any:
    from rich.table import Table

    from callcenter.day import timing_summary

    tally = report.surveys
    table = Table(title="After the call: post-call surveys")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("answered by an agent / abandoned in queue",
                  f"{report.answered_by_agent} / {report.abandoned_in_queue}")
    table.add_row("surveys dispatched (voice / sms)",
                  f"{tally.dispatched} ({tally.channels['voice']} / {tally.channels['sms']})")
    table.add_row("not surveyed, by reason", ", ".join(f"{k} {v}" for k, v in tally.skip_reasons.most_common()) or "-")
    table.add_row("delayed by quiet hours (still pending)", str(tally.statuses["delayed"]))
    table.add_row("response rate (answers / dispatched)", f"{100 * tally.response_rate:.1f}%")
    table.add_row("CSAT (share of 4 and 5)", f"{100 * tally.csat:.1f}%")
    average = sum(tally.scores) / len(tally.scores) if tally.scores else 0.0
    table.add_row("average score", f"{average:.2f} ({len(tally.scores)} answers)")
    table.add_row("first-contact resolution (said resolved)", f"{100 * tally.first_contact_resolution:.1f}%")
    table.add_row("low-score follow-ups opened", ", ".join(f"{k} {v}" for k, v in tally.followups.items()) or "0")
    dispatch = timing_summary(report.dispatcher_ms_per_message)
    table.add_row("dispatcher time per message, ms (mean / p95)", f"{dispatch['mean']:.1f} / {dispatch['p95']:.1f}")
    ddb = report.dynamodb_calls_per_survey_message
    table.add_row("DynamoDB requests per survey message (mean)", f"{sum(ddb) / len(ddb):.2f}" if ddb else "-")
    return table


def _tickets_table(tally: Any) -> Any:
    from rich.table import Table

    from callcenter.day import timing_summary

    def listed(counter: Any) -> str:
        return ", ".join(f"{k} {v}" for k, v in counter.most_common()) or "-"

    table = Table(title="Tickets (through the ticket API; counted from the tickets table at midnight)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("opened (by agents after calls / by survey follow-ups)",
                  f"{tally.opened} ({tally.opened_by['agent']} / {tally.opened_by['system']})")
    table.add_row("calls about an open ticket: note added instead of a new ticket", str(tally.notes_on_open_tickets))
    table.add_row("escalated to another team", str(tally.escalated))
    table.add_row("resolved during the day (some closed since)", str(tally.resolved_during_day))
    table.add_row("status at midnight", listed(tally.statuses))
    table.add_row("open at midnight / of them past SLA", f"{tally.open_at_end} / {tally.overdue_at_end}")
    table.add_row("calls showing an open ticket (screen pop) / one past SLA",
                  f"{tally.screen_pops} / {tally.screen_pops_overdue}")
    table.add_row("version conflicts met (409), read again and retried", str(tally.conflicts_retried))
    table.add_row("create requests repeated (200, same ticket, no duplicate)", str(tally.repeated_creates))
    notes = tally.notifications
    table.add_row("progress updates sent / held by quiet hours / skipped",
                  f"{notes['sent']} / {notes['delayed']} / {notes['skipped']}")
    table.add_row("updates sent by channel", listed(tally.notification_channels))
    table.add_row("updates skipped, by reason", listed(tally.notification_reasons))
    table.add_row("ticket API requests, by status", listed(tally.api_statuses))
    api = timing_summary(tally.api_ms)
    table.add_row("ticket API handler time per request, ms (p50 / p95)", f"{api['p50']:.1f} / {api['p95']:.1f}")
    ddb = tally.api_dynamodb_calls
    table.add_row("DynamoDB requests per ticket API request (mean)", f"{sum(ddb) / len(ddb):.2f}" if ddb else "-")
    return table


def cmd_simulate(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from callcenter.backend import LocalBackend
    from callcenter.day import plan_day, run_day
    from flowlang.simulator import FlowCoverage

    console = _console()
    profiles = _import(args.profiles, console, quiet=True).accepted if args.profiles else []
    day = args.date or datetime.now(UTC).date()
    plans = plan_day(profiles, args.calls, args.seed, day)
    coverage = FlowCoverage()
    started = time.perf_counter()
    with LocalBackend() as backend:
        backend.load_profiles(profiles)
        with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
            task = progress.add_task(f"Calls on {day.isoformat()}", total=len(plans))
            report = run_day(backend, plans, coverage, on_call=lambda: progress.advance(task), seed=args.seed)
    wall = time.perf_counter() - started
    from callcenter.calls import local_flow
    from flowlang.flow import flow_files

    coverage_lines = [line for name in flow_files() for line in coverage.report(name, local_flow(name)).format_report()]
    _render_day(report, coverage_lines, wall, console)
    return 0


# --- survey ---------------------------------------------------------------------------------

def cmd_survey(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from callcenter.backend import LocalBackend
    from callcenter.calls import CallRequest, KeyPressError, check_keys, place_call
    from callcenter.post_call import (
        AgentOutcome,
        contact_event_detail,
        deliver_survey_requests,
        publish_contact_event,
        scripted,
    )
    from functions.surveys.store import FollowUpItem, SurveyItem

    console = _console()
    try:
        keys = check_keys(args.press)
    except KeyPressError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    at = args.at or datetime.now(UTC)
    with LocalBackend() as backend:
        backend.load_profiles(_import(args.profiles, console, quiet=True).accepted)
        # The call being surveyed: answered by an agent, then ended.
        call = place_call(backend, CallRequest(caller=args.caller, at=at, contact_id=args.contact_id, keys=("0",)))
        outcome = AgentOutcome(answered=True, agent="agent-01", waited=timedelta(seconds=40),
                               talked=timedelta(minutes=6))
        detail, ended = contact_event_detail(call, args.contact_id, at, outcome)
        console.print(f"Call {args.contact_id}: {call.outcome} in {call.queue or '-'}, answered by agent-01, "
                      f"ended {ended.isoformat(timespec='minutes')}")
        publish_contact_event(detail, ended)
        # The dispatcher runs when the event arrives; quiet hours move the survey to when they end.
        results = deliver_survey_requests(backend, ended, scripted(keys), until=ended + timedelta(days=1))
        surveys = list(SurveyItem.query(args.contact_id))
        for survey in surveys:
            reason = f" ({survey.reason})" if survey.reason else ""
            console.print(f"Survey record: status={survey.status}{reason} channel={survey.channel or '-'} "
                          f"score={survey.score} resolved={survey.resolved}")
        if not surveys:
            console.print("No survey record: the contact was not one we survey (see the dispatcher's reasons)")
        for result in results:
            _render_call(result, console)
        for followup in FollowUpItem.scan():
            console.print(f"Follow-up opened: {followup.reason} for customer {followup.customer_id}")
    return 0


# --- outreach -------------------------------------------------------------------------------

def cmd_outreach(args: argparse.Namespace) -> int:
    from collections import Counter

    from rich.table import Table

    from callcenter.backend import LocalBackend
    from callcenter.outreach_day import run_outreach_day

    console = _console()
    with LocalBackend() as backend:
        backend.load_profiles(_import(args.profiles, console, quiet=True).accepted)
        run = run_outreach_day(backend, args.date, dry_run=args.dry_run, seed=args.seed)
    mode = " (dry run: planned only, nothing sent)" if args.dry_run else ""
    console.print(f"\n[bold]Proactive outreach on {run.day.isoformat()}[/bold]{mode}")
    for campaign, summary in run.plans.items():
        console.print(f"  {campaign}: " + ", ".join(f"{k}={v}" for k, v in summary.items()
                                                  if not isinstance(v, dict | list)))
    table = Table(title="Customers due")
    for column in ("campaign", "customer", "expires", "status", "channel", "reason"):
        table.add_column(column)
    for line in run.lines:
        table.add_row(line.campaign_id, line.customer_id, line.expires, line.status, line.channel or "-",
                      line.reason or "-")
    console.print(table)
    statuses = Counter(line.status for line in run.lines)
    console.print("By status: " + (", ".join(f"{k} {v}" for k, v in statuses.most_common()) or "nobody due"))
    if not args.dry_run:
        console.print(f"Reminder calls placed and answered through the outreach flow: {len(run.calls)}; "
                      f"texts sent: {run.texts}")
    return 0


# --- tickets --------------------------------------------------------------------------------

def _known_team(text: str) -> str:
    from functions.routing.policy import load_policy

    teams = load_policy().queues
    if text not in teams:
        raise argparse.ArgumentTypeError(f"unknown team {text!r}; teams: {', '.join(sorted(teams))}")
    return text


def cmd_tickets(args: argparse.Namespace) -> int:
    from rich.console import Console

    from callcenter.tickets_cli import run

    console = _console()
    errors = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 120)
    profiles = _import(args.profiles, errors, quiet=True).accepted
    return run(args, profiles, console, errors)


def _add_tickets_parser(sub: Any) -> None:
    from callcenter.local_state import DEFAULT_STATE
    from functions.common.ticket_overview import Status
    from functions.tickets.ticket import CATEGORIES, PRIORITIES

    tickets = sub.add_parser(
        "tickets", help="an agent's ticket work through the ticket API: create, list, show, update",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Sign in as a local agent (the options before the subcommand) and call the ticket API.\n"
                    "Tickets are kept between commands in the state file. For example:\n\n"
                    "  callcenter tickets --agent ana --team billing create --customer cust-ada \\\n"
                    "      --subject 'Charged twice' --category billing --team billing --priority 2\n"
                    "  callcenter tickets --agent ana --team billing list --team billing\n"
                    "  callcenter tickets --agent ana --team billing show T261124ABC123\n"
                    "  callcenter tickets --agent ana --team billing update T261124ABC123 \\\n"
                    "      --status in_progress --expected-version 1\n"
                    "  callcenter tickets --agent sue --supervisor list --overdue")
    tickets.add_argument("--agent", default=os.environ.get("CALLCENTER_AGENT", "local-agent"),
                         help="the signed-in agent's user name (default: $CALLCENTER_AGENT or local-agent)")
    tickets.add_argument("--team", dest="agent_teams", action="append", default=[], type=_known_team,
                         metavar="TEAM", help="a team the agent belongs to (user pool group team-TEAM; repeatable)")
    tickets.add_argument("--supervisor", action="store_true", help="the agent is in the supervisors group")
    tickets.add_argument("--state", type=Path, default=DEFAULT_STATE,
                         help=f"where the local tickets are kept between commands (default: {DEFAULT_STATE})")
    tickets.add_argument("--profiles", type=Path, default=DEMO_PROFILES,
                         help="profile file loaded first (default: demo/profiles.csv)")
    tickets.add_argument("--at", type=_aware_datetime, help="act as if it were this moment (default: now)")
    tickets.add_argument("--json", action="store_true", help="print the API's JSON instead of tables")
    actions = tickets.add_subparsers(dest="tickets_command", required=True)

    create = actions.add_parser("create", help="open a ticket")
    create.add_argument("--customer", required=True, help="customer id, e.g. cust-ada")
    create.add_argument("--subject", required=True)
    create.add_argument("--category", required=True, choices=CATEGORIES)
    create.add_argument("--team", required=True, help="the team (queue) that owns the ticket")
    create.add_argument("--priority", type=int, choices=PRIORITIES, help="1 is the most urgent (default 3)")
    create.add_argument("--restricted", action="store_true", help="only its team and supervisors may see it")
    create.add_argument("--contact-id", help="the call the ticket comes from")
    create.add_argument("--note")
    create.add_argument("--request-id", help="idempotency key: the same id again returns the same ticket")

    listing = actions.add_parser("list", help="a customer's tickets, a team's queue, or the overdue tickets")
    which = listing.add_mutually_exclusive_group(required=True)
    which.add_argument("--customer", help="this customer's open tickets, newest first")
    which.add_argument("--team", help="this team's open tickets, soonest due first")
    which.add_argument("--overdue", action="store_true", help="open tickets past their SLA")
    listing.add_argument("--all", action="store_true", help="with --customer: resolved and closed ones too")

    show = actions.add_parser("show", help="one ticket with its history")
    show.add_argument("ticket_id")

    update = actions.add_parser(
        "update", help="change one thing: status, assignment, team (escalate), priority; or add a note",
        description="Every change except a note needs --expected-version, the version you read (see `show`). "
                    "Without it nothing is changed and the current version is printed.")
    update.add_argument("ticket_id")
    update.add_argument("--expected-version", type=_positive, metavar="N", help="the version you read")
    update.add_argument("--status", choices=[s.value for s in Status])
    update.add_argument("--assign", metavar="AGENT")
    update.add_argument("--escalate", metavar="TEAM", help="hand the ticket to this team (needs --reason)")
    update.add_argument("--reason", help="why it is escalated")
    update.add_argument("--priority", type=int, choices=PRIORITIES, help="new priority (with --escalate: raised to)")
    update.add_argument("--note", help="with --status: the change's note; otherwise added as a note")
    update.add_argument("--contact-id", help="the call this change comes from")
    tickets.set_defaults(func=cmd_tickets)


# --- entry point ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed", help="validate a profile file (.csv, .jsonl, .json) and load it")
    seed.add_argument("file", type=Path)
    seed.add_argument("--table", help="write to this real DynamoDB table (needs AWS credentials)")
    seed.add_argument("--strict", action="store_true", help="exit 1 if any row was rejected")
    seed.set_defaults(func=cmd_seed)

    call = sub.add_parser("call", help="place one call through the inbound flow")
    call.add_argument("--from", dest="caller", required=True,
                      help="caller number, any format; 'withheld' for a hidden number")
    call.add_argument("--to", default="+18005550100", help="the number dialled (default: main line)")
    call.add_argument("--press", action="append", default=[],
                      help="what the caller types at the next prompt: a key, or several for a PIN "
                           "(repeatable; 'silence' for none)")
    call.add_argument("--at", type=_aware_datetime, help="when the call happens (default: now)")
    call.add_argument("--pin-on-file", metavar="PIN",
                      help="the caller's phone PIN, as an agent set it before the call (menu option 4 asks for it)")
    call.add_argument("--profiles", type=Path, default=DEMO_PROFILES if DEMO_PROFILES.exists() else None,
                      help=f"profile file to load first (default: {DEMO_PROFILES.relative_to(REPO_ROOT)})")
    call.add_argument("--inject-fault", action="append", default=[], metavar="FUNCTION=KIND",
                      help="routing=error|timeout|throttle")
    call.add_argument("--queue-full", action="append", default=[], metavar="QUEUE",
                      help="this queue is at capacity")
    call.add_argument("--channel", default="VOICE")
    call.add_argument("--initiation", default="INBOUND")
    call.add_argument("--state", type=Path, metavar="STATE",
                      help="also load the tickets kept by `callcenter tickets` (e.g. .callcenter/state.json), so "
                           "the caller's open tickets show in the routing")
    call.add_argument("--json", action="store_true", help="one JSON object instead of the transcript")
    call.add_argument("--verbose", action="store_true", help="show the handlers' logs")
    call.set_defaults(func=cmd_call)

    survey = sub.add_parser("survey", help="one answered call, its contact event, the dispatcher and the survey call")
    survey.add_argument("--contact-id", required=True, help="the id of the call being surveyed")
    survey.add_argument("--press", action="append", default=[],
                        help="the respondent's keys, one per question (repeatable; 'silence' for none)")
    survey.add_argument("--from", dest="caller", default="+14155550100",
                        help="the caller (default: a demo customer who consented to surveys)")
    survey.add_argument("--at", type=_aware_datetime, help="when the call started (default: now)")
    survey.add_argument("--profiles", type=Path, default=DEMO_PROFILES)
    survey.set_defaults(func=cmd_survey)

    outreach = sub.add_parser("outreach",
                              help="one day of proactive outreach: who is contacted, how, who is not and why")
    outreach.add_argument("--date", type=_iso_date, required=True, help="the day the campaigns' schedules fire")
    outreach.add_argument("--profiles", type=Path, default=DEMO_PROFILES)
    outreach.add_argument("--dry-run", action="store_true", help="plan only: nothing is sent")
    outreach.add_argument("--seed", type=int, default=1, help="for the simulated answers to reminder calls")
    outreach.set_defaults(func=cmd_outreach)

    simulate = sub.add_parser("simulate", help="a synthetic day of calls with a KPI report")
    simulate.add_argument("--calls", type=_positive, default=200)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--profiles", type=Path)
    simulate.add_argument("--date", type=_iso_date, help="the day to simulate (default: today)")
    simulate.set_defaults(func=cmd_simulate)

    _add_tickets_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
