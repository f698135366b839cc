"""`callcenter sms`: a customer's text to the center's number, through the real sms-inbound function.

The surveys, follow-ups, opt-outs, tickets and tasks are kept between runs in the state file (the one
`callcenter tickets` uses), so a survey texted by one run (`--survey-first`) is answered by the next.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from callcenter.cli.common import aware_datetime, console, error_console, import_profiles, now, profiles_option


def add_parser(sub: Any) -> None:
    from callcenter.local_state import DEFAULT_STATE

    sms = sub.add_parser(
        "sms", help="a customer's SMS to the center's number: STOP, a survey reply, or a contact for an agent",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="End User Messaging delivers the text to the sms-inbound function: STOP opts the customer out\n"
                    "of every campaign, a survey reply (a digit 1-5, then Y or N) is recorded once, anything else\n"
                    "becomes an SMS contact routed by the SMS flow. For example:\n\n"
                    "  callcenter sms --from +12065550180 --survey-first --text 2 --at 2026-11-24T10:30:00-05:00\n"
                    "  callcenter sms --from +12065550180 --text N --deliveries 2 --at 2026-11-24T10:35:00-05:00\n"
                    "  callcenter sms --from +14155550100 --text 'My router is down' --json")
    sms.add_argument("--from", dest="sender", required=True, metavar="NUMBER", help="the sender's number (E.164)")
    sms.add_argument("--text", required=True, help="what the customer texted")
    sms.add_argument("--at", type=aware_datetime, metavar="DATETIME",
                     help="when it arrives, with its UTC offset (default: now)")
    sms.add_argument("--deliveries", type=int, default=1, choices=range(1, 6), metavar="N",
                     help="deliver the same message N times (a carrier or SNS duplicate; default 1)")
    sms.add_argument("--survey-first", action="store_true",
                     help="first end an answered call from this number, so the dispatcher texts its survey")
    sms.add_argument("--state", type=Path, default=DEFAULT_STATE, metavar="FILE",
                     help=f"where surveys, opt-outs and tickets are kept between commands (default: {DEFAULT_STATE})")
    sms.add_argument("--json", action="store_true", help="one JSON object instead of the summary")
    profiles_option(sms)
    sms.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from callcenter.backend import LocalBackend
    from callcenter.local_state import (
        SMS_TABLES,
        StateFileError,
        locked,
        opted_out_section,
        read_state,
        restore,
        restore_opted_out,
        restore_table_sections,
        restore_tasks,
        snapshot,
        table_sections,
        task_sections,
        write_state,
    )
    from callcenter.sms_local import receive_sms, send_sms_survey
    from functions.common.phone import InvalidPhoneNumber, normalize_e164

    out, err = console(), error_console()
    try:
        sender = normalize_e164(args.sender)
    except InvalidPhoneNumber as exc:
        raise SystemExit(f"callcenter sms: --from {args.sender!r}: {exc}") from None
    at = args.at or now()
    profiles = import_profiles(args.profiles, err, quiet=True).accepted
    try:
        with locked(args.state):
            items = read_state(args.state)
            with LocalBackend() as backend:
                backend.load_profiles(list(profiles))
                restore(items)
                restore_tasks(args.state, backend.connect)
                restore_table_sections(args.state, SMS_TABLES)
                restore_opted_out(args.state)
                if args.survey_first:
                    send_sms_survey(backend, sender, at)
                    surveyed = [t.body for t in backend.connect.texts if t.destination == sender]
                    if not args.json:
                        out.print(f"Survey texted: {surveyed[-1]!r}" if surveyed else
                                  "No SMS survey was sent (the customer is not one we survey by SMS)")
                result = receive_sms(backend, sender, args.text, at, deliveries=args.deliveries)
                write_state(args.state, snapshot(), {**task_sections(backend.connect), **table_sections(SMS_TABLES),
                                                     **opted_out_section()})
    except StateFileError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str, ensure_ascii=False))
        return 0
    out.print(f"{len(args.text)} characters from {sender}, delivered {args.deliveries} time(s): "
              f"{', '.join(r for r in result.reasons)}")
    for reason in result.survey_reasons:
        if reason:
            out.print(f"  survey: {reason}")
    for reply in result.replies:
        out.print(f"  texted back: {reply}")
    for contact_id, contact in result.contacts:
        out.print(f"  SMS contact {contact_id}: {contact.outcome} in {contact.queue or '-'} "
                  f"(reason {contact.attributes.get('reason', '-')})")
    return 0
