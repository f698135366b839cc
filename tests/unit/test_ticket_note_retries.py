"""A note that loses the race for its ticket is re-applied after a growing, jittered wait; when it loses every
time, the refusal says what happened. Deterministic: a store double that reports N conflicts, a recorded
sleeper, fixed random draws. (Real interleaving of concurrent notes is the concurrency tests' business.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from msgspec.structs import replace

from functions.tickets import api
from functions.tickets import ticket as domain
from functions.tickets.service import (
    NOTE_ATTEMPTS,
    NOTE_BACKOFF_BASE_S,
    NOTE_BACKOFF_CAP_S,
    TicketService,
    note_backoff,
)
from functions.tickets.ticket import Actor, ActorKind, NoteConflict, Ticket, VersionConflict
from tests.conftest import load_event

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ANA = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
TEAMS = ("billing", "support")


class ContendedStore:
    """A ticket store on which `conflicts` other writers get in first: each of our first `conflicts` writes finds
    the ticket one version further on (as DynamoDB's conditional write would), then the ticket is quiet."""

    NOTE_LIMIT_BYTES = 320 * 1024

    def __init__(self, ticket: Ticket, conflicts: int) -> None:
        self.ticket = ticket
        self.conflicts_left = conflicts
        self.reads = 0
        self.writes: list[Ticket] = []

    def get_ticket(self, ticket_id: str, *, consistent: bool = True) -> Ticket:
        self.reads += 1
        return self.ticket

    def save_change(self, ticket: Ticket, *, max_bytes: int = 0) -> Ticket:
        assert max_bytes == self.NOTE_LIMIT_BYTES  # a note is held to the notes' share of the item
        if ticket.version != self.ticket.version:
            raise VersionConflict(ticket.ticket_id, ticket.version, self.ticket.version)
        if self.conflicts_left:  # somebody else's change lands first
            self.conflicts_left -= 1
            self.ticket = replace(self.ticket, version=self.ticket.version + 1)
            raise VersionConflict(ticket.ticket_id, ticket.version, self.ticket.version)
        self.ticket = replace(ticket, version=ticket.version + 1)
        self.writes.append(self.ticket)
        return self.ticket


class Waits(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def contended(conflicts: int, draw: float = 1.0) -> tuple[TicketService, ContendedStore, Waits]:
    opened = domain.open_ticket(customer_id="C001", subject="Charged twice", category="billing", team="billing",
                                actor=ANA, now=NOW)
    store = ContendedStore(replace(opened, version=1), conflicts)
    waits = Waits()
    return TicketService(TEAMS, clock=lambda: NOW, sleep=waits, uniform=lambda: draw, store=store), store, waits


def test_the_waits_grow_exponentially_up_to_the_cap_and_are_jittered_below_it() -> None:
    ceilings = [note_backoff(attempt, lambda: 1.0) for attempt in range(1, NOTE_ATTEMPTS)]
    assert ceilings[:5] == [NOTE_BACKOFF_BASE_S * 2 ** n for n in range(5)]
    assert max(ceilings) == NOTE_BACKOFF_CAP_S == ceilings[-1]
    assert note_backoff(3, lambda: 0.25) == pytest.approx(0.25 * NOTE_BACKOFF_BASE_S * 4)
    assert note_backoff(3, lambda: 0.0) == 0.0  # full jitter: anywhere from no wait to the ceiling
    assert sum(ceilings) == pytest.approx(5.55)  # at most: the API function (10 s) keeps time for its requests


@pytest.mark.parametrize("conflicts", [1, 2, 5, NOTE_ATTEMPTS - 1])
def test_a_note_that_loses_races_is_reapplied_after_a_growing_wait(conflicts: int) -> None:
    # Given a ticket that `conflicts` other writers change first
    service, store, waits = contended(conflicts, draw=0.5)
    # When Ana adds a note
    stored = service.add_note(ANA, store.ticket.ticket_id, "called the bank")
    # Then the note is kept, once, on the ticket as it finally was, after one wait per lost race
    assert [e.note for e in stored.history if e.action == "note"] == ["called the bank"]
    assert len(store.writes) == 1 and store.reads == conflicts + 1
    assert stored.version == conflicts + 2
    assert waits == [0.5 * note_backoff(attempt, lambda: 1.0) for attempt in range(1, conflicts + 1)]


def test_a_note_that_loses_every_race_is_a_conflict_that_quotes_no_version_it_was_not_sent() -> None:
    service, store, waits = contended(NOTE_ATTEMPTS)
    with pytest.raises(NoteConflict) as refused:
        service.add_note(ANA, store.ticket.ticket_id, "called the bank")
    message = str(refused.value)
    assert f"on each of {NOTE_ATTEMPTS} attempts" in message and "nothing was written" in message
    assert "you sent version" not in message
    assert refused.value.current == store.ticket.version == 1 + NOTE_ATTEMPTS
    assert store.writes == [] and len(waits) == NOTE_ATTEMPTS - 1  # no wait after the last attempt


def test_the_api_answers_a_lost_note_with_a_409_that_says_what_happened(monkeypatch: pytest.MonkeyPatch) -> None:
    class LosingService:
        def add_note(self, *args: object, **kwargs: object) -> Ticket:
            raise NoteConflict("T261123A1B2C3", NOTE_ATTEMPTS, 12)

    monkeypatch.setattr(api, "_service", LosingService)
    event = load_event("tickets/api_get_ticket")
    event.update(httpMethod="POST", resource="/tickets/{ticket_id}/notes", path="/tickets/T261123A1B2C3/notes",
                 body=json.dumps({"text": "called the bank"}))
    response = api.app.resolve(event, None)
    body = json.loads(response["body"])
    assert (response["statusCode"], body["error"], body["current_version"]) == (409, "version_conflict", 12)
    assert "send the note again" in body["message"] and "you sent version" not in body["message"]
