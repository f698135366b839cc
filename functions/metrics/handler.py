"""Queue metrics Lambda, run every minute by an EventBridge rule (functions/manifest.py: RateSource).

Thin: the reading is functions/metrics/queue_metrics.py's; here are the AWS wiring and the metrics. Each queue's
figures go to CloudWatch as Powertools (EMF) metrics in the CallCenter namespace with the dimensions `service` and
`queue`: ContactsInQueue, OldestContactAge (s), AgentsAvailable, AgentsStaffed and ServiceLevel15m (percent, only
when a contact left the queue in the last 15 minutes). The stack graphs them and alarms per queue when
ServiceLevel15m falls below the policy's target (infra/constructs/queue_metrics.py). An API Connect keeps throttling
is skipped for this run and counted (QueueMetricsThrottled, per API); anything else fails the run (errors alarm).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.aws import aws_client
from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.pacing import pacer
from functions.common.settings import SettingsError, require_env
from functions.metrics.queue_metrics import (
    QueueFigures,
    QueueMetricsReader,
    QueueTarget,
    queue_targets,
    read_queue_figures,
)
from functions.routing.policy import load_policy

FUNCTION = "queue-metrics"
#: CloudWatch metric name, unit and how to read it from a queue's figures (None: not published this minute).
PUBLISHED = (
    ("ContactsInQueue", MetricUnit.Count, lambda f: f.contacts_in_queue),
    ("OldestContactAge", MetricUnit.Seconds, lambda f: f.oldest_contact_age_s),
    ("AgentsAvailable", MetricUnit.Count, lambda f: f.agents_available),
    ("AgentsStaffed", MetricUnit.Count, lambda f: f.agents_staffed),
    ("ServiceLevel15m", MetricUnit.Percent, lambda f: None if f.service_level is None else 100 * f.service_level),
)


@cache
def _targets() -> tuple[QueueTarget, ...]:
    try:
        queue_arns = json.loads(require_env("QUEUE_ARNS"))
    except json.JSONDecodeError as exc:
        raise SettingsError("QUEUE_ARNS must be a JSON object of queue name to ARN") from exc
    return queue_targets(load_policy(), queue_arns)


def publish(figures: QueueFigures) -> int:
    """One EMF document per metric (each carries its queue dimension); how many were published."""
    published = 0
    for name, unit, value_of in PUBLISHED:
        value = value_of(figures)
        if value is None:
            continue
        with single_metric(name=name, unit=unit, value=value, namespace=metrics.namespace,
                           default_dimensions={"queue": figures.queue}):
            published += 1
    return published


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    reader = QueueMetricsReader(aws_client("connect"), lambda action: pacer(FUNCTION, action).acquire())
    reading = read_queue_figures(reader, require_env("CONNECT_INSTANCE_ID"), _targets(), utc_now())
    published = sum(publish(figures) for figures in reading.figures)
    metrics.add_metric(name="QueueMetricsRequests", unit=MetricUnit.Count, value=reading.requests)
    for api in reading.throttled:
        count_metric("QueueMetricsThrottled", api=api)
        logger.warning("Amazon Connect kept throttling; this run skips its figures", extra={"api": api})
    logger.info("queue metrics published", extra={"queues": len(reading.figures), "metrics": published,
                                                  "requests": reading.requests})
    return {"queues": len(reading.figures), "metrics": published, "requests": reading.requests,
            "throttled": list(reading.throttled)}
