"""The domain event publisher: the standard envelope, PutEvents in chunks of 10, failures raised."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from functions.common.aws import reset_clients
from functions.common.events import DomainEvent, EventBridgePublisher, EventPublishError, InMemoryPublisher

NOW = datetime(2026, 11, 24, 19, 5, tzinfo=UTC)


class FakeEventsClient:
    def __init__(self, fail_entries_in_call: int | None = None) -> None:
        self.calls: list[list[dict]] = []
        self.fail_entries_in_call = fail_entries_in_call

    def put_events(self, Entries):  # boto3's parameter name
        self.calls.append(Entries)
        if self.fail_entries_in_call == len(self.calls):
            return {"FailedEntryCount": 1,
                    "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}] + [{"EventId": "e"}] * 9}
        return {"FailedEntryCount": 0, "Entries": [{"EventId": f"e{i}"} for i in range(len(Entries))]}


def events(count: int) -> list[DomainEvent]:
    return [DomainEvent("SurveyLowScore", {"n": n}, correlation_id=f"c-{n}") for n in range(count)]


def publisher(client: FakeEventsClient) -> EventBridgePublisher:
    return EventBridgePublisher("callcenter-bus", "callcenter", client_factory=lambda: client, clock=lambda: NOW)


def test_each_event_goes_on_our_bus_in_the_standard_envelope():
    client = FakeEventsClient()
    publisher(client).publish(events(1))
    [[entry]] = client.calls
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
        "callcenter", "SurveyLowScore", "callcenter-bus")
    assert json.loads(entry["Detail"]) == {
        "data": {"n": 0},
        "metadata": {"name": "SurveyLowScore", "version": "1", "source": "callcenter", "correlation_id": "c-0",
                     "time": "2026-11-24T19:05:00+00:00"},
    }


def test_events_are_sent_ten_per_request():
    client = FakeEventsClient()
    publisher(client).publish(events(23))
    assert [len(call) for call in client.calls] == [10, 10, 3]


def test_a_failed_entry_raises_after_every_chunk_was_tried():
    client = FakeEventsClient(fail_entries_in_call=1)
    with pytest.raises(EventPublishError, match="InternalFailure") as failed:
        publisher(client).publish(events(12))
    assert failed.value.errors == ["InternalFailure"]
    assert len(client.calls) == 2


def test_the_bus_comes_from_the_environment_and_its_absence_is_a_clear_error(monkeypatch):
    from functions.common.settings import SettingsError

    monkeypatch.setenv("EVENT_BUS_NAME", "callcenter-prod")
    assert EventBridgePublisher.from_environment("callcenter").bus_name == "callcenter-prod"
    monkeypatch.delenv("EVENT_BUS_NAME")
    with pytest.raises(SettingsError, match="EVENT_BUS_NAME"):
        EventBridgePublisher.from_environment("callcenter")


def test_the_client_is_built_on_first_publish_not_before():
    built = []
    publisher_ = EventBridgePublisher("bus", "callcenter",
                                      client_factory=lambda: built.append(1) or FakeEventsClient())
    assert built == []
    publisher_.publish(events(1))
    assert built == [1]


def test_publishers_made_per_invocation_share_one_client(monkeypatch):
    from functions.common import aws

    built = []
    monkeypatch.setattr(aws, "make_client", lambda service, config: built.append((service, config)) or object())
    monkeypatch.setenv("EVENT_BUS_NAME", "callcenter-prod")
    reset_clients()
    try:
        # Given two invocations, each making its publisher from the environment (as the handlers do)
        first, second = (EventBridgePublisher.from_environment("callcenter") for _ in range(2))
        # Then they publish through one events client, built once for the execution environment, with its bounds
        assert first.client is second.client
        [(service, config)] = built
        assert (service, config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]) == \
            ("events", 0.5, 1.0, 2)
    finally:
        reset_clients()


def test_the_in_memory_publisher_keeps_what_was_published():
    fake = InMemoryPublisher(clock=lambda: NOW)
    fake.publish(events(2))
    assert [d["metadata"]["correlation_id"] for d in fake.details] == ["c-0", "c-1"]
    assert len(fake.named("SurveyLowScore")) == 2
