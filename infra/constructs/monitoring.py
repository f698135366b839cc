"""Alarms to an encrypted SNS topic, and a small dashboard, for the contact-flow functions.

Per function: Errors, Throttles and p99 Duration near the timeout (the flow gives up at
InvocationTimeLimitSeconds, so a slow function is a caller sent to the fallback queue). For the routing
function also ProfileLookupFailed: the function then routes without the caller's profile, so it does
not count as an error. Powertools Metrics emits custom metrics in the function's
POWERTOOLS_METRICS_NAMESPACE with the dimension `service` = POWERTOOLS_SERVICE_NAME.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from functions.manifest import FUNCTIONS, FunctionSpec

PERIOD = cdk.Duration.minutes(1)
DURATION_ALARM_FRACTION = 0.8  # of the function timeout
# Custom metrics the handlers emit, by function name: those that raise an alarm, those on the dashboard.
ALARMED_METRICS: dict[str, tuple[str, ...]] = {"routing": ("ProfileLookupFailed",)}
GRAPHED_METRICS: dict[str, tuple[str, ...]] = {
    "routing": ("RoutingDecisions", "ProfileLookupFailed", "MalformedContactEvent"),
}


def custom_metric(spec: FunctionSpec, metric_name: str, statistic: str = "Sum") -> cloudwatch.Metric:
    """A Powertools metric of the function, with the dimensions Powertools gives it."""
    return cloudwatch.Metric(
        namespace=spec.environment["POWERTOOLS_METRICS_NAMESPACE"],
        metric_name=metric_name,
        dimensions_map={"service": spec.environment["POWERTOOLS_SERVICE_NAME"]},
        statistic=statistic,
        period=PERIOD,
    )


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Function],
        stage: str,
        specs: Mapping[str, FunctionSpec] = FUNCTIONS,
    ) -> None:
        super().__init__(scope, construct_id)
        key = kms.Key(self, "TopicKey", description="Encrypts the contact center alarm topic",
                      enable_key_rotation=True, removal_policy=cdk.RemovalPolicy.DESTROY)
        # CloudWatch publishes alarm notifications to the encrypted topic with this key.
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
        ))
        self.topic = sns.Topic(self, "AlarmTopic", display_name=f"Contact center alarms ({stage})",
                               master_key=key, enforce_ssl=True)
        action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []
        widgets: list[cloudwatch.IWidget] = []
        for name, function in functions.items():
            spec = specs[name]
            timeout_ms = spec.timeout_seconds * 1000
            duration = function.metric_duration(statistic="p99", period=PERIOD)
            alarms = [
                self._alarm(f"{name}-errors", function.metric_errors(statistic="Sum", period=PERIOD), 1,
                            f"The {name} function failed; the flow took its error branch"),
                self._alarm(f"{name}-throttles", function.metric_throttles(statistic="Sum", period=PERIOD), 1,
                            f"The {name} function was throttled; calls fall back after Connect's retries"),
                self._alarm(f"{name}-duration", duration, timeout_ms * DURATION_ALARM_FRACTION,
                            f"p99 duration of {name} is near its {spec.timeout_seconds} s timeout", periods=3),
            ]
            alarms += [
                self._alarm(f"{name}-{metric}", custom_metric(spec, metric), 1,
                            f"{metric} reported by the {name} function")
                for metric in ALARMED_METRICS.get(name, ())
            ]
            for alarm in alarms:
                alarm.add_alarm_action(action)
            self.alarms += alarms
            widgets += [
                cloudwatch.GraphWidget(title=f"{name}: invocations, errors, throttles", width=8, left=[
                    function.metric_invocations(statistic="Sum", period=PERIOD),
                    function.metric_errors(statistic="Sum", period=PERIOD),
                    function.metric_throttles(statistic="Sum", period=PERIOD),
                ]),
                cloudwatch.GraphWidget(
                    title=f"{name}: duration (ms)", width=8, left=[duration],
                    left_annotations=[cloudwatch.HorizontalAnnotation(value=timeout_ms, label="timeout")]),
            ]
            if GRAPHED_METRICS.get(name):
                widgets.append(cloudwatch.GraphWidget(title=f"{name}: outcomes", width=8, left=[
                    custom_metric(spec, metric) for metric in GRAPHED_METRICS[name]]))
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"contact-center-{stage}")
        for start in range(0, len(widgets), 3):
            self.dashboard.add_widgets(*widgets[start:start + 3])

    def _alarm(self, alarm_id: str, metric: cloudwatch.IMetric, threshold: float, description: str,
               periods: int = 1) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self, alarm_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
