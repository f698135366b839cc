"""`callcenter history`: weeks of contact records at volume, for the KPI report and its benchmarks.

The routing decision runs in memory (the routing Lambda's own code, profiles from the profile file) and the calls
queue in the queue model; the local AWS path (moto, the flows, surveys and tickets through their Lambdas) is not run,
which is what makes it fast. Seasonality, holidays and event days come from the calendar file.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path
from typing import Any

from callcenter.cli.common import (
    REPO_ROOT,
    console,
    import_profiles,
    iso_date,
    positive,
    profiles_option,
    read_staffing,
    staffing_option,
)

DEMO_CALENDAR = REPO_ROOT / "demo" / "calendar.json"
#: The first day when --start is not given: a fixed Monday, so the same command writes the same records any day.
DEFAULT_START = date(2026, 11, 2)


def add_parser(sub: Any) -> None:
    history = sub.add_parser(
        "history", help="weeks of contact records (routing in memory and the queue model), fast",
        description="Weeks of contact records in Amazon Connect's format, written to the lake layout "
                    "(OUT/contact_records/dt=YYYY-MM-DD/): intraday and weekly seasonality, holidays and event days "
                    "from the calendar file, each call decided by the routing code in memory and queued for the "
                    "staffing file's agents. The same arguments write the same records on any day.")
    history.add_argument("--weeks", type=positive, required=True, metavar="N", help="how many weeks")
    history.add_argument("--calls-per-day", type=positive, required=True, metavar="N",
                         help="calls on an ordinary weekday (the calendar scales each day from it)")
    history.add_argument("--out", type=Path, required=True, metavar="DIR", help="the folder to write the records to")
    history.add_argument("--calendar", type=Path, default=DEMO_CALENDAR, metavar="FILE",
                         help=f"seasonality, holidays and events (default: {DEMO_CALENDAR.relative_to(REPO_ROOT)}; "
                              "format: callcenter/history/calendar.py)")
    history.add_argument("--start", type=iso_date, default=DEFAULT_START, metavar="DATE",
                         help=f"the first day (default: {DEFAULT_START.isoformat()}, a Monday)")
    history.add_argument("--seed", type=int, default=1, metavar="SEED", help="seed of the random choices (default: 1)")
    staffing_option(history)
    profiles_option(history, "profile file: its customers make the known callers")
    history.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from callcenter.history.calendar import CalendarError, load_calendar
    from callcenter.history.contacts import generate_history
    from functions.routing.policy import load_policy

    out = console()
    try:
        calendar = load_calendar(args.calendar)
    except CalendarError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    staffing = read_staffing(args.staffing)
    profiles = import_profiles(args.profiles, out, quiet=True).accepted
    days = args.weeks * 7
    started = time.process_time()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[n]}"),
               TimeRemainingColumn())
    with Progress(*columns, console=out, transient=True, disable=not out.is_terminal) as progress:
        task = progress.add_task("Days", total=days, n="")
        written = 0

        def done(day: date, contacts: int) -> None:
            nonlocal written
            written += contacts
            progress.update(task, advance=1, n=f"{day.isoformat()}: {written:,} contacts")

        result = generate_history(start=args.start, weeks=args.weeks, calls_per_day=args.calls_per_day, out=args.out,
                                  policy=load_policy(), staffing=staffing, calendar=calendar, profiles=profiles,
                                  seed=args.seed, progress=done)
    cpu = time.process_time() - started
    last = args.start.toordinal() + days - 1
    out.print(f"{result.contacts:,} contact records ({', '.join(f'{k} {v:,}' for k, v in result.kinds.items())}) "
              f"for {days} days from {args.start.isoformat()} to {date.fromordinal(last).isoformat()} in {args.out}; "
              f"{result.queued:,} calls queued, {result.answered:,} answered by an agent", markup=False)
    out.print(f"read them with: callcenter report --from {args.out}", markup=False, soft_wrap=True)
    out.print(f"engineering: {cpu:.1f} s of CPU, {result.contacts / cpu * 60 if cpu else 0:,.0f} contacts per minute",
              markup=False)
    return 0
