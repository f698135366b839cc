"""The Lambda functions run as the manifest says, see only their tables, and only Connect may call them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flowlang.flow import Placeholder, flow_files, load_flow
from flowlang.language import static_int
from functions.data.tables import TABLES, table_schema
from functions.manifest import FUNCTIONS, FunctionSpec
from functions.routing.policy import load_policy
from infra.naming import pascal
from tests.infra.conftest import Synthesized, render

pytestmark = pytest.mark.infra
SPECS = list(FUNCTIONS.values())
READ_ONLY = {"dynamodb:GetItem", "dynamodb:Query"}


def _function(synthesized: Synthesized, spec: FunctionSpec) -> tuple[str, dict[str, Any]]:
    logical_id = synthesized.logical_id(f"Functions/{pascal(spec.name)}/Function")
    return logical_id, synthesized.resources[logical_id]["Properties"]


def _role_statements(synthesized: Synthesized, function: dict[str, Any]) -> list[dict[str, Any]]:
    role_id = function["Role"]["Fn::GetAtt"][0]
    role = synthesized.resources[role_id]["Properties"]
    assert not role.get("ManagedPolicyArns"), "the role should carry no managed policies"
    statements = [s for policy in role.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_function_runs_as_the_manifest_says(synthesized: Synthesized, spec: FunctionSpec) -> None:
    _, function = _function(synthesized, spec)
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == spec.handler
    assert function["Timeout"] == spec.timeout_seconds
    assert function["MemorySize"] == spec.memory_mb
    assert function["TracingConfig"] == {"Mode": "Active"}
    log_group = synthesized.resources[function["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    assert log_group["RetentionInDays"] > 0
    assert "KmsKeyId" in log_group


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_function_environment_is_static_plus_tables_plus_wired(synthesized: Synthesized, spec: FunctionSpec) -> None:
    _, function = _function(synthesized, spec)
    environment = function["Environment"]["Variables"]
    assert {k: environment[k] for k in spec.environment} == spec.environment
    for table_name in spec.tables_read + spec.tables_written:
        table_id = synthesized.logical_id(f"Tables/{pascal(table_name)}/Table")
        assert environment[TABLES[table_name].env_var] == {"Ref": table_id}
    assert set(spec.wired_environment) <= set(environment)


def test_queue_arns_maps_every_policy_queue_to_its_deployed_queue(synthesized: Synthesized) -> None:
    # Given the routing function's QUEUE_ARNS, with each deployed ARN rendered as <LogicalId.Attribute>
    _, function = _function(synthesized, FUNCTIONS["routing"])
    queue_arns = json.loads(render(function["Environment"]["Variables"]["QUEUE_ARNS"]))
    # Then every policy queue is there and points at the Connect queue of that name
    assert set(queue_arns) == set(load_policy().queues)
    for name, arn in queue_arns.items():
        logical_id, attribute = arn.strip("<>").split(".")
        queue = synthesized.resources[logical_id]
        assert (queue["Type"], attribute) == ("AWS::Connect::Queue", "QueueArn")
        assert queue["Properties"]["Name"] == name


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_function_timeout_is_below_every_flow_invocation_limit(spec: FunctionSpec) -> None:
    placeholder = str(Placeholder("lambda", spec.name))
    limits = [
        static_int(action["Parameters"]["InvocationTimeLimitSeconds"])
        for path in flow_files().values()
        for action in load_flow(path)["Actions"]
        if action["Type"] == "InvokeLambdaFunction" and action["Parameters"].get("LambdaFunctionARN") == placeholder
    ]
    assert limits, f"no flow invokes {placeholder}"
    assert all(limit is not None and spec.timeout_seconds < limit for limit in limits), limits


def _table_resources(synthesized: Synthesized, table_names: tuple[str, ...]) -> set[str]:
    """The rendered ARNs of the tables and of each of their named indexes."""
    resources = set()
    for name in table_names:
        table_id = synthesized.logical_id(f"Tables/{pascal(name)}/Table")
        resources.add(f"<{table_id}.Arn>")
        resources |= {f"<{table_id}.Arn>/index/{index.name}"
                      for index in table_schema(TABLES[name].model).global_indexes}
    return resources


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_function_role_allows_only_what_the_manifest_grants(synthesized: Synthesized, spec: FunctionSpec) -> None:
    # Given the function's role policies and the tables the manifest lets it read and write
    _, function = _function(synthesized, spec)
    readable = _table_resources(synthesized, spec.tables_read)
    writable = _table_resources(synthesized, spec.tables_written)
    for statement in _role_statements(synthesized, function):
        assert statement["Effect"] == "Allow"
        actions = set(_as_list(statement["Action"]))
        resources = [render(resource) for resource in _as_list(statement["Resource"])]
        # Then only X-Ray (which has no resource-level permissions) has a wildcard resource
        if "*" in resources:
            assert actions <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, statement
        if not any(action.startswith("dynamodb:") for action in actions):
            continue
        # And DynamoDB actions name declared tables and indexes only, read-only unless the table is written
        for resource in resources:
            assert resource in readable or resource in writable, f"{actions} on undeclared {resource}"
            if resource not in writable:
                assert actions <= READ_ONLY, statement


def test_routing_role_reads_the_profiles_table_and_its_phone_index(synthesized: Synthesized) -> None:
    _, function = _function(synthesized, FUNCTIONS["routing"])
    table_id = synthesized.logical_id("Tables/Profiles/Table")
    dynamodb = [s for s in _role_statements(synthesized, function)
                if any(a.startswith("dynamodb:") for a in _as_list(s["Action"]))]
    assert len(dynamodb) == 1
    assert set(_as_list(dynamodb[0]["Action"])) == READ_ONLY
    assert sorted(render(r) for r in dynamodb[0]["Resource"]) == [
        f"<{table_id}.Arn>", f"<{table_id}.Arn>/index/by_phone"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_only_the_connect_instance_may_invoke_the_function(synthesized: Synthesized, spec: FunctionSpec) -> None:
    function_id, _ = _function(synthesized, spec)
    instance_id = synthesized.logical_id("ContactCenter/Instance")
    permissions = [p["Properties"] for p in synthesized.of_type("AWS::Lambda::Permission").values()
                   if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}]
    assert permissions == [{
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
        "Principal": "connect.amazonaws.com",
        "SourceArn": {"Fn::GetAtt": [instance_id, "Arn"]},
        "SourceAccount": {"Ref": "AWS::AccountId"},
    }]
    synthesized.template.has_resource_properties("AWS::Connect::IntegrationAssociation", {
        "InstanceId": {"Fn::GetAtt": [instance_id, "Arn"]},
        "IntegrationType": "LAMBDA_FUNCTION",
        "IntegrationArn": {"Fn::GetAtt": [function_id, "Arn"]},
    })
