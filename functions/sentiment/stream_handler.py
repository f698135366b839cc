"""Sentiment segments Lambda: the instance's Contact Lens real-time segment stream (Kinesis; voice and chat) in,
hints and supervisor alerts out (functions/sentiment/consumer.py says how, once per contact and rule).

Kinesis batches with ReportBatchItemFailures: the answer names the sequence numbers to retry (a contact's failed
record and its later ones); the mapping also bisects a failing batch and, after its retries, hands the rest to
the on-failure destination (a dead-letter queue). No pydantic here: a cold start delays the first hint.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds
from functions.sentiment.consumer import SentimentConsumer, SnsAlertPublisher, kinesis_delivery
from functions.sentiment.rules import load_rules
from functions.sentiment.store import SentimentItem
from functions.storage.tables import configure_data_access

DDB_BOUNDS = ClientBounds(connect_timeout_s=1.0, read_timeout_s=2.0, max_attempts=3)


_publishers: dict[str, SnsAlertPublisher] = {}


def consumer_from_environment() -> SentimentConsumer:
    """The consumer for this invocation; the SNS publisher (and its client, made on the first alert) is kept for
    the process, per topic, so only the first alert of a cold instance pays for building the client."""
    from functions.insights.store import InsightItem

    configure_data_access((InsightItem, SentimentItem), DDB_BOUNDS)
    topic = os.environ["SUPERVISOR_ALERTS_TOPIC_ARN"]
    publisher = _publishers.get(topic) or _publishers.setdefault(topic, SnsAlertPublisher(topic))
    return SentimentConsumer(load_rules(), publisher, default_team=os.environ.get("DEFAULT_TEAM", "general"),
                             now=utc_now)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    consumer = consumer_from_environment()
    records = event.get("Records") or []
    count_metric("SentimentSegmentRecords", value=len(records))
    failed = consumer.process(kinesis_delivery(r, consumer.book.max_content_chars) for r in records)
    return {"batchItemFailures": [{"itemIdentifier": item} for item in failed]}
