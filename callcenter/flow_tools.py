"""Lint and run any flow file: ours (infra/flows/, with the house policy, the catalogs and optionally the real
handlers) or a flow a Connect user exported (what Connect would refuse only, stand-ins for what it calls).

What `callcenter flow lint` and `callcenter flow run` do; the command modules only parse arguments and print.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flowlang.coverage import FlowCoverage
from flowlang.flow import FLOWS_DIR, FlowFormatError, parse_flow, placeholders, substitute
from flowlang.lint import Finding, LintContext, lint_flow
from flowlang.prompts import localize
from flowlang.simulator import CallResult, ContactStart, StandIns, run_flow
from flowlang.standin_env import StandInEnvironment, stand_in_arn


class UnreadableFlow(ValueError):
    """The file cannot be read, is not JSON, or is not a flow document at all."""


def is_ours(path: Path) -> bool:
    """A flow file of this project (infra/flows/*.json): the house policy and the catalogs apply."""
    return path.resolve().parent == FLOWS_DIR.resolve()


def read_flow(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFlow(f"{path}: cannot read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise UnreadableFlow(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise UnreadableFlow(f"{path}: not a flow (a JSON object with Version, StartAction and Actions)")
    return document


def our_lint_context() -> LintContext:
    """Exactly what the synthesis lints our flows with (infra/flow_checks.py)."""
    from flowlang.flow import flow_files
    from functions.routing.policy import load_policy
    from infra.flow_checks import lint_context

    return lint_context(load_policy(), set(flow_files()))


def lint_file(path: Path, policy: bool | None = None) -> list[Finding]:
    """Findings for one file; policy None: on for our flows, off for other files. Raises UnreadableFlow."""
    document = read_flow(path)
    ours = is_ours(path)
    context = our_lint_context() if ours else LintContext()
    use_policy = ours if policy is None else policy
    return lint_flow(document, str(path), LintContext(context.lambda_timeouts, context.known_placeholders,
                                                      policy=use_policy))


# --- running ------------------------------------------------------------------------------------------------------

@dataclass
class RunRequest:
    keys: Sequence[str | None] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    lambda_answers: Mapping[str, Any] = field(default_factory=dict)
    hours: Mapping[str, bool] = field(default_factory=dict)
    full_queues: frozenset[str] = frozenset()
    modules: Mapping[str, Path] = field(default_factory=dict)  # id, ARN or name -> module file
    choices: Mapping[str, str] = field(default_factory=dict)
    caller: str | None = "+14155550100"
    at: datetime | None = None
    contact_id: str = "flow-run-1"


@dataclass(frozen=True)
class FlowRun:
    name: str
    flow: dict[str, Any]  # as run: prompts put in, stand-in ARNs
    result: CallResult
    coverage: FlowCoverage


def runnable(path: Path) -> dict[str, Any]:
    """The flow as it would be deployed: our prompts put in, and stand-in ARNs for any placeholder left."""
    document = read_flow(path)
    try:
        parse_flow(document, source=path.name)
    except FlowFormatError as exc:
        raise UnreadableFlow(str(exc)) from exc
    if any(p.kind in ("prompt", "voice") for p in placeholders(document)):
        document = localize(document)
    return substitute(document, stand_in_arn) if placeholders(document) else document


def _stand_ins(request: RunRequest) -> StandIns:
    flows = {}
    for reference, module_path in request.modules.items():
        module = runnable(module_path)
        flows[reference] = (module_path.stem, module)
    return StandIns(flows=flows, choices=dict(request.choices))


def run_file(path: Path, request: RunRequest, at: datetime) -> FlowRun:
    """Run a flow with stand-ins for everything it calls. Raises UnreadableFlow, SimulationError."""
    flow = runnable(path)
    env = StandInEnvironment(lambda_answers=dict(request.lambda_answers), hours=dict(request.hours),
                             full_queues=request.full_queues)
    start = ContactStart(contact_id=request.contact_id, customer_address=request.caller,
                         system_address="+18005550100", attributes=dict(request.attributes), now=at)
    coverage = FlowCoverage()
    result = run_flow(flow, start, env, list(request.keys), flow_name=path.stem, coverage=coverage,
                      stand_ins=_stand_ins(request))
    return FlowRun(path.stem, flow, result, coverage)


def run_ours_for_real(path: Path, request: RunRequest, at: datetime, profiles: Path | None) -> FlowRun:
    """Run one of our flows with the real handlers on the local backend (what `callcenter call` does)."""
    from callcenter.backend import INSTANCE_ARN, LocalBackend
    from callcenter.calls import local_flow, run_flow_at
    from callcenter.cli.common import error_console, import_profiles

    name = path.stem
    coverage = FlowCoverage()
    with LocalBackend(full_queues=sorted(request.full_queues)) as backend:
        if profiles is not None:
            backend.load_profiles(import_profiles(profiles, error_console(), quiet=True).accepted)
        start = ContactStart(contact_id=request.contact_id, customer_address=request.caller,
                             system_address="+18005550100", instance_arn=INSTANCE_ARN,
                             attributes=dict(request.attributes), now=at)
        result = run_flow_at(backend, local_flow(name), start, list(request.keys), name, coverage)
    return FlowRun(name, local_flow(name), result, coverage)


def run_json(run: FlowRun) -> dict[str, Any]:
    """The one JSON object `flow run --json` prints: outcome, steps, coverage (and what the caller heard)."""
    report = run.coverage.report(run.name, run.flow)
    return {
        "outcome": run.result.outcome,
        "steps": [{"action_id": step.action_id, "type": step.action_type, "branch": step.branch,
                   "summary": step.summary} for step in run.result.steps],
        "coverage": {"actions_run": report.actions_covered, "actions_total": report.actions_total,
                     "branches_taken": report.edges_covered, "branches_total": report.edges_total},
        "prompts": run.result.prompts,
        "attributes": run.result.attributes,
        "queue": run.result.queue,
        "language": run.result.language,
    }
