"""Contact-history Lambda: Connect's contact-record (CTR) stream in, the customers' recent contacts out.

Each Kinesis record is one contact record (JSON, base64 in the event); functions/continuity/history.py turns
it into an entry of the customer's recent contacts on the profile. Off the call path: the routing Lambda only
reads what this wrote, with the profile item it reads anyway.

Failures: a record that is not JSON or not a contact record is logged and counted, then skipped (retrying
cannot help, and one bad record must not hold the stream); a profile store that does not answer, or a
profile that kept changing under the write, fails that record in `batchItemFailures`: Lambda retries from it,
then hands it to the on-failure destination, so nothing is lost silently. A retry writes nothing twice: the
history is keyed by ContactId.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.batches import process_batch
from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.settings import ClientBounds
from functions.continuity.history import Outcome, record_contact
from functions.profiles import store as profiles
from functions.storage.tables import configure_data_access

#: Off the call path: room for a slow table, the stream mapping retries what still fails.
DDB_BOUNDS = ClientBounds(connect_timeout_s=2, read_timeout_s=5, max_attempts=3)


def _decoded(raw: dict[str, Any]) -> Any:
    data = (raw.get("kinesis") or {}).get("data")
    try:
        return json.loads(base64.b64decode(data or "", validate=True))
    except (binascii.Error, ValueError, TypeError):
        return None


def handle_record(record: Any) -> str:
    raw = record.raw_event if hasattr(record, "raw_event") else record
    sequence = (raw.get("kinesis") or {}).get("sequenceNumber")
    document = _decoded(raw)
    if not isinstance(document, dict):
        logger.error("unreadable contact record; skipped", extra={"sequence_number": sequence})
        count_metric("ContactHistoryRecords", outcome=Outcome.NOT_A_RECORD.value)
        return Outcome.NOT_A_RECORD.value
    outcome = record_contact(document, profiles, utc_now())
    count_metric("ContactHistoryRecords", outcome=outcome.value)
    return outcome.value


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configure_data_access((profiles.ProfileItem,), DDB_BOUNDS)
    return process_batch(event, context, handle_record, requests_metric="ContactHistoryBatchRecords",
                         event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)
