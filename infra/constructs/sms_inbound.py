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

from constructs import Construct

from infra.constructs.messaging import MessageQueue
from infra.constructs.service_topic import ServiceTopic

SMS_PRINCIPAL = "sms-voice.amazonaws.com"


class SmsInbound(ServiceTopic):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, queue: MessageQueue) -> None:
        super().__init__(scope, construct_id, publisher=SMS_PRINCIPAL, publisher_sid="EndUserMessaging",
                         queue_sid="InboundSmsTopic", key_description=f"Inbound SMS topic of callcenter-{stage}",
                         topic_name=f"callcenter-{stage}-sms-inbound", display_name="Inbound SMS", queue=queue,
                         raw_message_delivery=True)
