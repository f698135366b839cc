"""Contact flows from infra/flows/*.json: linted, checked against the policy, then deployed.

Synthesis fails (FlowLintError, FlowPolicyMismatch) before any flow reaches Connect if a flow breaks a
lint rule, disagrees with the routing policy, or names a placeholder nothing in the stack provides.
Prompts (`{{prompt:NAME}}`, `{{voice:...}}`) come from the catalogs in infra/flows/prompts/ (one per language,
see flowlang/prompts.py); the other placeholders are replaced by the deployed ARNs: `{{lambda:NAME}}` by the
function (only functions whose source is ConnectFlowSource: a queue consumer is not for flows),
`{{queue:NAME}}` and `{{hours:NAME}}` by the policy's queue and hours, `{{flow:NAME}}` by another flow of
this stack.

`flow_id(NAME)` is the deployed flow's id (what StartOutboundVoiceContact takes), cut from its ARN
(`.../instance/<instance id>/contact-flow/<flow id>`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import CfnResource
from aws_cdk import aws_connect as connect
from constructs import Construct

from flowlang.flow import Placeholder, flow_files, load_flow, placeholders, substitute
from flowlang.lint import lint_files, lint_flow, require_clean
from flowlang.prompts import load_catalogs, localize
from functions.manifest import FUNCTIONS, FunctionSpec
from functions.routing.policy import RoutingPolicy
from infra.flow_checks import lint_context, require_consistent
from infra.naming import pascal


def checked_flows(sources: Mapping[str, Path], policy: RoutingPolicy,
                  specs: Mapping[str, FunctionSpec] = FUNCTIONS) -> dict[str, dict[str, Any]]:
    """Lint the flow files and check them against the policy; raise on any finding, else load them with their
    prompts put in from the catalogs (flowlang/prompts.py), linted again as deployed."""
    context = lint_context(policy, set(sources), specs)
    require_clean(lint_files(dict(sources), context))
    flows = {name: load_flow(path) for name, path in sources.items()}
    require_consistent(flows, policy)
    catalogs = load_catalogs()
    localized = {name: localize(flow, catalogs) for name, flow in flows.items()}
    require_clean([finding for name, flow in localized.items() for finding in lint_flow(flow, name, context)])
    return localized


def _deploy_order(flows: Mapping[str, dict[str, Any]]) -> list[str]:
    """Flows that others reference ({{flow:NAME}}) come first, so their ARNs exist."""
    needs = {name: {p.name for p in placeholders(flow) if p.kind == "flow"} for name, flow in flows.items()}
    try:
        return list(TopologicalSorter(needs).static_order())
    except CycleError as exc:
        raise ValueError(f"contact flows reference each other in a cycle: {exc.args[1]}") from exc


class ContactFlows(Construct):
    """One CfnContactFlow per flow file, after lint and policy checks, with deployed ARNs substituted."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_arn: str,
        policy: RoutingPolicy,
        function_arns: Mapping[str, str],
        queue_arns: Mapping[str, str],
        hours_arns: Mapping[str, str],
        depends_on: list[CfnResource],
        name_suffix: str = "",
        sources: Mapping[str, Path] | None = None,
        view_arns: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        flows = checked_flows(flow_files() if sources is None else sources, policy)
        self.flow_arns: dict[str, str] = {}
        arns = {"lambda": function_arns, "queue": queue_arns, "hours": hours_arns, "flow": self.flow_arns,
                "view": dict(view_arns or {})}

        def resolve(placeholder: Placeholder) -> str:
            return arns[placeholder.kind][placeholder.name]

        self.by_name: dict[str, connect.CfnContactFlow] = {}
        for name in _deploy_order(flows):
            flow = flows[name]
            content = substitute(flow, resolve)
            resource = connect.CfnContactFlow(
                self, pascal(name),
                instance_arn=instance_arn,
                name=f"{flow.get('Metadata', {}).get('name', name)}{name_suffix}",
                description=str(flow.get("Metadata", {}).get("description", f"{name} flow"))[:500],
                type="CONTACT_FLOW",
                state="ACTIVE",
                content=json.dumps(content, separators=(",", ":")),
            )
            for dependency in depends_on:
                resource.node.add_dependency(dependency)
            self.flow_arns[name] = resource.attr_contact_flow_arn
            self.by_name[name] = resource

    def flow_id(self, name: str) -> str:
        if name not in self.flow_arns:
            raise KeyError(f"there is no {name!r} flow (known: {', '.join(sorted(self.flow_arns))})")
        # arn:aws:connect:<region>:<account>:instance/<instance id>/contact-flow/<flow id>
        return cdk.Fn.select(3, cdk.Fn.split("/", self.flow_arns[name]))
