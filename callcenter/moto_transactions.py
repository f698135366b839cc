"""moto's DynamoDB TransactWriteItems, backing up only the items a transaction touches (moto 5.2.5).

moto 5.2.5 (`DynamoDBBackend.transact_write_items`) backs up every table a transaction names with
`copy.deepcopy(table)` before it starts (all items, index definitions, every stream record) and, if the
transaction is cancelled, puts the copies in place of the tables. That copy costs time and memory in
proportion to the tables, on every transaction, so a simulated day slows down and grows as its tables
fill (the issue measured 45% of `callcenter simulate` in it).

`transact_write_items` below is moto 5.2.5's function, line for line (same validation, same order of
checks, same errors and cancellation reasons), except for what it keeps to roll back:

- before an operation writes, the item it is about to change, as it was (a deep copy of that one item,
  or the fact that there was none); an item is touched at most once per transaction (moto refuses two
  operations on the same key), so that is the item as it was before the transaction;
- the length of each touched table's stream (moto keeps stream records in a list per table).

A cancelled transaction (a failed condition, an error in any operation, two operations on one item, a
validation error) puts those items back (or removes the ones it created) and cuts the stream records
it added, so nothing of it is visible: items, reads, indexes (moto derives GSI and LSI entries from the
table's items at query time) and streams are as before. The table objects stay the same objects
(moto's rollback replaced them with copies).

When a touched table has a moto Lambda event source mapping (moto's own stream delivery, which may
empty the stream list as it delivers; the local runtime delivers streams itself), moto's function is
used unchanged.

`install()` replaces moto's method only for moto 5.2.5, the version this function was copied from;
with another moto it warns and leaves moto's own in place (slower, same semantics), so an upgrade
cannot silently run a stale copy. The change is small and self-contained enough to offer upstream.
"""

from __future__ import annotations

import copy
from typing import Any

from callcenter.moto_patches import patched_moto_installed

_original: Any = None


class _TouchedItems:
    """What a transaction changed, as it was before: enough to undo it."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.items: dict[tuple[str, Any, Any], tuple[Any, Any]] = {}  # (table, hash, range) -> (table, item|None)
        self.streams: dict[str, tuple[Any, int]] = {}  # table name -> (stream shard, records before)

    def keep(self, table_name: str, key: dict[str, Any], current: Any) -> None:
        table = self.backend.get_table(table_name)
        hash_key, range_key = self.backend.get_keys_value(table, key)
        self.items.setdefault((table_name, hash_key, range_key), (table, copy.deepcopy(current)))
        if table.stream_shard is not None and table_name not in self.streams:
            self.streams[table_name] = (table.stream_shard, len(table.stream_shard.items))

    def restore(self) -> None:
        for (_, hash_key, range_key), (table, before) in self.items.items():
            if range_key is not None:
                group = table.items[hash_key]
                if before is None:
                    group.pop(range_key, None)
                else:
                    group[range_key] = before
                if not group:
                    del table.items[hash_key]
            elif before is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = before
        for shard, length in self.streams.values():
            del shard.items[length:]


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's DynamoDBBackend.transact_write_items, with `_TouchedItems` as its backup."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    for item in transact_items:
        _, op = next(iter(item.items()))
        table = self.tables.get(op.get("TableName"))
        if table is not None and getattr(table, "lambda_event_source_mappings", None):
            return _original(self, transact_items)  # type: ignore[no-any-return]
    touched = _TouchedItems(self)

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []  # [(Code, Message, Item), ..]
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        # Check transact writes are not performing multiple operations on the same item
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException

        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)

            current = self.get_item(table_name, key)
            if op_type != "ConditionCheck":
                touched.keep(table_name, key, current)  # the one change from moto: back up this item only
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression,
                    expression_attribute_names,
                    expression_attribute_values,
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type == "Put":
                attrs = op["Item"]
                self.put_item(
                    table_name,
                    attrs,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                update_expression = op["UpdateExpression"]
                self.update_item(
                    table_name,
                    key,
                    update_expression=update_expression,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            # Rollback to the original state, and reraise the error
            touched.restore()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore
        except Exception as e:  # moto's own: any other failure cancels the transaction
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore

    if any(code is not None for code, _, _ in errors):
        # Rollback to the original state, and reraise the errors
        touched.restore()
        raise TransactionCanceledException(errors)
    return None


def install() -> bool:
    """Use `transact_write_items` for moto's DynamoDB backends; True if installed (moto 5.2.5 only)."""
    global _original
    from moto.dynamodb.models import DynamoDBBackend

    if _original is not None:
        return True
    if not patched_moto_installed("moto_transactions", "moto's own TransactWriteItems stays (it copies whole "
                                                       "tables)"):
        return False
    _original = DynamoDBBackend.transact_write_items
    DynamoDBBackend.transact_write_items = transact_write_items
    return True


def installed() -> bool:
    from moto.dynamodb.models import DynamoDBBackend

    return DynamoDBBackend.transact_write_items is transact_write_items
