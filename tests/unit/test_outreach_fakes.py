"""In-memory fakes of every outreach port, shared by the outreach unit tests (this module has no tests).

They keep DynamoDB's rules: creates are conditional on absence, replaces on the status, updated_at and
version read, the cap claim on "no other record within the period". tests/integration/test_outreach_*
run the same scenarios against moto.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from msgspec.structs import replace

from functions.manifest import claim_lease
from functions.outreach.campaigns import load_campaigns
from functions.outreach.planner import OutreachPlanner
from functions.outreach.record import ContactCap, OutreachRecord, OutreachStatus
from functions.outreach.requests import OutreachMessage, parse_outreach_message
from functions.outreach.response import OutreachResponder
from functions.outreach.sender import ChannelFailure, OutreachInvitation, OutreachSender
from functions.profiles.profile import CustomerProfile

RUN_DATE = date(2026, 11, 24)
MORNING = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 11:00 New York, 08:00 Los Angeles, 17:00 Berlin
NOON = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 12:00 New York, 09:00 Los Angeles: nobody's quiet hours
WARRANTY_DUE = RUN_DATE + timedelta(days=30)  # the warranty campaign's first bucket
PLAN_DUE = RUN_DATE + timedelta(days=7)


def customer(customer_id: str = "cust-ada", **fields: object) -> CustomerProfile:
    defaults: dict[str, object] = {
        "phone": "+14155550100", "name": "Ada Lovelace", "time_zone": "America/New_York",
        "consent_voice": True, "consent_sms": True, "warranty_expires": WARRANTY_DUE,
    }
    return CustomerProfile(customer_id=customer_id, **{**defaults, **fields})  # type: ignore[arg-type]


@dataclass
class Clock:
    now: datetime = NOON

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class InMemoryProfiles:
    profiles: dict[str, CustomerProfile] = field(default_factory=dict)
    reads: int = 0

    def add(self, *profiles: CustomerProfile) -> None:
        self.profiles.update({p.customer_id: p for p in profiles})

    def due(self, watches: str, expires: date) -> Iterable[CustomerProfile]:
        """The sparse index: only profiles that have the date, one bucket per day."""
        return [p for p in self.profiles.values() if getattr(p, watches) == expires]

    def fresh(self, customer_id: str) -> CustomerProfile | None:
        self.reads += 1
        return self.profiles.get(customer_id)

    def opt_out(self, customer_id: str, now: datetime) -> bool:
        if customer_id not in self.profiles:
            return False
        self.profiles[customer_id] = replace(self.profiles[customer_id], opted_out=True)
        return True


@dataclass
class InMemoryOutreachStore:
    records: dict[tuple[str, str], OutreachRecord] = field(default_factory=dict)
    caps: dict[str, tuple[datetime | None, str | None, datetime | None, str | None]] = field(default_factory=dict)
    keys_looked_up: int = 0
    writes: int = 0

    # records
    def get(self, customer_id: str, cycle: str) -> OutreachRecord | None:
        return self.records.get((customer_id, cycle))

    def create(self, record: OutreachRecord) -> OutreachRecord | None:
        key = (record.customer_id, record.cycle)
        if key in self.records:
            return None
        self.writes += 1
        self.records[key] = replace(record, version=1)
        return self.records[key]

    def replace(self, record: OutreachRecord, expected: OutreachRecord) -> OutreachRecord | None:
        key = (record.customer_id, record.cycle)
        current = self.records.get(key)
        if current is None or (current.status, current.updated_at, current.version) != (
                expected.status, expected.updated_at, expected.version):
            return None
        self.writes += 1
        self.records[key] = replace(record, version=(expected.version or 0) + 1)
        return self.records[key]

    def pending(self, campaign_id: str, due_on: date) -> list[OutreachRecord]:
        return [r for r in self.records.values() if r.campaign_id == campaign_id and r.due_on == due_on
                and r.status in (OutreachStatus.PLANNED, OutreachStatus.REMIND_LATER)]

    def planning_state(self, keys: Sequence[tuple[str, str]]) -> tuple[
            dict[tuple[str, str], OutreachRecord], dict[str, ContactCap]]:
        self.keys_looked_up += 2 * len(keys)
        records = {key: self.records[key] for key in keys if key in self.records}
        caps = {customer_id: self.cap(customer_id) for customer_id, _ in keys if customer_id in self.caps}
        return records, caps

    def statuses(self) -> dict[tuple[str, str], str]:
        return {key: record.status.value for key, record in self.records.items()}

    # the frequency cap, as functions/outreach/store.py claims and releases it
    def cap(self, customer_id: str) -> ContactCap:
        last_at, last_cycle, _, _ = self.caps.get(customer_id, (None, None, None, None))
        return ContactCap(customer_id, last_at, last_cycle)

    def claim(self, customer_id: str, cycle: str, now: datetime, period_days: int) -> bool:
        if self.cap(customer_id).blocks(cycle, now, period_days):
            return False
        last_at, last_cycle, _, _ = self.caps.get(customer_id, (None, None, None, None))
        self.caps[customer_id] = (now, cycle, last_at, last_cycle)
        return True

    def release(self, customer_id: str, cycle: str, claimed_at: datetime) -> bool:
        last_at, last_cycle, previous_at, previous_cycle = self.caps.get(customer_id, (None, None, None, None))
        if (last_at, last_cycle) != (claimed_at, cycle):
            return False
        self.caps[customer_id] = (previous_at, previous_cycle, previous_at, previous_cycle)
        return True


@dataclass
class InMemoryQueue:
    """The outreach queue: what was sent, and SQS refusing entries when told to."""

    sent: list[OutreachMessage] = field(default_factory=list)
    delayed: list[tuple[OutreachMessage, int]] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)  # sizes of the SendMessageBatch calls
    reject_customers: set[str] = field(default_factory=set)  # entries SQS refuses (every time)
    reject_once: set[str] = field(default_factory=set)  # entries SQS refuses the first time only

    def send_batch(self, messages: Sequence[OutreachMessage]) -> list[int]:
        assert len(messages) <= 10
        self.batches.append(len(messages))
        failed = []
        for position, message in enumerate(messages):
            if message.customer_id in self.reject_customers or message.customer_id in self.reject_once:
                self.reject_once.discard(message.customer_id)
                failed.append(position)
            else:
                self.sent.append(parse_outreach_message(message.body()))
        return failed

    def send_later(self, message: OutreachMessage, delay_seconds: int) -> None:
        assert 0 <= delay_seconds <= 900
        self.delayed.append((parse_outreach_message(message.body()), delay_seconds))

    def take(self) -> list[OutreachMessage]:
        taken, self.sent = self.sent, []
        return taken


@dataclass
class FakeChannel:
    name: str
    fail_with: str | None = None
    sent: list[OutreachInvitation] = field(default_factory=list)

    def send(self, invitation: OutreachInvitation) -> str:
        if self.fail_with:
            raise ChannelFailure(self.name, self.fail_with)
        self.sent.append(invitation)
        return f"{self.name}-{len(self.sent)}"


@dataclass
class World:
    """Every fake, wired into a planner, a sender and a responder on the shipped campaigns."""

    clock: Clock = field(default_factory=Clock)
    profiles: InMemoryProfiles = field(default_factory=InMemoryProfiles)
    store: InMemoryOutreachStore = field(default_factory=InMemoryOutreachStore)
    queue: InMemoryQueue = field(default_factory=InMemoryQueue)
    voice: FakeChannel = field(default_factory=lambda: FakeChannel("voice"))
    sms: FakeChannel = field(default_factory=lambda: FakeChannel("sms"))

    @property
    def planner(self) -> OutreachPlanner:
        return OutreachPlanner(policy=load_campaigns(), store=self.store, due_profiles=self.profiles.due,
                               queue=self.queue, clock=self.clock)

    @property
    def sender(self) -> OutreachSender:
        return OutreachSender(policy=load_campaigns(), store=self.store, caps=self.store, profiles=self.profiles.fresh,
                              channels={"voice": self.voice, "sms": self.sms}, queue=self.queue,
                              claim_expiry=claim_lease("outreach-sender"), clock=self.clock)

    @property
    def responder(self) -> OutreachResponder:
        return OutreachResponder(policy=load_campaigns(), store=self.store, opt_out=self.profiles.opt_out,
                                 clock=self.clock)

    def contacted(self) -> list[OutreachInvitation]:
        return [*self.voice.sent, *self.sms.sent]
