"""The deployed contact flows are the flow files with deployed ARNs, and a bad flow stops the synthesis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowlang.flow import flow_files, load_flow
from flowlang.lint import FlowLintError
from flowlang.prompts import load_catalogs, localize
from functions.manifest import FUNCTIONS, ConnectFlowSource
from functions.routing.policy import load_policy
from infra.flow_checks import FlowPolicyMismatch
from infra.naming import pascal
from tests.infra.conftest import Synthesized, literal_parts, render

pytestmark = pytest.mark.infra


def _deployed(synthesized: Synthesized, name: str) -> dict[str, Any]:
    return synthesized.resource(f"Flows/{pascal(name)}")


def _rendered_content(synthesized: Synthesized, name: str) -> dict[str, Any]:
    return json.loads(render(_deployed(synthesized, name)["Properties"]["Content"]))


@pytest.mark.parametrize("name", sorted(flow_files()))
def test_deployed_flow_has_no_placeholders_or_hardcoded_arns(synthesized: Synthesized, name: str) -> None:
    content = _deployed(synthesized, name)["Properties"]["Content"]
    for literal in literal_parts(content):
        assert "{{" not in literal
        assert "arn:" not in literal, "ARNs in the deployed flow must come from the stack's resources"


@pytest.mark.parametrize("name", sorted(flow_files()))
def test_deployed_flow_is_the_flow_file_with_placeholders_resolved(synthesized: Synthesized, name: str) -> None:
    # Given the flow file with its prompts put in from the catalogs (per-language branches: flowlang/prompts.py),
    # and the deployed content with each ARN rendered as <LogicalId.Attribute>
    source = localize(load_flow(flow_files()[name]))
    deployed = _rendered_content(synthesized, name)
    # Then the structure is unchanged: same actions, types and transitions
    assert deployed["StartAction"] == source["StartAction"]
    assert [(a["Identifier"], a["Type"], a.get("Transitions")) for a in deployed["Actions"]] == [
        (a["Identifier"], a["Type"], a.get("Transitions")) for a in source["Actions"]]
    flow = _deployed(synthesized, name)["Properties"]
    assert flow["Type"] == "CONTACT_FLOW"
    assert flow["InstanceArn"] == {"Fn::GetAtt": [synthesized.logical_id("ContactCenter/Instance"), "Arn"]}


def test_inbound_flow_invokes_the_routing_function_and_falls_back_to_the_general_queue(
    synthesized: Synthesized,
) -> None:
    routing = synthesized.logical_id("Functions/Routing/Function")
    self_service = synthesized.logical_id("Functions/TicketSelfService/Function")
    verification = synthesized.logical_id("Functions/CallerVerification/Function")
    sentiment = synthesized.logical_id("Functions/SentimentContext/Function")
    general = synthesized.logical_id(f"ContactCenter/Queue{pascal(load_policy().default_queue)}")
    actions = _rendered_content(synthesized, "inbound")["Actions"]
    invocations = [a["Parameters"]["LambdaFunctionARN"] for a in actions if a["Type"] == "InvokeLambdaFunction"]
    # Routing decides the queue; the caller's PIN check, the ticket self-service and live sentiment's context
    # (asynchronous: Connect does not wait for it) are the only other functions
    assert f"<{routing}.Arn>" in invocations and f"<{verification}.Arn>" in invocations
    assert set(invocations) <= {f"<{routing}.Arn>", f"<{self_service}.Arn>", f"<{verification}.Arn>",
                                f"<{sentiment}.Arn>"}
    assert [a["Parameters"].get("InvocationType") for a in actions
            if a["Parameters"].get("LambdaFunctionARN") == f"<{sentiment}.Arn>"] == ["ASYNCHRONOUS"]
    fallback = {a["Parameters"]["QueueId"] for a in actions if a["Type"] == "UpdateContactTargetQueue"
                and not a["Parameters"]["QueueId"].startswith("$.")}
    assert fallback == {f"<{general}.QueueArn>"}


def test_the_deployed_inbound_flow_speaks_both_languages_with_their_voices(synthesized: Synthesized) -> None:
    actions = _rendered_content(synthesized, "inbound")["Actions"]
    texts = {a["Parameters"].get("Text") for a in actions if a["Type"] == "MessageParticipant"}
    voices = {a["Parameters"]["TextToSpeechVoice"] for a in actions if a["Type"] == "UpdateContactTextToSpeechVoice"}
    catalogs = load_catalogs()
    assert {catalog.prompts["welcome"] for catalog in catalogs.languages.values()} <= texts
    assert voices == {catalog.voice["name"] for catalog in catalogs.languages.values()}
    assert len(actions) <= 250


def test_survey_flow_stores_answers_through_the_survey_answers_function(synthesized: Synthesized) -> None:
    answers = synthesized.logical_id("Functions/SurveyAnswers/Function")
    actions = _rendered_content(synthesized, "survey")["Actions"]
    invocations = {a["Parameters"]["LambdaFunctionARN"] for a in actions if a["Type"] == "InvokeLambdaFunction"}
    assert invocations == {f"<{answers}.Arn>"}


def test_outreach_flow_records_answers_through_outreach_response_and_routes_to_agents(
    synthesized: Synthesized,
) -> None:
    # Given the deployed outreach flow, each ARN rendered as <LogicalId.Attribute>
    actions = _rendered_content(synthesized, "outreach")["Actions"]
    invocations = {a["Parameters"]["LambdaFunctionARN"] for a in actions if a["Type"] == "InvokeLambdaFunction"}
    # Then it invokes the outreach-response function (remind me later, stop) and routing (an agent now)
    functions = {name: synthesized.logical_id(f"Functions/{pascal(name)}/Function")
                 for name in ("outreach-response", "routing")}
    assert invocations == {f"<{logical_id}.Arn>" for logical_id in functions.values()}
    # And any queue it names statically is a queue of this stack
    queues = {a["Parameters"]["QueueId"] for a in actions if a["Type"] == "UpdateContactTargetQueue"
              and not a["Parameters"]["QueueId"].startswith("$.")}
    connect_queues = {f"<{logical_id}.QueueArn>" for logical_id in synthesized.of_type("AWS::Connect::Queue")}
    assert queues <= connect_queues


def test_flows_are_created_after_the_lambda_associations(synthesized: Synthesized) -> None:
    associations = {synthesized.logical_id(f"Functions/{pascal(name)}Association")
                    for name, spec in FUNCTIONS.items() if isinstance(spec.source, ConnectFlowSource)}
    for name in flow_files():
        assert associations <= set(_deployed(synthesized, name).get("DependsOn", []))


# --- a bad flow fails the synthesis --------------------------------------------------------------

def _contact_flows(tmp_path: Path, flow: dict[str, Any]) -> None:
    """Build the flows construct in a throwaway stack from one modified inbound flow."""
    import aws_cdk as cdk

    from infra.constructs.flows import ContactFlows

    path = tmp_path / "inbound.json"
    path.write_text(json.dumps(flow), encoding="utf-8")
    policy = load_policy()
    ContactFlows(
        cdk.Stack(cdk.App(), "BrokenFlow"), "Flows",
        instance_arn="instance-arn",
        policy=policy,
        function_arns={name: f"{name}-arn" for name in FUNCTIONS},
        queue_arns={name: f"{name}-arn" for name in policy.queues},
        hours_arns={name: f"{name}-arn" for name in policy.hours},
        depends_on=[],
        sources={"inbound": path},
    )


def _inbound() -> dict[str, Any]:
    return load_flow(flow_files()["inbound"])


def _action(flow: dict[str, Any], identifier: str) -> dict[str, Any]:
    return next(a for a in flow["Actions"] if a["Identifier"] == identifier)


def test_a_flow_with_a_lint_finding_fails_the_synthesis(tmp_path: Path) -> None:
    # Given an inbound flow that waits for the routing Lambda no longer than the Lambda's own timeout
    flow = _inbound()
    invoke = next(a for a in flow["Actions"] if a["Type"] == "InvokeLambdaFunction")
    invoke["Parameters"]["InvocationTimeLimitSeconds"] = str(FUNCTIONS["routing"].timeout_seconds)
    # When the flows construct is built, Then the lint finding stops it
    with pytest.raises(FlowLintError, match="invocation-time-limit-vs-timeout"):
        _contact_flows(tmp_path, flow)


def test_a_flow_naming_an_unknown_queue_fails_the_synthesis(tmp_path: Path) -> None:
    flow = _inbound()
    _action(flow, "set-fallback-queue")["Parameters"]["QueueId"] = "{{queue:no_such_queue}}"
    with pytest.raises(FlowLintError, match="unknown-placeholder"):
        _contact_flows(tmp_path, flow)


def test_a_flow_missing_a_policy_priority_fails_the_synthesis(tmp_path: Path) -> None:
    # Given an inbound flow whose priority-2 branch sets priority 5 instead
    flow = _inbound()
    branch = next(a for a in flow["Actions"] if a["Type"] == "UpdateContactRoutingBehavior"
                  and a["Parameters"]["QueuePriority"] == "2")
    branch["Parameters"]["QueuePriority"] = "5"
    with pytest.raises(FlowPolicyMismatch, match="priority 2"):
        _contact_flows(tmp_path, flow)


def test_a_flow_cannot_invoke_a_queue_consumer(tmp_path: Path) -> None:
    # Given an inbound flow that invokes the survey dispatcher (an SQS consumer, not a flow function)
    flow = _inbound()
    invoke = next(a for a in flow["Actions"] if a["Type"] == "InvokeLambdaFunction")
    invoke["Parameters"]["LambdaFunctionARN"] = "{{lambda:survey-dispatcher}}"
    with pytest.raises(FlowLintError, match="unknown-placeholder"):
        _contact_flows(tmp_path, flow)
