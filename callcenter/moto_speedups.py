"""Caches for work moto repeats on every request although its result cannot change (moto 5.2.5).

Neither changes what moto answers, only how often it recomputes the same thing:

- `jsonpath_ng.ext.parse` memoized by path. moto's EventBridge (`EventTemplateParser.parse`) parses each
  path of a target's input map (nine for the default template) on every event and every target, and each
  parse builds a new PLY parser: a few milliseconds per path. The same path gives an equal expression
  (`find` does not change it), so the events moto delivers are the same.
- `moto.core.responses.method_names_from_class` memoized by class. moto lists a response class's
  methods with `inspect.getmembers` on every request, to check the action is one of them; a class's
  methods do not change while the process runs.
- `camelcase_to_underscores` memoized by argument (a pure function of a string). moto's SQS builds a
  queue's attribute map by converting each attribute name on every GetQueueAttributes, three times over
  for a request that names one attribute, and again for each message it checks against the retention period.
- DynamoDB's `Table.all_items` (moto 5.2.5 only, `callcenter.moto_patches`) sorted by the keys' Python
  values instead of moto's `DynamoType` objects. Every Query (on the table or an index) and every Scan
  sorts the whole table by (hash key, range key); comparing two `DynamoType`s recomputes both values
  (a `Decimal` for a number) on each comparison, so a query costs O(n log n) slow comparisons and a day
  slows as its tables fill. The key attributes of a table have one type (its attribute definitions), and
  `DynamoType` orders and equates values of one type exactly as their `cast_value`s do, so sorting by the
  `cast_value`s gives the same order (the primary keys are distinct: the order is unique).
- A Query on the table itself (not an index) reads only its partition. moto 5.2.5 lists every item of the
  table (sorted, above) and keeps those whose hash key equals the query's, then sorts them by range key: each
  base-table Query cost O(n log n) in the table's size (about a sixth of a simulated day's CPU at 1,000 calls,
  growing with the day). The partition is `table.items[hash_key]` (moto keys it by the same `DynamoType`,
  whose hash and equality are its type and `cast_value`, exactly the listing's filter), so the query sees the
  same items; it then sorts them by range key itself, so the order is the same. The listing is narrowed for
  that one call of that table on that thread (a thread-local scope around `Table.query`): a Scan, an index
  Query or another thread's request still lists the whole table.
- moto's random strings (every response's 52-character request id, every SQS receipt handle of 185
  characters) drawn with one `choices(pool, k=length)` instead of one `choice` call per character: the same
  uniform draw from the same generator (moto's seedable one for ids, `random` for receipt handles), about a
  tenth of the calls. Only the particular random strings differ from moto's.
"""

from __future__ import annotations

import random
import string
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from callcenter.moto_patches import patched_moto_installed

_installed = False
_query_scope = threading.local()  # .partition: (table, hash key) while that table's base Query lists its items


def _sorted_all_items(self: Any) -> list[Any]:
    """moto 5.2.5's Table.all_items, sorting by the keys' values (same order, see the module's docstring);
    inside a base-table Query of this table on this thread, only the queried partition's items."""
    scope = getattr(_query_scope, "partition", None)
    if scope is not None and scope[0] is self:
        partition = self.items.get(scope[1])  # .get: never adds an empty partition to moto's defaultdict
        if partition is None:
            return []
        return list(partition.values()) if self.range_key_attr else [partition]
    items: list[Any] = []
    for hash_set in self.items.values():
        if self.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)
    return sorted(items, key=lambda x: (x.hash_key.cast_value, x.range_key.cast_value) if x.range_key
                  else x.hash_key.cast_value)


def _partition_query(query: Callable[..., Any]) -> Callable[..., Any]:
    """moto 5.2.5's Table.query, listing only the queried partition when it queries the table itself."""
    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return query(self, hash_key, *args, **kwargs)
        outer = getattr(_query_scope, "partition", None)
        _query_scope.partition = (self, hash_key)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _query_scope.partition = outer
    partition_query.__wrapped__ = query  # type: ignore[attr-defined]
    return partition_query


def _random_string(self: Any, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
    """moto's MotoRandom.get_random_string, drawing the characters at once."""
    pool = string.ascii_letters + (string.digits if include_digits else "")
    value = "".join(self.choices(pool, k=length))
    return value.lower() if lower_case else value


def _receipt_handle() -> str:
    """moto's SQS generate_receipt_handle (185 lower-case letters), drawn at once."""
    return "".join(random.choices(string.ascii_lowercase, k=185))


def install() -> None:
    global _installed
    if _installed:
        return
    import jsonpath_ng.ext
    import moto.core.responses

    parse = jsonpath_ng.ext.parse
    method_names = moto.core.responses.method_names_from_class

    @lru_cache(maxsize=256)
    def cached_parse(path: str, debug: bool | None = None) -> Any:
        return parse(path, debug)

    @lru_cache(maxsize=512)
    def cached_method_names(clazz: type) -> frozenset[str]:
        return frozenset(method_names(clazz))

    jsonpath_ng.ext.parse = cached_parse
    moto.core.responses.method_names_from_class = cached_method_names  # type: ignore[assignment]
    import moto.core.utils
    import moto.sqs.models

    underscores = moto.core.utils.camelcase_to_underscores
    cached_underscores = lru_cache(maxsize=2048)(underscores)
    for module in (moto.core.utils, moto.core.responses, moto.sqs.models):
        if getattr(module, "camelcase_to_underscores", None) is underscores:
            module.camelcase_to_underscores = cached_underscores  # type: ignore[attr-defined]
    if patched_moto_installed("moto_speedups", "moto's Table.all_items stays (it sorts by DynamoType objects)"):
        from moto.dynamodb.models.table import Table

        Table.all_items = _sorted_all_items  # type: ignore[method-assign]
        Table.query = _partition_query(Table.query)  # type: ignore[method-assign]
        from moto.moto_api._internal.moto_random import MotoRandom

        MotoRandom.get_random_string = _random_string  # type: ignore[method-assign]
        moto.sqs.models.generate_receipt_handle = _receipt_handle  # type: ignore[attr-defined]
    _installed = True
