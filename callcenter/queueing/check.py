"""The loop closed: a forecast day run through the queue model with the roster's staffing file.

Arrivals per queue and half hour are Poisson with the forecast's expected calls (a seeded generator: the same
forecast, roster and seed give the same day on any machine), spread uniformly inside the half hour, at the routing
priority the policy's first rule for that queue gives (5 otherwise). The queue model (model.py) serves them with
the roster's agents, handling times and patience drawn as in the history (``DEMO_HANDLING``); each contact's
service level counts as Connect's does (removed from the queue within the queue's threshold, answered or
abandoned) in the half hour it was queued.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from callcenter.queueing.model import DEMO_HANDLING, Handling, Offer, serve
from callcenter.queueing.staffing import Staffing
from functions.routing.policy import RoutingPolicy

SLOTS, INTERVAL_S = 48, 1800


@dataclass(frozen=True)
class SimulatedInterval:
    offered: int
    within: int  # removed from the queue within the threshold
    abandoned: int

    @property
    def service_level(self) -> float | None:
        return self.within / self.offered if self.offered else None


def queue_priorities(policy: RoutingPolicy) -> dict[str, int]:
    priorities: dict[str, int] = {}
    for rule in policy.rules:
        queue = rule.route.queue
        if queue is not None and queue not in priorities:
            priorities[queue] = rule.route.priority
    return priorities


def simulate_day(staffing: Staffing, policy: RoutingPolicy, calls: Mapping[str, Sequence[float]], day: date, *,
                 seed: int, handling: Handling = DEMO_HANDLING) -> dict[str, list[SimulatedInterval]]:
    """Each queue's 48 half hours of `day` as simulated: contacts offered, removed within threshold, abandoned."""
    zone = ZoneInfo(policy.center_time_zone)
    origin = datetime.combine(day, time(0), tzinfo=zone)
    rng = np.random.default_rng([seed, day.toordinal()])
    priorities = queue_priorities(policy)
    offers: list[Offer] = []
    for queue in sorted(calls):
        for slot, expected in enumerate(calls[queue]):
            for moment in sorted(rng.uniform(0, INTERVAL_S, rng.poisson(max(expected, 0.0)))):
                offers.append(Offer(slot * INTERVAL_S + float(moment), f"check-{queue}-{len(offers):06d}", queue,
                                    priorities.get(queue, 5)))
    offers.sort(key=lambda o: o.at_s)
    outcomes = serve(offers, staffing, policy, origin=origin, until=origin + timedelta(days=1, hours=2),
                     seed=seed, handling=handling)
    thresholds = {q: (policy.queues[q].service_level.seconds if policy.queues[q].service_level else 20)
                  for q in policy.queues}
    tallies = {queue: np.zeros((SLOTS, 3), dtype=int) for queue in calls}
    for outcome in outcomes:
        slot = min(int(outcome.enqueued_s // INTERVAL_S), SLOTS - 1)
        row = tallies[outcome.queue][slot]
        row[0] += 1
        row[1] += outcome.waited_s < thresholds[outcome.queue]
        row[2] += not outcome.answered
    return {queue: [SimulatedInterval(int(a), int(b), int(c)) for a, b, c in rows] for queue, rows in tallies.items()}
