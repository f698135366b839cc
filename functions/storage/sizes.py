"""An item's size as DynamoDB counts it against its 400 KB item limit, from its serialized attributes.

The rules (DynamoDB developer guide, "Item sizes and formats"): every attribute counts its name and its
value; strings and names in UTF-8 bytes; a number about 1 byte per two significant digits, plus 1
(leading and trailing zeros trimmed); binary its length; a boolean or null 1 byte; a list or map 3 bytes,
plus 1 byte per element and the elements themselves (a map's keys counted like names); a set its
elements. Stores use it to refuse a write that DynamoDB would refuse, with a clear reason, before sending it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def dynamodb_item_size(attributes: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes of an item given as DynamoDB attribute values, e.g. {"id": {"S": "T1"}, "n": {"N": "12"}}
    (what PynamoDB's `Model.serialize()` returns)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in attributes.items())


def _value_size(value: Mapping[str, Any]) -> int:
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(1 + len(key.encode()) + _value_size(element) for key, element in data.items())
    if kind == "SS":
        return sum(len(element.encode()) for element in data)
    if kind == "NS":
        return sum(_number_size(element) for element in data)
    if kind == "BS":
        return sum(len(element) for element in data)
    raise ValueError(f"not a DynamoDB attribute type: {kind!r}")


def _number_size(text: str) -> int:
    mantissa = text.lstrip("+-").lower().split("e")[0]
    digits = mantissa.replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1
