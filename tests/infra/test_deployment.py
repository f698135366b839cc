"""What a real first deployment needs from the templates: stateful resources kept except when their own creation
rolls back (so a failed first deploy can be retried), deletion protection by context, the center's number claimed
or taken and wired to the inbound flow and to every queue's caller ID; and the pre-flight check read against them.

One extra synth for this module (`with_number`, warm, stand-in asset): the context a deployer would give.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callcenter.cli import main
from infra.removal import KEEP_DELETION_POLICY
from tests.infra.conftest import EXISTING_INSTANCE, EXISTING_NUMBER, Synthesized, as_list, render, synthesize
from tests.infra.synth_cache import lint_findings

pytestmark = pytest.mark.infra
REPO = Path(__file__).resolve().parents[2]
VIP_NUMBER = "+18005550123"
NUMBER_CONTEXT = {"stage": "numbered", "phone_number_country": "US", "phone_number_type": "TOLL_FREE",
                  "vip_line_number": VIP_NUMBER, "deletion_protection": "true"}
# Resource types that hold data or identity: kept on delete and replacement, deleted when their creation rolls back.
STATEFUL = ("AWS::Connect::Instance", "AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::S3::Bucket",
            "AWS::Logs::LogGroup", "AWS::Cognito::UserPool", "AWS::Connect::PhoneNumber")


@pytest.fixture(scope="module")
def with_number(tmp_path_factory: pytest.TempPathFactory, tiny_asset: Path) -> Synthesized:
    """The deployer's context: claim a US toll-free number, a VIP line, deletion protection on."""
    return synthesize(tmp_path_factory.mktemp("numbered"), NUMBER_CONTEXT, asset_dir=tiny_asset)


def _routing_environment(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.resource("Functions/Routing/Function")["Properties"]["Environment"]["Variables"]


# --- retain except on create ----------------------------------------------------------------------------

@pytest.mark.parametrize("resource_type", STATEFUL)
def test_stateful_resources_are_kept_except_when_their_creation_rolls_back(
        with_number: Synthesized, resource_type: str) -> None:
    resources = with_number.of_type(resource_type)
    assert resources, f"expected {resource_type} in the stack"
    for logical_id, resource in resources.items():
        assert resource.get("DeletionPolicy") == KEEP_DELETION_POLICY, logical_id
        assert resource.get("UpdateReplacePolicy") == "Retain", logical_id


def test_nothing_is_plain_retain_but_the_account_wide_api_gateway_role(synthesized: Synthesized) -> None:
    # A plain Retain would strand the resource on every failed first deployment, and the retry would collide with it
    retained = {logical_id: resource["Type"] for logical_id, resource in synthesized.resources.items()
                if resource.get("DeletionPolicy") == "Retain"}
    (role_id,) = [a["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
                  for a in synthesized.of_type("AWS::ApiGateway::Account").values()]
    assert retained == {role_id: "AWS::IAM::Role"}


def test_deletion_protection_is_off_by_default_so_a_failed_first_create_can_roll_back(
        synthesized: Synthesized) -> None:
    assert all(t["Properties"]["DeletionProtectionEnabled"] is False
               for t in synthesized.of_type("AWS::DynamoDB::Table").values())
    (pool,) = synthesized.of_type("AWS::Cognito::UserPool").values()
    assert pool["Properties"].get("DeletionProtection", "INACTIVE") == "INACTIVE"


def test_deletion_protection_comes_on_from_the_context(with_number: Synthesized) -> None:
    tables = with_number.of_type("AWS::DynamoDB::Table").values()
    assert tables and all(t["Properties"]["DeletionProtectionEnabled"] is True for t in tables)
    (pool,) = with_number.of_type("AWS::Cognito::UserPool").values()
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


# --- the center's number ----------------------------------------------------------------------------------

def test_the_default_context_claims_no_number(synthesized: Synthesized) -> None:
    assert not synthesized.of_type("AWS::Connect::PhoneNumber")
    assert not synthesized.of_type("Custom::PhoneNumberContactFlow")
    assert not [q for q in synthesized.of_type("AWS::Connect::Queue").values()
                if "OutboundCallerConfig" in q["Properties"]]
    # And the VIP line has no number when deployed (policy.json's is fictional)
    assert json.loads(_routing_environment(synthesized)["LINE_NUMBERS"]) == {"vip": []}


def test_a_number_is_claimed_on_the_instance_from_the_context(with_number: Synthesized) -> None:
    (number,) = with_number.of_type("AWS::Connect::PhoneNumber").values()
    (instance_id,) = with_number.of_type("AWS::Connect::Instance")
    assert number["Properties"]["CountryCode"] == "US"
    assert number["Properties"]["Type"] == "TOLL_FREE"
    assert number["Properties"]["TargetArn"] == {"Fn::GetAtt": [instance_id, "Arn"]}
    # A cdk destroy never releases the center's number
    assert number["DeletionPolicy"] == KEEP_DELETION_POLICY


def test_the_claimed_number_answers_with_the_inbound_flow(with_number: Synthesized) -> None:
    (number_id,) = with_number.of_type("AWS::Connect::PhoneNumber")
    (instance_id,) = with_number.of_type("AWS::Connect::Instance")
    inbound_id = with_number.logical_id("Flows/Inbound")
    (association,) = with_number.of_type("Custom::PhoneNumberContactFlow").values()
    properties = association["Properties"]
    assert render(properties["PhoneNumberId"]) == f"<<{number_id}.PhoneNumberArn> split / [1]>"
    assert render(properties["ContactFlowId"]) == f"<<{inbound_id}.ContactFlowArn> split / [3]>"
    assert render(properties["InstanceId"]) == f"<<{instance_id}.Arn> split / [1]>"


def test_the_association_function_may_only_associate_this_number_with_this_flow(with_number: Synthesized) -> None:
    (number_id,) = with_number.of_type("AWS::Connect::PhoneNumber")
    inbound_id = with_number.logical_id("Flows/Inbound")
    function = with_number.resource("PhoneLine/Association")
    assert function["Properties"]["Handler"] == "functions.telephony.number_flow.on_event"
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [s for p in with_number.of_type("AWS::IAM::Policy").values()
                  if {"Ref": role_id} in p["Properties"]["Roles"]
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    connect = [s for s in statements if any(a.startswith("connect:") for a in as_list(s["Action"]))]
    assert len(connect) == 1
    assert sorted(as_list(connect[0]["Action"])) == [
        "connect:AssociatePhoneNumberContactFlow", "connect:DisassociatePhoneNumberContactFlow"]
    assert sorted(render(r) for r in as_list(connect[0]["Resource"])) == sorted(
        [f"<{number_id}.PhoneNumberArn>", f"<{inbound_id}.ContactFlowArn>"])
    others = {a for s in statements if s not in connect for a in as_list(s["Action"])}
    assert others == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_every_queue_dials_out_from_the_claimed_number(with_number: Synthesized) -> None:
    (number_id,) = with_number.of_type("AWS::Connect::PhoneNumber")
    queues = with_number.of_type("AWS::Connect::Queue").values()
    assert queues
    for queue in queues:
        assert queue["Properties"]["OutboundCallerConfig"] == {
            "OutboundCallerIdNumberArn": {"Fn::GetAtt": [number_id, "PhoneNumberArn"]}}
    outputs = with_number.template.to_json()["Outputs"]
    assert outputs["PhoneNumberArn"]["Value"] == {"Fn::GetAtt": [number_id, "PhoneNumberArn"]}


def test_an_existing_number_is_used_by_arn_and_never_claimed(on_existing_instance: Synthesized) -> None:
    assert not on_existing_instance.of_type("AWS::Connect::PhoneNumber")
    (association,) = on_existing_instance.of_type("Custom::PhoneNumberContactFlow").values()
    assert association["Properties"]["PhoneNumberId"] == EXISTING_NUMBER.rsplit("/", 1)[-1]
    assert render(association["Properties"]["InstanceId"]) == EXISTING_INSTANCE.split("/")[1]
    for queue in on_existing_instance.of_type("AWS::Connect::Queue").values():
        assert queue["Properties"]["OutboundCallerConfig"] == {"OutboundCallerIdNumberArn": EXISTING_NUMBER}


def test_the_vip_line_number_comes_from_the_context(with_number: Synthesized) -> None:
    assert json.loads(_routing_environment(with_number)["LINE_NUMBERS"]) == {"vip": [VIP_NUMBER]}


# --- the pre-flight check against the synthesized templates ------------------------------------------------

def _deploy_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["deploy-check", "--offline", "--region", "us-east-1", *args])
    return code, capsys.readouterr().out.splitlines()


def test_deploy_check_on_the_default_context_says_no_number_is_configured(
        synthesized: Synthesized, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the repository's cdk.json as shipped, pointed at the synthesized test stage
    stage = synthesized.stack_name.split("-", 1)[1]
    code, lines = _deploy_check(capsys, "--context-file", str(REPO / "cdk.json"), "-c", f"stage={stage}",
                                "--cdk-out", str(synthesized.outdir))
    # Then it is not ready, and the one missing piece it names is the number
    assert code == 1
    missing = [line for line in lines if line.startswith("MISSING")]
    assert len(missing) == 1 and "no phone number is configured" in missing[0]
    assert lines[-1] == "1 missing piece(s): not ready"


def test_deploy_check_with_a_number_is_ready_offline(
        with_number: Synthesized, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    context_file = tmp_path / "cdk.json"
    context_file.write_text(json.dumps({"context": NUMBER_CONTEXT}), encoding="utf-8")
    code, lines = _deploy_check(capsys, "--context-file", str(context_file), "--cdk-out", str(with_number.outdir))
    assert code == 0, lines
    assert any(line.startswith("ok") and "a TOLL_FREE number claimed in US" in line for line in lines)
    assert lines[-1] == "ready: nothing missing"


def test_deploy_check_notices_a_template_that_does_not_match_the_context(
        synthesized: Synthesized, capsys: pytest.CaptureFixture[str]) -> None:
    stage = synthesized.stack_name.split("-", 1)[1]
    code, lines = _deploy_check(capsys, "--context-file", str(REPO / "cdk.json"), "-c", f"stage={stage}",
                                "-c", "phone_number_country=US", "-c", "phone_number_type=DID",
                                "--cdk-out", str(synthesized.outdir))
    assert code == 1
    assert any(line.startswith("MISSING") and "run `make synth` again" in line for line in lines)


def test_the_deployers_templates_pass_cdk_nag_and_cfn_lint(with_number: Synthesized) -> None:
    # The synth itself raised on any unacknowledged AwsSolutions finding (the custom resource's Provider included)
    assert with_number.validation_report["pluginReports"][0]["violations"] == []
    templates = sorted(with_number.outdir.glob("*.template.json"))
    assert templates
    findings = [finding for template in templates for finding in lint_findings(template)]
    assert findings == []
