"""Synth-time consistency between the routing policy (policy.json) and the contact flows.

The routing Lambda returns a priority and the flow turns it into a queue priority with one
`UpdateContactRoutingBehavior` branch per value; the flow's menu sets an `intent` the policy's rules
match on. Neither file can see the other, so a new rule priority or a renamed menu intent would
silently fall through. These checks fail the synthesis instead.

Also what the stack can resolve in a flow file (`lint_context`), without importing CDK, so the
`callcenter flow lint` command lints our flow files exactly as the synthesis does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowlang.flow import Placeholder
from flowlang.language import static_int
from flowlang.lint import LintContext
from flowlang.prompts import load_catalogs
from functions.manifest import FUNCTIONS, ConnectFlowSource, FunctionSpec
from functions.routing.policy import DEFAULT_PRIORITY, RoutingPolicy

INBOUND_FLOW = "inbound"
INTENT_ATTRIBUTE = "intent"


class FlowPolicyMismatch(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("contact flows disagree with the routing policy:\n"
                         + "\n".join(f"  {problem}" for problem in problems))


def _actions(flow: dict[str, Any], action_type: str) -> list[dict[str, Any]]:
    return [action for action in flow["Actions"] if action.get("Type") == action_type]


def _parameters(action: dict[str, Any]) -> dict[str, Any]:
    parameters = action.get("Parameters")
    return parameters if isinstance(parameters, dict) else {}


def queue_priorities(flow: dict[str, Any]) -> set[int]:
    """The static QueuePriority values the flow's UpdateContactRoutingBehavior actions set."""
    found = (static_int(_parameters(a).get("QueuePriority")) for a in _actions(flow, "UpdateContactRoutingBehavior"))
    return {priority for priority in found if priority is not None}


def static_intents(flow: dict[str, Any]) -> dict[str, str]:
    """Action Identifier -> the literal `intent` it sets (JSONPath values come from elsewhere)."""
    intents = {}
    for action in _actions(flow, "UpdateContactAttributes"):
        value = (_parameters(action).get("Attributes") or {}).get(INTENT_ATTRIBUTE)
        if isinstance(value, str) and not value.startswith("$."):
            intents[action["Identifier"]] = value
    return intents


def policy_problems(name: str, flow: dict[str, Any], policy: RoutingPolicy) -> list[str]:
    problems = []
    if name == INBOUND_FLOW:
        branches = queue_priorities(flow)
        for priority in sorted(policy.priorities_used - {DEFAULT_PRIORITY} - branches):
            problems.append(f"{name}: the policy routes with priority {priority} but no "
                            f"UpdateContactRoutingBehavior sets QueuePriority {priority}")
    for identifier, intent in sorted(static_intents(flow).items()):
        if intent not in policy.intents:
            problems.append(f"{name}: action {identifier!r} sets intent {intent!r}, which no policy rule "
                            f"matches (known: {', '.join(sorted(policy.intents)) or 'none'})")
    return problems


def require_consistent(flows: dict[str, dict[str, Any]], policy: RoutingPolicy) -> None:
    problems = [problem for name, flow in flows.items() for problem in policy_problems(name, flow, policy)]
    if INBOUND_FLOW not in flows:
        problems.append(f"there is no {INBOUND_FLOW!r} flow to carry the policy's priorities")
    if problems:
        raise FlowPolicyMismatch(problems)


VIEWS_DIR = Path(__file__).resolve().parent / "flows" / "views"


def view_names() -> set[str]:
    """The views our flows show ({{view:NAME}}): infra/flows/views/NAME.json, deployed by CDK as Connect views."""
    return {path.stem for path in VIEWS_DIR.glob("*.json")}


def lint_context(policy: RoutingPolicy, flow_names: set[str],
                 specs: Mapping[str, FunctionSpec] = FUNCTIONS) -> LintContext:
    """What the stack can resolve: flow-invoked functions (with their timeouts), policy queues and hours."""
    specs = {name: spec for name, spec in specs.items() if isinstance(spec.source, ConnectFlowSource)}
    known = (
        load_catalogs().placeholders()
        | {Placeholder("lambda", name) for name in specs}
        | {Placeholder("queue", name) for name in policy.queues}
        | {Placeholder("hours", name) for name in policy.hours}
        | {Placeholder("flow", name) for name in flow_names}
        | {Placeholder("view", name) for name in view_names()}
    )
    return LintContext(lambda_timeouts={name: spec.timeout_seconds for name, spec in specs.items()},
                       known_placeholders=known)
