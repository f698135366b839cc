"""`callcenter staff --forecast DIR --out DIR`: agents per half hour, the roster, and its simulated check."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from callcenter.cli.common import REPO_ROOT, console

DEMO_SHIFTS = REPO_ROOT / "demo" / "shifts.json"


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction") from exc


def add_parser(sub: Any) -> None:
    staff = sub.add_parser(
        "staff", help="agents per half hour (Erlang A/C), the roster (PuLP) and a simulated check of it",
        description="From a forecast folder (callcenter forecast --out): the agents each queue needs per half hour "
                    "to reach its service-level target from the routing policy (Erlang A with the callers' "
                    "patience from the records; --erlang-c ignores abandonment), the roster covering them with the "
                    "fewest agent-hours (shifts from --shifts), written as roster.csv and as the staffing file the "
                    "queue model reads (staffing-DATE.json, one per day); then the first day is run through the "
                    "queue model with that roster and its service level per half hour compared with the target "
                    "and with Erlang's prediction. staffing.html has the charts.")
    staff.add_argument("--forecast", type=Path, required=True, metavar="DIR", help="callcenter forecast's --out")
    staff.add_argument("--out", type=Path, required=True, metavar="DIR", help="the folder to write the plan to")
    staff.add_argument("--shifts", type=Path, default=DEMO_SHIFTS, metavar="FILE",
                       help=f"shift lengths and start times (default: {DEMO_SHIFTS.relative_to(REPO_ROOT)}; "
                            "format: analytics/roster.py)")
    staff.add_argument("--shrinkage", type=_fraction, default=0.0, metavar="F",
                       help="share of scheduled time off the phones (default 0: the simulated check has none)")
    staff.add_argument("--max-occupancy", type=_fraction, default=0.9, metavar="F", help="default 0.9")
    staff.add_argument("--max-agents", type=int, default=200, metavar="N",
                       help="most agents in a queue's half hour; past it the best reachable is reported (default 200)")
    staff.add_argument("--erlang-c", action="store_true", help="plan with Erlang C (callers never abandon)")
    staff.add_argument("--days", type=int, metavar="N", help="plan only the forecast's first N days")
    staff.add_argument("--seed", type=int, default=1, metavar="SEED", help="seed of the simulated check (default 1)")
    staff.add_argument("--no-check", action="store_true", help="skip the simulated check")
    staff.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analytics.erlang import ErlangError
    from analytics.roster import ShiftFileError, load_shifts
    from analytics.staffing_plan import (
        PlanError,
        plan_requirements,
        queue_parameters,
        read_forecast,
        roster_all,
        write_plan,
    )
    from functions.routing.policy import load_policy

    out = console()
    policy = load_policy()
    started = time.process_time()
    try:
        shifts = load_shifts(args.shifts)
        folder = read_forecast(args.forecast)
        if args.days is not None:
            if not 1 <= args.days <= folder.days:
                raise PlanError(f"--days must be from 1 to the forecast's {folder.days}")
            folder = type(folder)(folder.time_zone, folder.first, args.days,
                                  {q: d[:args.days] for q, d in folder.calls.items()}, folder.meta)
        parameters = queue_parameters(folder, policy, use_patience=not args.erlang_c)
        plans = plan_requirements(folder, parameters, max_occupancy=args.max_occupancy, shrinkage=args.shrinkage,
                                  max_agents=args.max_agents)
    except (PlanError, ShiftFileError, ErlangError) as exc:
        print(f"callcenter staff: {exc}", file=sys.stderr)
        return 2
    planned = time.process_time()
    rosters = roster_all(folder, plans, shifts)
    rostered = time.process_time()
    written = write_plan(args.out, folder, parameters, plans, rosters)
    _print_plan(out, folder, parameters, plans, rosters, args)
    check = None if args.no_check else _check(out, folder, parameters, rosters, policy, args)
    from analytics.staffing_report import render_staffing_html

    html = args.out / "staffing.html"
    html.write_text(render_staffing_html(folder, parameters, plans, rosters, check), encoding="utf-8")
    out.print(f"written: {', '.join(p.name for p in written[:2])}, {len(written) - 2} staffing files "
              f"(staffing-{folder.first.isoformat()}.json, ...), {html.name} in {args.out}",
              markup=False, soft_wrap=True)
    out.print(f"engineering: {planned - started:.2f} s of CPU for {len(folder.calls)} queues x 48 half hours x "
              f"{folder.days} days of Erlang, {rostered - planned:.2f} s for {len(rosters)} rosters (CBC)",
              markup=False, soft_wrap=True)
    unreached = sum(1 for days in plans.values() for day in days for p in day if not p.requirement.reached)
    return 1 if unreached else 0


def _print_plan(out: Any, folder: Any, parameters: Any, plans: Any, rosters: Any, args: argparse.Namespace) -> None:
    from rich.table import Table

    model = "Erlang C" if args.erlang_c else "Erlang A (Erlang C where no caller abandoned)"
    first = folder.first
    out.print(f"Staffing plan for {first.isoformat()} ({first:%A}): {model}, max occupancy "
              f"{args.max_occupancy:.0%}, shrinkage {args.shrinkage:.0%}",
              markup=False, soft_wrap=True)
    table = Table("queue", "target", "AHT", "patience", "calls", "peak agents", "agent-hours", "shifts",
                  "half hours short of target")
    for roster in rosters:
        if roster.day != first:
            continue
        p, day = parameters[roster.queue], plans[roster.queue][0]
        unreached = [p_ for p_ in day if not p_.requirement.reached]
        table.add_row(roster.queue, f"{p.target:.0%} in {p.answer_within_seconds:.0f} s", f"{p.aht_seconds:.0f} s",
                      f"{p.patience_seconds:.0f} s" if p.patience_seconds else "-",
                      f"{sum(x.calls for x in day):.0f}", str(max(x.requirement.scheduled for x in day)),
                      f"{roster.agent_hours:g}", str(sum(a.agents for a in roster.assignments)),
                      _short(unreached))
        if roster.uncovered:
            out.print(f"  {roster.queue}: no shift covers {len(roster.uncovered)} half hour(s) with calls",
                      markup=False, soft_wrap=True)
    out.print(table)
    hours = sum(r.agent_hours for r in rosters)
    out.print(f"{folder.days} day(s) planned: {hours:,.0f} agent-hours in total",
              markup=False, soft_wrap=True)


def _short(unreached: list[Any]) -> str:
    if not unreached:
        return "0"
    return f"{len(unreached)} (best {min(x.requirement.figures.service_level for x in unreached):.0%})"


def _check(out: Any, folder: Any, parameters: Any, rosters: Any, policy: Any, args: argparse.Namespace) -> dict:
    from rich.table import Table

    from analytics.roster import clock
    from analytics.staffing_plan import predicted
    from callcenter.queueing.check import simulate_day
    from callcenter.queueing.staffing import parse_staffing

    day = folder.first
    document = (args.out / f"staffing-{day.isoformat()}.json").read_bytes()
    staffing = parse_staffing(document, policy)
    started = time.process_time()
    simulated = simulate_day(staffing, policy, {q: d[0] for q, d in folder.calls.items()}, day, seed=args.seed)
    seconds = time.process_time() - started
    scheduled = {r.queue: r.scheduled for r in rosters if r.day == day}
    out.print(f"Simulated check of {day.isoformat()}: the queue model with staffing-{day.isoformat()}.json, arrivals "
              f"drawn from the forecast (seed {args.seed}); service level = removed from the queue within the "
              "threshold / queued",
              markup=False, soft_wrap=True)
    table = Table("queue", "target", "queued", "simulated SL", "Erlang A", "Erlang C", "abandoned",
                  "half hours at target", "worst half hour")
    result: dict[str, Any] = {"day": day.isoformat(), "queues": {}}
    for queue, intervals in simulated.items():
        p = parameters[queue]
        offered = sum(i.offered for i in intervals)
        within = sum(i.within for i in intervals)
        abandoned = sum(i.abandoned for i in intervals)
        # Erlang's prediction for the simulated arrivals at the rostered agents, weighted by contacts queued.
        erlang_a = erlang_c = 0.0
        for slot, interval in enumerate(intervals):
            if interval.offered:
                calls = folder.calls[queue][0][slot]
                a = predicted(p, calls, scheduled[queue][slot])
                c = predicted(p, calls, scheduled[queue][slot], erlang_c=True)
                erlang_a += a.service_level * interval.offered
                erlang_c += c.service_level * interval.offered
        busy = [(slot, i) for slot, i in enumerate(intervals) if i.offered >= 5]
        met = sum(1 for _, i in busy if i.service_level >= p.target)
        worst = min(busy, key=lambda x: x[1].service_level, default=None)
        levels = [i.service_level for i in intervals]
        result["queues"][queue] = {"offered": offered, "service_level": within / offered if offered else None,
                                   "erlang_a": erlang_a / offered if offered else None,
                                   "erlang_c": erlang_c / offered if offered else None,
                                   "abandoned": abandoned, "intervals": levels, "target": p.target}
        table.add_row(queue, f"{p.target:.0%}", str(offered),
                      f"{within / offered:.1%}" if offered else "-", f"{erlang_a / offered:.1%}" if offered else "-",
                      f"{erlang_c / offered:.1%}" if offered else "-", str(abandoned),
                      f"{met} of {len(busy)}" + (" (5+ queued)" if busy else ""),
                      f"{worst[1].service_level:.0%} at {clock(worst[0])}" if worst else "-")
    out.print(table)
    out.print(f"  simulated in {seconds:.2f} s of CPU",
              markup=False, soft_wrap=True)
    return result
