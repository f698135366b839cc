"""The ticket store on moto: optimistic locking, the profile's screen-pop entry, the sparse indexes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.common.ticket_overview import Status
from functions.profiles import store as profile_store
from functions.profiles.profile import CustomerProfile
from functions.tickets import store as store
from functions.tickets.service import TicketService
from functions.tickets.ticket import (
    AccessDenied,
    Actor,
    ActorKind,
    CustomerNotFound,
    InvalidChange,
    TicketNotFound,
    VersionConflict,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TEAMS = ("general", "billing", "support", "senior", "sales")
ANA = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
BEN = Actor("ben", ActorKind.AGENT, frozenset({"billing"}))
SUPPORT = Actor("sam", ActorKind.AGENT, frozenset({"support"}))


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(backend: Any, clock: Clock) -> TicketService:
    profile_store.save_profiles([
        CustomerProfile("C001", "+14155550101", "Ada Lovelace"),
        CustomerProfile("C002", "+14155550102", "Alan Turing"),
    ])
    return TicketService(TEAMS, clock=clock, sleep=lambda seconds: None)  # no real waits between note retries


def open_one(service: TicketService, customer: str = "C001", **fields: Any):
    values = dict(customer_id=customer, subject="Charged twice", category="billing", team="billing")
    values.update(fields)
    return service.create(ANA, **values).ticket


def test_a_new_ticket_is_stored_with_version_1_and_appears_on_the_profile(service: TicketService) -> None:
    ticket = open_one(service, priority=2)
    assert ticket.version == 1
    assert service.get(ANA, ticket.ticket_id) == ticket
    profile = profile_store.find_by_phone("+14155550101")
    assert profile is not None and profile.tickets.open_count == 1
    latest = profile.tickets.latest
    assert latest is not None and (latest.ticket_id, latest.status, latest.team) == (
        ticket.ticket_id, Status.OPEN, "billing")
    assert latest.sla_due_at == NOW + timedelta(hours=8)


def test_two_agents_updating_the_same_version_one_wins_one_conflicts_nothing_lost(service: TicketService) -> None:
    ticket = open_one(service)
    won = service.change_status(ANA, ticket.ticket_id, Status.IN_PROGRESS, expected_version=ticket.version,
                                note="looking at it")
    with pytest.raises(VersionConflict) as conflict:
        service.assign(BEN, ticket.ticket_id, "ben", expected_version=ticket.version)
    assert conflict.value.current == won.version == 2
    assert "nothing was written" in str(conflict.value)
    stored = service.get(ANA, ticket.ticket_id)
    assert stored.status is Status.IN_PROGRESS and stored.agent is None and stored.version == 2
    # Ben reads again and retries: both changes are now in the history.
    retried = service.assign(BEN, ticket.ticket_id, "ben", expected_version=stored.version)
    assert [e.action for e in retried.history] == ["created", "status", "assigned"]


def test_a_stale_write_racing_at_the_store_is_refused_by_dynamodb(service: TicketService) -> None:
    """Both writers passed the service's version check; the conditional write still lets one only."""
    from functions.tickets import ticket as domain

    ticket = open_one(service)
    first = domain.change_status(ticket, Status.IN_PROGRESS, actor=ANA, now=NOW)
    second = domain.change_status(ticket, Status.RESOLVED, actor=BEN, now=NOW)
    store.save_change(first)
    with pytest.raises(VersionConflict):
        store.save_change(second)
    assert store.get_ticket(ticket.ticket_id).status is Status.IN_PROGRESS
    assert profile_store.get_profile("C001").tickets.latest.status is Status.IN_PROGRESS


def test_concurrent_notes_are_both_kept(service: TicketService, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = open_one(service)
    real_get = store.get_ticket
    stale = {"left": 1}

    def get_then_race(ticket_id: str, **kwargs: Any):
        read = real_get(ticket_id, **kwargs)
        if stale["left"]:
            stale["left"] -= 1
            service.add_note(BEN, ticket_id, "ben's note")  # lands between our read and our write
        return read

    monkeypatch.setattr(store, "get_ticket", get_then_race)
    service.add_note(ANA, ticket.ticket_id, "ana's note")
    notes = [e.note for e in real_get(ticket.ticket_id).history if e.action == "note"]
    assert sorted(notes) == ["ana's note", "ben's note"]


def test_closing_removes_the_profile_entry_and_resolved_keeps_it(service: TicketService) -> None:
    ticket = open_one(service)
    resolved = service.change_status(ANA, ticket.ticket_id, Status.RESOLVED, ticket.version)
    overview = profile_store.get_profile("C001").tickets
    assert overview.open_count == 0 and overview.latest.status is Status.RESOLVED
    service.confirm_resolution(Actor("C001", ActorKind.CUSTOMER), ticket.ticket_id, fixed=True)
    assert profile_store.get_profile("C001").tickets.latest is None
    assert store.get_ticket(ticket.ticket_id).status is Status.CLOSED
    assert resolved.version == 2


def test_a_profile_stored_before_tickets_existed_gets_its_map(service: TicketService) -> None:
    table = profile_store.ProfileItem.Meta.table_name
    boto3.client("dynamodb").put_item(TableName=table, Item={
        "customer_id": {"S": "C003"}, "phone": {"S": "+14155550103"}, "name": {"S": "Grace"},
        "updated_at": {"S": "2026-01-01T00:00:00.000000+0000"}, "version": {"N": "4"}})
    ticket = open_one(service, customer="C003")
    profile = profile_store.get_profile("C003")
    assert profile is not None and profile.tickets.latest.ticket_id == ticket.ticket_id
    assert profile_store.ProfileItem.get("C003").version == 5  # the profile's lock moved on too


def test_unknown_customer_and_unknown_ticket_are_clear_errors(service: TicketService) -> None:
    with pytest.raises(CustomerNotFound, match="C999"):
        open_one(service, customer="C999")
    assert store.tickets_of_customer("C999") == []  # nothing half-written
    with pytest.raises(TicketNotFound):
        service.get(ANA, "TNOPE")


def test_a_retried_create_returns_the_first_ticket(service: TicketService) -> None:
    first = service.create(ANA, customer_id="C001", subject="Router", category="technical", team="support",
                           request_id="req-77")
    again = service.create(ANA, customer_id="C001", subject="Router", category="technical", team="support",
                           request_id="req-77")
    assert first.created and not again.created and again.ticket == first.ticket
    assert len(store.tickets_of_customer("C001")) == 1


def test_indexes_serve_customer_team_and_overdue_views(service: TicketService, clock: Clock) -> None:
    old = open_one(service, priority=1)  # due at 19:00
    clock.now = NOW + timedelta(hours=1)
    newer = open_one(service, priority=4)
    other = open_one(service, customer="C002", priority=2, team="support")  # due at 00:00 next day
    assert [t.ticket_id for t in service.customer_tickets(ANA, "C001")] == [newer.ticket_id, old.ticket_id]
    assert [t.ticket_id for t in service.team_queue(ANA, "billing")] == [old.ticket_id, newer.ticket_id]
    clock.now = NOW + timedelta(hours=4, minutes=30)
    assert [t.ticket_id for t in service.overdue(ANA)] == [old.ticket_id]
    clock.now = NOW + timedelta(days=1)
    assert [t.ticket_id for t in service.overdue(ANA)] == [old.ticket_id, other.ticket_id]
    service.change_status(ANA, old.ticket_id, Status.RESOLVED, expected_version=1)
    assert [t.ticket_id for t in service.overdue(ANA)] == [other.ticket_id]
    assert [t.ticket_id for t in service.customer_tickets(ANA, "C001")] == [newer.ticket_id]
    assert len(service.customer_tickets(ANA, "C001", include_closed=True)) == 2


def test_other_teams_cannot_change_or_see_restricted_tickets(service: TicketService) -> None:
    ticket = open_one(service, restricted=True)
    with pytest.raises(AccessDenied):
        service.get(SUPPORT, ticket.ticket_id)
    assert service.customer_tickets(SUPPORT, "C001") == []
    public = open_one(service)
    service.add_note(SUPPORT, public.ticket_id, "customer called support about it")  # notes: anyone who sees it
    with pytest.raises(AccessDenied, match="billing team or a supervisor"):
        service.change_status(SUPPORT, public.ticket_id, Status.IN_PROGRESS, expected_version=2)
    with pytest.raises(AccessDenied):
        service.confirm_resolution(Actor("C002", ActorKind.CUSTOMER), public.ticket_id, fixed=True)
    with pytest.raises(InvalidChange, match="not resolved"):
        service.confirm_resolution(Actor("C001", ActorKind.CUSTOMER), public.ticket_id, fixed=True)


def test_a_change_that_would_overfill_the_item_is_refused_before_it_is_sent(service: TicketService) -> None:
    from functions.tickets import ticket as domain
    from functions.tickets.ticket import TicketFull

    ticket = open_one(service)
    grown = ticket
    while store.item_size(store.to_item(grown)) <= store.MAX_TICKET_BYTES:
        grown = domain.add_note(grown, "\u4e2d" * 2000, actor=ANA, now=NOW)
    with pytest.raises(TicketFull, match="is full") as refused:
        store.save_change(grown)
    assert refused.value.size > refused.value.limit == store.MAX_TICKET_BYTES
    assert store.get_ticket(ticket.ticket_id) == ticket  # nothing written


def test_a_throttled_table_is_a_clear_store_error_and_nothing_is_written(service: TicketService) -> None:
    from callcenter.backend import DynamoDBTraffic
    from functions.tickets.ticket import TicketStoreUnavailable

    DynamoDBTraffic.throttle = True
    try:
        with pytest.raises(TicketStoreUnavailable):
            open_one(service)
    finally:
        DynamoDBTraffic.throttle = False
    assert store.tickets_of_customer("C001") == []
