"""Static checks of a contact flow, before CDK deploys it or the simulator runs it.

Each check has its own finding code (the rule); messages name the action Identifier. Every finding
says where its rule comes from:

- source "connect": the Amazon Connect Flow language reference (flowlang/reference/, dated): what
  Connect itself would refuse (an unknown action Type, a malformed transition, conditions an action
  does not take, a Lambda time limit outside 1-8 s...). These hold for any flow, ours or a user's.
- source "policy": this project's house rules: no instance-specific ARNs in flow files (placeholders
  only), every failure handled, every action reachable, every path ends somewhere. On for our flows;
  for a foreign file only when asked (`LintContext.policy`, `callcenter flow lint --policy`).

Severity "error" fails the lint (and synthesis); "warning" is reported only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flowlang.findings import (
    CONNECT,
    ERROR,
    POLICY,
    POLICY_RULES,
    WARNING,
    WARNING_RULES,
    Finding,
    FlowLintError,
    LintContext,
    Scope,
    require_clean,
    structure_findings,
    walk,
)
from flowlang.flow import flow_files
from flowlang.language import MAX_ACTIONS, OUTCOME_ACTION_TYPES
from flowlang.lint_actions import ACTION_CHECKS

__all__ = ["CONNECT", "ERROR", "POLICY", "POLICY_RULES", "WARNING", "WARNING_RULES", "Finding", "FlowLintError",
           "LintContext", "lint_files", "lint_flow", "require_clean"]


def lint_files(paths: dict[str, Path] | None = None, context: LintContext | None = None) -> list[Finding]:
    """Lint every flow file (by default all of infra/flows/); unreadable JSON is a finding too."""
    findings: list[Finding] = []
    for name, path in (flow_files() if paths is None else paths).items():
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            findings.append(Finding(name, None, "invalid-flow", f"{path.name}: not valid JSON ({exc})"))
            continue
        findings += lint_flow(document, name, context)
    return findings


def lint_flow(flow: dict[str, Any], name: str, context: LintContext | None = None) -> list[Finding]:
    structure = structure_findings(flow, name)
    if any(finding.code == "invalid-flow" for finding in structure):
        return structure
    context = context or LintContext()
    scope = Scope(name, flow, context)
    findings = structure + [finding for check in FLOW_CHECKS for finding in check(scope)]
    for action in flow["Actions"]:
        for action_check in ACTION_CHECKS:
            findings += action_check(scope, action)
    return [finding for finding in findings if context.policy or finding.source == CONNECT]


# --- flow-level checks -----------------------------------------------------------------------------

def _check_action_count(scope: Scope) -> Iterator[Finding]:
    if len(scope.actions) > MAX_ACTIONS:
        yield scope.flow_finding("too-many-actions", f"{len(scope.actions)} actions; at most {MAX_ACTIONS}")


def _check_start_action(scope: Scope) -> Iterator[Finding]:
    if scope.flow["StartAction"] not in scope.by_id:
        yield scope.flow_finding(
            "unknown-start-action", f"StartAction {scope.flow['StartAction']!r} is not an action Identifier")


def _check_unique_identifiers(scope: Scope) -> Iterator[Finding]:
    seen: set[str] = set()
    for action in scope.actions:
        if action["Identifier"] in seen:
            yield scope.finding(action, "duplicate-identifier", "the Identifier is used by another action")
        seen.add(action["Identifier"])


def _check_reachable(scope: Scope) -> Iterator[Finding]:
    start = scope.flow["StartAction"]
    reachable = walk([start] if start in scope.by_id else [], scope.successors)
    for identifier, action in scope.by_id.items():
        if identifier not in reachable:
            yield scope.finding(action, "unreachable-action", "no path from StartAction leads here")


def _check_way_out(scope: Scope) -> Iterator[Finding]:
    predecessors: dict[str, set[str]] = {identifier: set() for identifier in scope.by_id}
    for source, targets in scope.successors.items():
        for target in targets:
            predecessors[target].add(source)
    outcomes = [i for i, action in scope.by_id.items() if action["Type"] in OUTCOME_ACTION_TYPES]
    can_finish = walk(outcomes, predecessors)
    for identifier, action in scope.by_id.items():
        if identifier not in can_finish:
            yield scope.finding(action, "no-way-out",
                                "no path from here reaches a disconnect, an end or a transfer (dead loop)")


FLOW_CHECKS: tuple[Callable[[Scope], Iterator[Finding]], ...] = (
    _check_action_count, _check_start_action, _check_unique_identifiers, _check_reachable, _check_way_out,
)
