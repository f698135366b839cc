"""`callcenter simulate --live`: the queues as a supervisor's real-time dashboard shows them, updating in the terminal.

Per queue: contacts in queue, the oldest contact's age, agents available (of those staffed) and the service level of
the last 15 minutes (Connect's definition: contacts removed from the queue within the queue's threshold, over those
removed), against the queue's target from the routing policy. The view is drawn at simulated moments (each simulated
minute), so what it shows never depends on how fast this machine is; only how quickly it scrolls by does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from callcenter.day import QueueWatch
from callcenter.queueing.model import QueueStatus

QUIET_REDRAW_S = 15 * 60


def queue_table(moment: datetime, statuses: dict[str, QueueStatus], title: str) -> Any:
    from zoneinfo import ZoneInfo

    from rich.table import Table

    from functions.routing.policy import load_policy

    policy = load_policy()
    local = moment.astimezone(ZoneInfo(policy.center_time_zone))
    table = Table(title=f"{title}, {local:%H:%M} ({policy.center_time_zone})")
    for column in ("queue", "in queue", "oldest wait", "agents available / staffed", "service level (15 min)",
                   "target"):
        table.add_column(column, justify="left" if column == "queue" else "right")
    for queue, status in statuses.items():
        level = policy.queues[queue].service_level
        target = f"{100 * level.target:.0f}% in {level.seconds} s" if level else "-"
        shown = "-" if status.service_level is None else f"{100 * status.service_level:.0f}%"
        if status.service_level is not None and level is not None and status.service_level < level.target:
            shown = f"[red]{shown}[/red]"
        minutes, seconds = divmod(int(status.oldest_contact_age_s), 60)
        table.add_row(queue, str(status.contacts_in_queue), f"{minutes}:{seconds:02d}" if status.contacts_in_queue
                      else "-", f"{status.agents_available} / {status.agents_staffed}", shown, target)
    return table


@contextmanager
def live_view(out: Any, title: str, every_s: float = 60.0) -> Iterator[QueueWatch]:
    """A QueueWatch that redraws the queue table in place at each simulated minute."""
    from rich.live import Live

    drawn: dict[str, Any] = {"statuses": None, "at": None}

    with Live(console=out, auto_refresh=False, transient=False) as live:
        def show(moment: datetime, statuses: dict[str, QueueStatus]) -> None:
            # Redrawn when a figure changed, else every quarter hour (the clock in the title): a quiet night costs
            # a few frames, not one per simulated minute.
            stale = drawn["at"] is None or (moment - drawn["at"]).total_seconds() >= QUIET_REDRAW_S
            if statuses != drawn["statuses"] or stale:
                live.update(queue_table(moment, statuses, title), refresh=out.is_terminal)
                drawn.update(statuses=statuses, at=moment)

        yield QueueWatch(show, every_s)
