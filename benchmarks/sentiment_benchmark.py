"""Live-sentiment benchmark: from a segment's arrival on the stream to the supervisors' alert, on the local path,
and the alerts under redelivery and failures.

Run with `make bench`. Prints figures beside the goals; asserts nothing. The local path is the whole chain AWS runs,
in-process: the record written to the (local) segment stream, Lambda's Kinesis mapping handing it to the real
`sentiment-segments` handler, its Query and writes on moto's DynamoDB, the publish on moto's SNS, and the alert
read from an SQS queue subscribed to the topic (what a supervisor's pager receives). Latency is this machine's wall
clock per record that raised an alert (and per record, for comparison); not Lambda's polling interval, which
AWS adds in front (see docs/capacity.md).

Three runs over the same CALLS simulated calls (the transcripts in events/sentiment/, callers of every tier):
- clean: each record delivered once; the alerts it raises are the expected set (contact, rule);
- redelivered: every record delivered three times; duplicates = alerts received beyond one per expected pair;
- failing: every FAIL_EVERY-th invocation of the consumer fails (its batch comes back, as a crash or timeout
  would), and the topic refuses every FAIL_EVERY-th publish; lost = expected pairs never received.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CALLS = 120
FAIL_EVERY = 4
TRANSCRIPTS = ("angry-cancel", "souring", "calm")
CONTEXTS = ({"queue": "vip", "tier": "vip", "recent_complaints": "0"},
            {"queue": "senior", "tier": "standard", "recent_complaints": "4"},
            {"queue": "billing", "tier": "gold", "recent_complaints": "1"},
            {})  # a contact with no attributes
P95_GOAL_S = 2.0


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def run(duplicates: int = 1, failing: bool = False) -> dict[str, Any]:
    from callcenter.backend import LocalBackend, function_arn
    from callcenter.sentiment_stream import LocalSegmentStream, SupervisorInbox, read_transcript, record_offset_ms
    from flowlang.simulator import LambdaInvocationError
    from functions.sentiment import consumer

    with LocalBackend(log_level="ERROR") as backend:
        inbox = SupervisorInbox()
        stream = LocalSegmentStream(backend, duplicates=duplicates)
        real_invoke, real_publish = backend.invoke_lambda, consumer.SnsAlertPublisher.publish
        invocations, publishes = Counter[str](), Counter[str]()

        def invoke(arn: str, event: dict[str, Any], limit: float) -> Any:
            invocations[arn] += 1
            if failing and arn.endswith("sentiment-segments") and invocations[arn] % FAIL_EVERY == 0:
                raise LambdaInvocationError("error", "injected: the consumer crashed midway")
            return real_invoke(arn, event, limit)

        def publish(self: Any, alert: Any) -> None:
            publishes["all"] += 1
            if failing and publishes["all"] % FAIL_EVERY == 0:
                raise consumer.AlertNotPublished("injected: the topic refused")
            real_publish(self, alert)

        backend.invoke_lambda = invoke  # type: ignore[method-assign]
        consumer.SnsAlertPublisher.publish = publish  # type: ignore[method-assign]
        latencies, alert_latencies = [], []
        try:
            for number in range(CALLS):
                contact_id = f"bench-{number:05d}"
                parameters = CONTEXTS[number % len(CONTEXTS)]
                if parameters:
                    backend.now = START
                    real_invoke(function_arn("sentiment-context"), {"Details": {
                        "ContactData": {"ContactId": contact_id}, "Parameters": parameters}}, 5)
                name = TRANSCRIPTS[number % len(TRANSCRIPTS)]
                records, _ = read_transcript(REPO / "events" / "sentiment" / f"{name}.jsonl", contact_id)
                offset = 0
                for record in records:
                    offset = max(offset, record_offset_ms(record) or 0)
                    backend.now = START + timedelta(minutes=number, milliseconds=offset)
                    before = len(inbox.received)
                    started = time.perf_counter()
                    stream.put(json.dumps(record).encode(), contact_id, backend.now)
                    stream.deliver()
                    inbox.drain()
                    elapsed = time.perf_counter() - started
                    latencies.append(elapsed)
                    if len(inbox.received) > before:
                        alert_latencies.append(elapsed)
        finally:
            consumer.SnsAlertPublisher.publish = real_publish  # type: ignore[method-assign]
            backend.now = None
        received = Counter((a["contact_id"], a["rule"]) for a in inbox.drain())
        return {"received": received, "latencies": latencies, "alert_latencies": alert_latencies,
                "records": stream.report.records, "retried": stream.report.retried,
                "failed_invocations": stream.report.failed_invocations,
                "dead_letters": len(stream.report.dead_letters)}


def main() -> None:
    print("Live-sentiment benchmark (local path: stream -> sentiment-segments -> moto DynamoDB and SNS -> inbox)")
    print(f"  {CALLS} simulated calls, transcripts {', '.join(TRANSCRIPTS)}; tiers and histories varied")
    clean = run()
    expected = set(clean["received"])
    alerts = clean["alert_latencies"]
    print(f"  segment arrival -> alert, p95        {_p95(alerts) * 1000:8.1f} ms"
          f"   (goal: under {P95_GOAL_S:g} s; {len(alerts)} alerts, median {statistics.median(alerts) * 1000:.1f} ms,"
          f" max {max(alerts) * 1000:.1f} ms)")
    every = clean["latencies"]
    print(f"  any record, delivered and processed, p95 {_p95(every) * 1000:5.1f} ms"
          f"   ({len(every)} records)")
    tripled = run(duplicates=3)
    duplicates = sum(count - 1 for count in tripled["received"].values() if count > 1)
    missing = len(expected - set(tripled["received"]))
    print(f"  every record delivered 3 times: duplicate alerts {duplicates}, missing {missing}"
          f"   (goal: 0 duplicates; {tripled['records']} deliveries, {len(expected)} alerts expected)")
    failing = run(failing=True)
    lost = len(expected - set(failing["received"]))
    repeated = sum(count - 1 for count in failing["received"].values() if count > 1)
    print(f"  consumer failing every {FAIL_EVERY}th invocation and topic every {FAIL_EVERY}th publish: lost {lost},"
          f" repeated {repeated}   (goal: 0 lost; {failing['failed_invocations']} failed invocations, "
          f"{failing['retried']} retries, {failing['dead_letters']} dead letters)")


if __name__ == "__main__":
    main()
