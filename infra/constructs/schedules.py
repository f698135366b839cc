"""EventBridge Scheduler runs of a ScheduleSource function: one schedule per enabled campaign.

The campaigns file (functions/outreach/campaigns.json, read through `load_campaigns`, which validates it)
is the source of truth: an invalid file raises CampaignError and stops the synthesis; a disabled campaign
gets no schedule. Each schedule runs at its campaign's cron expression in its campaign's time zone, with
no flexible time window, and passes `Campaign.schedule_input()` as the event (Scheduler fills in the
`<aws.scheduler.scheduled-time>` context attribute).

A run that does not happen ends in one dead-letter queue per function (KMS, TLS only; an alarm fires on its
first message), whichever way it fails:
- Scheduler cannot deliver it (throttled, access denied, function missing): Scheduler retries by its retry
  policy, then sends it to the queue (its DeadLetterConfig).
- The function fails: Scheduler invokes Lambda asynchronously, so its retry policy never sees a function
  error. Lambda retries the event (the async invoke config), then sends it to the same queue (on-failure
  destination). A retried run is idempotent (planner.py).

Scheduler acts through an execution role of its own, per function: it may only be assumed by Scheduler for
this stack's schedule group, and it may only invoke the function (unqualified ARN) and send to the queue.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.manifest import ScheduleSource
from functions.outreach.campaigns import Campaign, load_campaigns
from infra.nag import acknowledge
from infra.naming import pascal
from infra.removal import KEEP

REPO = Path(__file__).resolve().parents[2]
DEAD_LETTER_RETENTION = cdk.Duration.days(14)  # the SQS maximum: time to investigate and run again
# A run later than this is dead-lettered rather than made: the next day's run catches up (window_days).
RUN_MAX_AGE = cdk.Duration.hours(6)
SCHEDULER_RETRY_ATTEMPTS = 10  # deliveries Scheduler retries (with back-off) within RUN_MAX_AGE
FUNCTION_RETRY_ATTEMPTS = 2  # Lambda's asynchronous retries of a failed run (its maximum)
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
SEND_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")  # SendMessage to a KMS-encrypted queue
SCHEDULE_NAME_MAX = 64


def scheduled_campaigns(source: ScheduleSource) -> tuple[Campaign, ...]:
    """The campaigns that get a schedule (the enabled ones); raises CampaignError on an invalid file."""
    path = Path(source.campaigns)
    return load_campaigns(path if path.is_absolute() else REPO / path).scheduled()


@jsii.implements(scheduler.IScheduleTarget)
class FunctionTarget:
    """A Lambda function as a schedule target, with the role and dead-letter queue given (it grants nothing)."""

    def __init__(self, function: lambda_.IFunction, role: iam.IRole, dead_letter_queue: sqs.IQueue,
                 event: dict[str, str]) -> None:
        self.function = function
        self.role = role
        self.dead_letter_queue = dead_letter_queue
        self.event = event

    def bind(self, _schedule: scheduler.ISchedule) -> scheduler.ScheduleTargetConfig:
        return scheduler.ScheduleTargetConfig(
            arn=self.function.function_arn,
            role=self.role,
            input=scheduler.ScheduleTargetInput.from_text(json.dumps(self.event, separators=(",", ":"))),
            retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                maximum_event_age_in_seconds=int(RUN_MAX_AGE.to_seconds()),
                maximum_retry_attempts=SCHEDULER_RETRY_ATTEMPTS),
            dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                arn=self.dead_letter_queue.queue_arn),
        )


@jsii.implements(lambda_.IDestination)
class QueueDestination:
    """An SQS queue as a Lambda asynchronous-invocation destination; it grants nothing (the caller does)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    # jsii passes the DestinationOptions struct as keyword arguments (`type`: on failure or on success).
    def bind(self, _scope: Construct, _fn: lambda_.IFunction, *,
             type: lambda_.DestinationType | None = None) -> lambda_.DestinationConfig:
        return lambda_.DestinationConfig(destination=self.queue.queue_arn)


class CampaignSchedules(Construct):
    """The schedules of one ScheduleSource function, its Scheduler role and its dead-letter queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        function: lambda_.Function,
        campaigns: Sequence[Campaign],
        group: scheduler.ScheduleGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function_name = function_name
        self.group = group
        self.key = kms.Key(self, "Key", description=f"Encrypts the failed runs of the {function_name} schedules",
                           enable_key_rotation=True, removal_policy=KEEP)
        self.dead_letter_queue = sqs.Queue(
            self, "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS, encryption_master_key=self.key, enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION)
        acknowledge(self.dead_letter_queue, "SQS3",
                    f"This queue is where runs of {function_name} that failed go (Scheduler's DeadLetterConfig "
                    "and Lambda's on-failure destination, not an SQS redrive): it is itself the dead-letter "
                    "queue; an alarm fires on its first message.")
        self.role = self._scheduler_role(function)
        self._dead_letter_function_failures(function)
        self.schedules: dict[str, scheduler.Schedule] = {}
        for campaign in campaigns:
            name = f"{function_name}-{campaign.id}"
            if len(name) > SCHEDULE_NAME_MAX:
                raise ValueError(f"schedule name {name!r} is longer than {SCHEDULE_NAME_MAX} characters")
            schedule = scheduler.Schedule(
                self, pascal(campaign.id),
                schedule_group=group,
                schedule_name=name,
                description=(campaign.description or f"Runs {function_name} for campaign {campaign.id}")[:512],
                schedule=scheduler.ScheduleExpression.expression(
                    campaign.schedule.expression, cdk.TimeZone.of(campaign.schedule.time_zone)),
                time_window=scheduler.TimeWindow.off(),
                enabled=True,
                target=FunctionTarget(function, self.role, self.dead_letter_queue, campaign.schedule_input()),
            )
            # The group is named, so the schedule refers to it by that literal name, not by a reference:
            # without this CloudFormation may create the schedule first, in a group that does not exist yet.
            schedule.node.add_dependency(group)
            self.schedules[campaign.id] = schedule

    def _scheduler_role(self, function: lambda_.IFunction) -> iam.Role:
        role = iam.Role(
            self, "SchedulerRole",
            description=f"EventBridge Scheduler runs {self.function_name} with this role",
            # Confused deputy: only Scheduler, only for this stack's schedule group in this account.
            assumed_by=iam.ServicePrincipal(SCHEDULER_PRINCIPAL, conditions={
                "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                "ArnEquals": {"aws:SourceArn": self.group.schedule_group_arn},
            }),
        )
        # The unqualified ARN the schedules target, not `<arn>:*` (grant_invoke): no version or alias.
        role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn]))
        return role

    def _dead_letter_function_failures(self, function: lambda_.Function) -> None:
        function.configure_async_invoke(
            retry_attempts=FUNCTION_RETRY_ATTEMPTS,
            max_event_age=RUN_MAX_AGE,
            on_failure=QueueDestination(self.dead_letter_queue),
        )
        for role in (self.role, function.role):
            if role is None:
                raise ValueError(f"function {self.function_name!r} has no role to send its failed runs with")
            role.add_to_principal_policy(iam.PolicyStatement(
                actions=["sqs:SendMessage"], resources=[self.dead_letter_queue.queue_arn]))
            role.add_to_principal_policy(iam.PolicyStatement(
                actions=list(SEND_KEY_ACTIONS), resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sqs.{cdk.Aws.REGION}.amazonaws.com"}},
            ))
