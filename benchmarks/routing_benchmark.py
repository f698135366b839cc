"""Routing handler benchmark: cold-start import time, time per decision, DynamoDB requests per decision.

Run with `make bench`. Prints figures; asserts nothing (targets are read, not enforced in tests).

- Import (cold start): median over fresh interpreter processes of importing the handler module,
  beside a bare `import boto3` measured the same way in the same run. Most of the difference is
  the X-Ray SDK, which Powertools' Tracer imports and which creates two botocore clients at import.
- First decision: in a fresh process with the handler imported, the first call (loads and
  validates the policy, builds the DynamoDB client) on moto.
- Warm time per decision: the handler called in-process on the local backend (moto DynamoDB, which
  adds its own in-process cost), and the decision logic alone with an in-memory profile store.
- DynamoDB requests per decision, by kind of caller, counted at botocore's event layer. The caller
  with tickets has three (one past its SLA) on the profile's screen-pop map: the by_phone Query
  brings them along, so the figure stays 1; the ticket follow-up (menu 4, then 1) reads none.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RUNS = 9
DECISIONS = 600


def _fresh_process_seconds(statement: str, setup: str = "") -> float:
    code = (
        "import os, time\n"
        "os.environ.update(AWS_DEFAULT_REGION='us-east-1', POWERTOOLS_TRACE_DISABLED='true', "
        "POWERTOOLS_LOG_LEVEL='ERROR')\n"
        f"{setup}\n"
        "t = time.perf_counter()\n"
        f"{statement}\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def _median_ms(statement: str, setup: str = "") -> tuple[float, float]:
    samples = [_fresh_process_seconds(statement, setup) * 1000 for _ in range(RUNS)]
    return statistics.median(samples), min(samples)


def cold_start() -> dict[str, tuple[float, float]]:
    first_call_setup = (
        "from callcenter.backend import LocalBackend\n"
        "from functions.profiles.store import save_profiles\n"
        "from functions.profiles.profile import CustomerProfile\n"
        "import json\n"
        "backend = LocalBackend(log_level='ERROR').__enter__()\n"
        "save_profiles([CustomerProfile('c1', '+14155550100', 'Ada', tier='vip')])\n"
        "event = json.load(open('events/connect_inbound_voice.json'))\n"
        "from callcenter.backend import LocalLambdaContext\n"
        "ctx = LocalLambdaContext('routing', 'arn:aws:lambda:us-east-1:1:function:routing', 512, 4)\n"
        "from functions.routing.handler import lambda_handler\n"
    )
    return {
        "python -c pass": _median_ms("pass"),
        "import boto3 (baseline)": _median_ms("import boto3"),
        "import functions.routing.handler": _median_ms("import functions.routing.handler"),
        "first decision after import (policy, client)": _median_ms("lambda_handler(event, ctx)", first_call_setup),
    }


def _events() -> list[tuple[str, dict]]:
    from tests.conftest import load_event

    def voice(number: str | None) -> dict:
        event = load_event("connect_inbound_voice")
        if number is None:
            event["Details"]["ContactData"]["CustomerEndpoint"] = None
        else:
            event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = number
        return event

    return [
        ("known caller", voice("+12125550175")),
        ("known VIP", voice("+14155550100")),
        ("unknown caller", voice("+16175550199")),
        ("withheld number", voice(None)),
        ("invalid number", voice("12345")),
        ("known, 3 tickets", voice(TICKET_CALLER)),
        ("menu choice (2nd call)", load_event("connect_menu_choice")),
        ("ticket follow-up (2nd)", load_event("connect_menu_choice")),  # attributes filled in warm_decisions
        ("chat contact", load_event("connect_chat_api")),
    ]


TICKET_CALLER = "+16175550111"  # cust-edsger in demo/profiles.csv


def _open_tickets() -> None:
    """Three tickets for the ticket caller, one of them past its SLA, through the real TicketService."""
    from datetime import UTC, datetime, timedelta

    from functions.routing.policy import load_policy
    from functions.tickets.service import TicketService
    from functions.tickets.ticket import Actor, ActorKind

    now = datetime.now(UTC)
    agent = Actor("bench", ActorKind.SYSTEM)
    for hours_ago, team, priority in ((30, "billing", 1), (5, "support", 3), (1, "sales", 3)):
        TicketService(load_policy().queues, clock=lambda h=hours_ago: now - timedelta(hours=h)).create(
            agent, customer_id="cust-edsger", subject="benchmark", category="other", team=team, priority=priority)


def warm_decisions() -> None:
    from callcenter.backend import DynamoDBTraffic, LocalBackend, function_arn
    from functions.profiles.importer import import_profile_file
    from functions.routing.contact import parse_contact
    from functions.routing.policy import load_policy
    from functions.routing.service import decide

    events = _events()
    profiles = import_profile_file(REPO / "demo" / "profiles.csv").accepted
    with LocalBackend(log_level="ERROR") as backend:
        backend.load_profiles(profiles)
        _open_tickets()
        arn = function_arn("routing")

        def handler(event: dict) -> dict:
            return backend.invoke_lambda(arn, event, 5)

        # The follow-up carries the first decision's attributes, as the flow does.
        first = handler(dict(events)["known, 3 tickets"])
        follow_up = dict(events)["ticket follow-up (2nd)"]
        follow_up["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = TICKET_CALLER
        follow_up["Details"]["ContactData"]["Attributes"] = {**first, "intent": "ticket"}
        follow_up["Details"]["Parameters"] = {"stage": "intent", "intent": "ticket"}
        assert handler(follow_up)["reason"] == "TICKET_FOLLOW_UP"

        handler(events[0][1])  # warm up
        print(f"\nWarm handler on the local backend ({DECISIONS} decisions per kind; moto in-process):")
        print(f"  {'caller':<24}{'mean ms':>9}{'p95 ms':>9}{'DynamoDB req/decision':>24}")
        all_times: list[float] = []
        for kind, event in events:
            times = []
            DynamoDBTraffic.reset()
            for _ in range(DECISIONS):
                started = time.perf_counter()
                handler(event)
                times.append((time.perf_counter() - started) * 1000)
            all_times += times
            per_decision = DynamoDBTraffic.total_calls() / DECISIONS
            p95 = sorted(times)[int(0.95 * (len(times) - 1))]
            print(f"  {kind:<24}{statistics.fmean(times):>9.2f}{p95:>9.2f}{per_decision:>24.2f}")
        print(f"  {'all':<24}{statistics.fmean(all_times):>9.2f}")

        DynamoDBTraffic.reset()
        backend.faults = {"routing": "throttle"}
        started = time.perf_counter()
        handler(events[0][1])
        throttled_ms = (time.perf_counter() - started) * 1000
        backend.faults = {}
        print(f"  throttled table: one decision took {throttled_ms:.0f} ms with "
              f"{DynamoDBTraffic.attempts} attempt(s) of {DynamoDBTraffic.total_calls()} request(s) "
              f"before the fallback decision")

    by_phone = {p.phone: p for p in profiles}
    policy = load_policy()
    now = __import__("datetime").datetime.now(__import__("datetime").timezone.utc)
    contacts = [parse_contact(event) for _, event in events]
    started = time.perf_counter()
    rounds = 3000
    for _ in range(rounds):
        for contact in contacts:
            decide(contact, policy, by_phone.get, now)
    per = (time.perf_counter() - started) * 1e6 / (rounds * len(contacts))
    print(f"\nDecision logic alone (parse + identify + rules, in-memory store): {per:.1f} µs per decision")


def main() -> None:
    print(f"Routing handler benchmark — Python {sys.version.split()[0]}")
    print(f"\nCold start: median (min) of {RUNS} fresh processes")
    for label, (median, low) in cold_start().items():
        print(f"  {label:<42}{median:>8.1f} ms  ({low:.1f})")
    warm_decisions()


if __name__ == "__main__":
    main()
