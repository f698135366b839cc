"""Concurrent writers against a DynamoDB that serializes requests (conftest.serial_dynamodb), over many rounds.

Each round starts several real clients (threads, or processes for the API's Lambda handler, whose resolver
keeps the current event in a module global), lets them all read the same state, releases them together at a
barrier, and has them write: the store's conditional writes must leave exactly one winner per version and
lose nothing. The last tests remove the condition and show the same rounds then lose updates: the fixture
can see the failure these tests guard against.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from msgspec.structs import replace

from functions.profiles import store as profile_store
from functions.profiles.profile import CustomerProfile
from functions.surveys import store as survey_store
from functions.surveys.record import SurveyRecord, SurveyStatus
from functions.surveys.store import SurveyItem
from functions.tickets import store as ticket_store
from functions.tickets import ticket as domain
from functions.tickets.service import TicketService
from functions.tickets.store import TicketItem
from functions.tickets.ticket import Actor, ActorKind, VersionConflict

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TEAMS = ("general", "billing", "support", "senior", "sales")
ANA = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
WRITERS = 8
ROUNDS = 10
T = TypeVar("T")


def race(writers: int, read: Callable[[int], T], write: Callable[[int, T], Any]) -> list[Any]:
    """Each writer reads, all wait for each other, then all write at once; each writer's result or exception."""
    barrier = threading.Barrier(writers)

    def one(i: int) -> Any:
        seen = read(i)
        barrier.wait(timeout=30)
        try:
            return write(i, seen)
        except VersionConflict as exc:
            return exc

    with ThreadPoolExecutor(max_workers=writers) as pool:
        return list(pool.map(one, range(writers)))


@pytest.fixture
def service(serial_dynamodb: str) -> TicketService:
    profile_store.save_profiles([CustomerProfile("C001", "+14155550101", "Ada Lovelace")])
    return TicketService(TEAMS, clock=lambda: NOW)


def open_ticket(service: TicketService) -> domain.Ticket:
    return service.create(ANA, customer_id="C001", subject="Charged twice", category="billing",
                          team="billing").ticket


def notes_of(ticket_id: str) -> list[str]:
    return [e.note or "" for e in ticket_store.get_ticket(ticket_id).history if e.action == "note"]


# --- tickets: the store's versioned writes ---------------------------------------------------------------

def versioned_rounds(service: TicketService) -> Iterator[tuple[int, list[Any], list[str]]]:
    """Per round: the version all writers read, what each write returned, the notes stored after it."""
    ticket = open_ticket(service)
    for round_ in range(ROUNDS):
        def read(_: int) -> domain.Ticket:
            return ticket_store.get_ticket(ticket.ticket_id)

        def write(i: int, seen: domain.Ticket, round_: int = round_) -> domain.Ticket:
            return ticket_store.save_change(domain.add_note(seen, f"r{round_}-w{i}", actor=ANA, now=NOW))

        before = ticket_store.get_ticket(ticket.ticket_id).version
        results = race(WRITERS, read, write)
        yield before, results, notes_of(ticket.ticket_id)


def test_of_writers_racing_from_the_same_version_exactly_one_wins_each_round_and_its_note_is_kept(service):
    stored_notes: list[str] = []
    for version, results, notes in versioned_rounds(service):
        winners = [r for r in results if isinstance(r, domain.Ticket)]
        assert len(winners) == 1, f"version {version}: {len(winners)} winners"
        assert all(isinstance(r, VersionConflict) for r in results if r is not winners[0])
        assert winners[0].version == version + 1
        [winner_note] = [e.note for e in winners[0].history if e.action == "note"][-1:]
        stored_notes.append(winner_note or "")
        assert notes == stored_notes  # the winner's note is stored, no loser's, none of earlier rounds lost


def test_notes_added_at_once_are_all_kept_or_their_writer_is_told(service):
    # Notes retry on a conflict (NOTE_ATTEMPTS): a note is either stored or its writer got VersionConflict
    ticket = open_ticket(service)
    told_stored: list[str] = []
    for round_ in range(ROUNDS // 2):
        results = race(4, lambda _: None, lambda i, _, r=round_: service.add_note(ANA, ticket.ticket_id, f"r{r}-w{i}"))
        told_stored += [f"r{round_}-w{i}" for i, result in enumerate(results) if isinstance(result, domain.Ticket)]
        stored = notes_of(ticket.ticket_id)
        assert sorted(stored) == sorted(told_stored)  # no note lost, none stored that its writer was refused
        assert len(stored) == len(set(stored))
    assert len(told_stored) >= ROUNDS // 2  # at least one writer per round gets through


# --- claims: the conditional create and replace every consumer's claim rests on ----------------------------

def claim_rounds(run: str) -> Iterator[tuple[list[Any], list[Any]]]:
    for round_ in range(ROUNDS):
        contact = f"{run}-contact-{round_}"
        first = SurveyRecord(contact, SurveyStatus.DELAYED, NOW, NOW, customer_id="cust-ada")
        created = race(WRITERS, lambda _: None,
                       lambda i, _, first=first: survey_store.create_survey(replace(first, channel=f"w{i}")))
        stored = survey_store.get_survey(contact)
        assert stored is not None

        def take(i: int, seen: SurveyRecord) -> SurveyRecord | None:
            claim = replace(seen, status=SurveyStatus.DISPATCHING, channel=f"w{i}",
                            updated_at=NOW + timedelta(seconds=1))
            return survey_store.replace_survey(claim, seen)

        replaced = race(WRITERS, lambda _, c=contact: survey_store.get_survey(c), take)
        yield created, replaced


def test_of_deliveries_claiming_the_same_record_at_once_exactly_one_wins_each_round(serial_dynamodb):
    for round_, (created, replaced) in enumerate(claim_rounds("together")):
        assert sum(r is not None for r in created) == 1, f"round {round_}: create"
        assert sum(r is not None for r in replaced) == 1, f"round {round_}: replace"
        [winner] = [r for r in replaced if r is not None]
        stored = survey_store.get_survey(f"together-contact-{round_}")
        assert stored is not None and (stored.status, stored.channel) == (SurveyStatus.DISPATCHING, winner.channel)


# --- the API: agents' requests in Lambda handlers of their own ---------------------------------------------

_api_handler: Any = None


def _api_worker_start(environ: dict[str, str], endpoint: str) -> None:
    """A fresh process, as one Lambda execution environment: our env, the models pointed at the server."""
    global _api_handler
    os.environ.update(environ)
    from functions.manifest import FUNCTIONS
    from functions.profiles.store import ProfileItem

    for model in (TicketItem, ProfileItem):
        model.Meta.host = endpoint
        model._connection = None
    _api_handler = FUNCTIONS["ticket-api"].load_handler()


def _api_change(ticket_id: str, agent: str, expected_version: int, barrier: Any) -> int:
    from callcenter.backend import LocalLambdaContext
    from tests.integration.test_ticket_api import TicketApi

    event = TicketApi.event("POST", "/tickets/{ticket_id}/assign", {"agent": agent, "expected_version":
                                                                     expected_version}, agent=agent,
                            ticket_id=ticket_id)
    context = LocalLambdaContext("ticket-api", "arn:aws:lambda:us-east-1:123456789012:function:ticket-api", 512, 10)
    barrier.wait(timeout=60)
    return int(_api_handler(event, context)["statusCode"])


def test_agents_changing_the_same_version_through_the_api_get_one_200_and_409s(service, serial_dynamodb):
    ticket = open_ticket(service)
    environ = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "POWERTOOLS_")) or k.endswith("_NAME")}
    environ.update(POWERTOOLS_SERVICE_NAME="ticket-api", POWERTOOLS_METRICS_DISABLED="true",
                   POWERTOOLS_LOG_LEVEL="ERROR")
    context = multiprocessing.get_context("spawn")
    agents = 4
    barrier = context.Manager().Barrier(agents)
    with ProcessPoolExecutor(agents, mp_context=context, initializer=_api_worker_start,
                             initargs=(environ, serial_dynamodb)) as pool:
        for round_ in range(ROUNDS // 2):
            version = ticket_store.get_ticket(ticket.ticket_id).version
            futures: list[Future[int]] = [pool.submit(_api_change, ticket.ticket_id, f"agent-{round_}-{i}", version,
                                                      barrier) for i in range(agents)]
            statuses = sorted(f.result(timeout=120) for f in futures)
            assert statuses == [200] + [409] * (agents - 1), f"round {round_}: {statuses}"
            stored = ticket_store.get_ticket(ticket.ticket_id)
            assert stored.version == version + 1 and stored.agent is not None
            assert stored.agent.startswith(f"agent-{round_}-")


# --- the fixture can fail: the same rounds without the store's condition -----------------------------------

def test_without_the_version_condition_the_same_rounds_lose_notes(service, monkeypatch):
    # Given the ticket store writing last-write-wins (its optimistic lock's condition removed)
    unconditional = TicketItem._get_save_args
    monkeypatch.setattr(TicketItem, "_get_save_args", lambda self, condition=None, **_: unconditional(
        self, None, add_version_condition=False))
    # When writers race as above, Then several "win" the same version and the stored notes miss theirs
    _version, results, notes = next(versioned_rounds(service))
    told_stored = [r for r in results if isinstance(r, domain.Ticket)]
    assert len(told_stored) > 1
    assert len(notes) < len(told_stored)  # lost updates: writers told "stored" whose note is gone


def test_without_the_claim_condition_several_deliveries_win_the_same_claim(serial_dynamodb, monkeypatch):
    unconditional = SurveyItem._get_save_args
    monkeypatch.setattr(SurveyItem, "_get_save_args", lambda self, condition=None, **_: unconditional(
        self, None, add_version_condition=False))
    created, replaced = next(claim_rounds("unconditional"))
    assert sum(r is not None for r in created) > 1 and sum(r is not None for r in replaced) > 1

