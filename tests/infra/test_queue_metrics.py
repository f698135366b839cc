"""The queue-metrics function in the template: every minute, reading only the instance's queues, graphed on the
dashboard, an alarm per queue below its service-level target (from the shared session synth)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.manifest import FUNCTIONS
from functions.routing.policy import load_policy
from infra.naming import pascal
from tests.infra.conftest import Synthesized, as_list, role_statements

pytestmark = pytest.mark.infra
SPEC = FUNCTIONS["queue-metrics"]


def _function_id(synthesized: Synthesized) -> str:
    return synthesized.logical_id("Functions/QueueMetrics/Function")


def test_a_rule_runs_it_every_minute_without_retries(synthesized: Synthesized) -> None:
    function = {"Fn::GetAtt": [_function_id(synthesized), "Arn"]}
    rules = [r["Properties"] for r in synthesized.of_type("AWS::Events::Rule").values()
             if any(t["Arn"] == function for t in r["Properties"].get("Targets", []))]
    assert len(rules) == 1 and rules[0]["ScheduleExpression"] == "rate(1 minute)"
    (target,) = rules[0]["Targets"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}
    # Lambda's own asynchronous retries are off too: a late or failed run is replaced by the next one
    (config,) = [c["Properties"] for c in synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
                 if c["Properties"]["FunctionName"] == {"Ref": _function_id(synthesized)}]
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 60)
    # Only EventBridge, from that rule, may invoke it
    permissions = [p["Properties"] for p in synthesized.of_type("AWS::Lambda::Permission").values()
                   if p["Properties"]["FunctionName"] == function]
    assert [p["Principal"] for p in permissions] == ["events.amazonaws.com"]
    assert SPEC.timeout_seconds < 60


def test_its_logs_are_encrypted_and_expire(synthesized: Synthesized) -> None:
    function = synthesized.resources[_function_id(synthesized)]["Properties"]
    log_group = synthesized.resources[function["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    assert log_group["RetentionInDays"] > 0 and "KmsKeyId" in log_group


def test_it_reads_metrics_of_the_instance_and_its_queues_only(synthesized: Synthesized) -> None:
    function = synthesized.resources[_function_id(synthesized)]["Properties"]
    connect = [s for s in role_statements(synthesized, function)
               if any(a.startswith("connect:") for a in as_list(s["Action"]))]
    assert len(connect) == 1
    assert set(as_list(connect[0]["Action"])) == {"connect:GetCurrentMetricData", "connect:GetMetricDataV2"}
    resources = as_list(connect[0]["Resource"])
    queues = [{"Fn::GetAtt": [synthesized.logical_id(f"ContactCenter/Queue{pascal(q)}"), "QueueArn"]}
              for q in load_policy().queues]
    instance = {"Fn::GetAtt": [synthesized.logical_id("ContactCenter/Instance"), "Arn"]}
    assert resources == [instance, *queues]
    # It is told the instance and the queues, from the same resources
    variables = function["Environment"]["Variables"]
    assert {"CONNECT_INSTANCE_ID", "QUEUE_ARNS"} <= set(variables)


def _service_level_alarms(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    alarms = {}
    for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties.get("MetricName") == "ServiceLevel15m":
            dimensions = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
            alarms[dimensions["queue"]] = properties
            assert dimensions["service"] == SPEC.environment["POWERTOOLS_SERVICE_NAME"]
    return alarms


def test_each_queue_alarms_below_its_policy_target(synthesized: Synthesized) -> None:
    policy = load_policy()
    alarms = _service_level_alarms(synthesized)
    expected = {name: q.service_level for name, q in policy.queues.items() if q.service_level}
    assert set(alarms) == set(expected) and expected
    topic = {"Ref": synthesized.logical_id("Monitoring/AlarmTopic")}
    for queue, level in expected.items():
        alarm = alarms[queue]
        assert alarm["Namespace"] == SPEC.environment["POWERTOOLS_METRICS_NAMESPACE"]
        assert alarm["ComparisonOperator"] == "LessThanThreshold"
        assert alarm["Threshold"] == pytest.approx(100 * level.target)
        assert alarm["TreatMissingData"] == "notBreaching"  # nobody queued in 15 minutes is not a breach
        assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 3
        assert alarm["AlarmActions"] == [topic]
        assert f"within {level.seconds} s" in alarm["AlarmDescription"]


def test_the_dashboard_graphs_every_queue(synthesized: Synthesized) -> None:
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    text = json.dumps(body)
    for title in ("Contacts in queue", "Oldest contact in queue", "Agents available", "Service level, last 15"):
        assert title.lower() in text.lower()
    for queue in load_policy().queues:
        assert f'\\"queue\\",\\"{queue}\\"' in text


def test_the_queue_models_routing_profiles_are_the_stacks(synthesized: Synthesized) -> None:
    # The local queue model's agents take the queues of the routing profile the stack deploys, in its order (its
    # calls; the same queues take chats in the same order)
    from callcenter.queueing.staffing import routing_profiles

    queue_names = {synthesized.logical_id(f"ContactCenter/Queue{pascal(q)}"): q for q in load_policy().queues}
    deployed = {}
    for profile in synthesized.of_type("AWS::Connect::RoutingProfile").values():
        properties = profile["Properties"]
        configs = sorted((c for c in properties["QueueConfigs"] if c["QueueReference"]["Channel"] == "VOICE"),
                         key=lambda c: c["Priority"])
        name = queue_names[properties["DefaultOutboundQueueArn"]["Fn::GetAtt"][0]]
        deployed[name] = tuple(queue_names[c["QueueReference"]["QueueArn"]["Fn::GetAtt"][0]] for c in configs)
    assert deployed == routing_profiles(load_policy())
