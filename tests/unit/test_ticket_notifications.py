"""Progress updates, the domain: which events a stored write yields, what is said, by which channel, when,
and the notifier's once-per-change claims (with in-memory store, channels and queue)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from msgspec.structs import replace

from functions.common.claims import ClaimHeld
from functions.common.outbound import ChannelFailure
from functions.common.ticket_overview import STATUS_PHRASES, Status
from functions.manifest import QUEUES, claim_lease
from functions.profiles.profile import CustomerProfile
from functions.tickets import ticket as domain
from functions.tickets.notifications import (
    Message,
    Reason,
    Verdict,
    choose_channel,
    compose,
    decide_notification,
    load_notification_settings,
)
from functions.tickets.notifier import (
    NotificationFailed,
    NotificationRecord,
    NotificationStatus,
    Outcome,
    TicketNotifier,
)
from functions.tickets.status_changes import (
    TICKET_STATUS_CHANGED,
    MalformedNotification,
    StatusChange,
    parse_notification_request,
    status_change_events,
    verified_change,
)
from functions.tickets.ticket import Actor, ActorKind

SETTINGS = load_notification_settings()
AGENT = Actor("agent-1", ActorKind.AGENT, frozenset({"support"}))
CUSTOMER = Actor("cust-ada", ActorKind.CUSTOMER)
AFTERNOON = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # 11:00 in Los Angeles
NIGHT = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 22:00 in Los Angeles
LA_MORNING = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles
VISIBILITY_TIMEOUT = timedelta(seconds=QUEUES["ticket-notifications"].visibility_timeout_seconds)

ADA = CustomerProfile("cust-ada", "+14155550100", "Ada Lovelace", time_zone="America/Los_Angeles",
                      consent_sms=True, email="ada@example.com")


def opened(now: datetime = AFTERNOON) -> domain.Ticket:
    return replace(domain.open_ticket(customer_id="cust-ada", subject="Router drops calls", category="technical",
                                      team="support", actor=AGENT, now=now), version=1)


def change(to: Status = Status.IN_PROGRESS, at: datetime = AFTERNOON, changed_by: str = "agent",
           seq: int = 2) -> StatusChange:
    return StatusChange("T261124ABCDEF", "cust-ada", seq, Status.OPEN, to, "support", "Router drops calls", at,
                        changed_by)


def envelope(c: StatusChange) -> dict[str, Any]:
    return {"version": "0", "id": "e1", "detail-type": TICKET_STATUS_CHANGED, "source": "callcenter",
            "time": c.at.isoformat(), "region": "us-east-1", "resources": [],
            "detail": {"data": c.data(), "metadata": {"name": TICKET_STATUS_CHANGED, "version": "1",
                                                      "source": "callcenter", "correlation_id": c.key,
                                                      "time": c.at.isoformat()}}}


# --- the events of a stored write ------------------------------------------------------------------------

def test_creating_a_ticket_announces_the_change_to_open():
    ticket = opened()
    [event] = status_change_events(None, ticket)
    assert event.name == TICKET_STATUS_CHANGED
    assert event.correlation_id == f"{ticket.ticket_id}#1"
    assert event.data == {"ticket_id": ticket.ticket_id, "customer_id": "cust-ada", "seq": 1, "from_status": None,
                          "to_status": "open", "team": "support", "subject": "Router drops calls",
                          "at": AFTERNOON.isoformat(), "changed_by": "agent"}


def test_only_the_new_entries_that_change_the_status_are_announced():
    old = opened()
    later = AFTERNOON + timedelta(minutes=5)
    noted = domain.add_note(old, "called the customer", actor=AGENT, now=later)
    assigned = domain.assign(noted, "agent-2", actor=AGENT, now=later)
    assert status_change_events(old, noted) == [] and status_change_events(noted, assigned) == []
    escalated = domain.escalate(assigned, "billing", actor=AGENT, now=later, reason="refund needed")
    [event] = status_change_events(assigned, escalated)
    assert (event.data["seq"], event.data["from_status"], event.data["to_status"], event.data["team"]) == (
        4, "open", "escalated", "billing")


def test_a_write_seen_after_a_missed_one_announces_both_changes():
    old = opened()
    working = domain.change_status(old, Status.IN_PROGRESS, actor=AGENT, now=AFTERNOON)
    resolved = domain.change_status(working, Status.RESOLVED, actor=AGENT, now=AFTERNOON)
    assert [e.data["to_status"] for e in status_change_events(old, resolved)] == ["in_progress", "resolved"]


# --- what is said ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_message_with_the_ticket_id_and_its_phrase(status):
    message = compose(change(status), ADA, SETTINGS)
    assert "T261124ABCDEF" in message.body and STATUS_PHRASES[status] in message.body
    assert message.body.startswith("Hello Ada,") and "T261124ABCDEF" in message.subject


def test_a_resolved_ticket_asks_the_customer_to_confirm_in_the_ivr():
    message = compose(change(Status.RESOLVED), ADA, SETTINGS)
    assert f"press {SETTINGS.confirm_key} to confirm" in message.body
    assert "not fixed" in message.body and "please confirm" in message.subject


def test_a_long_subject_is_shortened():
    long = replace(change(), subject="x" * 300)
    assert len(compose(long, ADA, SETTINGS).body) < 250


# --- channel and timing ----------------------------------------------------------------------------------

BOTH = ("sms", "email")


@pytest.mark.parametrize(("profile_changes", "enabled", "expected"), [
    ({"preferred_channel": "sms"}, BOTH, ("sms", "+14155550100")),
    ({"preferred_channel": "email"}, BOTH, ("email", "ada@example.com")),
    ({"preferred_channel": "voice"}, BOTH, ("sms", "+14155550100")),  # updates are never calls
    ({"preferred_channel": "sms", "consent_sms": False}, BOTH, ("email", "ada@example.com")),
    ({"preferred_channel": "email", "email": None}, BOTH, ("sms", "+14155550100")),
    ({"preferred_channel": "sms"}, ("email",), ("email", "ada@example.com")),  # SMS disabled
    ({"consent_sms": False, "email": None}, BOTH, None),
    ({"phone": "+1415555", "email": None}, BOTH, None),  # no valid number
])
def test_the_channel_is_the_preferred_usable_one_else_the_other(profile_changes, enabled, expected):
    assert choose_channel(replace(ADA, **profile_changes), enabled) == expected


def test_a_change_at_night_is_delayed_to_the_end_of_the_customers_quiet_hours():
    decision = decide_notification(change(at=NIGHT), ADA, NIGHT, SETTINGS, BOTH)
    assert (decision.verdict, decision.reason, decision.not_before) == (Verdict.DELAY, Reason.QUIET_HOURS, LA_MORNING)
    assert decide_notification(change(), ADA, AFTERNOON, SETTINGS, BOTH).verdict is Verdict.SEND


@pytest.mark.parametrize(("the_change", "profile", "reason"), [
    (change(changed_by="customer"), ADA, Reason.CHANGED_BY_CUSTOMER),
    (change(at=AFTERNOON - timedelta(days=4)), ADA, Reason.STALE),
    (change(), None, Reason.UNKNOWN_CUSTOMER),
    (change(), replace(ADA, opted_out=True), Reason.OPTED_OUT),
    (change(), replace(ADA, consent_sms=False, email=None), Reason.NO_CHANNEL),
])
def test_changes_that_are_not_told_say_why(the_change, profile, reason):
    decision = decide_notification(the_change, profile, AFTERNOON, SETTINGS, BOTH)
    assert (decision.verdict, decision.reason) == (Verdict.SKIP, reason)


def test_statuses_that_are_not_configured_are_not_told():
    settings = msgspec.structs.replace(SETTINGS, notify_on=frozenset({Status.RESOLVED}))
    assert decide_notification(change(), ADA, AFTERNOON, settings, BOTH).reason is Reason.NOT_NOTIFIED_STATUS


# --- parsing ---------------------------------------------------------------------------------------------

def test_the_eventbridge_envelope_and_a_delayed_message_both_parse():
    c = change()
    request = parse_notification_request(json.dumps(envelope(c)))
    assert request.change == c and request.not_before is None
    delayed = {"kind": "delayed-ticket-notification", "not_before": LA_MORNING.isoformat(), "event": envelope(c)}
    assert parse_notification_request(json.dumps(delayed)).not_before == LA_MORNING


@pytest.mark.parametrize("body", [
    "{not json", "[]", json.dumps({"detail-type": "Other", "detail": {}}),
    json.dumps({"detail-type": TICKET_STATUS_CHANGED, "detail": {"data": {"ticket_id": "T1"}}}),
    json.dumps({"kind": "delayed-ticket-notification", "not_before": "soon", "event": {}}),
    json.dumps({"kind": "something-else"}),
])
def test_anything_else_is_malformed_without_quoting_the_input(body):
    with pytest.raises(MalformedNotification) as raised:
        parse_notification_request(body)
    assert "Router" not in str(raised.value)


# --- the notifier with fakes -----------------------------------------------------------------------------

@dataclass
class MemoryStore:
    records: dict[tuple[str, int], NotificationRecord] = field(default_factory=dict)

    def get(self, ticket_id: str, seq: int) -> NotificationRecord | None:
        return self.records.get((ticket_id, seq))

    def create(self, record: NotificationRecord) -> NotificationRecord | None:
        if (record.ticket_id, record.seq) in self.records:
            return None
        self.records[(record.ticket_id, record.seq)] = stored = replace(record, version=1)
        return stored

    def replace(self, record: NotificationRecord, expected: NotificationRecord) -> NotificationRecord | None:
        if self.records.get((record.ticket_id, record.seq)) != expected:
            return None
        self.records[(record.ticket_id, record.seq)] = stored = replace(record, version=(expected.version or 0) + 1)
        return stored


@dataclass
class FakeChannel:
    failing: bool = False
    sent: list[tuple[str, Message]] = field(default_factory=list)

    def send(self, destination: str, message: Message, change: StatusChange) -> str:
        if self.failing:
            raise ChannelFailure("sms", "InternalServiceException")
        self.sent.append((destination, message))
        return f"m-{len(self.sent)}"


@dataclass
class FakeQueue:
    later: list[tuple[str, int]] = field(default_factory=list)

    def send_later(self, body: str, delay_seconds: int) -> None:
        self.later.append((body, delay_seconds))


@pytest.fixture
def parts() -> tuple[MemoryStore, FakeChannel, FakeQueue]:
    return MemoryStore(), FakeChannel(), FakeQueue()


def as_stored(c: StatusChange) -> StatusChange:
    """The tickets table has every change these tests send (verified_change is tested on its own below)."""
    return c


def notifier(parts, at: datetime, changes=as_stored) -> TicketNotifier:
    store, sms, queue = parts
    return TicketNotifier(settings=SETTINGS, store=store, profiles={"cust-ada": ADA}.get, changes=changes,
                          channels={"sms": sms}, queue=queue, claim_expiry=claim_lease("ticket-notifier"),
                          clock=lambda: at)


def test_the_same_change_delivered_three_times_is_sent_once(parts):
    request = parse_notification_request(json.dumps(envelope(change())))
    outcomes = [notifier(parts, AFTERNOON).notify(request).outcome for _ in range(3)]
    assert outcomes == [Outcome.SENT, Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert len(parts[1].sent) == 1
    assert parts[0].records[("T261124ABCDEF", 2)].status is NotificationStatus.SENT


def test_a_failed_channel_releases_the_claim_and_the_redelivery_sends(parts):
    request = parse_notification_request(json.dumps(envelope(change())))
    parts[1].failing = True
    with pytest.raises(NotificationFailed):
        notifier(parts, AFTERNOON).notify(request)
    assert parts[0].records[("T261124ABCDEF", 2)].status is NotificationStatus.FAILED
    parts[1].failing = False
    assert notifier(parts, AFTERNOON).notify(request).outcome is Outcome.SENT
    assert parts[0].records[("T261124ABCDEF", 2)].attempts == 2


def test_at_night_the_message_goes_back_in_15_minute_hops_and_is_sent_in_the_morning(parts):
    _store, sms, queue = parts
    request = parse_notification_request(json.dumps(envelope(change(at=NIGHT))))
    assert notifier(parts, NIGHT).notify(request).outcome is Outcome.DELAYED
    [(body, delay)] = queue.later
    assert delay == 900 and sms.sent == []
    assert notifier(parts, NIGHT).notify(request).outcome is Outcome.DUPLICATE  # a copy of the event: held
    early = parse_notification_request(body)
    assert notifier(parts, NIGHT + timedelta(minutes=15)).notify(early).outcome is Outcome.REDELAYED
    assert notifier(parts, LA_MORNING).notify(early).outcome is Outcome.SENT
    assert len(sms.sent) == 1


def test_a_claim_left_by_a_crashed_notifier_is_retried_while_young_and_taken_over_when_its_message_returns(parts):
    # Given a notifier received the message at AFTERNOON, claimed the change 2 s later and died mid-send
    store = parts[0]
    c = change()
    store.create(NotificationRecord(c.ticket_id, c.seq, c.customer_id, c.to_status.value, NotificationStatus.SENDING,
                                    AFTERNOON, AFTERNOON + timedelta(seconds=2), channel="sms"))
    request = parse_notification_request(json.dumps(envelope(c)))
    # When a copy comes while the claim is young: kept for later (an error), not deleted as a duplicate
    with pytest.raises(ClaimHeld):
        notifier(parts, AFTERNOON + timedelta(seconds=30)).notify(request)
    # When the message comes back exactly one visibility timeout after its receive: taken over and sent
    result = notifier(parts, AFTERNOON + VISIBILITY_TIMEOUT).notify(request)
    assert (result.outcome, result.stale_claim) == (Outcome.SENT, True)
    assert len(parts[1].sent) == 1 and store.records[(c.ticket_id, c.seq)].status is NotificationStatus.SENT




# --- only changes the tickets table has ----------------------------------------------------------------

def test_an_event_is_told_only_as_the_tickets_table_has_it():
    # Given Ada's ticket, opened and then put in progress (seq 2)
    ticket = domain.change_status(opened(), Status.IN_PROGRESS, actor=AGENT, now=AFTERNOON)
    genuine = replace(change(), ticket_id=ticket.ticket_id)
    # Then the genuine change is the stored one, and what is said comes from the table, not the event
    assert verified_change(ticket, genuine) == genuine
    assert verified_change(ticket, replace(genuine, subject="Pay the fine at evil.example")).subject == \
        "Router drops calls"
    # And a change the table does not have is refused: another customer, status, seq, ticket, or a note's seq
    assert verified_change(ticket, replace(genuine, customer_id="cust-grace")) is None
    assert verified_change(ticket, replace(genuine, to_status=Status.RESOLVED)) is None
    assert verified_change(ticket, replace(genuine, seq=3)) is None
    assert verified_change(None, genuine) is None
    noted = domain.add_note(ticket, "called back", actor=AGENT, now=AFTERNOON)
    assert verified_change(noted, replace(genuine, seq=3)) is None


def test_a_forged_event_sends_nothing_and_leaves_no_record_to_block_the_genuine_change(parts):
    store, sms, _queue = parts
    forged = parse_notification_request(json.dumps(envelope(change(Status.RESOLVED))))
    result = notifier(parts, AFTERNOON, changes=lambda c: None).notify(forged)
    assert result.outcome is Outcome.REJECTED
    assert sms.sent == [] and store.records == {}
    # When the genuine change with that seq comes, it is told
    genuine = parse_notification_request(json.dumps(envelope(change())))
    assert notifier(parts, AFTERNOON).notify(genuine).outcome is Outcome.SENT


def test_the_message_says_what_the_table_says_not_what_the_event_says(parts):
    claimed = replace(change(), subject="Send 100 USD to evil.example")
    request = parse_notification_request(json.dumps(envelope(claimed)))
    notifier(parts, AFTERNOON, changes=lambda c: replace(c, subject="Router drops calls")).notify(request)
    [(_number, message)] = parts[1].sent
    assert "Router drops calls" in message.body and "evil" not in message.body
