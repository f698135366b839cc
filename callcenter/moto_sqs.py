"""moto's SQS remembers the receipt handles of deleted messages for a while, not for ever (moto 5.2.5).

moto 5.2.5 adds every receipt handle of every deleted message to a set on its queue
(`Queue.deleted_messages`), so that deleting a message again with one of its handles succeeds instead of
answering ReceiptHandleIsInvalid; nothing ever leaves the set. A receipt handle is 185 characters, a
message gets one per receive, and a simulated day deletes a few messages per call: the set grows by
about half a megabyte per thousand calls and is never read for most of it.

`install()` gives each queue a `RecentReceiptHandles` in its place: the same `in` and `update` (moto's only
uses), holding the handles of the last `KEPT` deletions' messages of that queue, oldest forgotten first. A
consumer deletes what it received moments before (the local event sources delete each batch right after
its function answered), so a repeated delete still finds its handle; one of a message deleted thousands
of deletions ago gets ReceiptHandleIsInvalid, as on SQS a receipt handle stops being valid after a time.

`visible_messages(url)` reads a queue's ApproximateNumberOfMessages (its visible, undelayed messages) from
moto's own state, as GetQueueAttributes answers it but without a request: the local event sources ask it
after every delivery (the dead-letter queue's count) and before every poll (whether a ReceiveMessage would
find anything), about two requests per simulated call that are the runtime's own, not the functions'.

Only for moto 5.2.5 (`callcenter.moto_patches`); with another moto the queues keep moto's set, and
`visible_messages` answers None (ask the API).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from callcenter.moto_patches import patched_moto_installed

#: How many receipt handles of deleted messages each queue remembers.
KEPT = 2000

_original_init: Any = None


class RecentReceiptHandles:
    """A set of receipt handles that keeps only the `limit` most recently added (set-like for moto's uses)."""

    def __init__(self, limit: int = KEPT, handles: Iterable[str] = ()) -> None:
        self.limit = limit
        self._handles: dict[str, None] = {}  # insertion-ordered: the oldest first
        self.update(handles)

    def add(self, handle: str) -> None:
        self._handles.pop(handle, None)
        self._handles[handle] = None
        while len(self._handles) > self.limit:
            del self._handles[next(iter(self._handles))]

    def update(self, handles: Iterable[str | None]) -> None:
        for handle in handles:
            if handle is not None:
                self.add(handle)

    def __contains__(self, handle: object) -> bool:
        return handle in self._handles

    def __len__(self) -> int:
        return len(self._handles)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._handles))


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    self.deleted_messages = RecentReceiptHandles(KEPT, self.deleted_messages)


def visible_messages(url: str, account: str, region: str) -> int | None:
    """The queue's visible messages as GetQueueAttributes counts them (moto 5.2.5's `Queue.messages`), or None
    when this moto is not the one read, or has no such queue (then ask the API)."""
    if _original_init is None:
        return None
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[account][region].queues.get(url.rsplit("/", 1)[-1])
    return None if queue is None else len(queue.messages)


def install() -> bool:
    """Queues made from now on remember a bounded number of deleted receipt handles; True if installed."""
    global _original_init
    if _original_init is not None:
        return True
    if not patched_moto_installed("moto_sqs", "SQS queues remember every deleted receipt handle until the mock "
                                              "stops"):
        return False
    from moto.sqs.models import Queue

    _original_init = Queue.__init__
    Queue.__init__ = _init  # type: ignore[method-assign]
    return True


def installed() -> bool:
    from moto.sqs.models import Queue

    return Queue.__init__ is _init
