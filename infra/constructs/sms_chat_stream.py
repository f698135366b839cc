"""The chat streaming topic of SMS conversations: Amazon Connect publishes each message and event of a chat that
sms-inbound started (StartContactStreaming names this topic), delivered into `sms-chat-stream` for
sms-chat-replies (functions/sms/conversations.py explains the bridge).

- A standard topic (chat streaming supports no FIFO topic), encrypted with its own rotating key, refusing
  requests without TLS. Only Amazon Connect (`connect.amazonaws.com`) of this account may publish to it and use
  its key for that.
- One subscription, not raw (the queue gets SNS's envelope with the message attributes, MessageVisibility among
  them), with the queue's dead-letter queue as its redrive target.
- The queue and its dead-letter queue accept messages from this topic only; their key lets SNS use it for this
  topic only.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.messaging import MessageQueue
from infra.removal import KEEP

CONNECT_PRINCIPAL = "connect.amazonaws.com"
SNS_PRINCIPAL = "sns.amazonaws.com"


class SmsChatStream(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, queue: MessageQueue) -> None:
        super().__init__(scope, construct_id)
        account = cdk.Stack.of(self).account
        self.key = kms.Key(self, "TopicKey",
                           description=f"SMS conversations' chat streaming topic of callcenter-{stage}",
                           enable_key_rotation=True, removal_policy=KEEP)
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="AmazonConnectPublishes",
            principals=[iam.ServicePrincipal(CONNECT_PRINCIPAL)],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ))
        self.topic = sns.Topic(self, "Topic", topic_name=f"callcenter-{stage}-sms-chat-stream",
                               display_name="SMS conversations' chat stream", master_key=self.key, enforce_ssl=True)
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            sid="AmazonConnectOnly",
            principals=[iam.ServicePrincipal(CONNECT_PRINCIPAL)],
            actions=["sns:Publish"],
            resources=[self.topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ))
        only_this_topic = {"ArnEquals": {"aws:SourceArn": self.topic.topic_arn}}
        for target in (queue.queue, queue.dead_letter_queue):
            target.add_to_resource_policy(iam.PolicyStatement(
                sid="ChatStreamTopic",
                principals=[iam.ServicePrincipal(SNS_PRINCIPAL)],
                actions=["sqs:SendMessage"],
                resources=[target.queue_arn],
                conditions=only_this_topic,
            ))
        queue.key.add_to_resource_policy(iam.PolicyStatement(
            sid="ChatStreamTopic",
            principals=[iam.ServicePrincipal(SNS_PRINCIPAL)],
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=["*"],
            conditions=only_this_topic,
        ))
        self.subscription = sns.Subscription(
            self, "ToQueue", topic=self.topic, endpoint=queue.queue.queue_arn, protocol=sns.SubscriptionProtocol.SQS,
            raw_message_delivery=False, dead_letter_queue=queue.dead_letter_queue)
