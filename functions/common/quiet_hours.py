"""Quiet hours: when we do not call or text a customer, in the customer's own time zone."""

from __future__ import annotations

import math
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from functions.common.documents import Strict

#: The longest delay SQS allows on one message; longer waits take several hops.
SQS_MAX_DELAY_SECONDS = 900
_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class QuietHours(Strict, kw_only=True):
    """A daily quiet period in the customer's own time zone, e.g. 20:00-09:00 (may span midnight)."""

    start: str
    end: str

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if not _CLOCK.match(value):
                raise ValueError(f"{name} must be HH:MM (00:00-23:59), got {value!r}")
        if self.start == self.end:
            raise ValueError("start and end must differ")

    def resume_at(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """The end of the quiet period `moment` falls in (aware, in `zone`), or None outside quiet hours."""
        local = moment.astimezone(zone)
        now, start, end = local.hour * 60 + local.minute, _minutes(self.start), _minutes(self.end)
        quiet = (now >= start or now < end) if start > end else start <= now < end
        if not quiet:
            return None
        day = local.date() if now < end else local.date() + timedelta(days=1)
        # Built from the local date and clock, so a DST change in between moves the UTC instant with it.
        return datetime.combine(day, time(end // 60, end % 60), tzinfo=zone)


def hop_delay_seconds(not_before: datetime, now: datetime, max_delay_seconds: int) -> int:
    """The SQS DelaySeconds for a message that must wait until `not_before`: the whole wait when it fits in
    one hop, else `max_delay_seconds` (the consumer sends it on again when it arrives early)."""
    wait = math.ceil((not_before - now).total_seconds())
    return max(0, min(max_delay_seconds, wait))
