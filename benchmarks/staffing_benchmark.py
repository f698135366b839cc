"""Forecast and staffing benchmark: the backtest table and the timings of 4 queues x 48 half hours x 14 days.

Run with `make bench` (or `python benchmarks/staffing_benchmark.py [--weeks 5] [--calls-per-day 1500]`). Prints
figures beside their goal; asserts nothing. A generated history (`callcenter history`'s code, demo calendar and
staffing) is read from its lake folder by DuckDB; the four busiest queues are forecast 14 days ahead (MSTL), their
agents per half hour computed (Erlang A with the patience from the records), rostered (PuLP/CBC), and the first
day run through the queue model with the roster. The backtest is a rolling origin over 7 days, 14 days ahead,
WAPE per horizon beside seasonal naive. Times are process CPU seconds (other work on the machine not counted),
except the roster's: CBC runs in a child process, so its time is wall time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

START = date(2026, 11, 2)
GOAL_PLAN_S = 60.0  # forecast + Erlang + roster for 4 queues x 48 x 14, CPU seconds: a weekly job's budget


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=5)
    parser.add_argument("--calls-per-day", type=int, default=1500)
    parser.add_argument("--origins", type=int, default=7)
    args = parser.parse_args()

    from analytics.forecast import History, backtest, forecast, read_history
    from analytics.roster import load_shifts
    from analytics.staffing_plan import (
        ForecastFolder,
        plan_requirements,
        predicted,
        queue_parameters,
        roster_all,
    )
    from callcenter.history.calendar import load_calendar
    from callcenter.history.contacts import generate_history
    from callcenter.queueing.check import simulate_day
    from callcenter.queueing.staffing import load_staffing, parse_staffing
    from functions.profiles.importer import import_profile_file
    from functions.routing.policy import load_policy

    policy, calendar = load_policy(), load_calendar()
    profiles = import_profile_file(REPO / "demo" / "profiles.csv").accepted
    print(f"Staffing benchmark — Python {sys.version.split()[0]}, {args.weeks} weeks of history at "
          f"{args.calls_per_day} calls per ordinary weekday from {START} (demo calendar, staffing, profiles)")
    with tempfile.TemporaryDirectory() as folder:
        generate_history(start=START, weeks=args.weeks, calls_per_day=args.calls_per_day, out=Path(folder),
                         policy=policy, staffing=load_staffing(), calendar=calendar, profiles=profiles, seed=1)
        cpu = time.process_time()
        full, _load = read_history(Path(folder), policy.center_time_zone)
        read_s = time.process_time() - cpu
    busiest = sorted(full.queues, key=lambda q: -full.queues[q].counts.sum())[:4]
    history = History({q: full.queues[q] for q in busiest}, full.first, full.days, full.gaps)

    cpu = time.process_time()
    forecasts, notes = forecast(history, 14, calendar)
    forecast_s = time.process_time() - cpu
    first = next(iter(forecasts.values())).first
    meta = {"queues": {q: {"aht_seconds": h.aht_seconds, "patience_seconds": h.patience_seconds}
                       for q, h in history.queues.items()}}
    plan_folder = ForecastFolder(policy.center_time_zone, first, 14,
                                 {q: f.calls.tolist() for q, f in forecasts.items()}, meta)
    parameters = queue_parameters(plan_folder, policy)
    cpu = time.process_time()
    plans = plan_requirements(plan_folder, parameters, max_occupancy=0.9, shrinkage=0.0, max_agents=200)
    erlang_s = time.process_time() - cpu
    wall = time.perf_counter()  # CBC runs in a child process: its CPU time is not this process's, so wall time
    rosters = roster_all(plan_folder, plans, load_shifts())
    roster_s = time.perf_counter() - wall

    from analytics.roster import staffing_document

    day_rosters = [r for r in rosters if r.day == first]
    staffing = parse_staffing(staffing_document(day_rosters, policy.center_time_zone, "benchmark"), policy)
    cpu = time.process_time()
    simulated = simulate_day(staffing, policy, {q: d[0] for q, d in plan_folder.calls.items()}, first, seed=1)
    simulate_s = time.process_time() - cpu

    cpu = time.process_time()
    result = backtest(history, origins=args.origins, horizon_days=14, calendar=calendar)
    backtest_s = time.process_time() - cpu

    print(f"history: {history.days} days from {history.first}, queues {', '.join(busiest)}; notes: {notes or 'none'}")
    print(f"\nBacktest: {len(result.origins)} rolling origins ({result.origins[0]} to {result.origins[-1]}), 14 days "
          "ahead, WAPE over the 4 queues' half hours")
    print(f"  {'days ahead':>10}  {'MSTL':>6}  {'naive':>6}")
    for horizon, (model, naive) in enumerate(zip(result.model_wape, result.naive_wape, strict=True), start=1):
        print(f"  {horizon:>10}  {model:6.3f}  {naive:6.3f}  {'better' if model < naive else 'WORSE'}")
    mean_model = sum(result.model_wape) / len(result.model_wape)
    mean_naive = sum(result.naive_wape) / len(result.naive_wape)
    print(f"  {'mean':>10}  {mean_model:6.3f}  {mean_naive:6.3f}  (goal: below seasonal naive at every horizon: "
          f"{'met' if all(m < n for m, n in zip(result.model_wape, result.naive_wape, strict=True)) else 'NOT met'})")

    print(f"\nSimulated {first} with the roster (queue model, seed 1): service level per queue")
    print(f"  {'queue':8} {'target':>6} {'queued':>6} {'simulated':>9} {'Erlang A':>8} {'Erlang C':>8} "
          f"{'half hours at target (5+ queued)':>33}")
    scheduled = {r.queue: r.scheduled for r in day_rosters}
    for queue, intervals in simulated.items():
        p = parameters[queue]
        offered = sum(i.offered for i in intervals)
        within = sum(i.within for i in intervals)
        a = sum(predicted(p, plan_folder.calls[queue][0][s], scheduled[queue][s]).service_level * i.offered
                for s, i in enumerate(intervals) if i.offered) / offered
        c = sum(predicted(p, plan_folder.calls[queue][0][s], scheduled[queue][s], erlang_c=True).service_level
                * i.offered for s, i in enumerate(intervals) if i.offered) / offered
        busy = [i for i in intervals if i.offered >= 5]
        met = sum(1 for i in busy if i.service_level >= p.target)
        print(f"  {queue:8} {p.target:6.0%} {offered:6d} {within / offered:9.1%} {a:8.1%} {c:8.1%} "
              f"{met:>26d} of {len(busy)}")

    plan_s = forecast_s + erlang_s + roster_s
    print(f"\nTimings, 4 queues x 48 half hours x 14 days (CPU seconds): read the lake {read_s:.2f}, forecast "
          f"{forecast_s:.2f}, Erlang A requirements {erlang_s:.2f}, roster {roster_s:.2f} (wall: {len(rosters)} CBC "
          f"solves), simulated day {simulate_s:.2f}; backtest of {len(result.origins)} origins {backtest_s:.1f}")
    print(f"  forecast + Erlang + roster: {plan_s:.1f} s (goal: under {GOAL_PLAN_S:.0f} s: "
          f"{'met' if plan_s < GOAL_PLAN_S else 'NOT met'})")


if __name__ == "__main__":
    main()
