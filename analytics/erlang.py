"""Erlang C and Erlang A: how many agents a half hour needs, and what a number of agents gives.

Written here because no maintained Python implementation covers Erlang A with Connect's service-level definition
(the small packages on PyPI do Erlang C only, with factorials). Numerically stable: Erlang B by its recursion
(B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1))), Erlang C from B; Erlang A (M/M/n+M, Palm's model: callers abandon
after an exponential patience) from its birth-death chain's stationary distribution computed by ratios, never a
factorial or a power of a large number.

Definitions (Connect's, as analytics/sql/queue_kpis.sql reports them):
  * ``probability_of_waiting``: an arriving caller finds every agent busy.
  * ``service_level``: the share of queued contacts removed from the queue (answered, or abandoned) within
    ``answer_within`` seconds. Without abandonment (Erlang C): 1 - C e^{-(n mu - lambda) T}.
  * ``asa_seconds``: the mean wait of answered contacts (Erlang C: C / (n mu - lambda)).
  * ``occupancy``: the share of agents' time spent on contacts (offered load over agents; Erlang A: carried load).
  * ``abandonment_rate`` (Erlang A): the share of callers who hang up before an agent answers.

Erlang C is infinite when the load reaches the agents (n <= A): the queue grows without bound, which is reported
as service level 0 and ASA infinite rather than raised.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import poisson

#: Queue states kept in Erlang A's chain past the agents: far past where the stationary probability vanishes.
_TAIL_EPSILON = 1e-13
MAX_AGENTS = 2000


class ErlangError(ValueError):
    """A parameter no queue can have (zero or negative volume time, a target outside 0-1, ...)."""


@dataclass(frozen=True)
class Figures:
    agents: int
    probability_of_waiting: float
    service_level: float
    asa_seconds: float
    occupancy: float
    abandonment_rate: float | None = None

    def as_dict(self) -> dict[str, float | int]:
        data = asdict(self)
        if self.abandonment_rate is None:
            del data["abandonment_rate"]
        return data


def _check(calls: float, interval_s: float, aht_s: float, answer_within_s: float, patience_s: float | None) -> None:
    for name, value in (("calls", calls), ("answer within", answer_within_s)):
        if not math.isfinite(value) or value < 0:
            raise ErlangError(f"{name} must be zero or more, got {value}")
    for name, value in (("interval", interval_s), ("AHT", aht_s)):
        if not math.isfinite(value) or value <= 0:
            raise ErlangError(f"{name} must be more than zero, got {value}")
    if patience_s is not None and (not math.isfinite(patience_s) or patience_s <= 0):
        raise ErlangError(f"patience must be more than zero seconds, got {patience_s}")


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of `agents` servers offered `load` Erlangs (the recursion, stable for any size)."""
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability of waiting (1 when the load reaches the agents)."""
    if agents <= load:
        return 1.0
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1 - b))


def erlang_c_figures(agents: int, calls: float, interval_s: float, aht_s: float, answer_within_s: float) -> Figures:
    _check(calls, interval_s, aht_s, answer_within_s, None)
    if agents < 0:
        raise ErlangError(f"agents must be zero or more, got {agents}")
    load = calls * aht_s / interval_s
    if calls == 0:
        return Figures(agents, 0.0, 1.0, 0.0, 0.0)
    if agents <= load:
        return Figures(agents, 1.0, 0.0, math.inf, 1.0 if agents else 0.0)
    c = erlang_c(agents, load)
    drain = (agents - load) / aht_s  # n mu - lambda, per second
    return Figures(agents, c, 1 - c * math.exp(-drain * answer_within_s), c / drain, load / agents)


def _stationary(agents: int, arrival: float, service: float, abandon: float) -> np.ndarray:
    """The M/M/n+M chain's stationary distribution, by ratios normalised as they go (no overflow)."""
    probabilities = [1.0]
    k = 0
    while True:
        k += 1
        death = min(k, agents) * service + max(k - agents, 0) * abandon
        probabilities.append(probabilities[-1] * arrival / death)
        if probabilities[-1] > 1e100:
            probabilities = [p / 1e100 for p in probabilities]
        if k > agents and probabilities[-1] < _TAIL_EPSILON * max(probabilities):
            break
    array = np.array(probabilities)
    return array / array.sum()


def erlang_a_figures(agents: int, calls: float, interval_s: float, aht_s: float, answer_within_s: float,
                     patience_s: float) -> Figures:
    """Erlang A (exponential patience with mean `patience_s`): the figures for `agents` agents."""
    _check(calls, interval_s, aht_s, answer_within_s, patience_s)
    if agents < 0:
        raise ErlangError(f"agents must be zero or more, got {agents}")
    if calls == 0:
        return Figures(agents, 0.0, 1.0, 0.0, 0.0, 0.0)
    arrival, service, abandon = calls / interval_s, 1 / aht_s, 1 / patience_s
    if agents == 0:
        # Nobody answers: every caller waits out their patience.
        return Figures(0, 1.0, 1 - math.exp(-abandon * answer_within_s), math.inf, 0.0, 1.0)
    pi = _stationary(agents, arrival, service, abandon)
    ahead = pi[agents:]  # an arrival (PASTA) finds j = 0, 1, ... callers waiting ahead of it, all agents busy
    p_wait = float(ahead.sum())
    # The tagged caller with i ahead moves to i-1 at rate n mu + i theta, is answered from 0 at n mu, and
    # abandons at theta from any i. Answered probability and E[wait; answered] by the recursion along i.
    size = len(ahead)
    served = np.empty(size)
    wait_if_served = np.empty(size)
    for i in range(size):
        advance = agents * service + i * abandon
        leave = advance + abandon
        if i == 0:
            served[i] = advance / leave
            wait_if_served[i] = served[i] / leave
        else:
            served[i] = advance / leave * served[i - 1]
            wait_if_served[i] = served[i] / leave + advance / leave * wait_if_served[i - 1]
    p_answered = (1 - p_wait) + float(ahead @ served)
    asa = float(ahead @ wait_if_served) / p_answered if p_answered > 0 else math.inf
    # Virtual wait V (the time to an agent if the caller never hung up) exceeds T: still in the pure-death chain
    # (i ahead leaves at n mu + i theta), by uniformisation: a Poisson number of steps of the jump chain.
    still_waiting = _still_waiting(ahead, agents * service + np.arange(size) * abandon, answer_within_s)
    # Removed within T unless both the virtual wait and the caller's patience outlast T.
    service_level = 1 - still_waiting * math.exp(-abandon * answer_within_s)
    abandonment = 1 - p_answered
    carried = arrival * (1 - abandonment) / service
    return Figures(agents, p_wait, service_level, asa, min(1.0, carried / agents), abandonment)


def _still_waiting(start: np.ndarray, rates: np.ndarray, seconds: float) -> float:
    """Probability mass of `start` not yet absorbed after `seconds` in the death chain i -> i-1 at `rates[i]`
    (from 0: absorbed), computed by uniformisation (all terms positive: no cancellation)."""
    if seconds <= 0:
        return float(start.sum())
    uniform = float(rates.max())
    mean = uniform * seconds
    steps = int(mean + 12 * math.sqrt(mean) + 30)
    weights = poisson.pmf(np.arange(steps + 1), mean)
    stay, down = 1 - rates / uniform, rates / uniform
    vector, total = start.astype(float), 0.0
    for weight in weights:
        total += weight * vector.sum()
        moved = vector * down
        vector = vector * stay
        vector[:-1] += moved[1:]
    return float(total)


def figures(agents: int, calls: float, interval_s: float, aht_s: float, answer_within_s: float,
            patience_s: float | None = None) -> Figures:
    if patience_s is None:
        return erlang_c_figures(agents, calls, interval_s, aht_s, answer_within_s)
    return erlang_a_figures(agents, calls, interval_s, aht_s, answer_within_s, patience_s)


@dataclass(frozen=True)
class Requirement:
    """The agents a half hour needs on the phones (`figures`) and scheduled (shrinkage added); `reached`
    False: the target was out of reach and `figures` is the best reachable within `max_agents`."""

    figures: Figures
    scheduled: int
    reached: bool


def required_agents(calls: float, interval_s: float, aht_s: float, answer_within_s: float, target: float, *,
                    patience_s: float | None = None, max_occupancy: float = 1.0, shrinkage: float = 0.0,
                    max_agents: int = MAX_AGENTS) -> Requirement:
    """The fewest agents whose service level reaches `target` and occupancy stays within `max_occupancy`."""
    _check(calls, interval_s, aht_s, answer_within_s, patience_s)
    if not 0 < target <= 1:
        raise ErlangError(f"the target is a fraction above 0 and at most 1 (0.8 for 80%), got {target}")
    if not 0 < max_occupancy <= 1:
        raise ErlangError(f"the maximum occupancy is a fraction above 0 and at most 1, got {max_occupancy}")
    if not 0 <= shrinkage < 1:
        raise ErlangError(f"shrinkage is a fraction from 0 to below 1, got {shrinkage}")
    if not 1 <= max_agents <= MAX_AGENTS:
        raise ErlangError(f"max agents must be from 1 to {MAX_AGENTS}, got {max_agents}")
    if calls == 0:
        return Requirement(figures(0, 0, interval_s, aht_s, answer_within_s, patience_s), 0, True)
    load = calls * aht_s / interval_s
    # Occupancy floor, then up one agent at a time (service level rises with agents: tests/analytics).
    agents = max(1, math.ceil(load / max_occupancy - 1e-9))
    if patience_s is None:
        agents = max(agents, math.floor(load) + 1)
    if agents > max_agents:
        best = figures(max_agents, calls, interval_s, aht_s, answer_within_s, patience_s)
        return Requirement(best, _with_shrinkage(max_agents, shrinkage), False)
    while True:
        result = figures(agents, calls, interval_s, aht_s, answer_within_s, patience_s)
        if result.service_level >= target - 1e-12:
            return Requirement(result, _with_shrinkage(agents, shrinkage), True)
        if agents >= max_agents or (agents > load and result.service_level > 1 - 1e-12):
            return Requirement(result, _with_shrinkage(agents, shrinkage), False)
        agents += 1


def _with_shrinkage(agents: int, shrinkage: float) -> int:
    return math.ceil(agents / (1 - shrinkage) - 1e-9)
