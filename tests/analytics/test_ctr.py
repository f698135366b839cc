"""The contact record builder writes Connect's shape, and refuses what Connect would never send."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics.ctr import AgentLeg, QueueLeg, contact_record, parse_timestamp, timestamp

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def record(**changes):
    fields = dict(
        contact_id="c-1", instance_arn="arn:aws:connect:us-east-1:111122223333:instance/i", account_id="111122223333",
        channel="VOICE", initiation_method="INBOUND", initiated_at=T0, disconnected_at=T0 + timedelta(minutes=6),
        disconnect_reason="CUSTOMER_DISCONNECT", customer_address="+15550100", system_address="+18005550100",
    )
    fields.update(changes)
    return contact_record(**fields)


def test_answered_contact_carries_queue_and_agent_times():
    doc = record(
        queue=QueueLeg(name="Support", arn="q-arn", enqueued_at=T0 + timedelta(seconds=40),
                       dequeued_at=T0 + timedelta(seconds=65)),
        agent=AgentLeg(username="ana", arn="a-arn", routing_profile="Basic", connected_at=T0 + timedelta(seconds=65),
                       interaction_s=240, hold_s=30, holds=1, longest_hold_s=30, after_contact_work_s=45),
        attributes={"reason": "BILLING"},
    )
    assert doc["Queue"]["Duration"] == 25
    assert doc["Queue"]["EnqueueTimestamp"] == "2026-11-24T09:30:40Z"
    assert doc["Agent"]["AgentInteractionDuration"] == 240
    assert doc["Agent"]["AfterContactWorkEndTimestamp"] == "2026-11-24T09:36:45Z"
    # The final version of the record is the one after after-contact work.
    assert doc["LastUpdateTimestamp"] == "2026-11-24T09:36:45Z"
    assert doc["Attributes"] == {"reason": "BILLING"}
    assert doc["AgentConnectionAttempts"] == 1


def test_contact_that_never_queued_has_null_queue_and_agent():
    doc = record(disconnect_reason="CONTACT_FLOW_DISCONNECT", customer_address=None)
    assert doc["Queue"] is None and doc["Agent"] is None
    assert doc["CustomerEndpoint"] is None
    assert doc["LastUpdateTimestamp"] == doc["DisconnectTimestamp"]


@pytest.mark.parametrize("change", [
    {"channel": "FAX"},
    {"initiation_method": "TELEPATHY"},
    {"disconnect_reason": "BORED"},
    {"disconnected_at": T0 - timedelta(seconds=1)},
    {"initiated_at": datetime(2026, 11, 24, 9, 30)},
    {"queue": QueueLeg(name="Q", arn="q", enqueued_at=T0 + timedelta(seconds=9), dequeued_at=T0)},
])
def test_impossible_records_are_refused(change):
    with pytest.raises(ValueError):
        record(**change)


def test_timestamps_round_trip_in_connect_forms():
    assert timestamp(T0) == "2026-11-24T09:30:00Z"
    assert parse_timestamp("2026-11-24T09:30:00Z") == T0
    assert parse_timestamp("2026-11-24T09:30:00.000+00:00") == T0


def test_records_land_in_their_initiation_date_partition(tmp_path):
    import json

    from analytics.lake import write_jsonl

    late = record(contact_id="c-2", initiated_at=T0 + timedelta(hours=15),
                  disconnected_at=T0 + timedelta(hours=15, minutes=1))
    files = write_jsonl([record(), late, record(contact_id="c-3")], tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "contact_records/dt=2026-11-24/part-00000.jsonl", "contact_records/dt=2026-11-25/part-00000.jsonl"]
    first_day = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert [r["ContactId"] for r in first_day] == ["c-1", "c-3"]
    write_jsonl([record(contact_id="c-4")], tmp_path)  # appends, never overwrites
    assert len(files[0].read_text().splitlines()) == 3
