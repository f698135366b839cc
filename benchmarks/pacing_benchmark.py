"""Pacing benchmark: the local path under Amazon Connect's rate quotas, in simulated time (callcenter/load.py).

Run with `.venv/bin/python benchmarks/pacing_benchmark.py [SCENARIO...]` (default: all three).
Prints, per scenario, what docs/capacity.md quotes: messages in, outcomes, Connect requests per API
and the most in any one second beside the quota, 429s, deferrals, dead letters, messages left, worst
delay to the call beside the deadline, simulated time and the wall time it took. Scenarios:

1. default quotas (2/s, burst 5 per API), 30 disconnects/s for 10 s: fifteen times what GetContactAttributes
   admits, all surveyed in the end, none refused;
2. an outreach day with 1,000 customers due at the default quotas;
3. the target's arrival rate, 300 disconnects/s for 3 s, with the quotas and shares docs/capacity.md says to
   request (GetContactAttributes 350/s, StartOutboundVoiceContact 120/s; the dispatcher's shares 350/s and
   100/s over 20 instances; one customer in three consents to surveys). Locally one instance runs, at its
   share over 20: the figure that carries over is that no request exceeded the quota, not the duration.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from msgspec.structs import replace

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MORNING = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in New York
SURVEY_DEADLINE = timedelta(hours=1)
OUTREACH_DEADLINE = timedelta(hours=8)  # the run fires at 11:00 New York; quiet hours start at 20:00
RAISED_QUOTAS = {"GetContactAttributes": (350.0, 350), "StartOutboundVoiceContact": (120.0, 120)}


@contextmanager
def raised_quotas() -> Iterator[None]:
    """The manifest as a deployer would set it after AWS raised the quotas (docs/capacity.md)."""
    from functions import manifest

    saved_quotas, saved_dispatcher = dict(manifest.CONNECT_API_QUOTAS), manifest.FUNCTIONS["survey-dispatcher"]
    for api, (rate, burst) in RAISED_QUOTAS.items():
        manifest.CONNECT_API_QUOTAS[api] = manifest.ApiQuota(rate, burst)
    assert isinstance(saved_dispatcher.source, manifest.SqsSource)
    manifest.FUNCTIONS["survey-dispatcher"] = replace(
        saved_dispatcher, source=replace(saved_dispatcher.source, maximum_concurrency=20),
        connect_rates={"GetContactAttributes": 350.0, "StartOutboundVoiceContact": 100.0})
    try:
        assert manifest.check_manifest() == [], manifest.check_manifest()
        yield
    finally:
        manifest.CONNECT_API_QUOTAS.clear()
        manifest.CONNECT_API_QUOTAS.update(saved_quotas)
        manifest.FUNCTIONS["survey-dispatcher"] = saved_dispatcher


def show(title: str, report: object, quotas: dict[str, tuple[float, int]], deadline: timedelta,
         wall: float) -> None:
    from callcenter.load import LoadReport

    assert isinstance(report, LoadReport)
    print(f"\n{title}")
    print(f"  messages in {report.messages_in}, outcomes {dict(report.outcomes)}, calls placed {report.calls}")
    for api, (rate, burst) in quotas.items():
        print(f"  {api}: {report.requests.get(api, 0)} requests, busiest second {report.busiest_second.get(api, 0)}"
              f" (burst {burst}, rate {rate:g}/s), 429s {report.throttled.get(api, 0)}")
    print(f"  deferred {report.deferred}, dead letters {report.dead_letters}, left waiting {report.waiting}")
    print(f"  worst delay to the call {report.worst_delay_s:,.0f} s (deadline {deadline.total_seconds():,.0f} s),"
          f" late {report.late}; simulated {report.simulated_s:,.0f} s in {wall:.1f} s wall time")


def main(scenarios: set[str]) -> None:
    default = {"GetContactAttributes": (2.0, 5), "StartOutboundVoiceContact": (2.0, 5)}
    if "1" in scenarios:
        scenario_1(default)
    if "2" in scenarios:
        scenario_2(default)
    if "3" in scenarios:
        scenario_3()


def scenario_1(default: dict[str, tuple[float, int]]) -> None:
    from callcenter.backend import LocalBackend
    from callcenter.load import enforce_connect_quotas, survey_load

    with LocalBackend() as backend:
        enforce_connect_quotas(backend, default)
        started = time.perf_counter()
        report = survey_load(backend, per_second=30, seconds=10, start=MORNING, deadline=SURVEY_DEADLINE)
        show("1. surveys, default quotas: 30 disconnects/s for 10 s", report, default, SURVEY_DEADLINE,
             time.perf_counter() - started)


def scenario_2(default: dict[str, tuple[float, int]]) -> None:
    from callcenter.backend import LocalBackend
    from callcenter.load import enforce_connect_quotas, outreach_load

    with LocalBackend() as backend:
        enforce_connect_quotas(backend, default)
        started = time.perf_counter()
        report = outreach_load(backend, due=1000, day=date(2026, 11, 24), deadline=OUTREACH_DEADLINE)
        show("2. outreach day, default quotas: 1,000 customers due", report, default, OUTREACH_DEADLINE,
             time.perf_counter() - started)


def scenario_3() -> None:
    from callcenter.backend import LocalBackend
    from callcenter.load import enforce_connect_quotas, survey_load

    with raised_quotas(), LocalBackend() as backend:
        enforce_connect_quotas(backend, RAISED_QUOTAS)
        started = time.perf_counter()
        report = survey_load(backend, per_second=300, seconds=3, start=MORNING, deadline=SURVEY_DEADLINE,
                             consent_every=3)
        show("3. surveys, raised quotas: 300 disconnects/s for 3 s, one in three consenting", report, RAISED_QUOTAS,
             SURVEY_DEADLINE, time.perf_counter() - started)


if __name__ == "__main__":
    main(set(sys.argv[1:]) or {"1", "2", "3"})
