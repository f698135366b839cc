"""The queue-metrics Lambda against a stubbed Amazon Connect client (botocore Stubber): the requests it makes, the
per-queue CloudWatch metrics it publishes (EMF on stdout), and what it does when Connect throttles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.config import Config
from botocore.session import get_session
from botocore.stub import Stubber

from functions.common.clock import pinned
from functions.common.pacing import SimulatedClock, restore_time_source, use_time_source
from functions.metrics import handler
from functions.metrics.queue_metrics import instance_arn_of, queue_targets
from functions.routing.policy import load_policy

INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/inst-1"
QUEUE_ARNS = {"general": f"{INSTANCE}/queue/q-general", "vip": f"{INSTANCE}/queue/q-vip",
              "billing": f"{INSTANCE}/queue/q-billing"}
NOW = datetime(2026, 11, 24, 15, 7, 42, tzinfo=UTC)
CURRENT_METRICS = [{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}, {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"},
                   {"Name": "AGENTS_AVAILABLE", "Unit": "COUNT"}, {"Name": "AGENTS_STAFFED", "Unit": "COUNT"}]


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "queue-metrics", 256, "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:111122223333:function:queue-metrics"


@pytest.fixture
def clock():
    """Pacing on simulated seconds: a wait for a token advances this clock instead of sleeping."""
    simulated = SimulatedClock()
    previous = use_time_source(simulated.now, simulated.sleep)
    yield simulated
    restore_time_source(previous)


@pytest.fixture
def connect(monkeypatch, clock):
    monkeypatch.setenv("QUEUE_ARNS", json.dumps(QUEUE_ARNS))
    monkeypatch.setenv("CONNECT_INSTANCE_ID", "inst-1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "queue-metrics")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    handler._targets.cache_clear()
    client = get_session().create_client("connect", region_name="us-east-1",
                                         config=Config(retries={"total_max_attempts": 1}))
    monkeypatch.setattr(handler, "aws_client", lambda service: client)
    with Stubber(client) as stubber, pinned(NOW):
        yield stubber
        stubber.assert_no_pending_responses()
    handler._targets.cache_clear()


def current_request(next_token=None):
    request = {"InstanceId": "inst-1",
               "Filters": {"Queues": ["q-general", "q-vip", "q-billing"], "Channels": ["VOICE"]},
               "Groupings": ["QUEUE"], "CurrentMetrics": CURRENT_METRICS}
    return {**request, "NextToken": next_token} if next_token else request


def levels_request(queue_ids, threshold):
    """One GetMetricDataV2 request per distinct threshold in the policy: vip answers within 10 s, the others 20 s."""
    end = NOW.replace(second=0, microsecond=0)
    return {"ResourceArn": INSTANCE, "StartTime": end - timedelta(minutes=15), "EndTime": end,
            "Filters": [{"FilterKey": "QUEUE", "FilterValues": queue_ids},
                        {"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}],
            "Groupings": ["QUEUE"],
            "Metrics": [{"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LTE", "ThresholdValue": threshold}]}]}


def expect_levels(connect, results):
    """The service-level requests in the order the handler makes them (ascending threshold)."""
    connect.add_response("get_metric_data_v2", {"MetricResults": [r for r in results if r["Dimensions"]["QUEUE"]
                                                                  == "q-vip"]}, levels_request(["q-vip"], 10))
    connect.add_response("get_metric_data_v2", {"MetricResults": [r for r in results if r["Dimensions"]["QUEUE"]
                                                                  != "q-vip"]},
                         levels_request(["q-general", "q-billing"], 20))


def current_result(queue_id, in_queue, oldest, available, staffed):
    values = zip(CURRENT_METRICS, (in_queue, oldest, available, staffed), strict=True)
    return {"Dimensions": {"Queue": {"Id": queue_id, "Arn": f"{INSTANCE}/queue/{queue_id}"}, "Channel": "VOICE"},
            "Collections": [{"Metric": metric, "Value": value} for metric, value in values]}


def level_result(queue_id, percent):
    return {"Dimensions": {"QUEUE": queue_id},
            "Collections": [{"Metric": {"Name": "SERVICE_LEVEL"}, "Value": percent}]}


def emitted(capsys) -> dict[tuple[str, str], float]:
    """(metric name, queue) -> value of every EMF document printed."""
    found = {}
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith("{") or "_aws" not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "CallCenter"
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                found[metric["Name"], document.get("queue") or document.get("api", "")] = (
                    value[0] if isinstance(value, list) else value)
    return found


def test_each_queues_figures_are_published_with_its_queue_dimension(connect, clock, capsys):
    # Given Connect's real-time figures (on two pages) and the last 15 minutes' service levels
    connect.add_response("get_current_metric_data", {
        "MetricResults": [current_result("q-general", 4, 95, 0, 6)], "NextToken": "page-2"}, current_request())
    connect.add_response("get_current_metric_data", {
        "MetricResults": [current_result("q-vip", 0, 0, 1, 1), current_result("q-billing", 2, 30, 1, 3)]},
        current_request("page-2"))
    expect_levels(connect, [level_result("q-general", 71.5), level_result("q-vip", 100.0)])
    # When the run happens
    answer = handler.lambda_handler({"source": "aws.events"}, Context())
    # Then each figure is a metric of its queue; billing, which nobody left in 15 minutes, has no service level
    metrics = emitted(capsys)
    assert metrics[("ContactsInQueue", "general")] == 4 and metrics[("OldestContactAge", "general")] == 95
    assert metrics[("AgentsAvailable", "general")] == 0 and metrics[("AgentsStaffed", "general")] == 6
    assert metrics[("ServiceLevel15m", "general")] == pytest.approx(71.5)
    assert metrics[("ServiceLevel15m", "vip")] == 100 and metrics[("ContactsInQueue", "billing")] == 2
    assert ("ServiceLevel15m", "billing") not in metrics
    assert answer == {"queues": 3, "metrics": 14, "requests": 4, "throttled": []}
    # And the second request to each API (the second page; the second threshold) waited for its token: this
    # function's share of each API's quota is 1 request/s over 2 instances, so 2 s each, the two waits in sequence
    assert clock.seconds == pytest.approx(4.0)


def test_a_throttled_api_is_skipped_for_the_run_and_counted(connect, capsys):
    # Given Connect throttles the real-time figures (after the client's own retries)
    connect.add_client_error("get_current_metric_data", "TooManyRequestsException", http_status_code=429,
                             expected_params=current_request())
    expect_levels(connect, [level_result("q-general", 50.0)])
    # When the run happens, it does not fail: the service levels are still published, the throttle counted
    answer = handler.lambda_handler({}, Context())
    metrics = emitted(capsys)
    assert answer["throttled"] == ["GetCurrentMetricData"]
    assert metrics[("ServiceLevel15m", "general")] == 50
    assert metrics[("QueueMetricsThrottled", "GetCurrentMetricData")] == 1
    assert not any(name == "ContactsInQueue" for name, _ in metrics)


def test_any_other_error_fails_the_run_for_the_errors_alarm(connect):
    connect.add_client_error("get_current_metric_data", "AccessDeniedException", http_status_code=403)
    with pytest.raises(Exception, match="AccessDenied"):
        handler.lambda_handler({}, Context())


def test_the_policy_gives_each_queue_its_threshold_and_the_instance_comes_from_a_queue_arn():
    targets = {t.name: t for t in queue_targets(load_policy(), {**QUEUE_ARNS, "unknown": f"{INSTANCE}/queue/x"})}
    assert set(targets) == set(QUEUE_ARNS)  # only the policy's queues the stack created
    level = load_policy().queues["vip"].service_level
    assert (targets["vip"].threshold_s, targets["vip"].target) == (level.seconds, level.target)
    assert instance_arn_of(QUEUE_ARNS["vip"]) == INSTANCE
    with pytest.raises(ValueError):
        instance_arn_of("arn:aws:connect:us-east-1:111122223333:instance/inst-1")
