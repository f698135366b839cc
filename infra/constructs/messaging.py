"""Queues, EventBridge rules and the domain event bus of functions/manifest.py.

- Per QueueSpec: an SQS queue and its dead-letter queue (after `max_receive_count` receives), both
  encrypted with one customer-managed, rotating KMS key per queue, both refusing requests without TLS.
- Per EventRuleSpec on the default bus (where Amazon Connect publishes contact events): a rule whose
  pattern is narrowed to this stack's Connect instance. Per EventRuleSpec with `bus="domain"`: a rule on
  the domain bus below, its pattern exactly the manifest's (our own events carry no instance). Either way
  the rule delivers to the target queue; events that cannot be delivered go to the rule target's own
  dead-letter queue.
- EVENT_BUS: the custom bus `<name>-<stage>` for our domain events (e.g. SurveyLowScore), with an archive
  of everything we publish on it, so events can be replayed to consumers that do not exist yet. The archive is
  encrypted with the bus's own rotating key (retained), which EventBridge may use for this bus only.
- Only our publishers may put events on that bus (`restrict_publishers`, once the functions exist): a bus policy
  denies events:PutEvents to every principal but the roles of the functions that publish. Within one account an
  IAM allow is enough to publish on a bus without a policy, so without this any role with events:PutEvents on "*"
  could forge a TicketStatusChanged (a message to a customer) or a SurveyLowScore (a ticket).

Only the rule may send to its queues. CDK's `targets.SqsQueue` grants events.amazonaws.com without an
`aws:SourceArn` condition when the queue has a KMS key (the key policy naming the rule would make the key
depend on the rule, which depends on the queue, which depends on the key: aws-cdk #11158), and gives
EventBridge no use of the dead-letter queue's key at all. So the rule target here is `QueueTarget`, and the
grants are explicit: the queue policies and the key policy name the rule, whose ARN is built from its
fixed name rather than referenced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.manifest import EVENT_BUS, EVENT_RULES, QUEUES, EventBusSpec, EventRuleSpec, QueueSpec
from infra.nag import acknowledge
from infra.naming import pascal
from infra.removal import KEEP

DEAD_LETTER_RETENTION = cdk.Duration.days(14)  # the SQS maximum: time to investigate and redrive
RULE_MAX_EVENT_AGE = cdk.Duration.hours(24)  # EventBridge's retry window (its default, made explicit)
RULE_MAX_RETRIES = 185
ARCHIVE_RETENTION = cdk.Duration.days(90)
EVENTS_PRINCIPAL = "events.amazonaws.com"
DEFAULT_BUS, DOMAIN_BUS = "default", "domain"  # EventRuleSpec.bus
BUSES = (DEFAULT_BUS, DOMAIN_BUS)
# EventBridge event pattern fields, as written in the manifest -> EventPattern keyword.
PATTERN_FIELDS = {"source": "source", "detail-type": "detail_type", "detail": "detail", "account": "account",
                  "region": "region", "resources": "resources"}


@dataclass(frozen=True)
class MessageQueue:
    spec: QueueSpec
    key: kms.Key
    queue: sqs.Queue
    dead_letter_queue: sqs.Queue


@dataclass(frozen=True)
class ContactEventRule:
    spec: EventRuleSpec
    rule: events.Rule
    rule_arn: str  # built from the rule's name: usable in policies without a dependency on the rule
    dead_letter_queue: sqs.Queue  # where EventBridge puts events it could not deliver to the target


@jsii.implements(events.IRuleTarget)
class QueueTarget:
    """An SQS queue as a rule target with a dead-letter queue; it grants nothing (Messaging does)."""

    def __init__(self, queue: sqs.IQueue, dead_letter_queue: sqs.IQueue) -> None:
        self.queue = queue
        self.dead_letter_queue = dead_letter_queue

    def bind(self, rule: events.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(
            arn=self.queue.queue_arn,
            target_resource=self.queue,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self.dead_letter_queue.queue_arn),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_event_age_in_seconds=int(RULE_MAX_EVENT_AGE.to_seconds()),
                maximum_retry_attempts=RULE_MAX_RETRIES),
        )


def _pattern_fields(spec: EventRuleSpec) -> dict[str, Any]:
    unknown = sorted(set(spec.event_pattern) - set(PATTERN_FIELDS))
    if unknown:
        raise ValueError(f"rule {spec.name!r}: unsupported event pattern fields {', '.join(unknown)}")
    return {PATTERN_FIELDS[key]: value for key, value in spec.event_pattern.items()}


def instance_pattern(spec: EventRuleSpec, instance_arn: str) -> events.EventPattern:
    """The manifest's pattern with `detail.instanceArn` narrowed to this stack's Connect instance."""
    fields = _pattern_fields(spec)
    fields["detail"] = {**fields.get("detail", {}), "instanceArn": [instance_arn]}
    return events.EventPattern(**fields)


def domain_pattern(spec: EventRuleSpec) -> events.EventPattern:
    """The manifest's pattern as is: the domain bus carries only this stack's events (it has no policy)."""
    return events.EventPattern(**_pattern_fields(spec))


class Messaging(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        instance_arn: str,
        queues: Mapping[str, QueueSpec] = QUEUES,
        rules: Mapping[str, EventRuleSpec] = EVENT_RULES,
        bus: EventBusSpec = EVENT_BUS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.queues: dict[str, MessageQueue] = {name: self._queue(spec) for name, spec in queues.items()}
        self.bus_spec = bus
        self.event_bus_name = f"{bus.name}-{stage}"
        self.event_bus = events.EventBus(
            self, "EventBus", event_bus_name=self.event_bus_name,
            description=f"Contact center domain events (source '{bus.source}'), {stage}")
        self.archive_key = kms.Key(self, "ArchiveKey",
                                   description=f"Encrypts the archive of the {self.event_bus_name} bus",
                                   enable_key_rotation=True, removal_policy=KEEP)
        # Archive adds the key policy: EventBridge may use the key with this bus's encryption context only (and
        # call kms:DescribeKey). Not EventBus.archive(), which (aws-cdk-lib 2.275) drops kms_key; scoped under the
        # bus, as that method does, so the archive keeps its logical id.
        self.archive = events.Archive(
            self.event_bus, "Archive",
            source_event_bus=self.event_bus,
            description=f"Every event published with source '{bus.source}', for replay to new consumers",
            event_pattern=events.EventPattern(source=[bus.source]),
            retention=ARCHIVE_RETENTION,
            kms_key=self.archive_key,
        )
        self.rules: dict[str, ContactEventRule] = {}
        for name, spec in rules.items():
            if spec.target_queue not in self.queues:
                raise ValueError(f"rule {name!r} targets unknown queue {spec.target_queue!r}")
            if spec.bus not in BUSES:
                raise ValueError(f"rule {name!r} is on unknown bus {spec.bus!r} (one of {', '.join(BUSES)})")
            self.rules[name] = self._rule(spec, instance_arn, self.queues[spec.target_queue])

    def _queue(self, spec: QueueSpec) -> MessageQueue:
        scope = Construct(self, pascal(spec.name))
        key = kms.Key(scope, "Key", description=f"Encrypts the {spec.name} queue and its dead-letter queues",
                      enable_key_rotation=True, removal_policy=KEEP)
        dead_letter_queue = sqs.Queue(
            scope, "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION)
        queue = sqs.Queue(
            scope, "Queue",
            encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True,
            visibility_timeout=cdk.Duration.seconds(spec.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=spec.max_receive_count, queue=dead_letter_queue),
        )
        return MessageQueue(spec, key, queue, dead_letter_queue)

    def _rule(self, spec: EventRuleSpec, instance_arn: str, target: MessageQueue) -> ContactEventRule:
        scope = Construct(self, pascal(spec.name))
        rule_name = f"{self.rule_name_prefix}-{spec.name}"[:64]
        on_domain_bus = spec.bus == DOMAIN_BUS
        # A rule's ARN names its bus unless that is the default one: rule/<bus name>/<rule name>.
        rule_arn = cdk.Stack.of(self).format_arn(
            service="events", resource="rule",
            resource_name=f"{self.event_bus_name}/{rule_name}" if on_domain_bus else rule_name)
        dead_letter_queue = sqs.Queue(
            scope, "TargetDeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS, encryption_master_key=target.key, enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION)
        acknowledge(dead_letter_queue, "SQS3",
                    f"This is the dead-letter queue of the {spec.name} rule's target (EventBridge DeadLetterConfig, "
                    "not an SQS redrive): it has no dead-letter queue itself; an alarm fires on its first message.")
        rule = events.Rule(
            scope, "Rule",
            rule_name=rule_name,
            description=spec.description,
            event_bus=self.event_bus if on_domain_bus else None,
            event_pattern=domain_pattern(spec) if on_domain_bus else instance_pattern(spec, instance_arn),
            targets=[QueueTarget(target.queue, dead_letter_queue)],
        )
        only_this_rule = {"ArnEquals": {"aws:SourceArn": rule_arn},
                          "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}
        for queue in (target.queue, dead_letter_queue):
            queue.add_to_resource_policy(iam.PolicyStatement(
                sid=f"EventBridgeRule{pascal(spec.name)}",
                principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions=only_this_rule,
            ))
        # SendMessage to a KMS-encrypted queue makes the sender generate and decrypt data keys.
        target.key.add_to_resource_policy(iam.PolicyStatement(
            sid=f"EventBridgeRule{pascal(spec.name)}",
            principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=["*"],
            conditions=only_this_rule,
        ))
        return ContactEventRule(spec, rule, rule_arn, dead_letter_queue)

    def restrict_publishers(self, publisher_role_arns: Sequence[str]) -> None:
        """Deny events:PutEvents on the domain bus to every principal but these roles (see the module doc)."""
        if not publisher_role_arns:
            raise ValueError("the domain bus needs at least one publisher role")
        # The bus's own Policy property (one document, no separate EventBusPolicy resource per statement); its ARN
        # is built from its fixed name, as the bus cannot reference itself.
        bus_arn = cdk.Stack.of(self).format_arn(service="events", resource="event-bus",
                                                resource_name=self.event_bus_name)
        policy = iam.PolicyDocument(statements=[iam.PolicyStatement(
            sid="OnlyOurPublishers",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["events:PutEvents"],
            resources=[bus_arn],
            conditions={"ArnNotEquals": {"aws:PrincipalArn": list(publisher_role_arns)}},
        )])
        bus = self.event_bus.node.default_child
        assert isinstance(bus, events.CfnEventBus)
        bus.policy = policy.to_json()

    @property
    def rule_name_prefix(self) -> str:
        """Rule names are per account and Region: qualify them with the stage."""
        return f"callcenter-{self.stage}"

    @property
    def dead_letter_queues(self) -> dict[str, sqs.Queue]:
        """Every dead-letter queue, by a name for alarms: `<queue>-dlq` and `<rule>-target-dlq`."""
        found = {f"{name}-dlq": queue.dead_letter_queue for name, queue in self.queues.items()}
        found.update({f"{name}-target-dlq": rule.dead_letter_queue for name, rule in self.rules.items()})
        return found
