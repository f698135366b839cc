"""`callcenter chat`: one customer chat through /chat/start, the chat flow and the routing Lambda, locally."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from callcenter.cli.common import DEMO_PROFILES, REPO_ROOT, aware_datetime, console, error_console, import_profiles, now


def add_parser(sub: Any) -> None:
    chat = sub.add_parser("chat", help="one customer chat through the chat flow",
                          description="One web chat: the page's POST /chat/start (the real chat-start handler), "
                                      "then the chat flow with the routing Lambda, on the local backend; prints "
                                      "what the customer read and where the chat was queued.")
    chat.add_argument("--from", dest="customer", required=True, metavar="CUSTOMER_ID|EMAIL|NUMBER",
                      help="an E.164 number or an email address: what an anonymous customer typed (routes the "
                           "chat, discloses nothing); anything else: a signed-in customer's id, signed by the "
                           "local stand-in of the site's backend")
    chat.add_argument("--say", action="append", default=[], metavar="TEXT",
                      help="what the customer writes next, in order (a quick reply: billing, support, sales, "
                           "agent, or its label); what the flow does not read waits for the agent (repeatable)")
    chat.add_argument("--name", default="Customer", metavar="NAME", help="the display name the agent sees")
    chat.add_argument("--at", type=aware_datetime, metavar="DATETIME",
                      help="when the chat starts, with its UTC offset, e.g. 2026-11-24T10:30:00-05:00 (default: now)")
    chat.add_argument("--profiles", type=Path, default=DEMO_PROFILES if DEMO_PROFILES.exists() else None,
                      metavar="FILE",
                      help=f"profile file to load first (default: {DEMO_PROFILES.relative_to(REPO_ROOT)})")
    chat.add_argument("--inject-fault", action="append", default=[], metavar="FUNCTION=KIND",
                      help="make a function fail: routing=error|timeout|throttle, chat-start=error (repeatable)")
    chat.add_argument("--json", action="store_true", help="one JSON object instead of the transcript")
    chat.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from callcenter.backend import FaultSpecError, LocalBackend, parse_faults
    from callcenter.chats import ChatRequest, run_chat

    out = console()
    errors = error_console()
    try:
        faults = parse_faults(args.inject_fault)
    except FaultSpecError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    if not args.customer.strip():
        raise SystemExit("callcenter: --from needs a customer id, an email address or an E.164 number")
    with LocalBackend(faults=faults) as backend:
        if args.profiles:
            backend.load_profiles(import_profiles(args.profiles, errors if args.json else out, quiet=True).accepted)
        result = run_chat(backend, ChatRequest(customer=args.customer, at=args.at or now(), says=tuple(args.say),
                                               display_name=args.name))
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str, ensure_ascii=False))
    else:
        render_chat(result, out)
    return 0 if result.start_status == 200 else 1


def render_chat(result: Any, out: Any) -> None:
    if result.start_status != 200:
        out.print(f"Chat refused ({result.start_status}): {result.start_body.get('reason')}: "
                  f"{result.start_body.get('message')}", markup=False)
        return
    out.print(f"Chat {result.contact_id} started", markup=False)
    for step in result.flow.steps:
        if step.data.get("text"):
            out.print(f"  bot: {step.data['text']}", markup=False)
        elif step.data.get("prompt"):
            out.print(f"  bot: {step.data['prompt']} [billing | support | sales | agent]", markup=False)
            if "key" in step.data:
                out.print(f"  customer: {step.data['key'] if step.data['key'] is not None else '(no reply)'}",
                          markup=False)
    for message in result.for_agent:
        out.print(f"  customer (for the agent): {message}", markup=False)
    attributes = result.attributes
    if result.flow.outcome == "queued":
        where = f"queued in {result.flow.queue} (priority {result.flow.priority or 5})"
    else:
        where = result.flow.outcome
    out.print(f"Outcome: {where}; reason {attributes.get('reason', '-')}; identity {attributes.get('identity', '-')}",
              markup=False)
