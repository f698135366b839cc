"""Each queue's live figures from Amazon Connect: what a supervisor's real-time dashboard shows, for CloudWatch.

Per queue of the routing policy: contacts in queue, the oldest contact's age, agents available and staffed
(GetCurrentMetricData, one request for every queue, grouped by queue, voice channel), and the service level of the
last 15 minutes (GetMetricDataV2 SERVICE_LEVEL with the queue's threshold from the policy, LTE: contacts removed
from the queue within that many seconds over those removed; one request per distinct threshold). A queue that no
contact left in the window has no service level (None), not 0 %: nothing is published for it, and its alarm treats
the missing point as fine.

Amazon Connect's metric APIs have their own rate quota (5 requests/s, burst 8, per account and Region, shared with
the supervisors' real-time reports): every request first takes a token from this function's pace
(functions/common/pacing.py, its share declared in functions/manifest.py), and a request Connect still throttles
after the client's retries is given up for this run (`throttled`), never failing it: the next run, a minute later,
reads afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec
from botocore.exceptions import ClientError

from functions.common.aws import error_code
from functions.common.pacing import THROTTLING_CODES, PacingDeferred
from functions.routing.policy import RoutingPolicy

WINDOW = timedelta(minutes=15)
DEFAULT_THRESHOLD_S = 20
CURRENT_METRICS = (
    ("CONTACTS_IN_QUEUE", "COUNT"),
    ("OLDEST_CONTACT_AGE", "SECONDS"),
    ("AGENTS_AVAILABLE", "COUNT"),
    ("AGENTS_STAFFED", "COUNT"),
)
MAX_QUEUES_PER_REQUEST = 100  # both APIs' queue filter limit
MAX_PAGES = 10


class QueueTarget(msgspec.Struct, frozen=True):
    """A queue to watch: its policy name, ARN and service-level threshold and target."""

    name: str
    arn: str
    threshold_s: int = DEFAULT_THRESHOLD_S
    target: float | None = None

    @property
    def queue_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


class QueueFigures(msgspec.Struct, frozen=True):
    """One queue right now. None: Connect did not say (throttled, or no contact left the queue in the window)."""

    queue: str
    contacts_in_queue: float | None = None
    oldest_contact_age_s: float | None = None
    agents_available: float | None = None
    agents_staffed: float | None = None
    service_level: float | None = None  # 0-1


class Reading(msgspec.Struct, frozen=True):
    figures: tuple[QueueFigures, ...]
    requests: int
    throttled: tuple[str, ...]  # the APIs given up on in this run


def queue_targets(policy: RoutingPolicy, queue_arns: Mapping[str, str]) -> tuple[QueueTarget, ...]:
    """The policy's queues (those the stack created), with their thresholds and targets."""
    targets = []
    for name, queue in policy.queues.items():
        if name not in queue_arns:
            continue
        level = queue.service_level
        targets.append(QueueTarget(name, queue_arns[name], level.seconds if level else DEFAULT_THRESHOLD_S,
                                   level.target if level else None))
    return tuple(targets)


def instance_arn_of(queue_arn: str) -> str:
    """arn:aws:connect:<region>:<account>:instance/<id>/queue/<queue id> -> the instance's ARN."""
    head, found, _ = queue_arn.partition("/queue/")
    if not found:
        raise ValueError("not an Amazon Connect queue ARN")
    return head


def _chunks(targets: tuple[QueueTarget, ...]) -> Iterable[tuple[QueueTarget, ...]]:
    for start in range(0, len(targets), MAX_QUEUES_PER_REQUEST):
        yield targets[start:start + MAX_QUEUES_PER_REQUEST]


class QueueMetricsReader:
    """Reads the figures with a Connect client; `pace(action)` waits for the action's token (or raises
    PacingDeferred)."""

    def __init__(self, connect: Any, pace: Callable[[str], object]) -> None:
        self.connect, self.pace = connect, pace
        self.requests = 0

    def _call(self, action: str, method: Callable[..., dict[str, Any]], **request: Any) -> dict[str, Any]:
        self.pace(action)
        self.requests += 1
        return method(**request)

    def current(self, instance_id: str, targets: tuple[QueueTarget, ...]) -> dict[str, dict[str, float]]:
        """Queue id -> {metric name: value} from GetCurrentMetricData (every page)."""
        values: dict[str, dict[str, float]] = {}
        for chunk in _chunks(targets):
            request: dict[str, Any] = {
                "InstanceId": instance_id,
                "Filters": {"Queues": [t.queue_id for t in chunk], "Channels": ["VOICE"]},
                "Groupings": ["QUEUE"],
                "CurrentMetrics": [{"Name": name, "Unit": unit} for name, unit in CURRENT_METRICS],
            }
            for _ in range(MAX_PAGES):
                response = self._call("GetCurrentMetricData", self.connect.get_current_metric_data, **request)
                for result in response.get("MetricResults", []):
                    queue = (result.get("Dimensions") or {}).get("Queue") or {}
                    queue_id = queue.get("Id") or str(queue.get("Arn", "")).rsplit("/", 1)[-1]
                    for collection in result.get("Collections", []):
                        name = (collection.get("Metric") or {}).get("Name")
                        if name and collection.get("Value") is not None:
                            values.setdefault(queue_id, {})[name] = float(collection["Value"])
                if not response.get("NextToken"):
                    break
                request["NextToken"] = response["NextToken"]
        return values

    def service_levels(self, instance_arn: str, targets: tuple[QueueTarget, ...], now: datetime) -> dict[str, float]:
        """Queue id -> service level (0-1) of the last 15 minutes, from GetMetricDataV2 (one request per threshold)."""
        end = now.replace(second=0, microsecond=0)
        levels: dict[str, float] = {}
        by_threshold: dict[int, list[QueueTarget]] = {}
        for target in targets:
            by_threshold.setdefault(target.threshold_s, []).append(target)
        for threshold, group in sorted(by_threshold.items()):
            for chunk in _chunks(tuple(group)):
                request: dict[str, Any] = {
                    "ResourceArn": instance_arn,
                    "StartTime": end - WINDOW,
                    "EndTime": end,
                    "Filters": [{"FilterKey": "QUEUE", "FilterValues": [t.queue_id for t in chunk]},
                                {"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}],
                    "Groupings": ["QUEUE"],
                    "Metrics": [{"Name": "SERVICE_LEVEL",
                                 "Threshold": [{"Comparison": "LTE", "ThresholdValue": threshold}]}],
                }
                for _ in range(MAX_PAGES):
                    response = self._call("GetMetricDataV2", self.connect.get_metric_data_v2, **request)
                    for result in response.get("MetricResults", []):
                        dimensions = result.get("Dimensions") or {}
                        queue_id = dimensions.get("QUEUE") or str(dimensions.get("QUEUE_ARN", "")).rsplit("/", 1)[-1]
                        for collection in result.get("Collections", []):
                            if collection.get("Value") is not None:
                                levels[queue_id] = float(collection["Value"]) / 100  # Connect gives a percentage
                    if not response.get("NextToken"):
                        break
                    request["NextToken"] = response["NextToken"]
        return levels


def _throttled(exc: Exception) -> bool:
    return isinstance(exc, PacingDeferred) or (isinstance(exc, ClientError) and error_code(exc) in THROTTLING_CODES)


def read_queue_figures(reader: QueueMetricsReader, instance_id: str, targets: tuple[QueueTarget, ...],
                       now: datetime) -> Reading:
    """Every queue's figures; an API Connect keeps throttling is left out of this run (named in `throttled`)."""
    throttled: list[str] = []
    current: dict[str, dict[str, float]] = {}
    levels: dict[str, float] = {}
    try:
        current = reader.current(instance_id, targets)
    except (ClientError, PacingDeferred) as exc:
        if not _throttled(exc):
            raise
        throttled.append("GetCurrentMetricData")
    if targets:
        try:
            levels = reader.service_levels(instance_arn_of(targets[0].arn), targets, now)
        except (ClientError, PacingDeferred) as exc:
            if not _throttled(exc):
                raise
            throttled.append("GetMetricDataV2")
    figures = []
    for target in targets:
        values = current.get(target.queue_id, {})
        figures.append(QueueFigures(
            queue=target.name,
            contacts_in_queue=values.get("CONTACTS_IN_QUEUE"),
            oldest_contact_age_s=values.get("OLDEST_CONTACT_AGE"),
            agents_available=values.get("AGENTS_AVAILABLE"),
            agents_staffed=values.get("AGENTS_STAFFED"),
            service_level=levels.get(target.queue_id),
        ))
    return Reading(tuple(figures), reader.requests, tuple(throttled))
