"""TransactWriteItems on the local backend (callcenter.moto_transactions): all or nothing, as DynamoDB does.

The patch backs up only the items a transaction touches; these tests hold it to what DynamoDB promises:
a cancelled transaction leaves no item, no index entry and no stream record behind, whichever of its
operations failed and however many had already been applied.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from callcenter import moto_patches, moto_transactions

TABLE = "tx-test"


@pytest.fixture
def dynamodb(backend: Any) -> Any:
    """A table with a sort key, a GSI on `team` and a NEW_AND_OLD_IMAGES stream, with two orders in it."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "team")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_team", "KeySchema": [{"AttributeName": "team", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    for sk, team in (("a", "billing"), ("b", "support")):
        client.put_item(TableName=TABLE, Item={"pk": {"S": "C1"}, "sk": {"S": sk}, "team": {"S": team},
                                               "version": {"N": "1"}})
    return client


def key(sk: str, pk: str = "C1") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def items(client: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in client.scan(TableName=TABLE, ConsistentRead=True)["Items"]}


def team_keys(client: Any, team: str) -> set[str]:
    found = client.query(TableName=TABLE, IndexName="by_team", KeyConditionExpression="team = :t",
                         ExpressionAttributeValues={":t": {"S": team}})["Items"]
    return {i["sk"]["S"] for i in found}


def stream_records(client: Any) -> list[dict[str, Any]]:
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name="us-east-1",
                           config=Config(account_id_endpoint_mode="disabled"))
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return streams.get_records(ShardIterator=iterator)["Records"]


def four_changes(condition_on_d: str) -> list[dict[str, Any]]:
    """Put a new item c, move a to support (its index key), delete b, then a condition on item d."""
    return [
        {"Put": {"TableName": TABLE, "Item": {**key("c"), "team": {"S": "sales"}}}},
        {"Update": {"TableName": TABLE, "Key": key("a"), "UpdateExpression": "SET team = :t, version = :v",
                    "ConditionExpression": "version = :one",
                    "ExpressionAttributeValues": {":t": {"S": "support"}, ":v": {"N": "2"}, ":one": {"N": "1"}}}},
        {"Delete": {"TableName": TABLE, "Key": key("b")}},
        {"ConditionCheck": {"TableName": TABLE, "Key": key("d"), "ConditionExpression": condition_on_d}},
    ]


def test_the_local_backend_runs_the_patched_transaction(backend: Any) -> None:
    # Given the pinned moto, when a LocalBackend has started (the fixture), then the patch is in place
    assert moto_transactions.installed()


def test_a_transaction_whose_conditions_hold_applies_every_change_with_its_index_and_stream_effects(
        dynamodb: Any) -> None:
    before = len(stream_records(dynamodb))

    dynamodb.transact_write_items(TransactItems=four_changes("attribute_not_exists(pk)"))

    assert set(items(dynamodb)) == {("C1", "a"), ("C1", "c")}
    assert items(dynamodb)[("C1", "a")]["version"] == {"N": "2"}
    assert team_keys(dynamodb, "support") == {"a"}
    assert team_keys(dynamodb, "billing") == set()
    assert team_keys(dynamodb, "sales") == {"c"}
    new = stream_records(dynamodb)[before:]
    assert [r["eventName"] for r in new] == ["INSERT", "MODIFY", "REMOVE"]
    assert new[1]["dynamodb"]["OldImage"]["team"] == {"S": "billing"}
    assert new[1]["dynamodb"]["NewImage"]["team"] == {"S": "support"}


def test_a_failed_condition_after_three_applied_changes_leaves_items_index_and_stream_as_they_were(
        dynamodb: Any) -> None:
    # Given the table as it is, and its stream
    items_before, records_before = items(dynamodb), stream_records(dynamodb)

    # When the last operation's condition fails (d does not exist), after the first three were applied
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=four_changes("attribute_exists(pk)"))

    # Then DynamoDB's answer names the failed operation, and nothing of the transaction remains
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert items(dynamodb) == items_before
    assert team_keys(dynamodb, "billing") == {"a"}
    assert team_keys(dynamodb, "support") == {"b"}
    assert team_keys(dynamodb, "sales") == set()
    assert stream_records(dynamodb) == records_before


def test_a_failed_condition_on_the_first_operation_cancels_the_ones_after_it(dynamodb: Any) -> None:
    items_before, records_before = items(dynamodb), stream_records(dynamodb)
    stale_update = {"Update": {"TableName": TABLE, "Key": key("a"), "UpdateExpression": "SET version = :v",
                               "ConditionExpression": "version = :seen",
                               "ExpressionAttributeValues": {":v": {"N": "9"}, ":seen": {"N": "7"}},
                               "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
    new_item = {"Put": {"TableName": TABLE, "Item": {**key("x", pk="C2"), "team": {"S": "billing"}}}}

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[stale_update, new_item])

    reasons = raised.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None"]
    assert reasons[0]["Item"]["version"] == {"N": "1"}  # the item as it is, since ALL_OLD was asked
    assert items(dynamodb) == items_before
    assert team_keys(dynamodb, "billing") == {"a"}
    assert stream_records(dynamodb) == records_before


def test_an_update_that_would_create_an_item_is_undone_with_the_rest(dynamodb: Any) -> None:
    items_before, records_before = items(dynamodb), stream_records(dynamodb)
    upsert = {"Update": {"TableName": TABLE, "Key": key("new"), "UpdateExpression": "SET team = :t",
                         "ExpressionAttributeValues": {":t": {"S": "sales"}}}}
    impossible = {"Delete": {"TableName": TABLE, "Key": key("b"), "ConditionExpression": "version = :v",
                             "ExpressionAttributeValues": {":v": {"N": "5"}}}}

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[upsert, impossible])

    assert items(dynamodb) == items_before
    assert team_keys(dynamodb, "sales") == set()
    assert stream_records(dynamodb) == records_before


def test_two_operations_on_one_item_are_refused_and_nothing_is_written(dynamodb: Any) -> None:
    items_before, records_before = items(dynamodb), stream_records(dynamodb)
    put_c = {"Put": {"TableName": TABLE, "Item": {**key("c"), "team": {"S": "sales"}}}}
    delete_a = {"Delete": {"TableName": TABLE, "Key": key("a")}}

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[put_c, delete_a, delete_a])

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert items(dynamodb) == items_before
    assert stream_records(dynamodb) == records_before


def test_the_patch_stays_out_with_a_moto_it_was_not_copied_from(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    # Given a moto whose version differs from the one the function was copied from, its method in place
    def motos_own(self: Any, transact_items: list[dict[str, Any]]) -> None:
        raise AssertionError("not called")

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", motos_own)
    monkeypatch.setattr(moto_transactions, "_original", None)
    monkeypatch.setattr(moto_patches, "version", lambda _name: "9.9.9")

    # When the patch is asked to install, then it warns and leaves moto's method as it was
    with pytest.warns(UserWarning, match="9.9.9"):
        assert moto_transactions.install() is False
    assert DynamoDBBackend.transact_write_items is motos_own
