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

from constructs import Construct

from infra.constructs.messaging import MessageQueue
from infra.constructs.service_topic import ServiceTopic

CONNECT_PRINCIPAL = "connect.amazonaws.com"


class SmsChatStream(ServiceTopic):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, queue: MessageQueue) -> None:
        super().__init__(scope, construct_id, publisher=CONNECT_PRINCIPAL, publisher_sid="AmazonConnect",
                         queue_sid="ChatStreamTopic",
                         key_description=f"SMS conversations' chat streaming topic of callcenter-{stage}",
                         topic_name=f"callcenter-{stage}-sms-chat-stream",
                         display_name="SMS conversations' chat stream", queue=queue, raw_message_delivery=False)
