"""Batch event sources (SQS queues, DynamoDB streams): one record at a time, partial batch failures.

Every consumer counts the records it received (`requests_metric`) and hands each record to its
`record_handler`; a record whose handler raises is reported in `batchItemFailures`, so the event source
delivers (or retries) only that record, while the rest of its batch is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.observability import metrics


def process_batch(event: dict[str, Any], context: LambdaContext, record_handler: Callable[[Any], Any], *,
                  requests_metric: str, event_type: EventType = EventType.SQS,
                  raise_on_entire_batch_failure: bool = True) -> dict[str, Any]:
    """`raise_on_entire_batch_failure`: Powertools' default (a batch where every record failed fails the
    invocation); a stream consumer turns it off to answer with the failures, which its mapping then retries
    from the first failed record."""
    records = event.get("Records") if isinstance(event, dict) else None
    metrics.add_metric(name=requests_metric, unit=MetricUnit.Count, value=len(records or []))
    processor = BatchProcessor(event_type=event_type, raise_on_entire_batch_failure=raise_on_entire_batch_failure)
    return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                         context=context))
