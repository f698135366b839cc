"""The queues' live figures on the dashboard, and an alarm per queue when its service level falls below target.

The `queue-metrics` function (functions/metrics/, declared in functions/manifest.py; the Functions construct creates
it with its encrypted, expiring log group, its every-minute rule and its Connect grants on this instance's queues
only) publishes per queue, every minute: ContactsInQueue, OldestContactAge, AgentsAvailable, AgentsStaffed and
ServiceLevel15m (namespace CallCenter, dimensions `service` and `queue`). Here: one graph per figure with every
queue on the stack's dashboard, and for each queue whose policy entry has a `service_level` target, an alarm to
the alarm topic when ServiceLevel15m stays below the target for three minutes in a row. A queue nobody called
in the last 15 minutes publishes no service level: the missing points are not a breach (a closed queue at night
does not alarm). The function failing is already alarmed by Monitoring (its errors, throttles and duration).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from functions.manifest import FUNCTIONS, FunctionSpec
from functions.routing.policy import RoutingPolicy

FUNCTION = "queue-metrics"
PERIOD = cdk.Duration.minutes(1)
BREACHING_MINUTES = 3
#: (metric name, graph title, statistic): what the function publishes, in the order graphed.
FIGURES = (
    ("ContactsInQueue", "Contacts in queue", "Maximum"),
    ("OldestContactAge", "Oldest contact in queue (s)", "Maximum"),
    ("AgentsAvailable", "Agents available", "Minimum"),
    ("ServiceLevel15m", "Service level, last 15 minutes (%)", "Average"),
)


def queue_metric(spec: FunctionSpec, name: str, queue: str, statistic: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=spec.environment["POWERTOOLS_METRICS_NAMESPACE"],
        metric_name=name,
        dimensions_map={"service": spec.environment["POWERTOOLS_SERVICE_NAME"], "queue": queue},
        statistic=statistic,
        period=PERIOD,
    )


class QueueMetrics(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, policy: RoutingPolicy,
                 dashboard: cloudwatch.Dashboard, topic: sns.ITopic,
                 spec: FunctionSpec = FUNCTIONS[FUNCTION]) -> None:
        super().__init__(scope, construct_id)
        action = actions.SnsAction(topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for queue, settings in policy.queues.items():
            level = settings.service_level
            if level is None:
                continue
            alarm = cloudwatch.Alarm(
                self, f"{queue}-service-level",
                metric=queue_metric(spec, "ServiceLevel15m", queue, "Average"),
                threshold=100 * level.target,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=BREACHING_MINUTES,
                datapoints_to_alarm=BREACHING_MINUTES,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=(f"Queue {queue}: fewer than {100 * level.target:g}% of the contacts of the last "
                                   f"15 minutes left the queue within {level.seconds} s (the routing policy's "
                                   f"target), {BREACHING_MINUTES} minutes in a row: callers wait too long"),
            )
            alarm.add_alarm_action(action)
            self.alarms[queue] = alarm
        targets = sorted({s.service_level.target for s in policy.queues.values() if s.service_level})
        widgets: list[cloudwatch.IWidget] = []
        for name, title, statistic in FIGURES:
            annotations = ([cloudwatch.HorizontalAnnotation(value=100 * t, label=f"target {100 * t:g}%")
                            for t in targets] if name == "ServiceLevel15m" else None)
            widgets.append(cloudwatch.GraphWidget(
                title=f"Queues: {title.lower() if name != 'ServiceLevel15m' else title}", width=12,
                left=[queue_metric(spec, name, queue, statistic).with_(label=queue) for queue in policy.queues],
                left_annotations=annotations))
        dashboard.add_widgets(*widgets[:2])
        dashboard.add_widgets(*widgets[2:])
