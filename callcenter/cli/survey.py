"""`callcenter survey`: one answered call, its contact event, the survey dispatcher and the survey call."""

from __future__ import annotations

import argparse
from typing import Any

from callcenter.cli.call import render_call
from callcenter.cli.common import aware_datetime, console, import_profiles, now, profiles_option


def add_parser(sub: Any) -> None:
    survey = sub.add_parser("survey", help="one answered call, its contact event, the dispatcher and the survey call",
                            description="A call answered by an agent ends; Connect's contact event reaches the "
                                        "survey dispatcher, which decides (consent, quiet hours...) and calls the "
                                        "customer back with the survey flow.")
    survey.add_argument("--contact-id", required=True, metavar="ID", help="the id of the call being surveyed")
    survey.add_argument("--press", action="append", default=[], metavar="KEY",
                        help="the respondent's keys, one per question (repeatable; 'silence' for none)")
    survey.add_argument("--from", dest="caller", default="+14155550100", metavar="NUMBER",
                        help="the caller (default: a demo customer who consented to surveys)")
    survey.add_argument("--at", type=aware_datetime, metavar="DATETIME",
                        help="when the call started, with its UTC offset (default: now)")
    profiles_option(survey)
    survey.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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

    out = console()
    try:
        keys = check_keys(args.press)
    except KeyPressError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    at = args.at or now()
    with LocalBackend() as backend:
        backend.load_profiles(import_profiles(args.profiles, out, quiet=True).accepted)
        # The call being surveyed: answered by an agent, then ended.
        call = place_call(backend, CallRequest(caller=args.caller, at=at, contact_id=args.contact_id, keys=("0",)))
        outcome = AgentOutcome(answered=True, agent="agent-01", waited=timedelta(seconds=40),
                               talked=timedelta(minutes=6))
        detail, ended = contact_event_detail(call, args.contact_id, at, outcome)
        out.print(f"Call {args.contact_id}: {call.outcome} in {call.queue or '-'}, answered by agent-01, "
                  f"ended {ended.isoformat(timespec='minutes')}")
        publish_contact_event(detail, ended)
        # The dispatcher runs when the event arrives; quiet hours move the survey to when they end.
        results = deliver_survey_requests(backend, ended, scripted(keys), until=ended + timedelta(days=1))
        surveys = list(SurveyItem.query(args.contact_id))
        for survey in surveys:
            reason = f" ({survey.reason})" if survey.reason else ""
            out.print(f"Survey record: status={survey.status}{reason} channel={survey.channel or '-'} "
                      f"score={survey.score} resolved={survey.resolved}")
        if not surveys:
            out.print("No survey record: the contact was not one we survey (see the dispatcher's reasons)")
        for result in results:
            render_call(result, out)
        for followup in FollowUpItem.scan():
            out.print(f"Follow-up opened: {followup.reason} for customer {followup.customer_id}")
    return 0
