"""History benchmark: contact records generated per minute of CPU by `callcenter history`.

Run with `make bench` (or `python benchmarks/history_benchmark.py [--weeks 2] [--calls-per-day 5000]`). Prints figures
beside their goal; asserts nothing. The run is the command's own code path (calendar, routing decision in memory,
queue model, records written as JSON lines to a temporary folder), timed by process CPU time so other work on the
machine does not count; the wall time and peak RSS are printed beside it. The first day is run once before timing,
so imports and the policy's first load are not counted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GOAL_PER_MINUTE = 100_000
START = date(2026, 11, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=2)
    parser.add_argument("--calls-per-day", type=int, default=5000)
    args = parser.parse_args()

    from callcenter.history.calendar import load_calendar
    from callcenter.history.contacts import generate_history
    from callcenter.queueing.staffing import load_staffing
    from functions.profiles.importer import import_profile_file
    from functions.routing.policy import load_policy

    profiles = import_profile_file(REPO / "demo" / "profiles.csv").accepted
    common = dict(policy=load_policy(), staffing=load_staffing(), calendar=load_calendar(), profiles=profiles, seed=1)
    print(f"History benchmark — Python {sys.version.split()[0]}, {args.weeks} weeks of {args.calls_per_day} calls "
          f"per ordinary weekday from {START}, demo calendar, staffing and profiles")
    with tempfile.TemporaryDirectory() as folder:
        generate_history(start=START, weeks=1, calls_per_day=200, out=Path(folder) / "warm", **common)
        cpu, wall = time.process_time(), time.perf_counter()
        run = generate_history(start=START, weeks=args.weeks, calls_per_day=args.calls_per_day,
                               out=Path(folder) / "run", **common)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        size = sum(path.stat().st_size for path in set(run.files))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  contacts written          {run.contacts:10,}   ({', '.join(f'{k} {v:,}' for k, v in run.kinds.items())};"
          f" {run.queued:,} queued, {run.answered:,} answered)")
    print(f"  contacts per minute (CPU) {run.contacts / cpu * 60:10,.0f}   goal >= {GOAL_PER_MINUTE:,}")
    print(f"  contacts per minute (wall){run.contacts / wall * 60:10,.0f}")
    print(f"  CPU / wall time           {cpu:10.1f} s / {wall:.1f} s")
    print(f"  JSON lines written        {size / 1e6:10.1f} MB in {len(set(run.files))} files")
    print(f"  peak RSS                  {peak_mb:10.0f} MB")


if __name__ == "__main__":
    main()
