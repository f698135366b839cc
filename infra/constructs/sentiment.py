"""Live sentiment: Contact Lens real-time analysis -> segment stream -> the sentiment consumer -> hints and alerts.

- A KMS-encrypted Kinesis data stream (on demand, 24 h) for the instance's real-time segments, associated with
  ``AWS::Connect::InstanceStorageConfig`` for both per-channel types, REAL_TIME_CONTACT_ANALYSIS_VOICE_SEGMENTS and
  REAL_TIME_CONTACT_ANALYSIS_CHAT_SEGMENTS (the channel-less type is deprecated). Connect partitions by contact,
  so a contact's segments stay in order on one shard. The ``sentiment-segments`` function consumes it
  (infra/constructs/functions.py: KinesisSource).
- One ``AWS::Connect::Rule`` per phrase rule of functions/sentiment/rules.json marked ``connect_rule``: Contact Lens'
  real-time exact-match condition on the caller's words, with an EventBridge action named by our rule id; its
  matches ("Contact Lens Realtime Rules Matched") reach ``sentiment-rule-matches`` through the manifest's event rule.
  The sentiment rules themselves (streaks, falling sentiment) are evaluated by the consumer from the segments'
  per-turn sentiment, where the caller's tier and history are at hand.
- The supervisors' SNS topic (KMS, TLS only); the consumers may publish to it and nothing else may.
- Alarms: the stream's consumer is alarmed with the other stream consumers (iterator age, on-failure queue) and
  its errors with every function (infra/constructs/monitoring.py); here, notifications the topic failed to deliver.

On an existing instance (``associate=False``) the stack does not associate the stream nor create the rules, as for
the contact-record stream (infra/constructs/contact_lake.py): associate this stack's stream (output
``SegmentStreamArn``) with ``aws connect associate-instance-storage-config`` when this stage owns the instance.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_connect as connect
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from functions.sentiment.rules import Phrase, RuleBook, load_rules
from infra.constructs.functions import KinesisInput
from infra.constructs.keys import connect_stream_key
from infra.nag import acknowledge

SEGMENT_STREAM = "contact-lens-segments"  # the manifest's KinesisSource.stream
SEGMENT_TYPES = ("REAL_TIME_CONTACT_ANALYSIS_VOICE_SEGMENTS", "REAL_TIME_CONTACT_ANALYSIS_CHAT_SEGMENTS")
RULE_FUNCTION_VERSION = "2022-11-25"  # the Rules Function language's version string


def phrase_rule_function(rule: Phrase) -> str:
    """The Rules Function language text of a phrase rule: the caller said any of the phrases (exact match)."""
    return json.dumps({"Version": RULE_FUNCTION_VERSION, "RuleFunction": {
        "Operator": "OR", "Operands": [{
            "Operator": "CONTAINS_ANY", "Operands": list(rule.phrases),
            "ComparisonValue": "$.ContactLens.RealTimeCall.ExactMatch.Transcript",
            "FilterClause": {"LogicOperator": "AND", "Filters": [{"Type": "ParticipantRole", "Data": "CUSTOMER"}]},
            "Negate": False}]}}, separators=(",", ":"))


def connect_rule_name(rule: Phrase, stage: str) -> str:
    return f"callcenter-{stage}-{rule.id.replace('.', '-').replace('_', '-')}"


class LiveSentiment(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, instance_arn: str,
                 associate: bool = True, rules: RuleBook | None = None) -> None:
        super().__init__(scope, construct_id)
        self.rules = rules or load_rules()  # an invalid rules.json fails the synth here
        # Connect writes to the stream with its service-linked role, through Kinesis only.
        self.key = connect_stream_key(self, "Key", "Encrypts the Contact Lens segment stream and supervisor alerts")
        self.stream = kinesis.Stream(
            self, "SegmentStream", encryption=kinesis.StreamEncryption.KMS, encryption_key=self.key,
            stream_mode=kinesis.StreamMode.ON_DEMAND, retention_period=cdk.Duration.hours(24),
            removal_policy=cdk.RemovalPolicy.DESTROY)  # live segments: worth nothing a day later
        acknowledge(self.stream, "KDS3", "encrypted with this feature's customer-managed key (rotated, retained), "
                    "whose policy lets Connect's service-linked role write through Kinesis only; the AWS-managed "
                    "key could not be scoped that way")
        self.topic = sns.Topic(self, "SupervisorAlerts", display_name=f"Contact center {stage}: live alerts",
                               master_key=self.key, enforce_ssl=True)
        self.connect_rules: list[connect.CfnRule] = []
        if associate:
            for resource_type in SEGMENT_TYPES:
                connect.CfnInstanceStorageConfig(
                    self, resource_type.title().replace("_", ""), instance_arn=instance_arn,
                    resource_type=resource_type, storage_type="KINESIS_STREAM",
                    kinesis_stream_config=connect.CfnInstanceStorageConfig.KinesisStreamConfigProperty(
                        stream_arn=self.stream.stream_arn))
            for rule in self.rules.rules:
                if isinstance(rule, Phrase) and rule.connect_rule:
                    self.connect_rules.append(connect.CfnRule(
                        self, f"Rule{rule.id.title().replace('.', '').replace('_', '')}",
                        name=connect_rule_name(rule, stage), instance_arn=instance_arn,
                        trigger_event_source=connect.CfnRule.RuleTriggerEventSourceProperty(
                            event_source_name="OnRealTimeCallAnalysisAvailable"),
                        function=phrase_rule_function(rule),
                        actions=connect.CfnRule.ActionsProperty(
                            event_bridge_actions=[connect.CfnRule.EventBridgeActionProperty(name=rule.id)]),
                        publish_status="PUBLISHED"))

    @property
    def segments(self) -> KinesisInput:
        return KinesisInput(self.stream, self.key)

    def allow_publish(self, functions: dict[str, lambda_.Function]) -> None:
        """sns:Publish on the topic, and the key's data keys through SNS only, for these functions alone."""
        for function in functions.values():
            function.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"],
                                                            resources=[self.topic.topic_arn]))
            function.add_to_role_policy(iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{cdk.Aws.REGION}.amazonaws.com"}}))

    def alarm_to(self, topic: sns.ITopic) -> list[cloudwatch.Alarm]:
        """Supervisor alerts SNS could not deliver to a subscriber: nobody would notice otherwise."""
        failed = self.topic.metric_number_of_notifications_failed(statistic="Sum",
                                                                   period=cdk.Duration.minutes(5))
        alarm = cloudwatch.Alarm(
            self, "AlertsNotDeliveredAlarm", metric=failed, threshold=1, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="supervisor alerts were not delivered to a subscriber of the live-alerts topic")
        alarm.add_alarm_action(actions.SnsAction(topic))
        return [alarm]
