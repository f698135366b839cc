"""In local runs a Lambda times out only when the fault is injected; a failed invocation never ends a run."""

import time
from datetime import date, datetime
from itertools import count

import msgspec

from callcenter.calls import CallRequest, place_call
from callcenter.day import plan_day, run_day
from flowlang.simulator import FlowCoverage
from functions.manifest import FUNCTIONS
from functions.profiles.importer import import_profile_file
from tests.conftest import DEMO_PROFILES

AT = datetime.fromisoformat("2026-11-24T10:30:00-05:00")


def test_a_handler_slower_than_its_deployed_timeout_on_the_wall_clock_still_answers(demo_backend, monkeypatch):
    # Given a routing function whose deployed timeout is far shorter than any real run of its handler
    monkeypatch.setitem(FUNCTIONS, "routing", msgspec.structs.replace(FUNCTIONS["routing"], timeout_seconds=1e-6))
    # When a VIP customer calls
    result = place_call(demo_backend, CallRequest(caller="+14155550100", at=AT))
    # Then the wall clock decides nothing: the answer routes the call, no timeout is recorded
    assert (result.queue, result.attributes["reason"]) == ("vip", "VIP_TIER")
    assert [(i.function, i.outcome) for i in demo_backend.invocations] == [("routing", "ok"),
                                                                           ("sentiment-context", "ok")]


def test_an_injected_timeout_takes_the_error_branch_and_is_recorded(demo_backend):
    demo_backend.faults = {"routing": "timeout"}
    result = place_call(demo_backend, CallRequest(caller="+14155550100", at=AT))
    assert result.attributes["reason"] == "ROUTING_FALLBACK"
    assert [(i.function, i.outcome) for i in demo_backend.invocations] == [("routing", "timeout")]


def test_the_import_of_a_handler_is_not_part_of_its_time(demo_backend, monkeypatch):
    # Given a routing function whose cold start (the import) takes half a second of CPU (the local backend
    # times a handler by CPU time, so the import must burn it, not sleep)
    spec = FUNCTIONS["routing"]

    class SlowImport:  # the spec as deployed, but loading its handler is slow
        def __getattr__(self, name):
            return getattr(spec, name)

        def load_handler(self):
            start = time.process_time()
            while time.process_time() - start < 0.5:
                pass
            return spec.load_handler()

    monkeypatch.setitem(FUNCTIONS, "routing", SlowImport())
    place_call(demo_backend, CallRequest(caller="+14155550100", at=AT))
    # Then the invocation's recorded time (the handler's time in the report) leaves the import out
    (record,) = [i for i in demo_backend.invocations if i.function == "routing"]
    assert record.outcome == "ok" and record.elapsed_s < 0.5


def test_ticket_api_timeouts_during_a_day_are_counted_and_the_day_goes_on(demo_backend, monkeypatch):
    # Given a ticket API that times out on every third request of the day
    real_invoke, requests, injected = demo_backend.invoke_lambda, count(1), []

    def every_third_times_out(arn, event, limit):
        if arn.endswith("callcenter-ticket-api") and next(requests) % 3 == 0:
            demo_backend.faults["ticket-api"] = "timeout"
            injected.append(arn)
            try:
                return real_invoke(arn, event, limit)
            finally:
                demo_backend.faults.pop("ticket-api", None)
        return real_invoke(arn, event, limit)

    monkeypatch.setattr(demo_backend, "invoke_lambda", every_third_times_out)
    profiles = import_profile_file(DEMO_PROFILES).accepted
    plans = plan_day(profiles, 60, 5, date(2026, 11, 24))
    # When the day runs
    report = run_day(demo_backend, plans, FlowCoverage(), seed=5)
    # Then every call is in the report, and each timeout is one failed request (API Gateway's 502)
    assert injected, "the day made no ticket API request to fail"
    assert report.calls == 60
    assert report.failed_invocations["ticket-api timeout"] == len(injected)
    assert report.tickets is not None and report.tickets.api_statuses[502] == len(injected)
