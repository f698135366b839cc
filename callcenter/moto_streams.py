"""Trimming a table's stream on moto once every consumer has had its records (moto 5.2.5).

DynamoDB keeps a stream record 24 hours, then trims it; moto 5.2.5 keeps every record of a table's stream
(`StreamShard.items`, a list, each record with the item's old and new image) and every shard iterator
it handed out (`DynamoDBStreamsBackend.shard_iterators`) until the mock stops. A simulated day that
writes tickets all day grows by both.

`trim_stream(table, through, keep)` does what DynamoDB's trimming does, sooner: the records up to sequence
number `through` (the oldest position every consumer of the stream has reached) are dropped from the
front of the shard, except the last `keep` of them, and the shard's `starting_sequence_number` moves up by
as many, so that moto keeps numbering new records where it was (it numbers a record as its position in
the list plus that start) and TRIM_HORIZON reads from the oldest record still kept, as on DynamoDB.
Iterators that point below the kept records (they could only read trimmed data) are forgotten. Records
no consumer has reached are never trimmed, so each consumer still reads every record once.

Not used while a table has a moto Lambda event source mapping (moto's own delivery, which empties the
list itself); only for moto 5.2.5 (`callcenter.moto_patches`): with another moto nothing is trimmed.
"""

from __future__ import annotations

from callcenter.moto_patches import patched_moto_installed

_usable: bool | None = None


def usable() -> bool:
    """True when moto is the version this was read from (else warn once, and trim nothing)."""
    global _usable
    if _usable is None:
        _usable = patched_moto_installed("moto_streams", "a table's stream keeps every record until the mock "
                                                         "stops")
    return _usable


def trim_stream(table_name: str, through: int, keep: int, account: str, region: str) -> int:
    """Drop the stream records of `table_name` numbered up to `through`, but the last `keep` of those;
    returns how many were dropped."""
    if not usable():
        return 0
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    table = dynamodb_backends[account][region].get_table(table_name)
    shard = table.stream_shard
    if shard is None or getattr(table, "lambda_event_source_mappings", None):
        return 0
    reached = min(through - shard.starting_sequence_number + 1, len(shard.items))  # records up to `through`
    drop = max(0, reached - keep)
    if drop:
        del shard.items[:drop]
        shard.starting_sequence_number += drop
    iterators = dynamodbstreams_backends[account][region].shard_iterators
    for arn in [arn for arn, it in iterators.items()
                if it.stream_shard is shard and it.sequence_number < shard.starting_sequence_number]:
        del iterators[arn]
    return drop
