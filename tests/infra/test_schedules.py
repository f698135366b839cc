"""The outreach planner runs on EventBridge Scheduler, one schedule per enabled campaign of campaigns.json,
through a role that may only invoke it; a run that fails ends in a dead-letter queue; a bad campaigns file
stops the synthesis."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from functions.manifest import FUNCTIONS, QUEUES, ScheduleSource
from functions.outreach.campaigns import CAMPAIGNS_PATH, SCHEDULED_TIME, CampaignError, load_campaigns
from infra.constructs.schedules import scheduled_campaigns
from infra.naming import pascal
from tests.infra.conftest import STAGE, Synthesized, as_list, render

pytestmark = pytest.mark.infra
PLANNER = FUNCTIONS["outreach-planner"]
SCHEDULED = load_campaigns().scheduled()


def _planner_id(synthesized: Synthesized) -> str:
    return synthesized.logical_id(f"Functions/{pascal(PLANNER.name)}/Function")


def _part(synthesized: Synthesized, part: str) -> str:
    return synthesized.logical_id(f"Functions/{pascal(PLANNER.name)}Schedules/{part}")


def _schedules(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """Every schedule of the stack, by name."""
    return {s["Properties"]["Name"]: s for s in synthesized.of_type("AWS::Scheduler::Schedule").values()}


def _statements(synthesized: Synthesized, role_id: str) -> list[dict[str, Any]]:
    return [statement for policy in synthesized.of_type("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]]


def test_the_planner_is_a_scheduled_function() -> None:
    assert isinstance(PLANNER.source, ScheduleSource)
    assert SCHEDULED, "campaigns.json should schedule at least one campaign"


# --- one schedule per enabled campaign -------------------------------------------------------------

def test_one_schedule_per_enabled_campaign_in_the_stage_group(synthesized: Synthesized) -> None:
    schedules = _schedules(synthesized)
    assert set(schedules) == {f"{PLANNER.name}-{campaign.id}" for campaign in SCHEDULED}
    group_id = synthesized.logical_id("Functions/ScheduleGroup")
    group = synthesized.resources[group_id]
    assert group["Properties"]["Name"] == f"callcenter-{STAGE}"  # stages sharing an account keep apart
    for schedule in schedules.values():
        assert schedule["Properties"]["GroupName"] == f"callcenter-{STAGE}"
        # The group is named by a literal, not a reference: the explicit dependency orders the creation
        assert group_id in schedule["DependsOn"]


@pytest.mark.parametrize("campaign", SCHEDULED, ids=lambda campaign: campaign.id)
def test_schedule_runs_the_planner_at_the_campaign_time_with_the_campaign_event(
    synthesized: Synthesized, campaign: Any,
) -> None:
    schedule = _schedules(synthesized)[f"{PLANNER.name}-{campaign.id}"]["Properties"]
    # Then it fires at the campaign's cron expression in the campaign's own time zone, on time
    assert schedule["ScheduleExpression"] == campaign.schedule.expression
    assert schedule["ScheduleExpressionTimezone"] == campaign.schedule.time_zone
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["State"] == "ENABLED"
    # And it invokes the planner with the campaign's event, the scheduled time filled in by Scheduler
    target = schedule["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [_planner_id(synthesized), "Arn"]}
    assert json.loads(target["Input"]) == campaign.schedule_input()
    assert json.loads(target["Input"])["scheduled_time"] == SCHEDULED_TIME == "<aws.scheduler.scheduled-time>"
    assert target["RoleArn"] == {"Fn::GetAtt": [_part(synthesized, "SchedulerRole"), "Arn"]}
    # And a run Scheduler cannot deliver is retried, then dead-lettered
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert 60 <= target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [_part(synthesized, "DeadLetterQueue"), "Arn"]}}


def test_a_failed_run_of_the_planner_is_retried_then_dead_lettered(synthesized: Synthesized) -> None:
    # Scheduler invokes Lambda asynchronously: a function error is Lambda's to retry, not Scheduler's
    (config,) = [c["Properties"] for c in synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
                 if c["Properties"]["FunctionName"] == {"Ref": _planner_id(synthesized)}]
    assert config["MaximumRetryAttempts"] >= 1
    assert config["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [_part(synthesized, "DeadLetterQueue"), "Arn"]}}}


def test_the_runs_dead_letter_queue_is_encrypted_and_tls_only(synthesized: Synthesized) -> None:
    dlq_id = _part(synthesized, "DeadLetterQueue")
    queue = synthesized.resources[dlq_id]["Properties"]
    key_id = _part(synthesized, "Key")
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert synthesized.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    (policy,) = [p["Properties"]["PolicyDocument"]["Statement"]
                 for p in synthesized.of_type("AWS::SQS::QueuePolicy").values()
                 if {"Ref": dlq_id} in p["Properties"]["Queues"]]
    assert any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy)
    assert not [s for s in policy if s["Effect"] == "Allow"], "senders are allowed by their roles, nobody else"


# --- the scheduler role ------------------------------------------------------------------------------

def test_only_scheduler_for_this_stage_group_may_assume_the_scheduler_role(synthesized: Synthesized) -> None:
    role = synthesized.resources[_part(synthesized, "SchedulerRole")]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [synthesized.logical_id("Functions/ScheduleGroup"), "Arn"]}},
    }
    assert not role.get("ManagedPolicyArns")


def test_the_scheduler_role_can_invoke_only_the_planner_and_dead_letter_its_runs(synthesized: Synthesized) -> None:
    statements = _statements(synthesized, _part(synthesized, "SchedulerRole"))
    by_action = {tuple(sorted(as_list(s["Action"]))): s for s in statements}
    assert set(by_action) == {("lambda:InvokeFunction",), ("sqs:SendMessage",), ("kms:Decrypt", "kms:GenerateDataKey")}
    # The planner's unqualified ARN only (what the schedules target): no other function, version or alias
    assert as_list(by_action[("lambda:InvokeFunction",)]["Resource"]) == [
        {"Fn::GetAtt": [_planner_id(synthesized), "Arn"]}]
    assert as_list(by_action[("sqs:SendMessage",)]["Resource"]) == [
        {"Fn::GetAtt": [_part(synthesized, "DeadLetterQueue"), "Arn"]}]
    kms = by_action[("kms:Decrypt", "kms:GenerateDataKey")]
    assert as_list(kms["Resource"]) == [{"Fn::GetAtt": [_part(synthesized, "Key"), "Arn"]}]
    assert render(kms["Condition"]["StringEquals"]["kms:ViaService"]) == "sqs.<AWS::Region>.amazonaws.com"


def test_the_planner_is_invoked_by_its_schedules_only(synthesized: Synthesized) -> None:
    planner = _planner_id(synthesized)
    # No resource policy (Connect or anyone), no Connect association, no queue mapping
    assert not [p for p in synthesized.of_type("AWS::Lambda::Permission").values()
                if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [planner, "Arn"]}]
    assert not [a for a in synthesized.of_type("AWS::Connect::IntegrationAssociation").values()
                if a["Properties"]["IntegrationArn"] == {"Fn::GetAtt": [planner, "Arn"]}]
    assert not [m for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == {"Ref": planner}]
    # And no other role of the stack may invoke it
    invokers = {policy["Properties"]["Roles"][0]["Ref"] for policy in synthesized.of_type("AWS::IAM::Policy").values()
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
                if "lambda:InvokeFunction" in as_list(s["Action"])}
    assert invokers == {_part(synthesized, "SchedulerRole")}


# --- the campaigns file decides, and a bad one stops the synthesis -------------------------------------

def _campaigns_file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "campaigns.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _document() -> dict[str, Any]:
    return copy.deepcopy(json.loads(CAMPAIGNS_PATH.read_text(encoding="utf-8")))


def _build_functions(tiny_asset: Path, campaigns: Path) -> Any:
    """The functions construct in a throwaway stack, with only the planner, reading `campaigns`."""
    import aws_cdk as cdk

    from infra.constructs.functions import ConnectInstance, Functions
    from infra.constructs.messaging import Messaging
    from infra.constructs.tables import Tables

    planner = msgspec.structs.replace(PLANNER, source=ScheduleSource(campaigns=str(campaigns)))
    stack = cdk.Stack(cdk.App(), "Campaigns")
    messaging = Messaging(stack, "Messaging", stage="t", instance_arn="instance-arn",
                          queues={name: QUEUES[name] for name in PLANNER.queues_sent}, rules={})
    return Functions(stack, "Functions", stage="t", asset_dir=tiny_asset, tables=Tables(stack, "Tables").by_name,
                     queues=messaging.queues, event_bus=messaging.event_bus, wired_environment={},
                     instance=ConnectInstance("instance-arn", "111122223333"), specs={planner.name: planner})


def test_the_manifest_campaigns_path_is_the_repository_file() -> None:
    assert isinstance(PLANNER.source, ScheduleSource)
    assert scheduled_campaigns(PLANNER.source) == SCHEDULED


def test_a_disabled_campaign_gets_no_schedule(tmp_path: Path, tiny_asset: Path) -> None:
    # Given a campaigns file whose first campaign is disabled
    document = _document()
    assert len(document["campaigns"]) >= 2
    document["campaigns"][0]["enabled"] = False
    disabled, *enabled = (campaign["id"] for campaign in document["campaigns"])
    # When the functions are built
    functions = _build_functions(tiny_asset, _campaigns_file(tmp_path, document))
    # Then only the enabled campaigns are scheduled
    assert set(functions.schedules[PLANNER.name].schedules) == set(enabled)
    assert disabled not in functions.schedules[PLANNER.name].schedules


@pytest.mark.parametrize(("change", "problem"), [
    (lambda c: c["schedule"].update(expression="rate(1 day)"), "cron"),
    (lambda c: c["schedule"].update(time_zone="Mars/Olympus_Mons"), "time_zone"),
    (lambda c: c.update(window_days=c["days_before"] + 1), "window_days"),
], ids=["not-cron", "unknown-zone", "window-beyond-date"])
def test_an_invalid_campaigns_file_stops_the_synthesis(tmp_path: Path, tiny_asset: Path, change: Any,
                                                       problem: str) -> None:
    document = _document()
    change(document["campaigns"][0])
    with pytest.raises(CampaignError, match=problem):
        _build_functions(tiny_asset, _campaigns_file(tmp_path, document))
