"""moto's DynamoDB items share their attribute names (moto 5.2.5).

moto 5.2.5 builds each stored item (`moto.dynamodb.models.dynamo_type.Item`) from the request's parsed JSON,
so every item holds its own copy of every attribute name ("customer_id", "created_at"...): some fifty bytes
per attribute per item, which on a simulated day's surveys, tickets and notifications is about a third
of what the tables hold. `install()` makes `Item.__init__` intern the names first (`sys.intern`: equal
strings become one object), so items with the same attributes share them. Names compare and hash as
before; nothing moto answers changes.

It also checks an item's size (DynamoDB's 400 KB limit, `ItemSizeTooLarge`) in one pass. moto's
`LimitedSizeDict.__setitem__` sums the sizes of every attribute already stored on each insert, so building
an item of n attributes sizes n²/2 values (DynamoType.size walks maps and lists); `_init` keeps a running
total instead and refuses at the same attribute moto would (the sum so far plus the new attribute's name
and value over moto's 405,000 bytes). Later writes to an item's attributes (UpdateItem) keep moto's check.

Only for moto 5.2.5 (`callcenter.moto_patches`); with another moto each item keeps its own names.
"""

from __future__ import annotations

import sys
from typing import Any

from callcenter.moto_patches import patched_moto_installed

_original_init: Any = None


#: moto 5.2.5's item size limit (`LimitedSizeDict.__setitem__`).
ITEM_SIZE_LIMIT = 405000


def _init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """moto 5.2.5's Item.__init__, names interned, the size summed as it goes (see the module's docstring)."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = stored = LimitedSizeDict()
    total = 0
    for name, value in attrs.items():
        key = sys.intern(name) if type(name) is str else name
        attribute = DynamoType(value)
        size = bytesize(key) + attribute.size()
        if total + size > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        total += size
        dict.__setitem__(stored, key, attribute)


def install() -> bool:
    """Items made from now on share their attribute names; True if installed (moto 5.2.5 only)."""
    global _original_init
    if _original_init is not None:
        return True
    if not patched_moto_installed("moto_items", "each DynamoDB item keeps its own copy of its attribute names"):
        return False
    from moto.dynamodb.models.dynamo_type import Item

    _original_init = Item.__init__
    Item.__init__ = _init  # type: ignore[method-assign]
    return True


def installed() -> bool:
    from moto.dynamodb.models.dynamo_type import Item

    return Item.__init__ is _init
