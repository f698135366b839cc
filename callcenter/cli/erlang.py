"""`callcenter erlang`: the agents a half hour needs (Erlang C, or Erlang A with --patience) and its figures."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from exc
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def add_parser(sub: Any) -> None:
    erlang = sub.add_parser(
        "erlang", help="agents needed for a service-level target (Erlang C, or Erlang A with --patience)",
        description="The fewest agents whose service level (the share of queued contacts removed from the queue "
                    "within --answer-within seconds) reaches --target, and for that number the probability of "
                    "waiting, service level, ASA and occupancy (Erlang A also the abandonment rate). Shrinkage adds "
                    "the agents scheduled but off the phones.")
    erlang.add_argument("--calls", type=_number, required=True, metavar="N", help="contacts offered in the interval")
    erlang.add_argument("--interval-minutes", type=_number, default=30.0, metavar="M", help="default: 30")
    erlang.add_argument("--aht", type=_number, required=True, metavar="S", help="average handle time, seconds")
    erlang.add_argument("--answer-within", type=_number, required=True, metavar="T",
                        help="the service-level threshold, seconds")
    erlang.add_argument("--target", type=_number, required=True, metavar="P", help="a fraction: 0.8 for 80%%")
    erlang.add_argument("--patience", type=_number, metavar="S",
                        help="callers' mean patience in seconds: Erlang A (callers abandon); without: Erlang C")
    erlang.add_argument("--shrinkage", type=_number, default=0.0, metavar="F",
                        help="share of scheduled time off the phones (0.3 for 30%%; default 0)")
    erlang.add_argument("--max-occupancy", type=_number, default=1.0, metavar="F",
                        help="the highest occupancy allowed (0.85 for 85%%; default 1)")
    erlang.add_argument("--max-agents", type=int, default=500, metavar="N",
                        help="stop looking past this many agents and report the best reachable (default 500)")
    erlang.add_argument("--json", action="store_true", help="print one JSON object")
    erlang.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analytics.erlang import ErlangError, required_agents

    try:
        result = required_agents(args.calls, args.interval_minutes * 60, args.aht, args.answer_within, args.target,
                                 patience_s=args.patience, max_occupancy=args.max_occupancy,
                                 shrinkage=args.shrinkage, max_agents=args.max_agents)
    except ErlangError as exc:
        print(f"callcenter erlang: {exc}", file=sys.stderr)
        return 2
    figures = result.figures.as_dict()
    if args.json:
        document = {**figures, "scheduled_agents": result.scheduled, "target_reached": result.reached,
                    "model": "erlang-a" if args.patience is not None else "erlang-c"}
        print(json.dumps({k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in document.items()}))
        return 0 if result.reached else 1
    model = "Erlang A" if args.patience is not None else "Erlang C"
    if result.reached:
        print(f"{model}: {figures['agents']} agents on the phones reach {args.target:.1%} in {args.answer_within:g} s "
              f"({result.scheduled} scheduled with {args.shrinkage:.0%} shrinkage)")
    else:
        print(f"{model}: the target {args.target:.1%} in {args.answer_within:g} s is out of reach within "
              f"{args.max_agents} agents and {args.max_occupancy:.0%} occupancy; the best reachable is "
              f"{figures['service_level']:.1%} with {figures['agents']} agents")
    print(f"  probability of waiting {figures['probability_of_waiting']:.4f}, service level "
          f"{figures['service_level']:.4f}, ASA {figures['asa_seconds']:.2f} s, occupancy {figures['occupancy']:.3f}"
          + (f", abandonment {figures['abandonment_rate']:.4f}" if "abandonment_rate" in figures else ""))
    return 0 if result.reached else 1
