"""A topic one AWS service of this account publishes to, delivering into one of the stack's queues.

What the inbound-SMS topic (End User Messaging) and the SMS conversations' chat stream topic (Amazon Connect) share:
- the topic is encrypted with its own rotating key (retained) and refuses requests without TLS; only the publishing
  service principal of this account may publish to it and use its key for that;
- one subscription into the queue, with the queue's dead-letter queue as its redrive target;
- the queue and its dead-letter queue accept messages from this topic only, and their key lets SNS use it for this
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

SNS_PRINCIPAL = "sns.amazonaws.com"


class ServiceTopic(Construct):
    """`publisher`: the service principal; `publisher_sid`: the statement ids' stem ("AmazonConnect" gives the key's
    "AmazonConnectPublishes" and the topic's "AmazonConnectOnly"); `queue_sid`: the queue policies' statement id;
    `raw_message_delivery`: the queue gets the publisher's document itself rather than SNS's envelope."""

    def __init__(self, scope: Construct, construct_id: str, *, publisher: str, publisher_sid: str, queue_sid: str,
                 key_description: str, topic_name: str, display_name: str, queue: MessageQueue,
                 raw_message_delivery: bool) -> None:
        super().__init__(scope, construct_id)
        account = cdk.Stack.of(self).account
        self.key = kms.Key(self, "TopicKey", description=key_description, enable_key_rotation=True,
                           removal_policy=KEEP)
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid=f"{publisher_sid}Publishes",
            principals=[iam.ServicePrincipal(publisher)],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ))
        self.topic = sns.Topic(self, "Topic", topic_name=topic_name, display_name=display_name, master_key=self.key,
                               enforce_ssl=True)
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            sid=f"{publisher_sid}Only",
            principals=[iam.ServicePrincipal(publisher)],
            actions=["sns:Publish"],
            resources=[self.topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ))
        only_this_topic = {"ArnEquals": {"aws:SourceArn": self.topic.topic_arn}}
        for target in (queue.queue, queue.dead_letter_queue):
            target.add_to_resource_policy(iam.PolicyStatement(
                sid=queue_sid,
                principals=[iam.ServicePrincipal(SNS_PRINCIPAL)],
                actions=["sqs:SendMessage"],
                resources=[target.queue_arn],
                conditions=only_this_topic,
            ))
        queue.key.add_to_resource_policy(iam.PolicyStatement(
            sid=queue_sid,
            principals=[iam.ServicePrincipal(SNS_PRINCIPAL)],
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=["*"],
            conditions=only_this_topic,
        ))
        self.subscription = sns.Subscription(
            self, "ToQueue", topic=self.topic, endpoint=queue.queue.queue_arn, protocol=sns.SubscriptionProtocol.SQS,
            raw_message_delivery=raw_message_delivery, dead_letter_queue=queue.dead_letter_queue)
