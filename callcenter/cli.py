"""`callcenter`: the local command. Everything runs in-process on moto; no AWS account needed.

  callcenter seed FILE                       validate a profile file and load it (locally, or --table on AWS)
  callcenter call --from +14155550100 ...    one call through the inbound flow, with its transcript
  callcenter simulate --calls N --seed S     a synthetic day of calls and its KPI report
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
        from functions.data import profiles as store

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
        request = CallRequest(caller=caller, at=at, dialed=args.to, keys=keys,
                              channel=args.channel.upper(), initiation_method=args.initiation.upper())
        result = place_call(backend, request)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        _render_call(result, console)
    return 0


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
    from functions.data.surveys import FollowUpItem, SurveyItem

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
                      help="a key the caller presses at the next prompt (repeatable; 'silence' for none)")
    call.add_argument("--at", type=_aware_datetime, help="when the call happens (default: now)")
    call.add_argument("--profiles", type=Path, default=DEMO_PROFILES if DEMO_PROFILES.exists() else None,
                      help=f"profile file to load first (default: {DEMO_PROFILES.relative_to(REPO_ROOT)})")
    call.add_argument("--inject-fault", action="append", default=[], metavar="FUNCTION=KIND",
                      help="routing=error|timeout|throttle")
    call.add_argument("--queue-full", action="append", default=[], metavar="QUEUE",
                      help="this queue is at capacity")
    call.add_argument("--channel", default="VOICE")
    call.add_argument("--initiation", default="INBOUND")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
