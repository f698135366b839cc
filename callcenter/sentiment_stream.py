"""Live sentiment on the local backend: the Contact Lens segment stream and its Lambda mapping, played in-process.

- `LocalSegmentStream`: a Kinesis stream as Connect writes to it (records by partition key, the contact id, on a
  few shards, each with increasing sequence numbers) and Lambda's event source mapping as the manifest declares it
  (KinesisSource): batches of `batch_size` per shard in order, ReportBatchItemFailures (retry from the lowest
  failed sequence number), a failed invocation bisected, `max_retries` retries and then the on-failure
  destination (kept in the report), never a silent drop. `duplicates` delivers every record that many times, as a
  stream redelivering after a timeout would. Records the mapping has passed are dropped (nothing here reads a
  shard from its start again).
- `SupervisorInbox`: an SQS queue subscribed to the supervisors' SNS topic on moto, i.e. what a supervisor's
  pager would receive (every publish, repeats included).
- `play_transcript`: one simulated call's transcript, each record written when its last turn ends (simulated time
  from the call's start), delivered at once (no batching window), then its hints and alerts with their delays.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from callcenter.backend import ACCOUNT, REGION, SUPERVISOR_ALERTS_TOPIC, LocalBackend, function_arn, local_client
from functions.manifest import FUNCTIONS, KinesisSource

CONSUMER = "sentiment-segments"
STREAM_ARN = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/callcenter-local-contact-lens-segments"


@dataclass
class StreamReport:
    batches: int = 0
    records: int = 0  # deliveries, redeliveries included
    failed_invocations: int = 0
    retried: int = 0
    dead_letters: list[dict[str, Any]] = field(default_factory=list)  # the on-failure destination


@dataclass
class _Shard:
    records: list[dict[str, Any]] = field(default_factory=list)
    checkpoint: int = 0  # index of the first record not yet done


class LocalSegmentStream:
    def __init__(self, backend: LocalBackend, *, shards: int = 2, duplicates: int = 1) -> None:
        spec = FUNCTIONS[CONSUMER]
        assert isinstance(spec.source, KinesisSource)
        self.backend, self.spec, self.source = backend, spec, spec.source
        self.shards = [_Shard() for _ in range(shards)]
        self.duplicates = duplicates
        self._sequence = 0
        self.report = StreamReport()

    def put(self, data: bytes, partition_key: str, arrival: datetime) -> None:
        shard = self.shards[int(hashlib.md5(partition_key.encode()).hexdigest(), 16) % len(self.shards)]
        for _ in range(self.duplicates):
            self._sequence += 1
            shard.records.append({
                "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": partition_key,
                            "sequenceNumber": f"{self._sequence:056d}", "data": base64.b64encode(data).decode(),
                            "approximateArrivalTimestamp": arrival.timestamp()},
                "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventName": "aws:kinesis:record",
                "eventID": f"shardId-{self.shards.index(shard):012d}:{self._sequence:056d}",
                "awsRegion": REGION, "eventSourceARN": STREAM_ARN,
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/local"})

    def deliver(self) -> StreamReport:
        """Hand every pending record to the consumer, as the mapping would, until each shard is caught up."""
        for shard in self.shards:
            retries = 0
            size = self.source.batch_size
            while shard.checkpoint < len(shard.records):
                batch = shard.records[shard.checkpoint:shard.checkpoint + size]
                self.report.batches += 1
                self.report.records += len(batch)
                done = self._invoke(batch)
                if done == len(batch):
                    shard.checkpoint += done
                    retries, size = 0, self.source.batch_size
                    continue
                self.report.retried += 1
                if done == -1:  # the invocation failed: bisect the batch
                    self.report.failed_invocations += 1
                    done = 0
                    size = max(1, len(batch) // 2)
                shard.checkpoint += done
                retries += 1
                if retries > self.source.max_retries:
                    given_up = batch[done:done + size] if size < len(batch) else batch[done:]
                    self.report.dead_letters += given_up
                    shard.checkpoint += len(given_up)
                    retries, size = 0, self.source.batch_size
            # Kinesis keeps records for its retention period, but nothing reads a shard here again once the
            # mapping has passed them (no replay from TRIM_HORIZON): drop them, so a long day's memory stays flat
            del shard.records[:shard.checkpoint]
            shard.checkpoint = 0
        return self.report

    def _invoke(self, batch: list[dict[str, Any]]) -> int:
        """How many records of the batch are done (the prefix before the lowest failure); -1: the invocation failed."""
        from flowlang.simulator import LambdaInvocationError

        try:
            response = self.backend.invoke_lambda(function_arn(CONSUMER), {"Records": batch},
                                                  self.spec.timeout_seconds) or {}
        except LambdaInvocationError:
            return -1
        failed = {f.get("itemIdentifier") for f in response.get("batchItemFailures", [])}
        if not failed:
            return len(batch)
        numbers = [r["kinesis"]["sequenceNumber"] for r in batch]
        positions = [i for i, n in enumerate(numbers) if n in failed]
        return min(positions) if positions else 0


class SupervisorInbox:
    """What the supervisors' topic delivered: an SQS queue subscribed to it (raw messages)."""

    def __init__(self) -> None:
        sqs, sns = local_client("sqs"), local_client("sns")
        self.url = sqs.create_queue(QueueName="callcenter-local-supervisor-inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:{SUPERVISOR_ALERTS_TOPIC}", Protocol="sqs",
                      Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        self.received: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        sqs = local_client("sqs")
        while True:
            messages = sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            for message in messages:
                self.received.append(json.loads(message["Body"]))
            sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        return self.received


# --- transcripts ---------------------------------------------------------------------------------------------

class TranscriptError(ValueError):
    """The transcript file cannot be read at all (the message names it)."""


def read_transcript(path: Path, contact_id: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The file's records (JSON lines of Contact Lens segment records) with their ContactId replaced by the call's,
    and what was skipped (line numbers and why)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise TranscriptError(f"cannot read transcript {path}: {exc.strerror or exc}") from exc
    return parse_transcript(text.splitlines(), contact_id)


def parse_transcript(lines: Iterable[str], contact_id: str) -> tuple[list[dict[str, Any]], list[str]]:
    records, skipped = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            skipped.append(f"line {number}: not JSON")
            continue
        if not isinstance(record, dict):
            skipped.append(f"line {number}: not a JSON object")
            continue
        record["ContactId"] = contact_id
        records.append(record)
    return records, skipped


def record_offset_ms(record: dict[str, Any]) -> int | None:
    """When Contact Lens writes a record: the end of its last finished turn (None: it has no turn)."""
    ends = []
    for segment in record.get("Segments") or []:
        body = segment.get("Transcript") or segment.get("Utterance") if isinstance(segment, dict) else None
        end = body.get("EndOffsetMillis") if isinstance(body, dict) else None
        if isinstance(end, int | float) and not isinstance(end, bool) and end >= 0:
            ends.append(int(end))
    return max(ends) if ends else None


@dataclass
class TranscriptResult:
    contact_id: str
    records: int
    hints: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    summary: dict[str, Any] | None
    skipped: dict[str, int]
    file_skipped: list[str]
    report: StreamReport


def play_transcript(backend: LocalBackend, records: Sequence[dict[str, Any]], contact_id: str, start: datetime, *,
                    inbox: SupervisorInbox | None = None, stream: LocalSegmentStream | None = None,
                    file_skipped: Sequence[str] = ()) -> TranscriptResult:
    """Play one call's records in simulated time (each when its last turn ends; a record without turns when the one
    before it was written) and deliver each at once; then the contact's hints and alerts with their delays."""
    from functions.common.clock import pinned
    from functions.insights.store import contact_hints
    from functions.sentiment.store import load_contact

    stream = stream or LocalSegmentStream(backend)
    inbox = inbox or SupervisorInbox()
    offset = 0
    saved = backend.now
    try:
        for record in records:
            found = record_offset_ms(record)
            offset = max(offset, found) if found is not None else offset
            arrival = start + timedelta(milliseconds=offset)
            backend.now = arrival
            stream.put(json.dumps(record).encode(), contact_id, arrival)
            stream.deliver()
    finally:
        backend.now = saved
    with pinned(start):
        hints = contact_hints(contact_id, start)
        loaded = load_contact(contact_id)
    from functions.sentiment.store import summaries

    summary = next((s for s in summaries() if s.contact_id == contact_id), None)
    alerts = [a for a in inbox.drain() if a.get("contact_id") == contact_id]
    return TranscriptResult(
        contact_id=contact_id, records=len(records),
        hints=[{"rule": h.rule, "kind": h.kind.value, "severity": h.severity.value, "text": h.text,
                "delay_seconds": round((h.at - start).total_seconds(), 3)} for h in hints],
        alerts=[{"rule": a["rule"], "text": a["text"], "team": a["team"], "severity": a["severity"],
                 "delay_seconds": round((datetime.fromisoformat(a["at"]) - start).total_seconds(), 3)}
                for a in alerts],
        summary=None if summary is None else {
            "start_score": summary.summary.start_score, "end_score": summary.summary.end_score,
            "ended_negative": summary.summary.ended_negative, "rules_fired": list(summary.summary.rules_fired),
            "outcome": summary.summary.outcome},
        skipped=dict(sorted(loaded.state.skipped.items())), file_skipped=list(file_skipped), report=stream.report)
