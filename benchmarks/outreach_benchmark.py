"""Outreach benchmark: what the planner reads to find a day's due customers, beside a full Scan of the table.

Run with `.venv/bin/python benchmarks/outreach_benchmark.py [SIZES...]` (default 10000 100000). Prints
figures; asserts only that both ways find the same customers. Everything runs on moto in-process: it
answers a Query on an index by walking its items, so its *times* grow with the table even for a Query.
On DynamoDB a Query costs what it returns; the *items read* are the figure that carries over.

Per size: the profiles table is seeded with batch writes (minimal attributes; ~1% of the profiles
expire in the run's due bucket, ~half of the rest on dates outside the campaign's window, the rest have
no warranty date), then
- the planner (the real OutreachPlanner on the DynamoDB store and an SQS queue) plans the warranty
  campaign for the run date: index items read (one Query per day bucket of the window), keys looked up
  in BatchGetItem (each due customer's cycle record and cap item), DynamoDB requests, time (and, of it,
  the index Queries alone: the rest is writing one record per customer and SendMessageBatch), messages;
- the same run again (a retry): nothing new is enqueued;
- a full Scan of the profiles table filtered on the due date: items read (ScannedCount) and time.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RUN_DATE = date(2026, 11, 24)
AT = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # the scheduled time: 11:00 New York
CAMPAIGN = "warranty-expiry"
DUE_SHARE = 100  # one profile in DUE_SHARE expires in the due bucket
BATCH = 25  # BatchWriteItem's limit
REGION = "us-east-1"
UPDATED_AT = "2026-11-01T00:00:00.000000+0000"  # PynamoDB's UTCDateTimeAttribute format


@dataclass(frozen=True)
class Figures:
    items_read: int
    requests: int
    seconds: float
    found: int  # due customers found
    enqueued: int = 0
    reading_seconds: float = 0.0  # the planner's index Queries alone


class TimedQueries:
    """The planner's DueProfiles port, timing the index Queries (moto answers them by walking the index)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, watches: str, expires: date) -> list[Any]:
        from functions.outreach import store as outreach_data

        started = time.perf_counter()
        found = list(outreach_data.due_profiles(watches, expires))
        self.seconds += time.perf_counter() - started
        return found


def _profile_item(number: int, due: date) -> dict[str, Any]:
    item: dict[str, Any] = {
        "customer_id": {"S": f"cust-{number:07d}"},
        "phone": {"S": f"+1415555{100 + number % 100:04d}"},
        "name": {"S": "Customer"},
        "consent_voice": {"BOOL": True},
        "updated_at": {"S": UPDATED_AT},
    }
    if number % DUE_SHARE == 0:
        item["warranty_expires"] = {"S": due.isoformat()}
    elif number % 2:
        item["warranty_expires"] = {"S": (due + timedelta(days=30 + number % 700)).isoformat()}  # outside the window
    return item


def seed(client: Any, table: str, size: int, due: date) -> float:
    started = time.perf_counter()
    for start in range(0, size, BATCH):
        requests = [{"PutRequest": {"Item": _profile_item(n, due)}} for n in range(start, min(size, start + BATCH))]
        pending: dict[str, Any] = {table: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return time.perf_counter() - started


def run_planner(queue_url: str) -> Figures:
    from callcenter.emulators import DynamoDBTraffic
    from functions.outreach.adapters import DynamoDBOutreachStore, SqsOutreachQueue
    from functions.outreach.campaigns import load_campaigns
    from functions.outreach.planner import OutreachPlanner
    from functions.outreach.requests import PlanRequest

    queries = TimedQueries()
    planner = OutreachPlanner(policy=load_campaigns(), store=DynamoDBOutreachStore(), due_profiles=queries,
                              queue=SqsOutreachQueue(queue_url), clock=lambda: AT)
    DynamoDBTraffic.reset()
    started = time.perf_counter()
    report = planner.plan(PlanRequest(CAMPAIGN, scheduled_time=AT))
    elapsed = time.perf_counter() - started
    items = report.profiles_read + report.keys_looked_up + report.pending_read
    return Figures(items, DynamoDBTraffic.total_calls(), elapsed, report.profiles_read, report.enqueued,
                   queries.seconds)


def full_scan(client: Any, table: str, due: date) -> Figures:
    started = time.perf_counter()
    scanned = found = requests = 0
    for page in client.get_paginator("scan").paginate(
            TableName=table, FilterExpression="warranty_expires = :due",
            ExpressionAttributeValues={":due": {"S": due.isoformat()}}):
        scanned += page["ScannedCount"]
        found += page["Count"]
        requests += 1
    return Figures(scanned, requests, time.perf_counter() - started, found)


def _tables(size: int) -> dict[str, Any]:
    from functions.outreach.store import ContactCapItem, OutreachItem
    from functions.profiles.store import ProfileItem

    names = {ProfileItem: f"bench-profiles-{size}", OutreachItem: f"bench-outreach-{size}",
             ContactCapItem: f"bench-caps-{size}"}
    for model, name in names.items():
        model.Meta.table_name = name
        model._connection = None
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    return {"profiles": names[ProfileItem]}


def measure(size: int) -> None:
    import boto3

    from callcenter.emulators import DynamoDBTraffic
    from functions.outreach.campaigns import load_campaigns

    DynamoDBTraffic.install()
    campaign = load_campaigns().campaign(CAMPAIGN)
    due = campaign.due_dates(RUN_DATE)[0]
    table = _tables(size)["profiles"]
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName=f"bench-outreach-{size}")["QueueUrl"]
    seeded = seed(dynamodb, table, size, due)
    first = run_planner(queue_url)
    again = run_planner(queue_url)
    scan = full_scan(dynamodb, table, due)
    assert first.found == scan.found, (first.found, scan.found)
    print(f"\n{size:,} profiles (seeded in {seeded:.1f} s), {scan.found:,} due on {due} "
          f"(window {campaign.window_days} day buckets)")
    print(f"  {'':<30}{'items read':>12}{'requests':>10}{'time':>10}{'of which reading due':>22}{'enqueued':>10}")
    rows = (("planner", first), ("planner, same run again", again), ("full Scan (for comparison)", scan))
    for label, figures in rows:
        planner = label.startswith("planner")
        reading = f"{figures.reading_seconds:>21.2f}s" if planner else f"{figures.seconds:>21.2f}s"
        enqueued = f"{figures.enqueued:>10,}" if planner else f"{'-':>10}"
        print(f"  {label:<30}{figures.items_read:>12,}{figures.requests:>10,}{figures.seconds:>9.2f}s{reading}"
              f"{enqueued}")
    print(f"  planner items read per due customer: {first.items_read / max(first.found, 1):.1f} "
          f"(1 index item + its cycle record and cap item looked up); Scan: {scan.items_read / max(scan.found, 1):.0f}")


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
                       "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})
    from moto import mock_aws

    print("Outreach planner benchmark (moto in-process; items read carry over to DynamoDB, times do not)")
    for size in sizes:
        with mock_aws():
            measure(size)


if __name__ == "__main__":
    main(sys.argv[1:])
