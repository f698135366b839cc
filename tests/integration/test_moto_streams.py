"""A table's stream on the local backend is trimmed once every consumer has had its records
(callcenter.moto_streams, called by event_sources.deliver_stream): each consumer still sees every record
once, in order, new records keep their numbering, and what stays in moto is bounded."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from callcenter import event_sources, moto_streams
from callcenter.event_sources import STREAM_RECORDS_KEPT, deliver_stream
from functions.tables import TABLES

REGION = "us-east-1"


@pytest.fixture
def recorded(backend: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The tickets stream's consumer replaced by a recorder: (ticket id, sequence number) of each record."""
    seen: list[tuple[str, str]] = []

    def invoke(arn: str, event: dict[str, Any], limit: float) -> dict[str, Any]:
        seen.extend((r["dynamodb"]["Keys"]["ticket_id"]["S"], r["dynamodb"]["SequenceNumber"])
                    for r in event["Records"])
        return {"batchItemFailures": []}

    monkeypatch.setattr(backend, "invoke_lambda", invoke)
    return seen


def write_tickets(first: int, count: int) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for n in range(first, first + count):
        dynamodb.put_item(TableName=TABLES["tickets"].model.Meta.table_name, Item={
            "ticket_id": {"S": f"T{n:04d}"}, "customer_id": {"S": "cust-ada"}, "subject": {"S": "s"},
            "category": {"S": "billing"}, "priority": {"N": "3"}, "status": {"S": "open"},
            "team": {"S": "billing"}})


def shard() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(
        TABLES["tickets"].model.Meta.table_name).stream_shard


def test_each_record_is_delivered_once_and_moto_keeps_only_the_last_ones(backend: Any, recorded: list) -> None:
    assert moto_streams.usable()
    # Given more tickets written than the stream keeps after delivery, delivered in two rounds
    write_tickets(0, STREAM_RECORDS_KEPT + 30)
    deliver_stream(backend, "tickets")
    kept_after_first = len(shard().items)
    write_tickets(STREAM_RECORDS_KEPT + 30, 50)
    deliver_stream(backend, "tickets")
    # Then the consumer saw every record once, in order, numbered without a gap
    ids = [ticket for ticket, _ in recorded]
    assert ids == [f"T{n:04d}" for n in range(STREAM_RECORDS_KEPT + 80)]
    numbers = [int(number) for _, number in recorded]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    # And moto holds only the last STREAM_RECORDS_KEPT records, the oldest of them where TRIM_HORIZON starts
    assert kept_after_first == len(shard().items) == STREAM_RECORDS_KEPT
    assert shard().starting_sequence_number == numbers[-STREAM_RECORDS_KEPT]
    streams = event_sources._streams_client()
    arn = boto3.client("dynamodb", region_name=REGION).describe_table(
        TableName=TABLES["tickets"].model.Meta.table_name)["Table"]["LatestStreamArn"]
    shard_id = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
    first = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1)["Records"][0]
    assert int(first["dynamodb"]["SequenceNumber"]) == numbers[-STREAM_RECORDS_KEPT]
    # And the iterators moto keeps are only ones that can still read something
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    iterators = dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION].shard_iterators.values()
    assert all(it.sequence_number >= shard().starting_sequence_number for it in iterators)


def test_records_a_consumer_has_not_reached_are_not_trimmed(backend: Any, recorded: list) -> None:
    # Given records written and delivered, then more written but not delivered yet
    write_tickets(0, 10)
    deliver_stream(backend, "tickets")
    write_tickets(10, STREAM_RECORDS_KEPT + 20)
    # When the stream is trimmed up to the consumer's position
    position = max(int(number) for _, number in recorded)
    moto_streams.trim_stream(TABLES["tickets"].model.Meta.table_name, position, 0, DEFAULT_ACCOUNT_ID, REGION)
    # Then only the delivered ones are gone, and the next delivery brings every new record once
    assert len(shard().items) == STREAM_RECORDS_KEPT + 20
    deliver_stream(backend, "tickets")
    assert [ticket for ticket, _ in recorded] == [f"T{n:04d}" for n in range(STREAM_RECORDS_KEPT + 30)]


def test_with_another_moto_version_nothing_is_trimmed(backend: Any, recorded: list,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from callcenter import moto_patches

    monkeypatch.setattr(moto_patches, "version", lambda _name: "9.9.9")
    monkeypatch.setattr(moto_streams, "_usable", None)
    write_tickets(0, STREAM_RECORDS_KEPT + 5)
    with pytest.warns(UserWarning, match="9.9.9"):
        deliver_stream(backend, "tickets")
    assert len(shard().items) == STREAM_RECORDS_KEPT + 5
