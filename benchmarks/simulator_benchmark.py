"""Simulator benchmark: `callcenter simulate`'s whole path (flow files, real handlers, moto) in calls/s and peak RSS.

Run with `.venv/bin/python benchmarks/simulator_benchmark.py [--speed-calls 1000] [--memory-calls 10000]
[--budget 2400]`. Prints figures beside their goals; asserts nothing.

Each day runs in a fresh interpreter (a subprocess), as `callcenter simulate --seed 3 --date 2026-11-24`
with the demo profiles does: plan the day, run it on a new LocalBackend, tally it. The child reports as it
goes (every 500 calls): calls done, wall and CPU seconds, current and peak resident memory
(`resource.getrusage`, `/proc/self/status`), so memory over the day shows whether it grows.

- Speed: calls per second over the day at `--speed-calls`, by wall clock and by the process's CPU time.
  The machine may be shared: the CPU figure is what the simulator costs, the wall figure what you wait.
- Memory: peak RSS of the day at `--memory-calls` (and of the speed run). A run that passes `--budget`
  seconds is stopped and what it measured so far is printed, marked as partial.
- AWS requests per call (every botocore call the handlers and the local runtime make, each answered by
  moto in-process) and CPU per request: what the calls/s figure is made of.
- A digest of the day's report (outcomes, reasons, survey and ticket tallies; no timings) is printed: the
  same seed gives the same digest, whatever the speed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SEED = 3
DAY = "2026-11-24"
REPORT_EVERY = 500
GOAL_CALLS_PER_S = 100.0
GOAL_PEAK_RSS_MB = 400.0
#: Why the calls/s goal is out of reach while the handlers' requests are answered by moto (cProfile, CPU time, a
#: day of 1,000 calls, after callcenter/moto_direct.py, the partition-only Query in callcenter/moto_speedups.py and
#: one botocore session per process in functions/storage/tables.py).
SPEED_NOTE = ("about 70% of the day's CPU is its ~13 AWS requests per call (botocore's client side, then moto "
              "in-process); moto's own dispatch (request parsing, the DynamoDB/SQS/EventBridge actions, expression "
              "parsing, item copies, response serialization) is ~47% by itself: about 10 ms of CPU per call here, "
              "which alone caps a day near 97 calls/s before any handler, flow or queue-model work (the other ~30%, "
              "with scrypt for PINs ~4%); the profile is flat (no moto function above ~2%)")


def _rss_mb() -> float:
    """Current resident memory (Linux /proc), else the peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _peak_mb()


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _digest(report: Any) -> str:
    """The report without its timings, hashed: equal for equal days."""
    surveys, tickets = report.surveys, report.tickets
    figures = {
        "calls": report.calls, "outcomes": report.outcomes, "routed": sorted(report.routed.items()),
        "reasons": report.reasons, "faults": report.faults_injected, "fallbacks": report.fallbacks,
        "after_hours": report.after_hours, "menu": (report.menu_offered, report.menu_chosen),
        "agents": (report.answered_by_agent, report.abandoned_in_queue), "survey_calls": report.survey_calls,
        "surveys": surveys and (surveys.statuses, surveys.skip_reasons, surveys.channels, sorted(surveys.scores),
                                surveys.resolved, surveys.followups),
        "tickets": tickets and {k: v for k, v in vars(tickets).items() if k not in ("api_ms", "api_dynamodb_calls")},
    }
    return hashlib.sha256(json.dumps(figures, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run_child(calls: int) -> None:
    """One simulated day in this process, reporting progress as JSON lines on stdout."""
    from datetime import date

    import botocore.handlers

    requests = [0]

    def count_request(**_: Any) -> None:
        requests[0] += 1

    botocore.handlers.BUILTIN_HANDLERS.append(("before-call", count_request))  # every client made from now on

    from callcenter.backend import LocalBackend
    from callcenter.day import plan_day, run_day
    from functions.profiles.importer import import_profile_file

    def emit(**values: Any) -> None:
        print(json.dumps(values), flush=True)

    profiles = import_profile_file(REPO / "demo" / "profiles.csv").accepted
    plans = plan_day(profiles, calls, SEED, date.fromisoformat(DAY))
    done = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()

    def progress() -> None:
        nonlocal done
        done += 1
        if done % REPORT_EVERY == 0:
            emit(calls=done, wall_s=time.perf_counter() - wall0, cpu_s=time.process_time() - cpu0,
                 rss_mb=_rss_mb(), peak_mb=_peak_mb())

    with LocalBackend() as backend:
        backend.load_profiles(profiles)
        report = run_day(backend, plans, on_call=progress, seed=SEED)
    emit(calls=report.calls, wall_s=time.perf_counter() - wall0, cpu_s=time.process_time() - cpu0,
         rss_mb=_rss_mb(), peak_mb=_peak_mb(), digest=_digest(report), requests=requests[0], done=True)


def run_day_in_subprocess(calls: int, budget_s: float) -> tuple[list[dict[str, Any]], bool]:
    """The child's progress lines, and whether it finished within the budget."""
    child = subprocess.Popen([sys.executable, __file__, "--child", str(calls)], stdout=subprocess.PIPE,
                             text=True, cwd=REPO)
    lines: list[dict[str, Any]] = []

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("{"):
                lines.append(json.loads(line))
                print(f"    {_progress_line(lines[-1])}", flush=True)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        child.wait(timeout=budget_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        reader.join(timeout=5)
        return lines, False
    reader.join(timeout=5)
    if child.returncode != 0:
        raise SystemExit(f"the simulated day of {calls} calls failed (exit {child.returncode})")
    return lines, bool(lines and lines[-1].get("done"))


def _progress_line(line: dict[str, Any]) -> str:
    return (f"{line['calls']:>6} done, {line['wall_s']:7.1f} s wall, {line['cpu_s']:7.1f} s CPU, "
            f"RSS {line['rss_mb']:6.0f} MB (peak {line['peak_mb']:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed-calls", type=int, default=1000)
    parser.add_argument("--memory-calls", type=int, default=10000)
    parser.add_argument("--budget", type=float, default=2400.0, help="seconds a day may run before it is stopped")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child)
        return

    print(f"Simulator benchmark — Python {sys.version.split()[0]}, seed {SEED}, {DAY}, demo profiles")
    print(f"\nSpeed: a day of {args.speed_calls} calls")
    lines, finished = run_day_in_subprocess(args.speed_calls, args.budget)
    if lines:
        last = lines[-1]
        note = "" if finished else f"  (partial: stopped after {args.budget:.0f} s)"
        print(f"  calls/s (wall)       {last['calls'] / last['wall_s']:8.1f}   goal >= {GOAL_CALLS_PER_S:.0f}{note}")
        cpu_rate = last['calls'] / last['cpu_s']
        print(f"  calls/s (CPU time)   {cpu_rate:8.1f}   goal >= {GOAL_CALLS_PER_S:.0f}")
        print(f"  peak RSS             {last['peak_mb']:8.0f} MB   goal <= {GOAL_PEAK_RSS_MB:.0f} MB")
        if finished:
            per_call = last["requests"] / last["calls"]
            print(f"  AWS requests per call{per_call:8.1f}   (botocore -> moto, in-process)")
            print(f"  CPU per request      {last['cpu_s'] * 1000 / last['requests']:8.2f} ms   "
                  f"goal <= {1000 / GOAL_CALLS_PER_S / per_call:.2f} ms for {GOAL_CALLS_PER_S:.0f} calls/s")
            if cpu_rate < GOAL_CALLS_PER_S:
                print(f"  note: {SPEED_NOTE}")
            print(f"  report digest        {last['digest']}")

    print(f"\nMemory: a day of {args.memory_calls} calls")
    lines, finished = run_day_in_subprocess(args.memory_calls, args.budget)
    if not lines:
        print(f"  nothing measured within {args.budget:.0f} s")
        return
    last = lines[-1]
    label = f"peak RSS at {last['calls']} calls"
    note = "" if finished else f"  (partial: stopped after {args.budget:.0f} s, {last['calls']} of {args.memory_calls})"
    print(f"  {label:<28}{last['peak_mb']:8.0f} MB   goal <= {GOAL_PEAK_RSS_MB:.0f} MB at {args.memory_calls}{note}")
    if len(lines) > 2:
        first = lines[0]
        growth = (last["rss_mb"] - first["rss_mb"]) / max(1, last["calls"] - first["calls"]) * 1000
        print(f"  RSS growth after call {first['calls']:<7}{growth:8.1f} MB per 1,000 calls   goal: flat")
    if finished:
        print(f"  calls/s (CPU time)          {last['calls'] / last['cpu_s']:8.1f}")
        print(f"  report digest               {last['digest']}")


if __name__ == "__main__":
    main()
