"""SQS queues on the local backend remember the receipt handles of their last deletions (callcenter.moto_sqs):
a repeated delete of a message just deleted still succeeds, and what a queue keeps is bounded."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID

from callcenter import moto_sqs

REGION = "us-east-1"


def test_a_repeated_delete_succeeds_and_only_the_last_handles_are_kept(backend: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.sqs.models import sqs_backends

    assert moto_sqs.installed()
    monkeypatch.setattr(moto_sqs, "KEPT", 3)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="receipts-test")["QueueUrl"]
    # Given five messages received and deleted one after the other
    handles = []
    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
        [message] = sqs.receive_message(QueueUrl=url)["Messages"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handles.append(message["ReceiptHandle"])
    # Then deleting the last one again succeeds, as moto answers
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[-1])
    # And the queue remembers only the last three deletions' handles
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues["receipts-test"]
    assert list(queue.deleted_messages) == handles[-3:]
    # And a handle forgotten long ago is refused, as an expired receipt handle is on SQS
    with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[0])
    # And the queue still works: nothing left, a new message comes and goes
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="later")
    [later] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert later["Body"] == "later"


def test_recent_receipt_handles_forget_the_oldest_first() -> None:
    handles = moto_sqs.RecentReceiptHandles(2, ["a", "b"])
    handles.update(["c", None])
    assert ("a" in handles, "b" in handles, "c" in handles, len(handles)) == (False, True, True, 2)
    handles.add("b")  # seen again: now the newest
    handles.add("d")
    assert list(handles) == ["b", "d"]


def test_visible_messages_counts_as_get_queue_attributes_does(backend: Any) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="count-test", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]

    def api_count() -> int:
        answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(answer["Attributes"]["ApproximateNumberOfMessages"])

    # Given a queue empty, then with three messages, then with one of them received (in flight)
    counts = [(moto_sqs.visible_messages(url, DEFAULT_ACCOUNT_ID, REGION), api_count())]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    counts.append((moto_sqs.visible_messages(url, DEFAULT_ACCOUNT_ID, REGION), api_count()))
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
    counts.append((moto_sqs.visible_messages(url, DEFAULT_ACCOUNT_ID, REGION), api_count()))
    # Then the count read from moto is the API's each time, and an unknown queue is left to the API
    assert counts == [(0, 0), (3, 3), (2, 2)]
    assert moto_sqs.visible_messages(url + "-missing", DEFAULT_ACCOUNT_ID, REGION) is None
