"""Domain events: one envelope for every event we publish, and the publishers.

Every event goes on our own bus (EVENT_BUS_NAME) with `source` = the product's source
("callcenter", functions/manifest.py EVENT_BUS), `detail-type` = the event's name, and
`detail` = {"data": {...}, "metadata": {"name", "version", "source", "correlation_id", "time"}}.
Consumers match on detail-type and read `data`; `correlation_id` ties the event to the contact
(or request) it came from.

Services take an `EventPublisher`; the handler passes `EventBridgePublisher`, tests pass
`InMemoryPublisher`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import msgspec
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.aws import bounded_client
from functions.common.clock import utc_now
from functions.common.settings import SettingsError

EVENT_BUS_ENV = "EVENT_BUS_NAME"
MAX_ENTRIES_PER_PUT = 10  # PutEvents accepts at most 10 entries per request


class DomainEvent(msgspec.Struct, frozen=True):
    name: str  # also the EventBridge detail-type, e.g. "SurveyLowScore"
    data: Mapping[str, Any]
    correlation_id: str
    version: str = "1"


def event_detail(event: DomainEvent, source: str, time: datetime) -> dict[str, Any]:
    """The standard envelope, used as the EventBridge `detail`."""
    return {
        "data": dict(event.data),
        "metadata": {
            "name": event.name,
            "version": event.version,
            "source": source,
            "correlation_id": event.correlation_id,
            "time": time.isoformat(),
        },
    }


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Publish every event or raise EventPublishError."""
        ...


class EventPublishError(RuntimeError):
    """EventBridge refused some entries; `errors` holds their error codes."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__(f"{len(errors)} event(s) not published: {', '.join(sorted(set(errors)))}")
        self.errors = list(errors)


def _events_client() -> BaseClient:
    """One client per execution environment (a publisher is made per invocation, and building a client costs
    more than the request). Short timeouts and two attempts: publishers often run inside a contact flow's few
    seconds."""
    return bounded_client("events", connect_timeout=0.5, read_timeout=1.0, max_attempts=2)


class EventBridgePublisher:
    """PutEvents on the bus, 10 entries per request; raises EventPublishError on any failed entry."""

    def __init__(self, bus_name: str, source: str, client_factory: Callable[[], BaseClient] = _events_client,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.bus_name = bus_name
        self.source = source
        self._client_factory = client_factory
        self._client: BaseClient | None = None
        self.clock = clock

    @classmethod
    def from_environment(cls, source: str) -> EventBridgePublisher:
        bus_name = os.environ.get(EVENT_BUS_ENV, "").strip()
        if not bus_name:
            raise SettingsError(f"environment variable {EVENT_BUS_ENV} is required")
        return cls(bus_name, source)

    @property
    def client(self) -> BaseClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def entries(self, events: Sequence[DomainEvent]) -> list[dict[str, Any]]:
        now = self.clock()
        return [{
            "Source": self.source,
            "DetailType": event.name,
            "Detail": json.dumps(event_detail(event, self.source, now), separators=(",", ":")),
            "EventBusName": self.bus_name,
            "Time": now,
        } for event in events]

    def publish(self, events: Sequence[DomainEvent]) -> None:
        entries = self.entries(events)
        errors: list[str] = []
        for start in range(0, len(entries), MAX_ENTRIES_PER_PUT):
            try:
                response = self.client.put_events(Entries=entries[start:start + MAX_ENTRIES_PER_PUT])
            except ClientError as exc:
                raise EventPublishError([str(exc.response.get("Error", {}).get("Code") or "ClientError")]) from exc
            except BotoCoreError as exc:
                raise EventPublishError([type(exc).__name__]) from exc
            failed = int(response.get("FailedEntryCount") or 0)
            if failed:
                codes = [entry["ErrorCode"] for entry in response.get("Entries", []) if entry.get("ErrorCode")]
                errors += codes or ["Unknown"] * failed
        if errors:
            raise EventPublishError(errors)


@dataclass
class InMemoryPublisher:
    """A publisher for tests: keeps what was published (`details` as they would go on the bus)."""

    source: str = "callcenter"
    fail_with: str | None = None  # an error code to fail every publish with
    events: list[DomainEvent] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    clock: Callable[[], datetime] = utc_now

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self.fail_with:
            raise EventPublishError([self.fail_with] * len(events))
        self.events += events
        self.details += [event_detail(event, self.source, self.clock()) for event in events]

    def named(self, name: str) -> list[DomainEvent]:
        return [event for event in self.events if event.name == name]
