"""`callcenter call`: one call through the inbound flow on the local backend, with its transcript."""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from callcenter.cli.common import (
    CHANNELS,
    DEMO_PROFILES,
    INITIATIONS,
    REPO_ROOT,
    aware_datetime,
    console,
    error_console,
    import_profiles,
    known_queue,
    now,
    one_of,
    phone_number,
)

MAIN_LINE = "+18005550100"


def add_parser(sub: Any) -> None:
    call = sub.add_parser("call", help="place one call through the inbound flow",
                          description="One call through the inbound flow file, the routing Lambda and the "
                                      "tables, on the local backend; prints every flow action that ran.")
    call.add_argument("--from", dest="caller", required=True, metavar="NUMBER",
                      help="caller number, any format; 'withheld' for a hidden number")
    call.add_argument("--to", default=MAIN_LINE, type=phone_number, metavar="NUMBER",
                      help=f"the number dialled (default: the main line {MAIN_LINE})")
    call.add_argument("--press", action="append", default=[], metavar="KEYS",
                      help="what the caller types at the next prompt: a key, or several for a PIN "
                           "(repeatable; 'silence' for none)")
    call.add_argument("--at", type=aware_datetime, metavar="DATETIME",
                      help="when the call happens, with its UTC offset, e.g. 2026-11-24T10:30:00-05:00 "
                           "(default: now; outside the center's hours the call hears the after-hours message)")
    call.add_argument("--pin-on-file", metavar="PIN",
                      help="the caller's phone PIN, as an agent set it before the call (menu option 4 asks for it)")
    call.add_argument("--profiles", type=Path, default=DEMO_PROFILES if DEMO_PROFILES.exists() else None,
                      metavar="FILE",
                      help=f"profile file to load first (default: {DEMO_PROFILES.relative_to(REPO_ROOT)})")
    call.add_argument("--inject-fault", action="append", default=[], metavar="FUNCTION=KIND",
                      help="make a function fail: routing=error|timeout|throttle (repeatable)")
    call.add_argument("--queue-full", action="append", default=[], metavar="QUEUE", type=known_queue,
                      help="this queue is at capacity (repeatable)")
    call.add_argument("--channel", default="VOICE", type=one_of(CHANNELS), metavar="CHANNEL",
                      help=f"the contact's channel: {', '.join(CHANNELS)} (default: VOICE)")
    call.add_argument("--initiation", default="INBOUND", type=one_of(INITIATIONS), metavar="METHOD",
                      help=f"how the contact started: {', '.join(INITIATIONS)} (default: INBOUND)")
    call.add_argument("--state", type=Path, metavar="STATE",
                      help="also load the tickets kept by `callcenter tickets` (e.g. .callcenter/state.json), so "
                           "the caller's open tickets show in the routing")
    call.add_argument("--transcript", type=Path, metavar="FILE",
                      help="after the call is queued, play this Contact Lens real-time transcript for it (JSON lines "
                           "of segment records; its ContactId is replaced by the call's, its offsets are simulated "
                           "time from then) and show the agent's hints and the supervisors' alerts with their delay")
    call.add_argument("--json", action="store_true", help="one JSON object instead of the transcript")
    call.add_argument("--verbose", action="store_true",
                      help="also show the handlers' logs (JSON, numbers masked) on stderr")
    call.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from callcenter.backend import FaultSpecError, LocalBackend, parse_faults
    from callcenter.calls import CallRequest, KeyPressError, check_keys, place_call

    out = console()
    errors = error_console()
    try:
        faults = parse_faults(args.inject_fault)
        keys = tuple(check_keys(args.press))
    except (FaultSpecError, KeyPressError) as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    caller = None if args.caller.lower() in ("withheld", "anonymous", "none") else args.caller
    at = args.at or now()
    with LocalBackend(faults=faults, full_queues=args.queue_full,
                      log_level="INFO" if args.verbose else "ERROR") as backend:
        if args.profiles:
            report = import_profiles(args.profiles, errors if args.json else out, quiet=True)
            backend.load_profiles(report.accepted)
        if args.state:
            restore_tickets(args.state)
        if args.pin_on_file:
            set_callers_pin(caller, args.pin_on_file, at)
        request = CallRequest(caller=caller, at=at, dialed=args.to, keys=keys,
                              channel=args.channel, initiation_method=args.initiation, contact_id=str(uuid.uuid4()))
        result = place_call(backend, request)
        sentiment = (play_call_transcript(backend, args.transcript, request.contact_id, at) if args.transcript
                     else None)
    if args.json:
        document = result.to_json()
        if sentiment is not None:
            document.update(sentiment_json(sentiment))
        print(json.dumps(document, indent=2, default=str))
    else:
        render_call(result, out)
        if sentiment is not None:
            render_sentiment(sentiment, out)
    if args.verbose:
        show_logs(backend.handler_logs, errors)
    for warning in call_warnings(result, keys):
        errors.print(f"note: {warning}", markup=False)
    return 0


def play_call_transcript(backend: Any, path: Path, contact_id: str, at: datetime) -> Any:
    """The transcript played for the call just placed, from the moment it was queued (simulated time)."""
    from callcenter.sentiment_stream import TranscriptError, play_transcript, read_transcript

    try:
        records, skipped = read_transcript(path, contact_id)
    except TranscriptError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    return play_transcript(backend, records, contact_id, at, file_skipped=skipped)


def sentiment_json(played: Any) -> dict[str, Any]:
    return {"hints": played.hints, "alerts": played.alerts, "sentiment": {
        "records": played.records, "summary": played.summary, "skipped": played.skipped,
        "file_skipped": played.file_skipped, "dead_letters": len(played.report.dead_letters)}}


def render_sentiment(played: Any, out: Any) -> None:
    from rich.table import Table

    table = Table(title=f"Live sentiment ({played.records} transcript records)")
    table.add_column("after", justify="right")
    table.add_column("to")
    table.add_column("rule")
    table.add_column("text")
    shown = [(h["delay_seconds"], "agent", h["rule"], h["text"]) for h in played.hints]
    shown += [(a["delay_seconds"], f"supervisors ({a['team']})", a["rule"], a["text"]) for a in played.alerts]
    for delay, to, rule, text in sorted(shown, key=lambda row: row[0]):
        table.add_row(f"{delay:.1f} s", to, rule, text)
    out.print(table if shown else "Live sentiment: no hint, no alert")
    if played.summary:
        summary = played.summary
        out.print(f"Sentiment summary: start {summary['start_score']}, end {summary['end_score']}"
                  f"{' (ended negative)' if summary['ended_negative'] else ''}; "
                  f"rules fired: {', '.join(summary['rules_fired']) or 'none'}")
    skipped = [f"{reason} x{count}" for reason, count in played.skipped.items()] + played.file_skipped
    if skipped:
        out.print("Skipped: " + "; ".join(skipped), markup=False)


def show_logs(logs: list[tuple[str, str]], errors: Any) -> None:
    """The handlers' log lines as they wrote them (numbers masked, names never logged), one per line."""
    errors.print(f"Handler logs ({len(logs)} line(s)):", markup=False)
    for function, line in logs:
        errors.print(f"[{function}] {line}", markup=False, highlight=False, soft_wrap=True)


def keys_read(result: Any) -> int:
    """How many of the caller's entries the flow's prompts read (silence counts as an entry)."""
    return sum(1 for step in result.steps if "key" in step.data)


def closed_at(result: Any) -> bool:
    return any(step.action_id.startswith("after-hours") for step in result.steps)


def call_warnings(result: Any, keys: tuple[str | None, ...]) -> list[str]:
    """What a newcomer would otherwise miss: the center was closed, keys pressed that no prompt read."""
    warnings = []
    if closed_at(result):
        warnings.append("the center was closed at this time, so the caller heard the after-hours message; "
                        "give --at a moment in business hours (e.g. --at 2026-11-24T10:30:00-05:00) to reach "
                        "an agent's queue")
    unread = keys[keys_read(result):]
    if unread:
        shown = ", ".join("silence" if key is None else key for key in unread)
        warnings.append(f"{len(unread)} key(s) pressed but never read, because no prompt asked for them: {shown}")
    return warnings


def render_call(result: Any, out: Any) -> None:
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
    out.print(table)
    shown = {k: v for k, v in result.attributes.items() if v and k != "queue_arn"}
    out.print("Contact attributes: " + ", ".join(f"{k}={v}" for k, v in sorted(shown.items())))
    if result.outcome == "queued":
        where = f"queued in [bold]{result.queue}[/bold] (priority {result.priority or 5})"
    elif closed_at(result):
        where = "[bold]closed[/bold]: the center is outside its hours, the caller heard when it opens"
    else:
        where = f"[bold]{result.outcome}[/bold]"
    out.print(f"Outcome: {where}; reason {result.attributes.get('reason', '-')}")


def set_callers_pin(caller: str | None, pin: str, at: datetime) -> None:
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


def restore_tickets(state: Path) -> None:
    """The tickets saved by `callcenter tickets` (read only): the caller's screen pop shows them."""
    from callcenter.local_state import StateFileError, locked, read_state, restore

    try:
        with locked(state):
            restore(read_state(state))
    except StateFileError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
