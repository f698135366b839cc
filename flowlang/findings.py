"""Lint findings, the context a lint runs in, and the scope the checks share (flowlang/lint.py, lint_actions.py).

A finding's rule says where it comes from: the Flow language reference ("connect": what Connect would refuse)
or this project's house policy ("policy"); its severity is "error" (fails the lint) or "warning".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flowlang.flow import FLOW_VERSION, FlowFormatError, Placeholder, parse_flow
from flowlang.language import declared_edges

CONNECT, POLICY = "connect", "policy"
ERROR, WARNING = "error", "warning"

#: Rules of the house policy (every other rule is Connect's own), and the rules that only warn.
POLICY_RULES = frozenset({
    "unreachable-action", "no-way-out", "missing-error-branch", "lambda-arn", "invocation-time-limit-vs-timeout",
    "queue-id", "hardcoded-arn", "bad-placeholder", "unknown-placeholder",
})
WARNING_RULES = frozenset({"unreachable-action", "unknown-error-type"})


@dataclass(frozen=True)
class Finding:
    flow: str
    action: str | None
    code: str  # the rule
    message: str

    @property
    def source(self) -> str:
        return POLICY if self.code in POLICY_RULES else CONNECT

    @property
    def severity(self) -> str:
        return WARNING if self.code in WARNING_RULES else ERROR

    def __str__(self) -> str:
        return f"{self.flow}: {self.message} [{self.code}]"

    def to_json(self) -> dict[str, str | None]:
        return {"flow": self.flow, "action": self.action, "rule": self.code, "severity": self.severity,
                "source": self.source, "message": self.message}


@dataclass(frozen=True)
class LintContext:
    # Function name -> its timeout in seconds (functions/manifest.py), for {{lambda:NAME}} ARNs.
    lambda_timeouts: dict[str, int] | None = None
    # When given, every placeholder in a flow must be one of these.
    known_placeholders: set[Placeholder] | None = None
    # House-policy rules on (our flows) or off (a user's flow: only what Connect would refuse).
    policy: bool = True


class FlowLintError(Exception):
    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = list(findings)
        lines = "\n".join(f"  {finding}" for finding in self.findings)
        super().__init__(f"{len(self.findings)} flow lint finding(s):\n{lines}")


def require_clean(findings: Iterable[Finding]) -> None:
    """Raise on any finding that is an error (warnings do not stop a deployment)."""
    errors = [finding for finding in findings if finding.severity == ERROR]
    if errors:
        raise FlowLintError(errors)


class Scope:
    """One flow being linted: its actions, their graph and the lint context."""

    def __init__(self, name: str, flow: dict[str, Any], context: LintContext) -> None:
        self.name = name
        self.flow = flow
        self.context = context
        self.actions: list[dict[str, Any]] = flow["Actions"]
        self.by_id = {action["Identifier"]: action for action in self.actions}
        self.successors = {
            identifier: {edge.target for edge in declared_edges(action) if edge.target in self.by_id}
            for identifier, action in self.by_id.items()
        }

    def flow_finding(self, code: str, message: str) -> Finding:
        return Finding(self.name, None, code, message)

    def finding(self, action: dict[str, Any], code: str, detail: str) -> Finding:
        identifier = action["Identifier"]
        return Finding(self.name, identifier, code, f"action {identifier!r} ({action['Type']}): {detail}")


def structure_findings(flow: Any, name: str) -> list[Finding]:
    findings = []
    if isinstance(flow, dict) and flow.get("Version") != FLOW_VERSION:
        findings.append(Finding(name, None, "unsupported-version",
                                f"Version must be {FLOW_VERSION!r}, got {flow.get('Version')!r}"))
        flow = {**flow, "Version": FLOW_VERSION}
    try:
        parse_flow(flow, source=name)
    except FlowFormatError as exc:
        findings.append(Finding(name, None, "invalid-flow", str(exc)))
    return findings


def parameters_of(action: dict[str, Any]) -> dict[str, Any]:
    parameters = action.get("Parameters")
    return parameters if isinstance(parameters, dict) else {}


def walk(start: Iterable[str], successors: dict[str, set[str]]) -> set[str]:
    seen, pending = set(start), list(start)
    while pending:
        for following in successors.get(pending.pop(), ()):
            if following not in seen:
                seen.add(following)
                pending.append(following)
    return seen
