"""`callcenter simulate`: a synthetic day of calls (surveys, tickets, updates) and its report.

The report keeps the business figures (what callers, customers and agents got; the same for the same seed and
day on any machine) apart from the engineering figures (faults injected and their effect, Lambda and DynamoDB
work, this machine's handler timings). Flow coverage is printed on request (--coverage).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from callcenter.cli.common import console, import_profiles, iso_date, positive, read_staffing, staffing_option, today

#: The lake part number `simulate` writes (outreach writes its own), replaced by a re-run of the same day.
RECORDS_PART = 0

#: What the survey dispatcher's reasons mean, in the words of the report.
SURVEY_REASONS = {
    "ABANDONED": "never reached an agent",
    "UNKNOWN_CUSTOMER": "caller not a known customer",
    "OPTED_OUT": "opted out",
    "NO_CONSENT": "no consent to surveys",
    "NO_REACHABLE_NUMBER": "no reachable number",
    "NO_CHANNEL": "no consented channel",
    "RECENTLY_SURVEYED": "surveyed in the last 30 days",
}


def add_parser(sub: Any) -> None:
    simulate = sub.add_parser("simulate", help="a synthetic day of calls with its report",
                              description="A synthetic day of calls through the real flows, handlers and tables: "
                                          "routing, surveys, tickets and progress updates. The same --seed and "
                                          "--date give the same business figures on any machine.")
    simulate.add_argument("--calls", type=positive, default=200, metavar="N",
                          help="how many customer contacts (default: 200; all calls unless --channels)")
    simulate.add_argument("--channels", type=Path, metavar="FILE",
                          help="split the contacts into calls, web chats and texts by the shares of FILE (e.g. "
                               "demo/channels.json; format: callcenter/channel_mix.py), and play the tasks of "
                               "escalated tickets (default: voice only, as before)")
    simulate.add_argument("--seed", type=int, default=1, metavar="SEED",
                          help="seed of the day's random choices (default: 1)")
    simulate.add_argument("--profiles", type=Path, metavar="FILE",
                          help="profile file loaded first; its customers make the known callers (default: none)")
    simulate.add_argument("--date", type=iso_date, metavar="DATE",
                          help="the day to simulate, e.g. 2026-11-24 (default: today, so figures change with the "
                               "day of the week: give a date to compare runs)")
    simulate.add_argument("--coverage", action="store_true",
                          help="also print which flow actions and branches the day's calls never took")
    staffing_option(simulate)
    simulate.add_argument("--records", type=Path, metavar="DIR",
                          help="write every contact's record (Amazon Connect's CTR, JSON lines) into DIR in the "
                               "lake layout (DIR/contact_records/dt=YYYY-MM-DD/), for `callcenter report --from DIR`")
    simulate.add_argument("--live", action="store_true",
                          help="show each queue (contacts waiting, oldest wait, agents available, service level of "
                               "the last 15 minutes) updating in the terminal while the day runs")
    simulate.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from callcenter.backend import LocalBackend
    from callcenter.cli.live import live_view
    from callcenter.day import run_day
    from callcenter.records import ContactLog, replace_records
    from flowlang.simulator import FlowCoverage

    out = console()
    profiles = import_profiles(args.profiles, out, quiet=True).accepted if args.profiles else []
    day = args.date or today()
    if args.date is None:
        out.print(f"note: no --date, so this is today ({day.isoformat()}); give --date to get the same figures "
                  "on another day", markup=False)
    staffing = read_staffing(args.staffing)
    plans = plan_contacts(profiles, args, day)
    mixed = args.channels is not None
    coverage = FlowCoverage()
    log = ContactLog() if args.records else None
    started = time.perf_counter()
    with LocalBackend() as backend:
        backend.load_profiles(profiles)
        if args.live:
            with live_view(out, f"Queues on {day.isoformat()}") as watch:
                report = run_day(backend, plans, coverage, seed=args.seed, staffing=staffing, log=log, watch=watch,
                                 tasks=mixed)
        else:
            with Progress(console=out, transient=True, disable=not out.is_terminal) as progress:
                task = progress.add_task(f"Contacts on {day.isoformat()}", total=len(plans))
                report = run_day(backend, plans, coverage, on_call=lambda: progress.advance(task), seed=args.seed,
                                 staffing=staffing, log=log, tasks=mixed)
        if args.records:  # read back from the day's tables while they exist
            from callcenter.lake_tables import agent_session_rows, survey_result_rows, ticket_record_rows
            from callcenter.sentiment_day import sentiment_summary_rows

            tables = dict(surveys=survey_result_rows(), tickets=ticket_record_rows(),
                          sessions=agent_session_rows(staffing, day), sentiments=sentiment_summary_rows())
    wall = time.perf_counter() - started
    render_business(report, day, args.seed, out)
    out.print(engineering_table(report, wall))
    if log is not None:
        from callcenter.lake_tables import write_day_tables

        files = replace_records(log.records, args.records, part=RECORDS_PART)
        written = write_day_tables(args.records, part=RECORDS_PART, **tables)
        out.print(f"Contact records: {len(log.records)} in {args.records} ({len(files)} file(s)); "
                  + "".join(f"{table} {count}; " for table, count in written.items())
                  + f"read them with: callcenter report --from {args.records}", markup=False, soft_wrap=True)
    if args.coverage:
        from callcenter.calls import local_flow
        from flowlang.flow import flow_files

        for name in flow_files():
            for line in coverage.report(name, local_flow(name)).format_report():
                out.print(line, markup=False)
    else:
        out.print("Flow coverage (actions and branches never taken): add --coverage")
    return 0


def plan_contacts(profiles: list[Any], args: argparse.Namespace, day: date) -> list[Any]:
    """The day's calls, or with --channels its calls, chats and texts in the file's shares (a bad file ends the
    command saying what is wrong and where)."""
    from callcenter.day import plan_day

    if args.channels is None:
        return plan_day(profiles, args.calls, args.seed, day)
    from callcenter.channel_mix import ChannelMixError, load_channel_mix, plan_mixed_day

    try:
        mix = load_channel_mix(args.channels)
    except ChannelMixError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    return plan_mixed_day(profiles, mix, args.calls, args.seed, day)


# --- business figures: the same for the same seed and day ----------------------------------------------------

def closed_all_day(day: date) -> bool:
    """Whether the center's default queue is closed all of `day` (a weekend or holiday in its hours)."""
    from zoneinfo import ZoneInfo

    from functions.routing.policy import load_policy

    policy = load_policy()
    hours = policy.hours_for(policy.default_queue)
    start = datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(policy.center_time_zone))
    return not any(hours.is_open(start + timedelta(minutes=15 * step)) for step in range(24 * 4))


def listed(counter: Counter[Any], names: dict[str, str] | None = None) -> str:
    names = names or {}
    return ", ".join(f"{names.get(str(k), str(k))} {v}" for k, v in counter.most_common()) or "-"


def render_business(report: Any, day: date, seed: int, out: Any) -> None:
    from rich.table import Table

    word = "contacts" if any(kind.startswith(("chat-", "sms-")) for kind in report.caller_kinds) else "calls"
    out.print(f"\n[bold]Simulated day {day.isoformat()} ({day:%A})[/bold]: {report.calls} {word}, seed {seed}")
    calls = report.calls or 1
    if closed_all_day(day):
        out.print(f"[bold]The center is closed all day on {day:%A} {day.isoformat()}[/bold]: {report.after_hours} of "
                  f"{report.calls} calls heard the after-hours message. Give --date a business day "
                  "(e.g. --date 2026-11-24) to see a working day.")
    elif report.after_hours > calls / 2:
        out.print(f"[bold]Most calls came while the center was closed[/bold]: {report.after_hours} of {report.calls}.")
    out.print("Contacts by channel: " + channel_counts(report))
    out.print("Callers: " + ", ".join(f"{k} {v}" for k, v in report.caller_kinds.most_common()))
    out.print("Outcomes: " + ", ".join(f"{k} {v}" for k, v in report.outcomes.most_common()))

    # a day with chats or texts queues those too (tasks are not routed by the policy): name what was counted
    mixed = any(report.channels[channel] for channel in ("CHAT", "SMS"))
    noun, kinds, left = ("contacts", " (calls, chats, texts)", "left") if mixed else ("calls", "", "hung up")
    mix = Table(title=f"Routing mix (queued {noun})")
    mix.add_column("queue")
    mix.add_column("reason")
    mix.add_column(noun, justify="right")
    mix.add_column("share", justify="right")
    queued = sum(report.routed.values()) or 1
    for (queue, reason), count in sorted(report.routed.items(), key=lambda kv: (-kv[1], kv[0])):
        mix.add_row(queue, reason, str(count), f"{100 * count / queued:.1f}%")
    out.print(mix)

    service = Table(title="Service (what the callers got)")
    service.add_column("measure")
    service.add_column("value", justify="right")
    service.add_row("calls while the center was closed (after-hours message)",
                    f"{report.after_hours} ({100 * report.after_hours / calls:.1f}%)")
    service.add_row("menu offered / caller chose", f"{report.menu_offered} / {report.menu_chosen}")
    service.add_row(f"queued {noun}{kinds}", str(sum(report.routed.values())))
    service.add_row(f"queued {noun}{kinds} answered by an agent", str(report.answered_by_agent))
    service.add_row(f"queued {noun}{kinds} that {left} before an agent answered", str(report.abandoned_in_queue))
    out.print(service)
    if report.surveys is not None:
        out.print(survey_table(report.surveys))
    if report.tickets is not None:
        out.print(tickets_table(report.tickets))


def channel_counts(report: Any) -> str:
    """The day's contacts per channel, named as the KPI report names them; tasks counted when they ended."""
    counts = ", ".join(f"{channel} {report.channels[channel]}" for channel in ("VOICE", "CHAT", "SMS", "TASK")
                       if report.channels[channel])
    if report.tasks_started:
        counts += f" (tasks started {report.tasks_started})"
    if report.not_contacts:
        counts += "; no contact started: " + listed(report.not_contacts)
    return counts or "-"


def survey_table(tally: Any) -> Any:
    from rich.table import Table

    table = Table(title="After the call: post-call surveys")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("surveys dispatched (voice / sms)",
                  f"{tally.dispatched} ({tally.channels['voice']} / {tally.channels['sms']})")
    table.add_row("contacts not surveyed, by reason", listed(tally.skip_reasons, SURVEY_REASONS))
    table.add_row("delayed by quiet hours (still pending)", str(tally.statuses["delayed"]))
    table.add_row("response rate (answers / dispatched)", f"{100 * tally.response_rate:.1f}%")
    table.add_row("CSAT (share of 4 and 5)", f"{100 * tally.csat:.1f}%")
    average = sum(tally.scores) / len(tally.scores) if tally.scores else 0.0
    table.add_row("average score", f"{average:.2f} ({len(tally.scores)} answers)")
    table.add_row("first-contact resolution (said resolved)", f"{100 * tally.first_contact_resolution:.1f}%")
    table.add_row("low-score follow-ups opened", ", ".join(f"{k} {v}" for k, v in tally.followups.items()) or "0")
    return table


def tickets_table(tally: Any) -> Any:
    from rich.table import Table

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
    notes = tally.notifications
    table.add_row("progress updates sent / held by quiet hours / skipped",
                  f"{notes['sent']} / {notes['delayed']} / {notes['skipped']}")
    table.add_row("updates sent by channel", listed(tally.notification_channels))
    table.add_row("updates skipped, by reason", listed(tally.notification_reasons))
    return table


# --- engineering figures: faults, Lambda and DynamoDB work, this machine's timings ----------------------------

def engineering_table(report: Any, wall_s: float) -> Any:
    from rich.table import Table

    from callcenter.day import timing_summary

    table = Table(title="Engineering (local backend; the times are this machine's)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    calls = report.calls or 1
    table.add_row("faults injected into routing", listed(report.faults_injected) if report.faults_injected else "none")
    table.add_row("failed Lambda invocations (function outcome)", listed(report.failed_invocations)
                  if report.failed_invocations else "none")
    table.add_row("fallbacks (flow error branch -> default queue)",
                  f"{report.fallbacks} ({100 * report.fallbacks / calls:.1f}%)")
    table.add_row("decided without profile (DynamoDB throttled)", str(report.without_profile))
    table.add_row("Lambda invocations per call (mean)", f"{report.invocations / calls:.2f}")
    ddb = report.dynamodb_calls_per_call
    table.add_row("DynamoDB requests per call (mean / max)", f"{sum(ddb) / calls:.2f} / {max(ddb) if ddb else 0}")
    ddb = report.dynamodb_calls_per_survey_message
    table.add_row("DynamoDB requests per survey message (mean)", f"{sum(ddb) / len(ddb):.2f}" if ddb else "-")
    tickets = report.tickets
    if tickets is not None:
        table.add_row("ticket API requests, by status", listed(tickets.api_statuses))
        table.add_row("ticket version conflicts met (409), read again and retried", str(tickets.conflicts_retried))
        table.add_row("ticket create requests repeated (200, same ticket, no duplicate)",
                      str(tickets.repeated_creates))
        ddb = tickets.api_dynamodb_calls
        table.add_row("DynamoDB requests per ticket API request (mean)", f"{sum(ddb) / len(ddb):.2f}" if ddb else "-")
    handler = timing_summary(report.handler_ms_per_call)
    table.add_row("flow Lambdas' handler time per call, ms (mean / p50 / p95 / max)",
                  " / ".join(f"{handler[k]:.1f}" for k in ("mean", "p50", "p95", "max")))
    dispatch = timing_summary(report.dispatcher_ms_per_message)
    table.add_row("survey dispatcher time per message, ms (mean / p95)",
                  f"{dispatch['mean']:.1f} / {dispatch['p95']:.1f}")
    if tickets is not None:
        api = timing_summary(tickets.api_ms)
        table.add_row("ticket API handler time per request, ms (p50 / p95)", f"{api['p50']:.1f} / {api['p95']:.1f}")
    table.add_row("wall time of the simulation, s", f"{wall_s:.1f}")
    return table
