"""Lambda's event source mappings, played locally, as AWS would run them.

- SQS (`deliver`): poll a moto queue, invoke its consumer with Lambda-shaped batches, delete what
  succeeded, and leave reported failures for redelivery (and, after the queue's maxReceiveCount, for
  moto to move to the dead-letter queue).
- DynamoDB streams (`deliver_stream`): read a table's stream on moto from where the previous call
  stopped, invoke each consumer with Lambda-shaped batches of its batch_size, and on reported failures
  retry from the first failed record (ReportBatchItemFailures) up to max_retries times; what still
  fails goes to the on-failure destination (kept in the report) and the stream moves on. Records every
  consumer has been handed are then trimmed from moto's stream but the last `STREAM_RECORDS_KEPT`, as
  DynamoDB trims a stream after 24 hours (callcenter.moto_streams), so a long day does not grow by them.
"""


from __future__ import annotations

import functools
import hashlib
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callcenter import moto_sqs, moto_streams
from callcenter.backend import ACCOUNT, REGION, LocalBackend, function_arn, local_client
from functions.manifest import DynamoDBStreamSource, FunctionSpec, SqsSource, consumers_of, stream_consumers_of


@dataclass
class DeliveryReport:
    queue: str
    batches: int = 0
    messages: int = 0  # deliveries, redeliveries included
    succeeded: int = 0
    failed: int = 0  # deliveries reported as failed (or whole failed batches)
    in_dead_letter_queue: int = 0  # after delivery (streams: records sent to the on-failure destination)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)  # streams: those records


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


@functools.lru_cache(maxsize=64)
def _queue_arn(sqs: Any, url: str) -> str:
    """A queue's ARN never changes for its URL (the URL names account, region and queue): asked once."""
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def deliver(backend: LocalBackend, queue: str, max_batches: int = 100) -> DeliveryReport:
    """Feed every visible message of `queue` to its consumer until the queue is drained."""
    from flowlang.simulator import LambdaInvocationError

    consumers = consumers_of(queue)
    if len(consumers) != 1:
        raise ValueError(f"queue {queue!r} must have exactly one consumer in the manifest, has {len(consumers)}")
    consumer = consumers[0]
    assert isinstance(consumer.source, SqsSource)
    sqs = local_client("sqs")
    url = backend.queue_urls[queue]
    if backend.now is not None:  # delayed messages whose (simulated) moment has come become visible
        for message in backend.sqs_delays.due(backend.now):
            if message.queue_url == url:
                sqs.send_message(QueueUrl=url, MessageBody=message.body)
            else:
                backend.sqs_delays.held.append(message)
    queue_arn = _queue_arn(sqs, url)
    report = DeliveryReport(queue)
    for _ in range(max_batches):
        if moto_sqs.visible_messages(url, ACCOUNT, REGION) == 0:
            break  # what an empty ReceiveMessage would have said, read without the request
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
    in_dlq = moto_sqs.visible_messages(backend.dlq_urls[queue], ACCOUNT, REGION)
    if in_dlq is None:
        dlq = sqs.get_queue_attributes(QueueUrl=backend.dlq_urls[queue],
                                       AttributeNames=["ApproximateNumberOfMessages"])
        in_dlq = int(dlq["Attributes"]["ApproximateNumberOfMessages"])
    report.in_dead_letter_queue = in_dlq
    return report


# --- DynamoDB streams ------------------------------------------------------------------------------

#: How many of the records every consumer has been handed stay in moto's stream (a replay, TRIM_HORIZON, reads
#: them); older ones are trimmed, as DynamoDB trims records after 24 hours.
STREAM_RECORDS_KEPT = 100

#: Per backend, per (consumer, shard): the sequence number of the last record handed on (done or given up).
_stream_positions: weakref.WeakKeyDictionary[LocalBackend, dict[tuple[str, str], str]] = weakref.WeakKeyDictionary()


def _streams_client() -> Any:
    # botocore would use the account-based endpoint (<account>.streams-ddb...), which moto does not serve.
    return local_client("dynamodbstreams", account_id_endpoint_mode="disabled")


def _stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A moto stream record as Lambda hands it to the function."""
    data = dict(record["dynamodb"])
    created = data.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        data["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {key: data[key] for key in ("ApproximateCreationDateTime", "Keys", "NewImage", "OldImage",
                                                "SequenceNumber", "SizeBytes", "StreamViewType") if key in data},
        "eventSourceARN": stream_arn,
    }


def _new_records(streams: Any, stream_arn: str, shard_id: str, after: str | None) -> list[dict[str, Any]]:
    position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after} if after
                else {"ShardIteratorType": "TRIM_HORIZON"})
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **position)["ShardIterator"]
    records: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            break
        records += page["Records"]
        iterator = page.get("NextShardIterator")
    return records


def _invoke_stream_batch(backend: LocalBackend, consumer: FunctionSpec, batch: list[dict[str, Any]]) -> int | None:
    """Invoke once; the index of the first failed record in `batch`, or None when all succeeded."""
    from flowlang.simulator import LambdaInvocationError

    try:
        response = backend.invoke_lambda(function_arn(consumer.name), {"Records": batch},
                                         consumer.timeout_seconds) or {}
    except LambdaInvocationError:
        return 0  # the whole batch comes back
    failed = {f.get("itemIdentifier") for f in response.get("batchItemFailures", [])}
    if not failed:
        return None
    sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
    positions = [i for i, number in enumerate(sequence_numbers) if number in failed]
    return min(positions) if positions and len(positions) == len(failed) else 0  # unknown ids: all failed


def deliver_stream(backend: LocalBackend, table: str) -> DeliveryReport:
    """Feed the records written to `table` since the previous call to each of its stream consumers."""
    from functions.tables import TABLES

    consumers = stream_consumers_of(table)
    if not consumers:
        raise ValueError(f"table {table!r} has no stream consumer in the manifest")
    dynamodb = local_client("dynamodb")
    stream_arn = dynamodb.describe_table(TableName=TABLES[table].model.Meta.table_name)["Table"].get(
        "LatestStreamArn")
    if not stream_arn:
        raise ValueError(f"table {table!r} has no stream (its model's Meta.stream_view_type)")
    streams = _streams_client()
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    positions = _stream_positions.setdefault(backend, {})
    report = DeliveryReport(f"stream:{table}")
    for consumer in consumers:
        source = consumer.source
        assert isinstance(source, DynamoDBStreamSource)
        for shard in shards:
            key = (consumer.name, shard["ShardId"])
            pending = [_stream_record(r, stream_arn) for r in
                       _new_records(streams, stream_arn, shard["ShardId"], positions.get(key))]
            retries = 0
            while pending:
                batch = pending[:source.batch_size]
                report.batches += 1
                report.messages += len(batch)
                first_failed = _invoke_stream_batch(backend, consumer, batch)
                done = len(batch) if first_failed is None else first_failed
                report.succeeded += done
                report.failed += len(batch) - done
                if first_failed is not None and retries >= source.max_retries:
                    report.dead_letters += batch[first_failed:]  # the on-failure destination
                    report.in_dead_letter_queue += len(batch) - first_failed
                    done = len(batch)
                retries = 0 if first_failed is None or done == len(batch) else retries + 1
                if done:
                    positions[key] = batch[done - 1]["dynamodb"]["SequenceNumber"]
                pending = pending[done:]
    for shard in shards:
        reached = [positions.get((consumer.name, shard["ShardId"])) for consumer in consumers]
        if all(reached):
            moto_streams.trim_stream(TABLES[table].model.Meta.table_name, min(int(r) for r in reached if r),
                                     STREAM_RECORDS_KEPT, ACCOUNT, REGION)
    return report
