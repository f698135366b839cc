"""moto's record of its model instances on the local backend (callcenter.moto_instances): held weakly.

What moto has dropped (a deleted SQS message, the version of an item an update replaced) is released;
what moto still holds (a queued message, a table's item, a stream's records) stays, in moto's record
too, and SQS and DynamoDB answer as before.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.core import DEFAULT_ACCOUNT_ID

from callcenter import moto_instances, moto_patches

REGION = "us-east-1"


def test_a_deleted_message_is_released_and_a_queued_one_is_kept(backend: Any) -> None:
    from moto.sqs.models import Message, sqs_backends

    assert moto_instances.installed()
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="instances-test")["QueueUrl"]
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues["instances-test"]
    moto_messages = {m.body: weakref.ref(m) for m in queue._messages}

    # Given the first message received and deleted, as a consumer does once it has handled it
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
    assert received["Body"] == "first"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"])
    gc.collect()

    # Then moto's object for it is freed, while the queued one lives and moto still records it
    assert moto_messages["first"]() is None
    second = moto_messages["second"]()
    assert second is not None
    assert [m.body for m in Message.instances_tracked] == ["second"]
    # and SQS answers as before: the deleted message never comes back, the other one does
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in again] == ["second"]


def test_the_version_an_update_replaced_is_released_and_its_stream_record_kept(backend: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import Item

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="instances-test", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    key = {"pk": {"S": "C1"}}
    dynamodb.put_item(TableName="instances-test", Item={**key, "version": {"N": "1"}})
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables["instances-test"]
    # Given the item updated, with a condition moto checks on a copy of it
    dynamodb.update_item(TableName="instances-test", Key=key, UpdateExpression="SET version = :two",
                         ConditionExpression="version = :one",
                         ExpressionAttributeValues={":one": {"N": "1"}, ":two": {"N": "2"}})
    gc.collect()

    # Then the copy of the old version moto made (for the stream's old image) is freed: the table's item
    # is the only Item alive, and the only one moto still records
    stored = list(table.all_items())
    assert [o for o in gc.get_objects() if isinstance(o, Item)] == stored
    assert [item.to_json()["Attributes"] for item in Item.instances_tracked] == [{**key, "version": {"N": "2"}}]
    # and DynamoDB answers as before: the new version is read, the stream holds both images
    assert dynamodb.get_item(TableName="instances-test", Key=key)["Item"]["version"] == {"N": "2"}
    # (the account-based endpoint botocore would pick is not one moto serves)
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    arn = dynamodb.describe_table(TableName="instances-test")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [(r["eventName"], r["dynamodb"].get("OldImage", {}).get("version")) for r in records] == [
        ("INSERT", None), ("MODIFY", {"N": "1"})]


def test_moto_reset_empties_the_record(backend: Any) -> None:
    from moto.sqs.models import Message

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="instances-reset")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="kept by its queue")
    assert len(Message.instances_tracked) == 1

    # When moto resets its model data, as it does when a mock stops (it assigns an empty list)
    Message.instances_tracked = []

    # Then the record is empty, and records what is made after
    assert len(Message.instances_tracked) == 0
    sqs.send_message(QueueUrl=url, MessageBody="after")
    assert [m.body for m in Message.instances_tracked] == ["after"]


def test_the_patch_stays_out_with_a_moto_it_was_not_written_for(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core.base_backend import InstanceTrackerMeta

    # Given a moto whose version differs from the one the patch was written for, and moto's own lists
    monkeypatch.delattr(InstanceTrackerMeta, "instances_tracked", raising=False)
    monkeypatch.setattr(moto_instances, "_installed", False)
    monkeypatch.setattr(moto_patches, "version", lambda _name: "9.9.9")

    # When the patch is asked to install, then it warns and leaves moto's lists in place
    with pytest.warns(UserWarning, match="9.9.9"):
        assert moto_instances.install() is False
    assert not moto_instances.installed()
