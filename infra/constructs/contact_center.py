"""The Amazon Connect instance and what routing needs in it, from the routing policy (policy.json).

- The instance is created (CONNECT_MANAGED users, inbound and outbound calls, flow logs) unless the
  ARN of an existing one is given.
- One hours of operation per policy `hours`, one queue per policy `queue`, one routing profile per
  queue (that queue first, the default queue second; one voice call at a time).
- Call recordings go to a KMS-encrypted bucket, configured only on an instance this stack creates:
  an existing instance already has its CALL_RECORDINGS storage and Connect allows one per instance.
- The flow logs of an instance this stack creates go to /aws/connect/<instance alias>, the group Connect writes
  them to. They hold what the flows' Lambda functions received and answered (numbers, names, ticket status), so
  the stack declares that group before the instance exists: KMS-encrypted with a key CloudWatch Logs may use,
  kept for `flow_log_days` (infra/retention.py), retained with the stack. Left to Connect, it would be created
  without either. (An existing instance's group is its owner's: the stack cannot create it again.)
- The instance, its flow log group, the recordings and their keys are kept when the stack is deleted, and deleted
  only when the deployment that created them is rolled back (infra/removal.py). After a `cdk destroy` the instance
  stays with its alias: deploy again with `connect_instance_arn`, or delete it first (README, "Teardown").
- With the center's number (infra/constructs/phone_line.py), every queue's outbound caller ID is that number
  (`set_outbound_caller_id`).
"""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_connect as connect
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.routing.policy import WEEKDAYS, Hours, RoutingPolicy
from infra.constructs.keys import log_group_key
from infra.constructs.recordings import RECORDINGS_PREFIX, RecordingStorage
from infra.naming import pascal
from infra.removal import KEEP
from infra.retention import Retention

INSTANCE_ARN = re.compile(r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:(?P<account>\d{12}):instance/[0-9a-f-]{36}$")
END_OF_DAY = "24:00"
#: Chats an agent takes at once (web chats and SMS conversations, which Connect delivers as chats).
CHAT_CONCURRENCY = 3
#: The channels agents take from their queues: calls, and chats (web chats and SMS conversations).
ROUTED_CHANNELS = ("VOICE", "CHAT")
#: Where Connect writes chat transcripts: the recordings bucket (same key, same expiry as call recordings).
CHAT_TRANSCRIPTS_PREFIX = "chat-transcripts"
FLOW_LOG_GROUP_PREFIX = "/aws/connect/"  # Connect writes an instance's flow logs to /aws/connect/<instance alias>


def _time_slice(clock: str) -> connect.CfnHoursOfOperation.HoursOfOperationTimeSliceProperty:
    # In Connect a day open around the clock runs from 00:00 to 00:00; policy.json writes the end as 24:00.
    hours, minutes = (0, 0) if clock == END_OF_DAY else (int(part) for part in clock.split(":"))
    return connect.CfnHoursOfOperation.HoursOfOperationTimeSliceProperty(hours=hours, minutes=minutes)


def hours_config(hours: Hours) -> list[connect.CfnHoursOfOperation.HoursOfOperationConfigProperty]:
    """Connect's weekly config for policy hours, days in calendar order; closed days are left out."""
    return [
        connect.CfnHoursOfOperation.HoursOfOperationConfigProperty(
            day=day, start_time=_time_slice(hours.open[day][0]), end_time=_time_slice(hours.open[day][1]))
        for day in WEEKDAYS
        if day in hours.open
    ]


class ContactCenter(Construct):
    """The Connect instance (created or existing), hours, queues, routing profiles and recordings."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        policy: RoutingPolicy,
        stage: str,
        instance_arn: str | None = None,
        instance_alias: str | None = None,
        retention: Retention | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.policy = policy
        self.retention = retention or Retention()
        self.recordings: RecordingStorage | None = None
        self.flow_logs: logs.LogGroup | None = None
        if instance_arn:
            match = INSTANCE_ARN.match(instance_arn)
            if not match:
                raise ValueError(f"connect_instance_arn {instance_arn!r} is not a Connect instance ARN")
            self.instance_arn = instance_arn
            self.instance_account = match["account"]
            # A shared instance may serve several stages: keep their resources apart by name.
            self.name_suffix = f"-{stage}"
        else:
            self.instance_arn = self._create_instance(stage, instance_alias)
            self.instance_account = cdk.Aws.ACCOUNT_ID
            self.name_suffix = ""

        self.hours_arns: dict[str, str] = {}
        for name, hours in policy.hours.items():
            resource = connect.CfnHoursOfOperation(
                self, f"Hours{pascal(name)}",
                instance_arn=self.instance_arn,
                name=self.resource_name(name),
                description=f"Routing policy hours '{name}' ({hours.time_zone})",
                time_zone=hours.time_zone,
                config=hours_config(hours),
            )
            self.hours_arns[name] = resource.attr_hours_of_operation_arn

        self.queue_arns: dict[str, str] = {}
        self.queues: dict[str, connect.CfnQueue] = {}
        for name, queue in policy.queues.items():
            resource = self.queues[name] = connect.CfnQueue(
                self, f"Queue{pascal(name)}",
                instance_arn=self.instance_arn,
                name=self.resource_name(name),
                description=(queue.description or f"Routing policy queue '{name}'")[:250],
                hours_of_operation_arn=self.hours_arns[queue.hours],
            )
            self.queue_arns[name] = resource.attr_queue_arn

        for name in policy.queues:
            self._routing_profile(name)

    def set_outbound_caller_id(self, number_arn: str) -> None:
        """Every queue dials out from the center's number: the default queue places the survey and outreach calls
        (StartOutboundVoiceContact names it), and each routing profile's default outbound queue is its own queue,
        so an agent's outbound call from any profile shows the same number. Without a caller ID those calls fail."""
        for queue in self.queues.values():
            queue.outbound_caller_config = connect.CfnQueue.OutboundCallerConfigProperty(
                outbound_caller_id_number_arn=number_arn)

    def resource_name(self, name: str) -> str:
        """The name of a policy queue or hours inside the Connect instance."""
        return f"{name}{self.name_suffix}"

    @staticmethod
    def default_alias(stage: str) -> str:
        """The alias of an instance this stack creates when the context names none."""
        # Aliases are unique across all of AWS: by default qualify it with stage and account.
        return cdk.Fn.join("-", ["contact-center", stage, cdk.Aws.ACCOUNT_ID])

    def _create_instance(self, stage: str, alias: str | None) -> str:
        instance_alias = alias or self.default_alias(stage)
        self.flow_logs = logs.LogGroup(
            self, "FlowLogs",
            log_group_name=cdk.Fn.join("", [FLOW_LOG_GROUP_PREFIX, instance_alias]),
            retention=self.retention.flow_log_retention,
            encryption_key=log_group_key(self, "FlowLogKey", "Encrypts the Amazon Connect flow logs"),
            removal_policy=KEEP,
        )
        instance = connect.CfnInstance(
            self, "Instance",
            identity_management_type="CONNECT_MANAGED",
            instance_alias=instance_alias,
            attributes=connect.CfnInstance.AttributesProperty(
                inbound_calls=True, outbound_calls=True, contactflow_logs=True),
        )
        instance.apply_removal_policy(KEEP)
        # The group exists before the instance can log a flow (or Connect would create it, plain and never expiring).
        instance.node.add_dependency(self.flow_logs)
        self.recordings = RecordingStorage(self, "Recordings", retention=self.retention)
        # Call recordings, and chat transcripts (chat is on for every instance), kept alike: encrypted, expiring.
        for construct_id, resource_type, prefix in (("CallRecordingsStorage", "CALL_RECORDINGS", RECORDINGS_PREFIX),
                                                    ("ChatTranscriptsStorage", "CHAT_TRANSCRIPTS",
                                                     CHAT_TRANSCRIPTS_PREFIX)):
            connect.CfnInstanceStorageConfig(
                self, construct_id,
                instance_arn=instance.attr_arn,
                resource_type=resource_type,
                storage_type="S3",
                s3_config=connect.CfnInstanceStorageConfig.S3ConfigProperty(
                    bucket_name=self.recordings.bucket.bucket_name,
                    bucket_prefix=prefix,
                    encryption_config=connect.CfnInstanceStorageConfig.EncryptionConfigProperty(
                        encryption_type="KMS", key_id=self.recordings.key.key_arn),
                ),
            )
        return instance.attr_arn

    def _routing_profile(self, queue: str) -> None:
        default = self.policy.default_queue
        order = [queue] if queue == default else [queue, default]
        connect.CfnRoutingProfile(
            self, f"RoutingProfile{pascal(queue)}",
            instance_arn=self.instance_arn,
            name=self.resource_name(queue),
            description=f"Agents of the '{queue}' queue" + ("" if queue == default else f", then '{default}'"),
            default_outbound_queue_arn=self.queue_arns[queue],
            media_concurrencies=[
                connect.CfnRoutingProfile.MediaConcurrencyProperty(channel="VOICE", concurrency=1),
                # Web chats (and SMS conversations, which Connect delivers as chats): an agent takes a few at once.
                connect.CfnRoutingProfile.MediaConcurrencyProperty(channel="CHAT", concurrency=CHAT_CONCURRENCY)],
            queue_configs=[
                connect.CfnRoutingProfile.RoutingProfileQueueConfigProperty(
                    priority=position, delay=0,
                    queue_reference=connect.CfnRoutingProfile.RoutingProfileQueueReferenceProperty(
                        channel=channel, queue_arn=self.queue_arns[name]))
                for channel in ROUTED_CHANNELS for position, name in enumerate(order, start=1)
            ],
        )
