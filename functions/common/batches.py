"""Batch event sources (SQS queues, DynamoDB streams): one record at a time, partial batch failures.

Every consumer counts the records it received (`requests_metric`) and hands each record to its
`record_handler`; a record whose handler raises is reported in `batchItemFailures`, so the event source
delivers (or retries) only that record, while the rest of its batch is done. `parse_body` is how every SQS
consumer reads a record's body: a body that cannot be read is logged and counted, then raised again, so the
record is retried and, after its receives, dead-lettered (its DLQ keeps it whole; the log keeps no body).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.observability import count_metric, logger, metrics

T = TypeVar("T")


class _Record(Protocol):
    @property
    def body(self) -> str: ...

    @property
    def message_id(self) -> str: ...


def parse_body(record: _Record, parse: Callable[[str], T], malformed: type[Exception], *, what: str,
               metric: str) -> T:
    """`parse(record.body)`; if it raises `malformed`: the error logged as "malformed <what>" with the message id
    and the problem (never the body), `metric` counted, and the error raised again."""
    try:
        return parse(record.body)
    except malformed as exc:
        logger.error(f"malformed {what}", extra={"message_id": record.message_id, "problem": str(exc)})
        count_metric(metric)
        raise


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
