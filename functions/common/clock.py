"""The current time, as the functions see it.

Deployed, this is the system clock. The local runtime pins it to the simulated moment of a call
(`pinned(at)`), so a call placed "at 21:00" is decided as if it were 21:00.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_pinned: datetime | None = None


def utc_now() -> datetime:
    return _pinned.astimezone(UTC) if _pinned is not None else datetime.now(UTC)


@contextmanager
def pinned(moment: datetime | None) -> Iterator[None]:
    global _pinned
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the pinned time must be timezone-aware")
    previous, _pinned = _pinned, moment
    try:
        yield
    finally:
        _pinned = previous
