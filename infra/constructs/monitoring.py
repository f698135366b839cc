"""Alarms to an encrypted SNS topic, and a small dashboard, for the functions, queues and rules.

Per function: Errors, Throttles and p99 Duration near the timeout (a flow gives up at
InvocationTimeLimitSeconds, so a slow flow function is a caller sent to the fallback queue; a slow queue
consumer times out and its batch is redelivered; a failed scheduled run is retried, then dead-lettered).
Custom metrics that mean trouble without being errors: ProfileLookupFailed (routing decided without the
caller's profile), SurveyDispatchFailed (a survey could not be sent), SurveyEventPublishFailed (a low
score stored but not announced) and OutreachSendFailed (a proactive call or SMS failed; one alarm per
channel). Powertools Metrics emits custom metrics in the function's POWERTOOLS_METRICS_NAMESPACE with the
dimension `service` = POWERTOOLS_SERVICE_NAME, plus the dimensions the handler adds (CloudWatch matches the
whole set: a metric emitted per channel is alarmed per channel).

Per queue: the age of its oldest message (the consumer is not keeping up, or is failing and retrying).
Per dead-letter queue, a queue's, a rule target's and a scheduled function's failed runs: its first visible
message (something needs a redrive, or a look). SQS publishes its metrics every five minutes, hence the
longer period. Per schedule group: a failed run that could not even be dead-lettered.

Per stream consumer (ticket-events): the iterator age (how far behind the table's changes it is; a stuck
batch is retried until the manifest's max_record_age_seconds) and its on-failure queue's first message (records given up
on: status changes not announced). Per REST API stage: any 5XX (the handler answers bad input with a 4XX,
so a 5XX is a failure or a throttled function) and p99 latency as the agents feel it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from functions.manifest import (
    FUNCTIONS,
    ApiSource,
    ConnectFlowSource,
    DynamoDBStreamSource,
    FunctionSpec,
    RateSource,
    ScheduleSource,
)
from functions.outreach.campaigns import OUTREACH_CHANNELS
from functions.tickets.notifications import NOTIFICATION_CHANNELS
from infra.constructs.api import DeployedApi
from infra.constructs.functions import StreamConsumer
from infra.constructs.messaging import Messaging
from infra.constructs.schedules import CampaignSchedules
from infra.removal import KEEP

PERIOD = cdk.Duration.minutes(1)
QUEUE_PERIOD = cdk.Duration.minutes(5)  # SQS sends its metrics to CloudWatch every 5 minutes
DURATION_ALARM_FRACTION = 0.8  # of the function timeout
# Redeliveries end in the dead-letter queue within minutes (max_receive_count x visibility timeout), and a
# survey or outreach contact delayed by quiet hours goes back to the queue as a new message (each hop at
# most SQS's 15-minute delay): an hour-old message is stuck.
OLDEST_MESSAGE_ALARM = cdk.Duration.hours(1)
# A status change announced this late is news the customer may already have heard from an agent.
ITERATOR_AGE_ALARM = cdk.Duration.minutes(5)
API_LATENCY_ALARM = cdk.Duration.seconds(3)  # p99 an agent waits for a ticket screen, over 3 minutes


@dataclass(frozen=True)
class CustomMetric:
    """A metric a handler emits: its name and the dimensions it adds besides Powertools' `service`."""

    name: str
    dimensions: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """"OutreachSendFailed-voice": unique per function, for alarm ids."""
        return "-".join((self.name, *self.dimensions.values()))


def named(*names: str) -> tuple[CustomMetric, ...]:
    return tuple(CustomMetric(name) for name in names)


def per_value(name: str, dimension: str, values: Iterable[str]) -> tuple[CustomMetric, ...]:
    """A metric the handler emits with one more dimension: one metric per value."""
    return tuple(CustomMetric(name, {dimension: value}) for value in values)


# Custom metrics the handlers emit, by function name: those that raise an alarm, those on the dashboard.
ALARMED_METRICS: dict[str, tuple[CustomMetric, ...]] = {
    "routing": named("ProfileLookupFailed"),
    # StaleClaimsTakenOver: a dispatcher, sender or notifier died after claiming a contact; its redelivery took
    # the claim over (a voice call or ticket update sent again, an SMS survey or outreach text closed unconfirmed).
    "survey-dispatcher": named("SurveyDispatchFailed", "StaleClaimsTakenOver"),
    # The answers are stored, but supervisors are not told of a low score.
    "survey-answers": named("SurveyEventPublishFailed"),
    # A call or SMS the channel refused (sender_handler.py emits it per channel): retried, then dead-lettered.
    "outreach-sender": (*per_value("OutreachSendFailed", "channel", OUTREACH_CHANNELS), *named("StaleClaimsTakenOver")),
    # A status change stored but not announced yet (the batch is retried, then sent to the on-failure queue).
    "ticket-events": named("TicketEventsNotPublished", "MalformedTicketStreamRecord"),
    # A progress update the channel refused (notifier_handler.py emits it per channel): retried, then dead-lettered.
    # UnverifiedTicketChanges: a TicketStatusChanged event the tickets table does not have (forged, or a bug).
    "ticket-notifier": (*per_value("TicketNotificationFailed", "channel", NOTIFICATION_CHANNELS),
                        *named("StaleClaimsTakenOver", "UnverifiedTicketChanges")),
    # A task Connect refused (retried, then dead-lettered), or a start that crashed and was taken over.
    "ticket-tasks": named("TicketTaskFailed", "StaleClaimsTakenOver"),
    # An inbound SMS we cannot read (dead-lettered); an answer the customer was not texted; a low SMS survey
    # score stored without its SurveyLowScore event.
    "sms-inbound": named("MalformedInboundSms", "SmsRepliesNotSent", "SurveyEventPublishFailed"),
    # A streamed chat item we cannot read (dead-lettered); an agent's reply End User Messaging refused (retried,
    # then dead-lettered); a reply whose sender died mid-send, closed unsent (at most once).
    "sms-chat-replies": named("MalformedChatStreamItems", "SmsChatRepliesNotSent", "StaleClaimsTakenOver"),
}
GRAPHED_METRICS: dict[str, tuple[CustomMetric, ...]] = {
    "routing": named("RoutingDecisions", "ProfileLookupFailed", "MalformedContactEvent"),
    # Deferred: Amazon Connect's rate (functions/common/pacing.py); the message came back later, nothing failed.
    "survey-dispatcher": named("SurveyRequests", "SurveyDispatchFailed", "SurveyRequestsDeferred"),
    "survey-answers": named("SurveysAnswered", "SurveyAnswersRejected", "SurveyFollowUpsOpened",
                            "SurveyEventPublishFailed"),
    "outreach-planner": named("OutreachPlanned", "OutreachRemindersPlanned", "OutreachRequeued", "OutreachEnqueued",
                              "OutreachEnqueueFailed", "MalformedOutreachSchedule"),
    "outreach-sender": (
        *named("OutreachRequests", "OutreachDelayed", "OutreachDuplicates", "MalformedOutreachRequest",
               "OutreachRequestsDeferred"),
        *per_value("OutreachContacted", "channel", OUTREACH_CHANNELS),
        *per_value("OutreachSendFailed", "channel", OUTREACH_CHANNELS),
    ),
    "outreach-response": named("OutreachResponses"),
    # An API Amazon Connect kept throttling: that minute's figures are missing (functions/metrics/handler.py).
    "queue-metrics": per_value("QueueMetricsThrottled", "api", ("GetCurrentMetricData", "GetMetricDataV2")),
    "ticket-api": named("TicketApi2xx", "TicketApi4xx", "TicketApi5xx"),
    "ticket-tasks": named("TicketTaskMessages", "TicketTaskFailed", "TicketTasksDeferred"),
    "sms-inbound": named("InboundSmsMessages", "MalformedInboundSms", "SmsRepliesNotSent", "SmsInboundDeferred"),
    "sms-chat-replies": (*named("ChatStreamItems", "MalformedChatStreamItems", "SmsChatRepliesNotSent"),
                         *per_value("SmsChatReplies", "reason", ("TEXTED", "DUPLICATE", "CONVERSATION_CLOSED"))),
    "ticket-events": named("TicketStatusChangesPublished", "TicketEventsNotPublished", "MalformedTicketStreamRecord"),
    "ticket-notifier": (
        *named("TicketNotificationsDelayed", "TicketNotificationDuplicates", "MalformedTicketNotification"),
        *per_value("TicketNotificationsSent", "channel", NOTIFICATION_CHANNELS),
        *per_value("TicketNotificationFailed", "channel", NOTIFICATION_CHANNELS),
    ),
}


def custom_metric(spec: FunctionSpec, metric: CustomMetric, statistic: str = "Sum") -> cloudwatch.Metric:
    """A Powertools metric of the function, with the dimensions Powertools and the handler give it."""
    return cloudwatch.Metric(
        namespace=spec.environment["POWERTOOLS_METRICS_NAMESPACE"],
        metric_name=metric.name,
        dimensions_map={"service": spec.environment["POWERTOOLS_SERVICE_NAME"], **metric.dimensions},
        statistic=statistic,
        period=PERIOD,
    )


def _failure_consequence(spec: FunctionSpec) -> str:
    if isinstance(spec.source, ConnectFlowSource):
        return "the flow took its error branch"
    if isinstance(spec.source, ScheduleSource):
        return "the run is retried, then dead-lettered"
    if isinstance(spec.source, RateSource):
        return "this run's figures are missing; the next run reads afresh"
    if isinstance(spec.source, ApiSource):
        return "the agent or service got a 5XX"
    if isinstance(spec.source, DynamoDBStreamSource):
        return "the batch is split and retried, then its records go to the on-failure queue"
    return "its batch's failed messages are retried, then dead-lettered"


def _throttle_consequence(spec: FunctionSpec) -> str:
    if isinstance(spec.source, ConnectFlowSource):
        return "calls fall back after Connect's retries"
    if isinstance(spec.source, ScheduleSource):
        return "the run waits in Lambda's event queue and may be dead-lettered"
    if isinstance(spec.source, RateSource):
        return "the run waits in Lambda's event queue and is dropped after a minute"
    if isinstance(spec.source, ApiSource):
        return "API requests fail with a 5XX"
    if isinstance(spec.source, DynamoDBStreamSource):
        return "the stream consumer falls behind"
    return "messages wait in the queue and may be dead-lettered"


class Monitoring(cdk.NestedStack):
    """A nested stack: its hundred-odd alarms, the alarm topic and the dashboard would take the main stack past
    CloudFormation's 500 resources per stack. One `cdk deploy` still deploys both; CDK passes the functions',
    queues' and APIs' names in as the nested stack's parameters."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.Function],
        messaging: Messaging,
        stage: str,
        schedules: Mapping[str, CampaignSchedules] | None = None,
        stream_consumers: Mapping[str, StreamConsumer] | None = None,
        apis: Mapping[str, DeployedApi] | None = None,
        specs: Mapping[str, FunctionSpec] = FUNCTIONS,
    ) -> None:
        super().__init__(scope, construct_id)
        # Retained like every other key of the stack: deleting it would leave any message encrypted with it (an
        # alarm still in flight, a subscription's dead-letter queue) unreadable.
        key = kms.Key(self, "TopicKey", description="Encrypts the contact center alarm topic",
                      enable_key_rotation=True, removal_policy=KEEP)
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
                            f"The {name} function failed; {_failure_consequence(spec)}"),
                self._alarm(f"{name}-throttles", function.metric_throttles(statistic="Sum", period=PERIOD), 1,
                            f"The {name} function was throttled; {_throttle_consequence(spec)}"),
                # A scheduled function runs a few times a day: one slow run is the signal (3 periods in a row
                # would never be reached); the others are judged over 3 minutes.
                self._alarm(f"{name}-duration", duration, timeout_ms * DURATION_ALARM_FRACTION,
                            f"p99 duration of {name} is near its {spec.timeout_seconds} s timeout",
                            periods=1 if isinstance(spec.source, ScheduleSource) else 3),
            ]
            alarms += [
                self._alarm(f"{name}-{metric.label}", custom_metric(spec, metric), 1,
                            f"{metric.name} reported by the {name} function"
                            + "".join(f", {key} {value}" for key, value in metric.dimensions.items()))
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
                    custom_metric(spec, metric).with_(label=metric.label) for metric in GRAPHED_METRICS[name]]))
        widgets += self._streams(functions, stream_consumers or {}, action)
        widgets += self._apis(apis or {}, action)
        widgets += self._messaging(messaging, action, schedules or {}, stream_consumers or {})
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"contact-center-{stage}")
        for start in range(0, len(widgets), 3):
            self.dashboard.add_widgets(*widgets[start:start + 3])

    def _streams(self, functions: Mapping[str, lambda_.Function], consumers: Mapping[str, StreamConsumer],
                 action: actions.SnsAction) -> list[cloudwatch.IWidget]:
        """Iterator age of every stream consumer (its on-failure queue is alarmed with the dead-letter queues)."""
        widgets: list[cloudwatch.IWidget] = []
        for name, consumer in consumers.items():
            age = functions[name].metric("IteratorAge", statistic="Maximum", period=PERIOD)
            alarm = self._alarm(
                f"{name}-iterator-age", age, ITERATOR_AGE_ALARM.to_milliseconds(),
                f"{name} is {ITERATOR_AGE_ALARM.to_minutes():g}+ minutes behind {consumer.source} "
                "(failing and retrying a batch, or throttled)", periods=3)
            alarm.add_alarm_action(action)
            self.alarms.append(alarm)
            widgets.append(cloudwatch.GraphWidget(
                title=f"{name}: iterator age (ms)", width=8, left=[age],
                left_annotations=[cloudwatch.HorizontalAnnotation(
                    value=ITERATOR_AGE_ALARM.to_milliseconds(), label="alarm")]))
        return widgets

    def _apis(self, apis: Mapping[str, DeployedApi], action: actions.SnsAction) -> list[cloudwatch.IWidget]:
        """5XX and p99 latency alarms per REST API stage; requests, errors, latency and WAF blocks graphed."""
        widgets: list[cloudwatch.IWidget] = []
        for name, api in apis.items():
            server_errors = api.stage.metric_server_error(statistic="Sum", period=PERIOD)
            latency = api.stage.metric_latency(statistic="p99", period=PERIOD)
            alarms = [
                self._alarm(f"{name}-api-5xx", server_errors, 1,
                            f"The {name} API answered with a 5XX (the function failed, timed out or was throttled; "
                            "bad input gets a 4XX)"),
                self._alarm(f"{name}-api-latency", latency, API_LATENCY_ALARM.to_milliseconds(),
                            f"p99 latency of the {name} API is above {API_LATENCY_ALARM.to_seconds():g} s",
                            periods=3),
            ]
            for alarm in alarms:
                alarm.add_alarm_action(action)
            self.alarms += alarms
            blocked = cloudwatch.Metric(
                namespace="AWS/WAFV2", metric_name="BlockedRequests", statistic="Sum", period=PERIOD,
                dimensions_map={"WebACL": api.web_acl.name or "", "Region": cdk.Aws.REGION, "Rule": "ALL"})
            widgets += [
                cloudwatch.GraphWidget(title=f"{name} API: requests and errors", width=8, left=[
                    api.stage.metric_count(statistic="Sum", period=PERIOD).with_(label="requests"),
                    api.stage.metric_client_error(statistic="Sum", period=PERIOD).with_(label="4XX"),
                    server_errors.with_(label="5XX"),
                    blocked.with_(label="blocked by WAF"),
                ]),
                cloudwatch.GraphWidget(
                    title=f"{name} API: p99 latency (ms)", width=8, left=[
                        latency.with_(label="latency"),
                        api.stage.metric_integration_latency(statistic="p99", period=PERIOD).with_(
                            label="integration")],
                    left_annotations=[cloudwatch.HorizontalAnnotation(
                        value=API_LATENCY_ALARM.to_milliseconds(), label="alarm")]),
            ]
        return widgets

    def _messaging(self, messaging: Messaging, action: actions.SnsAction,
                   schedules: Mapping[str, CampaignSchedules],
                   stream_consumers: Mapping[str, StreamConsumer]) -> list[cloudwatch.IWidget]:
        """Alarms on queue age, on every dead-letter queue and on the schedule group; their widgets."""
        widgets: list[cloudwatch.IWidget] = []
        alarms = []
        for name, queue in messaging.queues.items():
            age = queue.queue.metric_approximate_age_of_oldest_message(statistic="Maximum", period=QUEUE_PERIOD)
            alarms.append(self._alarm(
                f"{name}-oldest-message", age, OLDEST_MESSAGE_ALARM.to_seconds(),
                f"A message has waited in {name} for {OLDEST_MESSAGE_ALARM.to_hours():g} h: its consumer is "
                "not keeping up or keeps failing"))
            widgets += [
                cloudwatch.GraphWidget(title=f"{name}: messages", width=8, left=[
                    queue.queue.metric_number_of_messages_sent(statistic="Sum", period=QUEUE_PERIOD),
                    queue.queue.metric_approximate_number_of_messages_visible(statistic="Maximum",
                                                                              period=QUEUE_PERIOD),
                    queue.queue.metric_approximate_number_of_messages_not_visible(statistic="Maximum",
                                                                                  period=QUEUE_PERIOD),
                ]),
                cloudwatch.GraphWidget(
                    title=f"{name}: age of oldest message (s)", width=8, left=[age],
                    left_annotations=[cloudwatch.HorizontalAnnotation(
                        value=OLDEST_MESSAGE_ALARM.to_seconds(), label="alarm")]),
            ]
        dead_letters = []
        dead_letter_queues = {
            name: (queue, f"{name} holds messages that could not be delivered or processed: investigate, then redrive")
            for name, queue in messaging.dead_letter_queues.items()}
        dead_letter_queues.update({
            f"{name}-runs-dlq": (runs.dead_letter_queue,
                                 f"A scheduled run of {name} failed (each message carries its event and the error): "
                                 "investigate; the next run catches up, or invoke the function with the event")
            for name, runs in schedules.items()})
        dead_letter_queues.update({
            f"{name}-stream-failures": (
                consumer.failures,
                f"{name} gave up on records of {consumer.source} (each message names the shard "
                "and sequence numbers): investigate, then replay them")
            for name, consumer in stream_consumers.items()})
        for name, (queue, description) in dead_letter_queues.items():
            visible = queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=QUEUE_PERIOD)
            alarms.append(self._alarm(f"{name}-messages", visible, 1, description))
            dead_letters.append(visible.with_(label=name))
        widgets.append(cloudwatch.GraphWidget(title="dead-letter queues: messages", width=8, left=dead_letters))
        for name, rule in messaging.rules.items():
            widgets.append(cloudwatch.GraphWidget(title=f"rule {name}: deliveries", width=8, left=[
                cloudwatch.Metric(namespace="AWS/Events", metric_name=metric, statistic="Sum", period=QUEUE_PERIOD,
                                  dimensions_map={"RuleName": rule.rule.rule_name})
                for metric in ("TriggeredRules", "Invocations", "FailedInvocations")]))
        groups = {runs.group.node.path: runs.group for runs in schedules.values()}
        for group in groups.values():
            lost = group.metric_failed_to_be_sent_to_dlq(statistic="Sum", period=QUEUE_PERIOD)
            alarms.append(self._alarm(
                "schedules-lost-runs", lost, 1,
                "EventBridge Scheduler could neither run a schedule nor put the run in its dead-letter queue: "
                "a run is lost (check the scheduler role's access to the queue and its key)"))
            widgets.append(cloudwatch.GraphWidget(title="schedules: runs", width=8, left=[
                group.metric_attempts(statistic="Sum", period=QUEUE_PERIOD).with_(label="attempts"),
                group.metric_target_errors(statistic="Sum", period=QUEUE_PERIOD).with_(label="target errors"),
                group.metric_sent_to_dlq(statistic="Sum", period=QUEUE_PERIOD).with_(label="dead-lettered"),
                lost.with_(label="lost"),
            ]))
        for alarm in alarms:
            alarm.add_alarm_action(action)
        self.alarms += alarms
        return widgets

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
