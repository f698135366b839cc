"""Lambda's SQS event source mapping, played locally: poll a moto queue, invoke its consumer with
Lambda-shaped batches, delete what succeeded, and leave reported failures for redelivery (and, after
the queue's maxReceiveCount, for moto to move to the dead-letter queue), as AWS would.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import boto3

from callcenter.backend import REGION, LocalBackend, function_arn
from functions.manifest import SqsSource, consumers_of


@dataclass
class DeliveryReport:
    queue: str
    batches: int = 0
    messages: int = 0  # deliveries, redeliveries included
    succeeded: int = 0
    failed: int = 0  # deliveries reported as failed (or whole failed batches)
    in_dead_letter_queue: int = 0  # after delivery


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", "0"),
            "SenderId": attributes.get("SenderId", "local"),
            "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", "0"),
        },
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def deliver(backend: LocalBackend, queue: str, max_batches: int = 100) -> DeliveryReport:
    """Feed every visible message of `queue` to its consumer until the queue is drained."""
    from flowlang.simulator import LambdaInvocationError

    consumers = consumers_of(queue)
    if len(consumers) != 1:
        raise ValueError(f"queue {queue!r} must have exactly one consumer in the manifest, has {len(consumers)}")
    consumer = consumers[0]
    assert isinstance(consumer.source, SqsSource)
    sqs = boto3.client("sqs", region_name=REGION)
    url = backend.queue_urls[queue]
    if backend.now is not None:  # delayed messages whose (simulated) moment has come become visible
        for message in backend.sqs_delays.due(backend.now):
            if message.queue_url == url:
                sqs.send_message(QueueUrl=url, MessageBody=message.body)
            else:
                backend.sqs_delays.held.append(message)
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    report = DeliveryReport(queue)
    for _ in range(max_batches):
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=consumer.source.batch_size,
                                       AttributeNames=["All"], MessageAttributeNames=["All"])
        messages = received.get("Messages", [])
        if not messages:
            break
        report.batches += 1
        report.messages += len(messages)
        event = {"Records": [_record(m, queue_arn) for m in messages]}
        try:
            response = backend.invoke_lambda(function_arn(consumer.name), event, consumer.timeout_seconds) or {}
            failed_ids = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except LambdaInvocationError:
            failed_ids = {m["MessageId"] for m in messages}  # the whole batch comes back
        done = [m for m in messages if m["MessageId"] not in failed_ids]
        report.failed += len(messages) - len(done)
        report.succeeded += len(done)
        if done:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
    dlq = sqs.get_queue_attributes(QueueUrl=backend.dlq_urls[queue],
                                   AttributeNames=["ApproximateNumberOfMessages"])
    report.in_dead_letter_queue = int(dlq["Attributes"]["ApproximateNumberOfMessages"])
    return report
