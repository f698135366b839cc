"""`callcenter flow run FILE`: run any flow with stand-ins for what it calls; the transcript, outcome and coverage.

A Lambda answers with the JSON file given for its name (`--lambda NAME=FILE`, NAME being the function's name
in its ARN or the placeholder name); one with no answer fails, so the flow takes its error branch. Queues and
hours are known by name (`--hours NAME=open|closed`, `--queue-full NAME`), flow modules by file
(`--module ID=FILE`), and an action the simulator stands in for takes the branch chosen for it
(`--choose ACTION=BRANCH`, else its default: docs/flow-language.md). Our own flows may run with the real
handlers on the local backend instead (`--real`).

Exit status: 0 the flow ran to an end, 1 it cannot be run as written (a missing branch, a dead loop), 2 a file
that cannot be read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from callcenter.cli.common import DEMO_PROFILES, aware_datetime, console, error_console, now

EXIT_RAN, EXIT_CANNOT_RUN, EXIT_UNREADABLE = 0, 1, 2


def pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name.strip(), value.strip()


def hours_state(text: str) -> tuple[str, bool]:
    name, state = pair(text)
    if state.lower() not in ("open", "closed"):
        raise argparse.ArgumentTypeError(f"{text!r}: the hours are 'open' or 'closed'")
    return name, state.lower() == "open"


def add_parser(commands: Any) -> None:
    run_parser = commands.add_parser(
        "run", help="run a flow file with stand-ins (or our flows with the real handlers)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    run_parser.add_argument("file", type=Path, metavar="FILE", help="the flow file (Flow language JSON)")
    run_parser.add_argument("--press", action="append", default=[], metavar="KEYS",
                            help="what the caller types at the next prompt (repeatable; 'silence' for none)")
    run_parser.add_argument("--attribute", action="append", default=[], type=pair, metavar="K=V",
                            help="a contact attribute the contact starts with (repeatable)")
    run_parser.add_argument("--lambda", dest="lambdas", action="append", default=[], type=pair,
                            metavar="NAME=RESPONSE.json", help="the answer of the function NAME (repeatable)")
    run_parser.add_argument("--hours", action="append", default=[], type=hours_state, metavar="NAME=open|closed",
                            help="the hours of a queue or hours of operation by name (default: open)")
    run_parser.add_argument("--queue-full", action="append", default=[], metavar="NAME",
                            help="this queue is at capacity (repeatable)")
    run_parser.add_argument("--module", action="append", default=[], type=pair, metavar="ID=FILE",
                            help="the flow module (or flow) an InvokeFlowModule or TransferToFlow names (repeatable)")
    run_parser.add_argument("--choose", action="append", default=[], type=pair, metavar="ACTION=BRANCH",
                            help="the branch a stand-in takes at this action: next, a condition operand, or an "
                                 "error type (repeatable)")
    run_parser.add_argument("--from", dest="caller", default="+14155550100", metavar="NUMBER",
                            help="the caller's number ('withheld' for none; default +14155550100)")
    run_parser.add_argument("--at", type=aware_datetime, metavar="DATETIME",
                            help="when the call happens, with its UTC offset (default: now)")
    run_parser.add_argument("--real", action="store_true",
                            help="our flows only: the real handlers and tables on the local backend")
    run_parser.add_argument("--profiles", type=Path, default=DEMO_PROFILES, metavar="FILE",
                            help="with --real: the profile file loaded first")
    run_parser.add_argument("--json", action="store_true", help="one JSON object: outcome, steps, coverage")
    run_parser.set_defaults(func=run)


def _answers(lambdas: list[tuple[str, str]]) -> dict[str, Any]:
    answers = {}
    for name, file in lambdas:
        try:
            answers[name] = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SystemExit(f"callcenter: --lambda {name}={file}: cannot read the answer ({exc})") from exc
    return answers


def run(args: argparse.Namespace) -> int:
    from callcenter.calls import KeyPressError, check_keys
    from callcenter.flow_tools import RunRequest, UnreadableFlow, is_ours, run_file, run_json, run_ours_for_real
    from flowlang.simulator import SimulationError

    errors = error_console()
    try:
        keys = check_keys(args.press)
    except KeyPressError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    if args.real and not is_ours(args.file):
        errors.print(f"callcenter: --real runs only our flows (infra/flows/*.json), not {args.file}", markup=False)
        return EXIT_UNREADABLE
    caller = None if args.caller.lower() in ("withheld", "anonymous", "none") else args.caller
    request = RunRequest(keys=keys, attributes=dict(args.attribute), lambda_answers=_answers(args.lambdas),
                         hours=dict(args.hours), full_queues=frozenset(args.queue_full),
                         modules={ref: Path(file) for ref, file in args.module}, choices=dict(args.choose),
                         caller=caller)
    at = args.at or now()
    try:
        flow_run = (run_ours_for_real(args.file, request, at, args.profiles) if args.real
                    else run_file(args.file, request, at))
    except UnreadableFlow as exc:
        errors.print(f"callcenter: {exc}", markup=False)
        return EXIT_UNREADABLE
    except SimulationError as exc:
        errors.print(f"callcenter: {args.file} cannot be run as written: {exc}", markup=False)
        return EXIT_CANNOT_RUN
    if args.json:
        print(json.dumps(run_json(flow_run), indent=2, default=str))
    else:
        render(flow_run, console())
    return EXIT_RAN


def render(flow_run: Any, out: Any) -> None:
    from rich.table import Table

    from callcenter.flow_tools import run_json

    table = Table(title=f"Flow {flow_run.name}", show_lines=False)
    for column in ("#", "action", "type", "what happened", "branch"):
        table.add_column(column, justify="right" if column == "#" else "left")
    for index, step in enumerate(flow_run.result.steps, start=1):
        what = f'Play: "{step.data["text"]}"' if step.data.get("text") else step.summary
        table.add_row(str(index), step.action_id, step.action_type, what, step.branch)
    out.print(table)
    summary = run_json(flow_run)
    coverage = summary["coverage"]
    queue = f" in {summary['queue']}" if summary["queue"] else ""
    out.print(f"Outcome: {summary['outcome']}{queue}; language {summary['language']}", markup=False)
    out.print(f"Coverage: {coverage['actions_run']}/{coverage['actions_total']} actions, "
              f"{coverage['branches_taken']}/{coverage['branches_total']} branches", markup=False)
