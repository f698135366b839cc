"""moto's per-class record of its model instances, holding them weakly (moto 5.2.5).

moto 5.2.5 appends every object of every model class (`moto.core.common_models.BaseModel.__new__`) to a
list on its class, `instances_tracked`, emptied only when a mock stops (`reset_model_data`). The list
feeds MotoServer's dashboard (`/moto-api/data.json`) and S3's reset (which disposes of keys no bucket
holds any more). Nothing else reads it, and nothing removes from it: every DynamoDB `Item` moto builds
(the stored item, and every copy it makes to answer a read, apply an update, check a condition or roll a
transaction back), every SQS `Message` (deleted ones too), every stream record and shard iterator stays
alive until the mock ends. On a simulated day that is most of the process's growth: after 60 calls,
266 of 473 `Item` objects and every one of 218 SQS messages (all queues empty) were held by that list
alone (`gc.get_referrers`: `list` <- `instances_tracked` <- the model class).

`install()` gives moto's metaclass (`InstanceTrackerMeta`) an `instances_tracked` property that takes
precedence over the list each class carries: per class, a weak record of the instances still alive, in
creation order. `append` (moto's only writer), iteration and `len` work as on the list, and assigning a
list (moto's reset assigns `[]`) clears the record. Whatever moto still holds (a table's items, a
queue's messages, a stream's records) stays in the record; what moto dropped is freed. What moto
answers does not change.

Only for moto 5.2.5, the version this was read from; with another moto it warns and leaves moto's list.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from callcenter.moto_patches import patched_moto_installed

_records: weakref.WeakKeyDictionary[type, WeakInstances] = weakref.WeakKeyDictionary()
_installed = False


class WeakInstances:
    """The instances of one model class that are still alive, oldest first (list-like for moto's uses)."""

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._order = itertools.count()
        self._alive: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        self._alive[next(self._order)] = instance

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._alive.values()))  # a snapshot: moto may create or drop models while iterating

    def __len__(self) -> int:
        return len(self._alive)

    def __bool__(self) -> bool:
        return len(self) > 0


def _record(cls: type) -> WeakInstances:
    record = _records.get(cls)
    if record is None:
        # what moto recorded before install() (in the class's own list) carries over, held weakly
        before = cls.__dict__.get("instances_tracked")
        record = _records[cls] = WeakInstances(before or ())
        if isinstance(before, list):
            before.clear()
    return record


def _replace(cls: type, instances: Iterable[Any]) -> None:
    _records[cls] = WeakInstances(instances)


def install() -> bool:
    """Make moto's model classes record their instances weakly; True if installed (moto 5.2.5 only)."""
    global _installed
    if _installed:
        return True
    if not patched_moto_installed("moto_instances", "moto keeps every model instance it ever made until the "
                                                    "mock stops"):
        return False
    from moto.core.base_backend import InstanceTrackerMeta

    # A data descriptor on the metaclass wins over the class's own `instances_tracked` attribute, for
    # reads (`cls.instances_tracked.append(...)`) and for assignments (`model.instances_tracked = []`).
    InstanceTrackerMeta.instances_tracked = property(_record, _replace)  # type: ignore[attr-defined]
    _installed = True
    return True


def installed() -> bool:
    from moto.core.base_backend import InstanceTrackerMeta

    return isinstance(InstanceTrackerMeta.__dict__.get("instances_tracked"), property)
