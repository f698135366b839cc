"""The current time, as the functions see it.

Deployed, this is the system clock. The local runtime pins it to the simulated moment of a call
(`pinned(at)`), so a call placed "at 21:00" is decided as if it were 21:00.

`pause(seconds)` is the wait before a retry: a real sleep when deployed; under a pinned (simulated)
clock no real time passes, so the local runtime and the tests never wait on the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_pinned: datetime | None = None


def utc_now() -> datetime:
    return _pinned.astimezone(UTC) if _pinned is not None else datetime.now(UTC)


def pause(seconds: float) -> None:
    """Wait before retrying: really deployed, not at all while the clock is pinned to a simulated moment."""
    if _pinned is None and seconds > 0:
        time.sleep(seconds)


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
