"""`callcenter sms`: a customer's text to the center's number, through the real sms-inbound function.

The surveys, follow-ups, opt-outs, SMS conversations, tickets and tasks are kept between runs in the state file
(the one `callcenter tickets` uses), so a survey texted by one run (`--survey-first`) is answered by the next, and
a second text from the same number goes into the open conversation's chat. `--agent-reply CONTACT` plays the
agent's side: their chat message is streamed and texted to the customer by sms-chat-replies (kept in the state
file's `sms_texted` section); `--end-chat CONTACT` ends the chat, which closes the conversation.
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
                    "  callcenter sms --from +14155550100 --text 'My router is down' --json\n"
                    "  callcenter sms --agent-reply chat-… --text 'We are on it'   (the agent answers the SMS)\n"
                    "  callcenter sms --end-chat chat-…                             (the agent ends the chat)")
    sms.add_argument("--from", dest="sender", metavar="NUMBER", help="the sender's number (E.164)")
    sms.add_argument("--text", help="what the customer texted (or, with --agent-reply, what the agent wrote)")
    sms.add_argument("--agent-reply", metavar="CONTACT", help="an agent's chat message in this SMS contact")
    sms.add_argument("--end-chat", metavar="CONTACT", help="the agent ends this SMS contact's chat")
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
    if args.agent_reply or args.end_chat:
        return _agent_side(args)
    if not args.sender or args.text is None:
        raise SystemExit("callcenter sms: --from and --text are required (or --agent-reply CONTACT --text, or "
                         "--end-chat CONTACT)")
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
    if result.conversation and not result.contacts:
        out.print(f"  into the open conversation's chat, SMS contact {result.conversation}")
    return 0


def _agent_side(args: argparse.Namespace) -> int:
    """`--agent-reply CONTACT --text T` or `--end-chat CONTACT`: the agent's side of an SMS conversation."""
    from callcenter.backend import LocalBackend
    from callcenter.local_state import (
        SMS_TABLES,
        StateFileError,
        locked,
        read_section,
        read_state,
        restore,
        restore_table_sections,
        snapshot,
        table_sections,
        write_state,
    )
    from callcenter.sms_local import agent_reply, end_chat

    if args.agent_reply and not args.text:
        raise SystemExit("callcenter sms: --agent-reply needs --text (what the agent wrote)")
    at = args.at or now()
    try:
        with locked(args.state):
            items = read_state(args.state)
            with LocalBackend() as backend:
                restore(items)
                restore_table_sections(args.state, SMS_TABLES)
                run = (agent_reply(backend, args.agent_reply, args.text, at) if args.agent_reply
                       else end_chat(backend, args.end_chat, at))
                texted = read_section(args.state, "sms_texted") + [
                    {"to": to, "body": body, "at": at.isoformat(), "contact_id": run.contact_id}
                    for to, body in run.texts]
                write_state(args.state, snapshot(), {**table_sections(SMS_TABLES), "sms_texted": texted})
    except StateFileError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    if args.json:
        print(json.dumps(run.to_json(), indent=2, ensure_ascii=False))
        return 0
    out = console()
    out.print(f"SMS contact {run.contact_id}: {', '.join(run.stream_reasons) or 'nothing streamed'}")
    for to, body in run.texts:
        out.print(f"  texted to {to}: {body}")
    return 0
