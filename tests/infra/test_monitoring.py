"""Alarms that matter for callers, each notifying an encrypted topic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.manifest import FUNCTIONS, QUEUES
from functions.outreach.campaigns import OUTREACH_CHANNELS
from functions.tickets.notifications import NOTIFICATION_CHANNELS
from infra.naming import pascal
from infra.removal import KEEP_DELETION_POLICY
from tests.infra.conftest import STAGE, Synthesized, render

pytestmark = pytest.mark.infra
ROUTING = FUNCTIONS["routing"]


def _alarms(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [alarm["Properties"] for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()]


def _topic_id(synthesized: Synthesized) -> str:
    return synthesized.logical_id("Monitoring/AlarmTopic")


def _alarm(synthesized: Synthesized, namespace: str, metric: str, dimensions: list[dict[str, Any]]) -> dict:
    matches = [a for a in _alarms(synthesized) if (a["Namespace"], a["MetricName"]) == (namespace, metric)
               and a["Dimensions"] == dimensions]
    assert len(matches) == 1, f"expected one alarm on {namespace}/{metric} {dimensions}"
    assert matches[0]["AlarmActions"] == [{"Ref": _topic_id(synthesized)}]
    return matches[0]


def _function_dimension(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [{"Name": "FunctionName", "Value": {"Ref": synthesized.logical_id("Functions/Routing/Function")}}]


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_routing_function_failures_raise_an_alarm(synthesized: Synthesized, metric: str) -> None:
    alarm = _alarm(synthesized, "AWS/Lambda", metric, _function_dimension(synthesized))
    assert alarm["Statistic"] == "Sum"
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_routing_duration_near_the_timeout_raises_an_alarm(synthesized: Synthesized) -> None:
    alarm = _alarm(synthesized, "AWS/Lambda", "Duration", _function_dimension(synthesized))
    assert alarm["ExtendedStatistic"] == "p99"
    assert 0 < alarm["Threshold"] < ROUTING.timeout_seconds * 1000


def test_profile_lookup_failures_raise_an_alarm_on_the_powertools_metric(synthesized: Synthesized) -> None:
    # Powertools Metrics adds the dimension service=<POWERTOOLS_SERVICE_NAME> to every metric
    alarm = _alarm(synthesized, ROUTING.environment["POWERTOOLS_METRICS_NAMESPACE"], "ProfileLookupFailed",
                   [{"Name": "service", "Value": ROUTING.environment["POWERTOOLS_SERVICE_NAME"]}])
    assert alarm["Threshold"] == 1


def test_alarm_topic_is_encrypted_and_requires_tls(synthesized: Synthesized) -> None:
    topic = synthesized.resource("Monitoring/AlarmTopic")["Properties"]
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = synthesized.resources[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    # Like every key: not deleted with the stack (only if its own creation rolls back)
    assert synthesized.resources[key_id]["DeletionPolicy"] == KEEP_DELETION_POLICY
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
               for s in key["KeyPolicy"]["Statement"]), "CloudWatch must be able to publish to the topic"
    policy = next(p["Properties"] for p in synthesized.of_type("AWS::SNS::TopicPolicy").values()
                  if {"Ref": _topic_id(synthesized)} in p["Properties"]["Topics"])
    assert any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy["PolicyDocument"]["Statement"])


def test_dashboard_graphs_the_routing_function_and_its_outcomes(synthesized: Synthesized) -> None:
    dashboard = next(iter(synthesized.of_type("AWS::CloudWatch::Dashboard").values()))["Properties"]
    body = json.loads(render(dashboard["DashboardBody"]))
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"].get("metrics", [])]
    function_ref = f"<{synthesized.logical_id('Functions/Routing/Function')}>"
    assert ["AWS/Lambda", "Errors", "FunctionName", function_ref] in [m[:4] for m in metrics]
    assert any(m[:2] == ["CallCenter", "ProfileLookupFailed"] for m in metrics)


# --- surveys: the dispatcher, its queue and every dead-letter queue ------------------------------------

DISPATCHER = FUNCTIONS["survey-dispatcher"]


def _queue_dimension(synthesized: Synthesized, path: str) -> list[dict[str, Any]]:
    return [{"Name": "QueueName", "Value": {"Fn::GetAtt": [synthesized.logical_id(path), "QueueName"]}}]


def test_dispatcher_errors_raise_an_alarm(synthesized: Synthesized) -> None:
    function = synthesized.logical_id("Functions/SurveyDispatcher/Function")
    alarm = _alarm(synthesized, "AWS/Lambda", "Errors", [{"Name": "FunctionName", "Value": {"Ref": function}}])
    assert alarm["Threshold"] == 1


def test_failed_survey_dispatches_raise_an_alarm_on_the_powertools_metric(synthesized: Synthesized) -> None:
    alarm = _alarm(synthesized, DISPATCHER.environment["POWERTOOLS_METRICS_NAMESPACE"], "SurveyDispatchFailed",
                   [{"Name": "service", "Value": DISPATCHER.environment["POWERTOOLS_SERVICE_NAME"]}])
    assert (alarm["Namespace"], alarm["Dimensions"][0]["Value"]) == ("CallCenter", "survey-dispatcher")
    assert alarm["Threshold"] == 1


@pytest.mark.parametrize("path", [
    "Messaging/SurveyRequests/DeadLetterQueue",
    "Messaging/ContactDisconnected/TargetDeadLetterQueue",
    "Messaging/OutreachRequests/DeadLetterQueue",
    "Functions/OutreachPlannerSchedules/DeadLetterQueue",  # the planner's failed runs
])
def test_a_message_in_a_dead_letter_queue_raises_an_alarm(synthesized: Synthesized, path: str) -> None:
    alarm = _alarm(synthesized, "AWS/SQS", "ApproximateNumberOfMessagesVisible", _queue_dimension(synthesized, path))
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["EvaluationPeriods"] == 1


def test_every_dead_letter_queue_has_an_alarm(synthesized: Synthesized) -> None:
    # Every queue some other queue or rule dead-letters into
    targets = {q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
               for q in synthesized.of_type("AWS::SQS::Queue").values() if "RedrivePolicy" in q["Properties"]}
    targets |= {t["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
                for r in synthesized.of_type("AWS::Events::Rule").values() for t in r["Properties"]["Targets"]
                if "DeadLetterConfig" in t}
    # Every queue a schedule dead-letters into, and every on-failure destination of an asynchronous invocation
    targets |= {s["Properties"]["Target"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
                for s in synthesized.of_type("AWS::Scheduler::Schedule").values()}
    # (the every-minute queue-metrics run has none: a failed run is replaced by the next, not dead-lettered)
    targets |= {c["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
                for c in synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
                if "DestinationConfig" in c["Properties"]}
    # And every on-failure destination of an event source mapping (a stream consumer's given-up records)
    targets |= {m["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
                for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                if "DestinationConfig" in m["Properties"]}
    alarmed = {a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in _alarms(synthesized)
               if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"}
    assert targets and targets <= alarmed
    assert all(a.get("AlarmActions") == [{"Ref": _topic_id(synthesized)}] for a in _alarms(synthesized))


@pytest.mark.parametrize("queue", sorted(QUEUES))
def test_an_old_message_in_a_queue_raises_an_alarm(synthesized: Synthesized, queue: str) -> None:
    alarm = _alarm(synthesized, "AWS/SQS", "ApproximateAgeOfOldestMessage",
                   _queue_dimension(synthesized, f"Messaging/{pascal(queue)}/Queue"))
    assert alarm["Statistic"] == "Maximum"
    assert 0 < alarm["Threshold"] <= 3600


def test_dashboard_graphs_queues_dead_letters_and_the_rule(synthesized: Synthesized) -> None:
    dashboard = next(iter(synthesized.of_type("AWS::CloudWatch::Dashboard").values()))["Properties"]
    body = json.loads(render(dashboard["DashboardBody"]))
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"].get("metrics", [])]
    names = {tuple(m[:2]) for m in metrics}
    assert {("AWS/SQS", "ApproximateAgeOfOldestMessage"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
            ("AWS/Events", "FailedInvocations"), ("CallCenter", "SurveyDispatchFailed")} <= names


# --- outreach: the scheduled planner, the sender -------------------------------------------------------

PLANNER = FUNCTIONS["outreach-planner"]
SENDER = FUNCTIONS["outreach-sender"]


def test_a_failed_planner_run_raises_an_alarm(synthesized: Synthesized) -> None:
    function = synthesized.logical_id("Functions/OutreachPlanner/Function")
    alarm = _alarm(synthesized, "AWS/Lambda", "Errors", [{"Name": "FunctionName", "Value": {"Ref": function}}])
    assert alarm["Threshold"] == 1
    assert "retried, then dead-lettered" in alarm["AlarmDescription"]


@pytest.mark.parametrize("channel", OUTREACH_CHANNELS)
def test_failed_outreach_sends_raise_an_alarm_per_channel(synthesized: Synthesized, channel: str) -> None:
    # sender_handler.py emits OutreachSendFailed with the dimension channel besides Powertools' service;
    # CloudWatch matches the whole dimension set, so the alarm names both
    matches = [a for a in _alarms(synthesized) if a.get("MetricName") == "OutreachSendFailed"
               and sorted(a["Dimensions"], key=lambda d: d["Name"]) == [
                   {"Name": "channel", "Value": channel},
                   {"Name": "service", "Value": SENDER.environment["POWERTOOLS_SERVICE_NAME"]}]]
    assert len(matches) == 1
    assert matches[0]["Namespace"] == SENDER.environment["POWERTOOLS_METRICS_NAMESPACE"] == "CallCenter"
    assert matches[0]["Threshold"] == 1
    assert matches[0]["AlarmActions"] == [{"Ref": _topic_id(synthesized)}]


def test_a_run_scheduler_could_not_dead_letter_raises_an_alarm(synthesized: Synthesized) -> None:
    alarm = _alarm(synthesized, "AWS/Scheduler", "InvocationsFailedToBeSentToDeadLetterCount",
                   [{"Name": "ScheduleGroup", "Value": f"callcenter-{STAGE}"}])
    assert alarm["Threshold"] == 1


def test_dashboard_graphs_the_schedules_and_the_outreach_outcomes(synthesized: Synthesized) -> None:
    dashboard = next(iter(synthesized.of_type("AWS::CloudWatch::Dashboard").values()))["Properties"]
    body = json.loads(render(dashboard["DashboardBody"]))
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"].get("metrics", [])]
    names = {tuple(m[:2]) for m in metrics}
    assert {("AWS/Scheduler", "InvocationAttemptCount"), ("AWS/Scheduler", "InvocationsSentToDeadLetterCount"),
            ("CallCenter", "OutreachPlanned"), ("CallCenter", "OutreachEnqueued"),
            ("CallCenter", "OutreachContacted"), ("CallCenter", "OutreachSendFailed"),
            ("CallCenter", "OutreachResponses")} <= names
    planner = f"<{synthesized.logical_id('Functions/OutreachPlanner/Function')}>"
    assert ["AWS/Lambda", "Errors", "FunctionName", planner] in [m[:4] for m in metrics]


# --- tickets: the API, the stream consumer, the notifier ---------------------------------------------

NOTIFIER = FUNCTIONS["ticket-notifier"]


def _api_dimensions(synthesized: Synthesized) -> list[dict[str, Any]]:
    tickets_api = synthesized.logical_id("Apis/Tickets/Api")
    (stage_id,) = [logical_id for logical_id, stage in synthesized.of_type("AWS::ApiGateway::Stage").items()
                   if stage["Properties"]["RestApiId"] == {"Ref": tickets_api}]
    assert synthesized.resources[stage_id]["Properties"]["StageName"] == STAGE
    return [{"Name": "ApiName", "Value": f"callcenter-tickets-{STAGE}"}, {"Name": "Stage", "Value": {"Ref": stage_id}}]


def test_any_5xx_of_the_ticket_api_raises_an_alarm(synthesized: Synthesized) -> None:
    # The handler answers bad input with a 4XX: a 5XX is a failure, a timeout or a throttled function
    matches = [a for a in _alarms(synthesized) if (a["Namespace"], a["MetricName"]) == ("AWS/ApiGateway", "5XXError")
               and sorted(a["Dimensions"], key=lambda d: d["Name"]) == _api_dimensions(synthesized)]
    assert len(matches) == 1
    assert (matches[0]["Statistic"], matches[0]["Threshold"]) == ("Sum", 1)
    assert matches[0]["AlarmActions"] == [{"Ref": _topic_id(synthesized)}]


def test_a_slow_ticket_api_raises_an_alarm_on_p99_latency(synthesized: Synthesized) -> None:
    matches = [a for a in _alarms(synthesized) if (a["Namespace"], a["MetricName"]) == ("AWS/ApiGateway", "Latency")
               and sorted(a["Dimensions"], key=lambda d: d["Name"]) == _api_dimensions(synthesized)]
    assert len(matches) == 1
    assert matches[0]["ExtendedStatistic"] == "p99"
    assert 0 < matches[0]["Threshold"] <= FUNCTIONS["ticket-api"].timeout_seconds * 1000
    assert matches[0]["AlarmActions"] == [{"Ref": _topic_id(synthesized)}]


def test_ticket_events_falling_behind_the_stream_raises_an_alarm(synthesized: Synthesized) -> None:
    function = synthesized.logical_id("Functions/TicketEvents/Function")
    alarm = _alarm(synthesized, "AWS/Lambda", "IteratorAge", [{"Name": "FunctionName", "Value": {"Ref": function}}])
    assert alarm["Statistic"] == "Maximum"
    assert 0 < alarm["Threshold"] <= 15 * 60 * 1000


def test_records_ticket_events_gave_up_on_raise_an_alarm(synthesized: Synthesized) -> None:
    alarm = _alarm(synthesized, "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                   _queue_dimension(synthesized, "Functions/TicketEventsStreamFailures/Queue"))
    assert alarm["Threshold"] == 1


@pytest.mark.parametrize("path", ["Messaging/TicketNotifications/DeadLetterQueue",
                                  "Messaging/TicketStatusChanged/TargetDeadLetterQueue"])
def test_a_ticket_notification_dead_letter_raises_an_alarm(synthesized: Synthesized, path: str) -> None:
    alarm = _alarm(synthesized, "AWS/SQS", "ApproximateNumberOfMessagesVisible", _queue_dimension(synthesized, path))
    assert alarm["Threshold"] == 1


@pytest.mark.parametrize("channel", NOTIFICATION_CHANNELS)
def test_failed_ticket_notifications_raise_an_alarm_per_channel(synthesized: Synthesized, channel: str) -> None:
    matches = [a for a in _alarms(synthesized) if a.get("MetricName") == "TicketNotificationFailed"
               and sorted(a["Dimensions"], key=lambda d: d["Name"]) == [
                   {"Name": "channel", "Value": channel},
                   {"Name": "service", "Value": NOTIFIER.environment["POWERTOOLS_SERVICE_NAME"]}]]
    assert len(matches) == 1
    assert matches[0]["Namespace"] == NOTIFIER.environment["POWERTOOLS_METRICS_NAMESPACE"]
    assert matches[0]["AlarmActions"] == [{"Ref": _topic_id(synthesized)}]


def test_dashboard_graphs_the_ticket_api_stream_and_notifications(synthesized: Synthesized) -> None:
    dashboard = next(iter(synthesized.of_type("AWS::CloudWatch::Dashboard").values()))["Properties"]
    body = json.loads(render(dashboard["DashboardBody"]))
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"].get("metrics", [])]
    names = {tuple(m[:2]) for m in metrics}
    assert {("AWS/ApiGateway", "Count"), ("AWS/ApiGateway", "5XXError"), ("AWS/ApiGateway", "Latency"),
            ("AWS/Lambda", "IteratorAge"), ("CallCenter", "TicketStatusChangesPublished"),
            ("CallCenter", "TicketNotificationsSent"), ("CallCenter", "TicketNotificationFailed")} <= names


@pytest.mark.parametrize(("function", "metric"), [
    ("survey-dispatcher", "StaleClaimsTakenOver"), ("outreach-sender", "StaleClaimsTakenOver"),
    ("ticket-notifier", "StaleClaimsTakenOver"), ("ticket-notifier", "UnverifiedTicketChanges")])
def test_stale_claims_and_unverified_ticket_events_raise_an_alarm(synthesized: Synthesized, function: str,
                                                                  metric: str) -> None:
    spec = FUNCTIONS[function]
    matches = [a for a in _alarms(synthesized) if a.get("MetricName") == metric and a["Dimensions"] == [
        {"Name": "service", "Value": spec.environment["POWERTOOLS_SERVICE_NAME"]}]]
    assert len(matches) == 1
    assert matches[0]["Threshold"] == 1 and matches[0]["AlarmActions"] == [{"Ref": _topic_id(synthesized)}]
def test_dashboard_graphs_the_requests_deferred_by_connects_rate(synthesized: Synthesized) -> None:
    # A deferral is not a failure (the message comes back later), but a steady stream of them means another caller
    # is using the Connect quota, or the declared share is above what AWS grants: it is on the dashboard.
    dashboard = next(iter(synthesized.of_type("AWS::CloudWatch::Dashboard").values()))["Properties"]
    body = json.loads(render(dashboard["DashboardBody"]))
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"].get("metrics", [])]
    assert any(m[:2] == ["CallCenter", "SurveyRequestsDeferred"] for m in metrics)
    assert any(m[:2] == ["CallCenter", "OutreachRequestsDeferred"] for m in metrics)
