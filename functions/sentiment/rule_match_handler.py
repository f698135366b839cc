"""Contact Lens rule matches Lambda: EventBridge's "Contact Lens Realtime Rules Matched" events (through the
`sentiment-rule-matches` queue) in, the same hints and alerts as the segment stream's (the rules the stack
deploys as AWS::Connect::Rule carry our rule ids as their EventBridge action names), once per contact and rule.

SQS batches with partial batch failures; a message that keeps failing goes to the queue's dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.observability import count_metric, logger, metrics
from functions.sentiment.consumer import rule_match_delivery
from functions.sentiment.stream_handler import consumer_from_environment


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    consumer = consumer_from_environment()
    records = event.get("Records") or []
    count_metric("SentimentRuleMatches", value=len(records))
    failed = consumer.process(rule_match_delivery(r) for r in records)
    return {"batchItemFailures": [{"itemIdentifier": item} for item in failed]}
