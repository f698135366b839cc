"""Two-way SMS in: the SNS topic End User Messaging publishes inbound SMS to, delivering into `sms-inbound`.

functions/sms/inbox.py says why End User Messaging's two-way SMS and not the number in Connect's SMS channel.
The origination identity of the context (`sms_origination_identity`, the number surveys and reminders are texted
from) must have two-way SMS enabled with this topic as its destination (the stack outputs `SmsInboundTopicArn`;
README, "Deploying"): CloudFormation cannot change a number it did not create.

- The topic is encrypted with its own rotating key and refuses requests without TLS; only End User Messaging
  (`sms-voice.amazonaws.com`) of this account may publish to it, and use its key for that.
- One subscription, raw message delivery (the queue gets End User Messaging's document itself), with the queue's
  dead-letter queue as its redrive target: what SNS cannot deliver is kept there, as the queue's own failures are.
- The queue and its dead-letter queue accept messages from this topic only; their key lets SNS use it for this
  topic only. Every grant names the topic; nothing else may send.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.messaging import MessageQueue
from infra.removal import KEEP

SMS_PRINCIPAL = "sms-voice.amazonaws.com"
SNS_PRINCIPAL = "sns.amazonaws.com"


class SmsInbound(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, queue: MessageQueue) -> None:
        super().__init__(scope, construct_id)
        account = cdk.Stack.of(self).account
        self.key = kms.Key(self, "TopicKey", description=f"Inbound SMS topic of callcenter-{stage}",
                           enable_key_rotation=True, removal_policy=KEEP)
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="EndUserMessagingPublishes",
            principals=[iam.ServicePrincipal(SMS_PRINCIPAL)],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ))
        self.topic = sns.Topic(self, "Topic", topic_name=f"callcenter-{stage}-sms-inbound",
                               display_name="Inbound SMS", master_key=self.key, enforce_ssl=True)
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            sid="EndUserMessagingOnly",
            principals=[iam.ServicePrincipal(SMS_PRINCIPAL)],
            actions=["sns:Publish"],
            resources=[self.topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ))
        only_this_topic = {"ArnEquals": {"aws:SourceArn": self.topic.topic_arn}}
        for target in (queue.queue, queue.dead_letter_queue):
            target.add_to_resource_policy(iam.PolicyStatement(
                sid="InboundSmsTopic",
                principals=[iam.ServicePrincipal(SNS_PRINCIPAL)],
                actions=["sqs:SendMessage"],
                resources=[target.queue_arn],
                conditions=only_this_topic,
            ))
        queue.key.add_to_resource_policy(iam.PolicyStatement(
            sid="InboundSmsTopic",
            principals=[iam.ServicePrincipal(SNS_PRINCIPAL)],
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=["*"],
            conditions=only_this_topic,
        ))
        self.subscription = sns.Subscription(
            self, "ToQueue", topic=self.topic, endpoint=queue.queue.queue_arn, protocol=sns.SubscriptionProtocol.SQS,
            raw_message_delivery=True, dead_letter_queue=queue.dead_letter_queue)
