"""moto's Table.all_items sorted by key values (callcenter.moto_speedups): the same order as moto's own sort."""

from __future__ import annotations

import random
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID

from callcenter import moto_speedups

REGION = "us-east-1"


def _table(name: str, hash_type: str, range_type: str | None) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    keys = [("pk", hash_type, "HASH")] + ([("sk", range_type, "RANGE")] if range_type else [])
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t, _ in keys],
        KeySchema=[{"AttributeName": a, "KeyType": k} for a, _, k in keys])
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(name)


def _motos_own_order(table: Any) -> list[Any]:
    """moto 5.2.5's Table.all_items, as written there."""
    items = []
    for hash_set in table.items.values():
        if table.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def test_items_come_in_motos_order_for_numbers_and_strings(backend: Any) -> None:
    from moto.dynamodb.models.table import Table

    assert Table.all_items is moto_speedups._sorted_all_items
    rng = random.Random(7)
    client = boto3.client("dynamodb", region_name=REGION)
    numbers = ["9", "10", "-3", "2.5", "100", "0", "-0.5", "1e2"]
    # Given tables keyed by numbers (where 10 > 9, unlike their text) and by text, filled in random order
    with_range = _table("order-n-s", "N", "S")
    for pk, sk in rng.sample([(n, s) for n in numbers if n != "1e2" for s in ("b", "a", "B", "aa", "10", "9")], 42):
        client.put_item(TableName="order-n-s", Item={"pk": {"N": pk}, "sk": {"S": sk}})
    hash_only = _table("order-s", "S", None)
    for pk in rng.sample(["b", "a", "B", "aa", "10", "9", "é", "Z"], 8):
        client.put_item(TableName="order-s", Item={"pk": {"S": pk}})
    numbers_only = _table("order-n", "N", None)
    for pk in rng.sample([n for n in numbers if n != "1e2"], 7):
        client.put_item(TableName="order-n", Item={"pk": {"N": pk}})
    # Then all_items gives exactly moto's own order, and a Scan the same
    for table in (with_range, hash_only, numbers_only):
        assert [id(i) for i in table.all_items()] == [id(i) for i in _motos_own_order(table)]
    scanned = client.scan(TableName="order-n")["Items"]
    assert [i["pk"]["N"] for i in scanned] == ["-3", "-0.5", "0", "2.5", "9", "10", "100"]


def test_sqs_attribute_names_are_converted_once_and_answered_as_before(backend: Any) -> None:
    import moto.core.utils
    import moto.sqs.models

    convert = moto.sqs.models.camelcase_to_underscores
    assert convert is moto.core.utils.camelcase_to_underscores and hasattr(convert, "cache_info")
    assert [convert(n) for n in ("MessageRetentionPeriod", "ApproximateNumberOfMessages", "QueueArn", "")] == \
        ["message_retention_period", "approximate_number_of_messages", "queue_arn", ""]
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="names-test", Attributes={"MessageRetentionPeriod": "120"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod",
                                                                     "ApproximateNumberOfMessages"])
    assert answer["Attributes"] == {"MessageRetentionPeriod": "120", "ApproximateNumberOfMessages": "1"}


def test_items_share_their_attribute_names_and_read_back_unchanged(backend: Any) -> None:
    from callcenter import moto_items

    assert moto_items.installed()
    table = _table("names-shared", "S", None)
    client = boto3.client("dynamodb", region_name=REGION)
    for pk in ("a", "b"):
        client.put_item(TableName="names-shared", Item={"pk": {"S": pk}, "customer_status": {"S": "active"},
                                                        "tags": {"M": {"tier": {"S": "gold"}}}})
    first, second = (next(name for name in table.items[key].attrs if name == "customer_status")
                     for key in list(table.items))
    assert first is second
    got = client.get_item(TableName="names-shared", Key={"pk": {"S": "b"}})["Item"]
    assert got == {"pk": {"S": "b"}, "customer_status": {"S": "active"}, "tags": {"M": {"tier": {"S": "gold"}}}}


def test_moto_random_strings_keep_their_length_and_alphabet(backend: Any) -> None:
    import string

    import moto.sqs.models
    from moto.moto_api._internal import mock_random

    # Given moto's request ids and receipt handles, drawn at once (callcenter.moto_speedups)
    request_id = mock_random.get_random_string(length=52)
    lower = mock_random.get_random_string(length=30, include_digits=False, lower_case=True)
    handle = moto.sqs.models.generate_receipt_handle()
    # Then each has moto's length and alphabet, and two draws differ
    assert len(request_id) == 52 and set(request_id) <= set(string.ascii_letters + string.digits)
    assert len(lower) == 30 and set(lower) <= set(string.ascii_lowercase)
    assert len(handle) == 185 and set(handle) <= set(string.ascii_lowercase)
    assert handle != moto.sqs.models.generate_receipt_handle()


def test_an_item_over_the_size_limit_is_refused_as_by_moto_and_one_under_it_is_kept(backend: Any) -> None:
    from botocore.exceptions import ClientError

    from callcenter import moto_items

    _table("sizes", "S", None)
    client = boto3.client("dynamodb", region_name=REGION)
    # Given items sized around moto's limit (405,000 bytes: names and values), with many attributes
    base = {"pk": {"S": "k"}, **{f"a{i}": {"N": str(i)} for i in range(50)}}
    used = 2 + 1 + sum(len(f"a{i}") + len(str(i)) for i in range(50))
    fits = {**base, "big": {"S": "x" * (moto_items.ITEM_SIZE_LIMIT - used - 3)}}
    too_big = {**base, "big": {"S": "x" * (moto_items.ITEM_SIZE_LIMIT - used - 2)}}
    # Then the first is stored and read back whole, the second refused with DynamoDB's error
    client.put_item(TableName="sizes", Item=fits)
    assert client.get_item(TableName="sizes", Key={"pk": {"S": "k"}})["Item"] == fits
    try:
        client.put_item(TableName="sizes", Item={**too_big, "pk": {"S": "other"}})
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "ValidationException"
        assert "maximum allowed size" in exc.response["Error"]["Message"]
    else:
        raise AssertionError("an item over the limit was stored")


def test_a_table_query_reads_its_partition_and_answers_as_moto_does(backend: Any, monkeypatch: Any) -> None:
    from moto.dynamodb.models.table import Table

    patched = Table.query
    assert patched.__wrapped__ is not None  # type: ignore[attr-defined]
    rng = random.Random(11)
    client = boto3.client("dynamodb", region_name=REGION)
    # Given a table keyed by number and text, filled and thinned in random order, and one keyed by text alone
    table = _table("partition-n-s", "N", "S")
    keys = [(pk, sk) for pk in ("1", "2", "10", "-1.5") for sk in ("a", "b", "B", "aa", "10", "9", "z")]
    for pk, sk in rng.sample(keys, len(keys)):
        client.put_item(TableName="partition-n-s", Item={"pk": {"N": pk}, "sk": {"S": sk}, "n": {"N": str(len(sk))}})
    for pk, sk in rng.sample(keys, 6):
        client.delete_item(TableName="partition-n-s", Key={"pk": {"N": pk}, "sk": {"S": sk}})
    _table("partition-s", "S", None)
    client.put_item(TableName="partition-s", Item={"pk": {"S": "x"}, "v": {"S": "1"}})
    def query(table_name: str, condition: str, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"TableName": table_name, "KeyConditionExpression": condition, "ExpressionAttributeValues": values,
                **extra}

    queries = [
        query("partition-n-s", "pk = :p", {":p": {"N": "1e1"}}),
        query("partition-n-s", "pk = :p AND sk > :s", {":p": {"N": "2"}, ":s": {"S": "B"}}, ScanIndexForward=False),
        query("partition-n-s", "pk = :p AND begins_with(sk, :s)", {":p": {"N": "-1.5"}, ":s": {"S": "a"}}),
        query("partition-n-s", "pk = :p", {":p": {"N": "1"}, ":one": {"N": "1"}}, FilterExpression="n > :one"),
        query("partition-n-s", "pk = :p", {":p": {"N": "99"}}),
        query("partition-s", "pk = :p", {":p": {"S": "x"}}),
        query("partition-s", "pk = :p", {":p": {"S": "y"}}),
    ]

    def pages(query: dict[str, Any]) -> list[Any]:
        answers, start = [], None
        while True:
            answer = client.query(**query, Limit=2, **({"ExclusiveStartKey": start} if start else {}))
            answers.append((answer["Items"], answer["Count"], answer["ScannedCount"]))
            start = answer.get("LastEvaluatedKey")
            if not start:
                return answers

    # When each query is asked page by page, through the partition and through moto's listing of the whole table
    narrowed = [pages(q) for q in queries]
    partitions_before = set(table.items)
    monkeypatch.setattr(Table, "query", patched.__wrapped__)  # type: ignore[attr-defined]
    motos = [pages(q) for q in queries]
    # Then every page is the same (items, order, counts, where the next page starts), nothing was added to
    # moto's partitions by asking for a missing one, and outside a query the listing is the whole table again
    assert narrowed == motos
    assert any(page[0] for answer in narrowed for page in answer)
    assert set(table.items) == partitions_before
    assert len(table.all_items()) == len(keys) - 6
