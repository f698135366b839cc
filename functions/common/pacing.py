"""Pacing calls to an API with an account-wide rate quota (Amazon Connect: 2 requests/s, burst 5, by default).

The budget is declared in functions/manifest.py: each function that calls a Connect API gets a share
of that API's quota (`FunctionSpec.connect_rates`), and its SQS event source a `maximum_concurrency`.
At most that many instances of the function run at once, and each paces itself at
`share / maximum_concurrency` with a token bucket of burst 1, so together they never exceed their
share, and the shares of every function together stay within the quota (`check_manifest`).

A call that would have to wait longer than `max_wait_seconds` for its token is not made: `acquire`
raises `PacingDeferred` with the seconds after which a token will be free, and the consumer puts its
message back on the queue with that delay (a new message, so a deferral never counts towards the
queue's maxReceiveCount and never sends anything to the dead-letter queue).

Time: `time.monotonic` and `time.sleep` deployed. The local runtime installs a simulated clock
(`use_time_source`), so a load test paces in simulated seconds and never sleeps for real.
"""

from __future__ import annotations

import math
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from functions.manifest import FunctionSpec


class PacingDeferred(RuntimeError):
    """No token within the allowed wait; try again after `retry_after_seconds`."""

    code = "PacingDeferred"

    def __init__(self, action: str, retry_after_seconds: float) -> None:
        super().__init__(f"{action}: paced, retry after {retry_after_seconds:.1f} s")
        self.action = action
        self.retry_after_seconds = retry_after_seconds


@dataclass
class TimeSource:
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


_time = TimeSource()


@dataclass
class SimulatedClock:
    """Seconds that pass only when someone sleeps on them (or the driver moves them): pacing without waiting."""

    seconds: float = 0.0

    def now(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.seconds += max(0.0, seconds)

    def advance_to(self, seconds: float) -> None:
        self.seconds = max(self.seconds, seconds)


def use_time_source(clock: Callable[[], float], sleep: Callable[[float], None]) -> TimeSource:
    """For the local runtime and tests: pace on another clock (a simulated one: its `sleep` advances it).
    Forgets every pacer; returns the previous source, to give back with `restore_time_source`."""
    previous = TimeSource(_time.clock, _time.sleep)
    _time.clock, _time.sleep = clock, sleep
    pacer.cache_clear()
    return previous


def restore_time_source(previous: TimeSource) -> None:
    use_time_source(previous.clock, previous.sleep)


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; starts full."""

    action: str
    rate: float
    burst: int
    max_wait_seconds: float
    _tokens: float = field(init=False)
    _updated: float | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"{self.action}: a pace needs a positive rate and a burst of at least 1")
        self._tokens = float(self.burst)

    def acquire(self) -> float:
        """Take one token, sleeping until it is free; the seconds slept. PacingDeferred if that is too long."""
        with self._lock:
            now = _time.clock()
            if self._updated is not None:
                self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            if wait > self.max_wait_seconds:
                raise PacingDeferred(self.action, math.ceil(wait))
            self._tokens -= 1  # reserved now: a token that is only free after the sleep below
        if wait:
            _time.sleep(wait)
        return wait


def per_instance_rate(spec: FunctionSpec, action: str) -> float:
    """The requests/s one instance of `spec` may make to `action`: its share over its maximum concurrency."""
    from functions.manifest import PublicApiSource, RateSource, SqsSource

    share = spec.connect_rates.get(action, spec.participant_rates.get(action))
    source = spec.source
    paced = isinstance(source, SqsSource | RateSource | PublicApiSource)
    if share is None or not paced or not source.maximum_concurrency:  # type: ignore[union-attr]
        raise ValueError(f"function {spec.name!r} has no pace for connect:{action} (connect_rates and the "
                         "source's maximum_concurrency)")
    return share / source.maximum_concurrency


def connect_budget_problems() -> list[str]:
    """What is wrong with the manifest's Connect budget (functions.manifest.check_manifest lists it): every
    caller has a share of each action it calls and a concurrency cap to divide it by; the shares of an action
    add up to its quota at most, and the callers' instances (a token each at most) to its burst."""
    from functions.manifest import (
        CONNECT_API_QUOTAS,
        FUNCTIONS,
        PARTICIPANT_API_QUOTAS,
        PublicApiSource,
        RateSource,
        SqsSource,
    )

    problems = []
    used: dict[str, float] = {}
    tokens: dict[str, int] = {}
    for spec in FUNCTIONS.values():
        source = spec.source
        if set(spec.connect_rates) != set(spec.connect_actions):
            problems.append(f"function {spec.name!r}: connect_rates must give a share for each of connect_actions")
        if not spec.connect_actions:
            continue
        if not isinstance(source, SqsSource | RateSource | PublicApiSource) or (source.maximum_concurrency or 0) < (
                2 if isinstance(source, SqsSource) else 1):
            problems.append(f"function {spec.name!r} calls Amazon Connect: its SQS source needs a "
                            "maximum_concurrency (2 or more) to pace against (or it runs on a RateSource)")
            continue
        for action, share in spec.connect_rates.items():
            if action not in CONNECT_API_QUOTAS:
                problems.append(f"function {spec.name!r}: no quota declared for connect:{action}")
                continue
            if share <= 0:
                problems.append(f"function {spec.name!r}: its share of connect:{action} must be positive")
            used[action] = used.get(action, 0.0) + share
            tokens[action] = tokens.get(action, 0) + (source.maximum_concurrency or 0)
    participant_used: dict[str, float] = {}
    for spec in FUNCTIONS.values():  # the Participant Service's own quotas, paced the same way
        for action, share in spec.participant_rates.items():
            if action not in PARTICIPANT_API_QUOTAS or share <= 0 or not isinstance(spec.source, SqsSource) or (
                    spec.source.maximum_concurrency or 0) < 2:
                problems.append(f"function {spec.name!r}: participant {action} needs a declared quota, a positive "
                                "share and an SQS source with a maximum_concurrency (2 or more)")
                continue
            participant_used[action] = participant_used.get(action, 0.0) + share
    for action, total in participant_used.items():
        if total > PARTICIPANT_API_QUOTAS[action].rate_per_second:
            problems.append(f"the shares of participant {action} add up to {total:g}/s, above its quota")
    for action, total in used.items():
        quota = CONNECT_API_QUOTAS[action]
        if total > quota.rate_per_second:
            problems.append(f"the shares of connect:{action} add up to {total:g}/s, above its quota "
                            f"({quota.rate_per_second:g}/s)")
        if tokens[action] > quota.burst:
            problems.append(f"connect:{action}: {tokens[action]} instances with a token each could exceed its "
                            f"burst ({quota.burst})")
    return problems


@cache
def pacer(function: str, action: str) -> TokenBucket:
    """The pace of one Connect API action in one function, from the manifest (one bucket per process)."""
    from functions.manifest import FUNCTIONS

    spec = FUNCTIONS[function]
    return TokenBucket(action, per_instance_rate(spec, action), burst=1,
                       max_wait_seconds=spec.connect_max_wait_seconds)


#: Error codes of a request refused for its rate (Connect answers 429 TooManyRequestsException; some SDKs
#: name it ThrottlingException), and our own refusal to wait.
THROTTLING_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling",
                              "LimitExceededException", PacingDeferred.code})
DEFER_BASE_SECONDS = 30
DEFER_MAX_SECONDS = 900  # SQS's longest DelaySeconds


def deferral_seconds(message_id: str, retry_after_seconds: float = 0.0) -> int:
    """How long a throttled message waits before it is tried again: at least DEFER_BASE_SECONDS (or the
    pacer's hint), plus a spread of up to as much again, derived from the message id (deterministic, and
    different messages throttled together do not all come back in the same second)."""
    base = max(DEFER_BASE_SECONDS, math.ceil(retry_after_seconds))
    spread = zlib.crc32(message_id.encode()) % base
    return min(DEFER_MAX_SECONDS, base + spread)
