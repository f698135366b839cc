"""`callcenter forecast --history DIR --days 14 --out DIR`: contacts per queue and half hour for the coming days."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from callcenter.cli.common import REPO_ROOT, console, positive

DEMO_CALENDAR = REPO_ROOT / "demo" / "calendar.json"


def _reminders(text: str) -> tuple[date, int]:
    day, _, count = text.partition("=")
    try:
        parsed, value = date.fromisoformat(day), int(count)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not DATE=COUNT, e.g. 2026-12-08=400") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the count of reminders cannot be negative")
    return parsed, value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction") from exc
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction from 0 to 1")
    return value


def add_parser(sub: Any) -> None:
    forecast = sub.add_parser(
        "forecast", help="contacts per queue and half hour for the coming days, from contact records",
        description="Read the contact records of a lake folder (DuckDB) or of the contact lake in AWS "
                    "(--athena-workgroup: the same query on Athena), forecast the inbound contacts per queue "
                    "and half hour for the days after the history (MSTL with daily and weekly seasonality and "
                    "exponential smoothing, by statsmodels; the calendar file's holidays and events), and write "
                    "forecast.csv and forecast.json (with each queue's AHT and callers' patience) to --out. "
                    "--backtest N also measures it: a rolling origin over the last N days, WAPE per horizon "
                    "beside seasonal naive (the same half hour last week).")
    source = forecast.add_mutually_exclusive_group(required=True)
    source.add_argument("--history", type=Path, metavar="DIR",
                        help="a lake folder (contact_records/dt=.../), e.g. callcenter history's --out")
    source.add_argument("--athena-workgroup", metavar="NAME",
                        help="read the contact records in AWS instead: run the same query, transpiled for Athena, "
                             "in this workgroup (the contact lake's: contact-lake-<stage>)")
    forecast.add_argument("--athena-database", metavar="DB",
                          help="the Glue database (default: the workgroup's name with _ for -, contact_lake_<stage>)")
    forecast.add_argument("--region", metavar="R", help="the AWS region of the workgroup (default: the profile's)")
    forecast.add_argument("--days", type=positive, default=14, metavar="N", help="days ahead (default 14)")
    forecast.add_argument("--out", type=Path, required=True, metavar="DIR", help="the folder to write to")
    forecast.add_argument("--calendar", type=Path, default=DEMO_CALENDAR, metavar="FILE",
                          help=f"holidays and events (default: {DEMO_CALENDAR.relative_to(REPO_ROOT)})")
    forecast.add_argument("--reminders", type=_reminders, action="append", default=[], metavar="DATE=COUNT",
                          help="reminder calls the outreach planner sends that day (callcenter outreach reports "
                               "them); a share call back to the queue of the policy's OUTREACH_RENEWAL rule")
    forecast.add_argument("--reminder-callback-rate", type=_rate, default=0.1, metavar="F",
                          help="the share of reminders that bring a call back (default 0.1)")
    forecast.add_argument("--backtest", type=positive, metavar="N", help="also backtest over N rolling origins")
    forecast.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analytics.athena import AthenaError
    from analytics.forecast import SLOTS, ForecastError, backtest, forecast, read_history
    from analytics.staffing_plan import write_forecast
    from callcenter.history.calendar import CalendarError, load_calendar
    from functions.routing.policy import load_policy

    out = console()
    if args.athena_database and not args.athena_workgroup:
        print("callcenter forecast: --athena-database goes with --athena-workgroup", file=sys.stderr)
        return 2
    if args.history is not None and not args.history.is_dir():
        print(f"callcenter forecast: {args.history} is not a folder", file=sys.stderr)
        return 2
    policy = load_policy()
    try:
        calendar = load_calendar(args.calendar)
    except CalendarError as exc:
        print(f"callcenter forecast: {exc}", file=sys.stderr)
        return 2
    renewal = next((r.route.queue for r in policy.rules if r.reason == "OUTREACH_RENEWAL"), None)
    extra = {renewal: {day: count * args.reminder_callback_rate for day, count in args.reminders}} if renewal else {}
    started = time.process_time()
    try:
        if args.athena_workgroup:
            history, read = _read_athena(args, policy.center_time_zone)
        else:
            history, load = read_history(args.history, policy.center_time_zone)
            read = f"{load.files} files read"
        forecasts, notes = forecast(history, args.days, calendar, extra)
    except (ForecastError, AthenaError) as exc:
        print(f"callcenter forecast: {exc}", file=sys.stderr)
        return 2
    seconds = time.process_time() - started
    first = next(iter(forecasts.values())).first
    queues = {name: {"aht_seconds": q.aht_seconds, "patience_seconds": q.patience_seconds,
                     "history_contacts": int(q.counts.sum()), "method": forecasts[name].method}
              for name, q in history.queues.items()}
    write_forecast(args.out, time_zone=policy.center_time_zone, first=first, days=args.days,
                   calls={name: f.calls for name, f in forecasts.items()},
                   meta={"history": {"first_day": history.first.isoformat(), "days": history.days,
                                     "gaps": [d.isoformat() for d in history.gaps]},
                         "queues": queues, "notes": notes,
                         "reminders": {d.isoformat(): n for d, n in args.reminders}})
    for note in notes:
        out.print(f"note: {note}",
              markup=False, soft_wrap=True)
    out.print(f"Forecast of {len(forecasts)} queues x {SLOTS} half hours x {args.days} days from "
              f"{first.isoformat()}, from {history.days} days of history ({history.first.isoformat()} on): "
              f"{args.out}/forecast.csv",
              markup=False, soft_wrap=True)
    for name, f in forecasts.items():
        out.print(f"  {name:8} {f.calls[0].sum():7.1f} contacts on {first.isoformat()}, "
                  f"{f.calls.sum():8.1f} over {args.days} days ({f.method})",
              markup=False, soft_wrap=True)
    if args.backtest:
        try:
            result = backtest(history, origins=args.backtest, horizon_days=args.days, calendar=calendar)
        except ForecastError as exc:
            print(f"callcenter forecast: {exc}", file=sys.stderr)
            return 2
        print_backtest(out, result)
    out.print(f"engineering: {seconds:.1f} s of CPU to read and forecast; {read}",
              markup=False, soft_wrap=True)
    return 0


def _read_athena(args: argparse.Namespace, time_zone: str) -> tuple[Any, str]:
    from analytics.athena import athena_client
    from analytics.forecast import read_athena_history

    database = args.athena_database or args.athena_workgroup.replace("-", "_")
    history, run = read_athena_history(athena_client(args.region), workgroup=args.athena_workgroup,
                                       database=database, time_zone=time_zone)
    return history, (f"Athena query {run.query_execution_id} in {args.athena_workgroup}: "
                     f"{run.bytes_scanned / 1e6:.1f} MB scanned, {run.pages} result pages")


def print_backtest(out: Any, result: Any) -> None:
    from rich.table import Table

    out.print(f"Backtest: {len(result.origins)} rolling origins ({result.origins[0].isoformat()} to "
              f"{result.origins[-1].isoformat()}), WAPE by days ahead, all queues",
              markup=False, soft_wrap=True)
    table = Table("days ahead", "model WAPE", "seasonal naive WAPE", "better")
    for horizon, (model, naive) in enumerate(zip(result.model_wape, result.naive_wape, strict=True), start=1):
        table.add_row(str(horizon), f"{model:.3f}", f"{naive:.3f}", "yes" if model < naive else "no")
    out.print(table)
    out.print(f"  backtest fits: {result.fit_seconds:.1f} s of CPU",
              markup=False, soft_wrap=True)
