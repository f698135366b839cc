"""moto answering from botocore's before-call event (callcenter.moto_direct): the same answers as the HTTP leg.

The same script of requests (writes, conditions that fail, a cancelled transaction, queries on an index,
SQS and EventBridge, an unknown table) runs twice on fresh tables of the same backend, once through the
direct path and once through botocore's HTTP leg and moto's stubber; every parsed response and every
error (code, message, cancellation reasons, the item returned on a failed condition) must be equal.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from callcenter import moto_direct
from callcenter.backend import local_client
from callcenter.emulators import DynamoDBTraffic

VOLATILE = {"RequestId", "HTTPHeaders", "MessageId", "ReceiptHandle", "EventId", "Entries", "CreationDateTime",
            "TableArn", "TableId", "LatestStreamArn", "LatestStreamLabel", "StreamArn"}


def _stable(value: Any, suffix: str) -> Any:
    """The response without what differs on every request (ids, dates, receipt handles) or run (names)."""
    if isinstance(value, dict):
        return {k: _stable(v, suffix) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list | tuple):
        return [_stable(v, suffix) for v in value]
    if isinstance(value, str):
        return value.replace(f"-{suffix}", "-*")
    return value


def _script(suffix: str) -> list[Any]:
    """Run the requests on tables and a queue named with `suffix`; each answer or error, in order."""
    ddb, sqs, events = local_client("dynamodb"), local_client("sqs"), local_client("events")
    table = f"direct-{suffix}"
    answers: list[Any] = []

    def call(client: Any, operation: str, **params: Any) -> None:
        try:
            answers.append(_stable(getattr(client, operation)(**params), suffix))
        except ClientError as exc:
            answers.append(_stable(("error", exc.response["Error"], exc.response.get("CancellationReasons"),
                                    exc.response.get("Item"), type(exc).__name__), suffix))

    call(ddb, "create_table", TableName=table, BillingMode="PAY_PER_REQUEST",
         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                               {"AttributeName": "sk", "AttributeType": "N"},
                               {"AttributeName": "team", "AttributeType": "S"}],
         GlobalSecondaryIndexes=[{"IndexName": "by-team", "KeySchema": [{"AttributeName": "team", "KeyType": "HASH"}],
                                  "Projection": {"ProjectionType": "ALL"}}],
         StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    item = {"pk": {"S": "C1"}, "sk": {"N": "1"}, "team": {"S": "billing"}, "blob": {"B": b"\x00\x01raw"},
            "tags": {"SS": ["a", "b"]}, "m": {"M": {"l": {"L": [{"N": "2.5"}, {"BOOL": True}, {"NULL": True}]}}}}
    call(ddb, "put_item", TableName=table, Item=item)
    call(ddb, "put_item", TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)",
         ReturnValuesOnConditionCheckFailure="ALL_OLD")
    call(ddb, "get_item", TableName=table, Key={"pk": {"S": "C1"}, "sk": {"N": "1"}}, ConsistentRead=True)
    call(ddb, "update_item", TableName=table, Key={"pk": {"S": "C1"}, "sk": {"N": "1"}},
         UpdateExpression="SET #v = if_not_exists(#v, :zero) + :one", ExpressionAttributeNames={"#v": "version"},
         ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}}, ReturnValues="ALL_NEW")
    call(ddb, "transact_write_items", TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "C2"}, "sk": {"N": "1"}, "team": {"S": "billing"}}}},
        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "C1"}, "sk": {"N": "1"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}}])
    call(ddb, "transact_write_items", TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "C3"}, "sk": {"N": "1"}, "team": {"S": "billing"}}}}])
    call(ddb, "query", TableName=table, IndexName="by-team", KeyConditionExpression="team = :t",
         ExpressionAttributeValues={":t": {"S": "billing"}})
    call(ddb, "query", TableName=table, KeyConditionExpression="pk = :p AND sk > :s",
         ExpressionAttributeValues={":p": {"S": "C1"}, ":s": {"N": "0"}}, Limit=1)
    call(ddb, "get_item", TableName=f"missing-{suffix}", Key={"pk": {"S": "C1"}})
    call(ddb, "delete_item", TableName=table, Key={"pk": {"S": "C3"}, "sk": {"N": "1"}}, ReturnValues="ALL_OLD")
    url = sqs.create_queue(QueueName=f"direct-{suffix}")["QueueUrl"]
    call(sqs, "send_message", QueueUrl=url, MessageBody=json.dumps({"n": 1}))
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    answers.append([m["Body"] for m in received["Messages"]])
    call(sqs, "delete_message_batch", QueueUrl=url, Entries=[
        {"Id": "0", "ReceiptHandle": received["Messages"][0]["ReceiptHandle"]}, {"Id": "1", "ReceiptHandle": "bogus"}])
    call(sqs, "get_queue_attributes", QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    call(sqs, "get_queue_attributes", QueueUrl=url + "-missing", AttributeNames=["All"])
    call(events, "put_events", Entries=[{"Source": "test", "DetailType": "Direct", "Detail": "{}"}])
    return answers


def test_the_direct_path_answers_as_the_http_leg(backend: Any) -> None:
    # Given the same requests on fresh resources, answered directly and through the HTTP leg
    assert moto_direct._active
    direct_attempts, answered = DynamoDBTraffic.attempts, moto_direct.answered
    direct = _script("a")
    direct_attempts = DynamoDBTraffic.attempts - direct_attempts
    assert moto_direct.answered - answered == 18  # every request of the script
    moto_direct.deactivate()
    try:
        http_attempts, answered = DynamoDBTraffic.attempts, moto_direct.answered
        http = _script("b")
        http_attempts = DynamoDBTraffic.attempts - http_attempts
        assert moto_direct.answered == answered  # none
    finally:
        moto_direct.activate()
    # Then every answer and every error is the same (blobs come back as bytes, numbers as strings)
    assert direct == http
    assert direct[3]["Item"]["blob"] == {"B": b"\x00\x01raw"}
    assert direct[2][1]["Code"] == "ConditionalCheckFailedException" and direct[2][3] is not None
    assert direct[5][1]["Code"] == "TransactionCanceledException"
    # And DynamoDB attempts are counted the same way
    assert direct_attempts == http_attempts > 0


def test_a_throttled_request_still_takes_the_http_leg_and_its_retries(backend: Any) -> None:
    # Given DynamoDB throttled (the injected fault answers at before-send)
    ddb = local_client("dynamodb")
    before = DynamoDBTraffic.attempts
    DynamoDBTraffic.throttle = True
    try:
        with pytest.raises(ClientError) as refused:
            ddb.list_tables()
    finally:
        DynamoDBTraffic.throttle = False
    # Then botocore retried it (three attempts, local_client's default retry mode) and gave up with the code
    assert refused.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert DynamoDBTraffic.attempts - before > 1


def test_the_user_agent_is_botocores_own_string_for_each_set_of_features(backend: Any) -> None:
    # Given a client's user agent, memoized, and botocore's own builder
    from botocore.context import get_context, start_as_current_context

    creator = local_client("sqs")._user_agent_creator
    built = moto_direct._user_agent
    assert built is not None
    # Then it is the same string, with or without a request's feature ids, and a new feature changes it
    plain = creator.to_string()
    assert plain == built(creator)
    with start_as_current_context():
        context = get_context()
        assert context is not None
        context.features.add("Q")
        assert creator.to_string() == built(creator) != plain
