"""moto's DynamoDB items share their attribute names (moto 5.2.5).

moto 5.2.5 builds each stored item (`moto.dynamodb.models.dynamo_type.Item`) from the request's parsed JSON,
so every item holds its own copy of every attribute name ("customer_id", "created_at"...): some fifty bytes
per attribute per item, which on a simulated day's surveys, tickets and notifications is about a third
of what the tables hold. `install()` makes `Item.__init__` intern the names first (`sys.intern`: equal
strings become one object), so items with the same attributes share them. Names compare and hash as
before; nothing moto answers changes.

Only for moto 5.2.5 (`callcenter.moto_patches`); with another moto each item keeps its own names.
"""

from __future__ import annotations

import sys
from typing import Any

from callcenter.moto_patches import patched_moto_installed

_original_init: Any = None


def _init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    _original_init(self, hash_key, range_key,
                   {sys.intern(name) if type(name) is str else name: value for name, value in attrs.items()})


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
