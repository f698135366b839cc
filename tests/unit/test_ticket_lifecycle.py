"""The ticket lifecycle: every allowed and every forbidden transition, SLA, history, access. No AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise, product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.common.ticket_overview import OPEN_STATUSES, Status, overview_from
from functions.tickets import ticket as domain
from functions.tickets.ticket import TRANSITIONS, AccessDenied, Actor, ActorKind, InvalidChange, TransitionNotAllowed

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
AGENT = Actor("ana", ActorKind.AGENT, frozenset({"billing"}))
TEAMS = ("general", "billing", "support", "senior", "sales")


def new(**overrides):
    fields = dict(customer_id="C001", subject="Double charge", category="billing", team="billing", actor=AGENT,
                  now=NOW, known_teams=TEAMS)
    fields.update(overrides)
    return domain.open_ticket(**fields)


def at_status(status: Status):
    """A ticket brought to `status` through allowed transitions only."""
    paths = {
        Status.OPEN: [],
        Status.IN_PROGRESS: [Status.IN_PROGRESS],
        Status.WAITING_ON_CUSTOMER: [Status.WAITING_ON_CUSTOMER],
        Status.ESCALATED: [Status.ESCALATED],
        Status.RESOLVED: [Status.RESOLVED],
        Status.CLOSED: [Status.CLOSED],
    }
    ticket = new()
    for step in paths[status]:
        ticket = domain.change_status(ticket, step, actor=AGENT, now=NOW)
    return ticket


@pytest.mark.parametrize(("current", "requested"), list(product(Status, Status)))
def test_every_transition_is_allowed_or_refused_as_the_table_says(current: Status, requested: Status) -> None:
    ticket = at_status(current)
    if requested in TRANSITIONS[current]:
        changed = domain.change_status(ticket, requested, actor=AGENT, now=NOW + timedelta(minutes=1))
        assert changed.status is requested
        assert changed.history[-1].from_status is current and changed.history[-1].to_status is requested
        assert changed.history[-1].seq == ticket.last_seq + 1
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            domain.change_status(ticket, requested, actor=AGENT, now=NOW)
        assert current.value in str(refused.value) and requested.value in str(refused.value)


def test_the_transition_table_matches_the_product_rules() -> None:
    assert TRANSITIONS[Status.CLOSED] == frozenset()  # closed is final
    assert TRANSITIONS[Status.RESOLVED] == {Status.CLOSED, Status.IN_PROGRESS}  # confirm or reopen
    assert all(status not in TRANSITIONS[status] for status in Status)  # no change without a change
    assert Status.OPEN not in set().union(*TRANSITIONS.values())  # nothing goes back to "open"
    assert {Status.OPEN, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER, Status.ESCALATED} == OPEN_STATUSES


def test_sla_due_time_follows_priority_and_is_recomputed_when_it_changes() -> None:
    ticket = new(priority=4)
    assert ticket.sla_due_at == NOW + timedelta(hours=72)
    urgent = domain.change_priority(ticket, 1, actor=AGENT, now=NOW + timedelta(hours=1))
    assert urgent.sla_due_at == NOW + timedelta(hours=4)
    assert not urgent.overdue(NOW + timedelta(hours=3, minutes=59))
    assert urgent.overdue(NOW + timedelta(hours=4))
    resolved = domain.change_status(urgent, Status.RESOLVED, actor=AGENT, now=NOW + timedelta(hours=2))
    assert not resolved.overdue(NOW + timedelta(days=9))  # only open tickets can be late


def test_escalation_moves_team_clears_agent_and_may_only_raise_priority() -> None:
    ticket = domain.assign(new(priority=3), "ana", actor=AGENT, now=NOW)
    escalated = domain.escalate(ticket, "senior", actor=AGENT, now=NOW, reason="second complaint", priority=2,
                                known_teams=TEAMS)
    assert (escalated.status, escalated.team, escalated.agent, escalated.priority) == (
        Status.ESCALATED, "senior", None, 2)
    again = domain.escalate(escalated, "support", actor=AGENT, now=NOW, reason="needs an engineer",
                            known_teams=TEAMS)
    assert again.team == "support" and again.status is Status.ESCALATED
    assert not again.history[-1].changes_status  # escalated -> escalated: a team change, no status change
    with pytest.raises(InvalidChange, match="lower"):
        domain.escalate(escalated, "billing", actor=AGENT, now=NOW, reason="x", priority=4, known_teams=TEAMS)
    with pytest.raises(InvalidChange, match="already with"):
        domain.escalate(escalated, "senior", actor=AGENT, now=NOW, reason="x", known_teams=TEAMS)
    with pytest.raises(InvalidChange, match="unknown team"):
        domain.escalate(ticket, "nowhere", actor=AGENT, now=NOW, reason="x", known_teams=TEAMS)
    with pytest.raises(InvalidChange, match="reason"):
        domain.escalate(ticket, "senior", actor=AGENT, now=NOW, reason="  ", known_teams=TEAMS)
    resolved = domain.change_status(ticket, Status.RESOLVED, actor=AGENT, now=NOW)
    with pytest.raises(TransitionNotAllowed):
        domain.escalate(resolved, "senior", actor=AGENT, now=NOW, reason="x", known_teams=TEAMS)


def test_history_is_append_only_with_who_when_what() -> None:
    ticket = new(note="customer charged twice", contact_id="contact-1")
    later = NOW + timedelta(minutes=5)
    noted = domain.add_note(ticket, "refund requested", actor=AGENT, now=later, contact_id="contact-2")
    assert noted.history[: len(ticket.history)] == ticket.history
    last = noted.history[-1]
    assert (last.seq, last.at, last.actor, last.action) == (2, later, "agent:ana", "note")
    assert last.note == "refund requested"
    assert noted.contact_ids == ("contact-1", "contact-2")
    assert ticket.history[0].action == "created" and ticket.history[0].to_status is Status.OPEN


@pytest.mark.parametrize(("field", "value", "message"), [
    ("subject", "  ", "subject"),
    ("subject", "x" * 201, "subject"),
    ("category", "weather", "category"),
    ("priority", 0, "priority"),
    ("priority", 5, "priority"),
    ("team", "nowhere", "unknown team"),
])
def test_a_ticket_with_bad_fields_is_refused_with_the_reason(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidChange, match=message):
        new(**{field: value})


def test_the_same_request_id_gives_the_same_ticket_id() -> None:
    assert new(request_id="req-1").ticket_id == new(request_id="req-1").ticket_id
    assert new(request_id="req-1").ticket_id != new(request_id="req-2").ticket_id
    assert new(request_id="req-1", now=NOW + timedelta(days=1)).ticket_id == new(request_id="req-1").ticket_id
    assert len(new(request_id="req-1").ticket_id) == len(new().ticket_id) == 13
    assert new().ticket_id.startswith("T261123")


def test_restricted_tickets_are_visible_to_their_team_supervisors_and_services_only() -> None:
    restricted = new(restricted=True)
    assert AGENT.may_see(restricted)
    assert not Actor("bo", ActorKind.AGENT, frozenset({"support"})).may_see(restricted)
    assert Actor("sue", ActorKind.AGENT, frozenset(), supervisor=True).may_see(restricted)
    assert Actor("arn:aws:iam::1:role/x", ActorKind.SERVICE).may_see(restricted)
    assert Actor("C001", ActorKind.CUSTOMER).may_see(restricted)
    assert not Actor("C002", ActorKind.CUSTOMER).may_see(new())
    with pytest.raises(AccessDenied, match="restricted to the billing team"):
        Actor("bo", ActorKind.AGENT, frozenset({"support"})).check_access(restricted)


def test_a_request_id_is_scoped_to_its_requester() -> None:
    # Given two agents (and our follow-up function) using the same request id
    ben = Actor("ben", ActorKind.AGENT, frozenset({"billing"}))
    followups = Actor("survey-followup-tickets", ActorKind.SYSTEM)
    ana_ticket = new(request_id="survey-contact-1")
    # Then each gets a ticket id of their own: nobody reaches another caller's ticket with it
    assert new(request_id="survey-contact-1", actor=ben).ticket_id != ana_ticket.ticket_id
    assert new(request_id="survey-contact-1", actor=followups).ticket_id != ana_ticket.ticket_id
    assert domain.new_ticket_id(NOW, "survey-contact-1", requester="system:survey-followup-tickets") == new(
        request_id="survey-contact-1", actor=followups).ticket_id
    with pytest.raises(ValueError, match="requester"):
        domain.new_ticket_id(NOW, "req-1")
    # An IAM role's sessions are one caller (a retry may come from a new session); two roles are two
    session = Actor("arn:aws:sts::123456789012:assumed-role/crm-sync/session-1", ActorKind.SERVICE)
    later = Actor("arn:aws:sts::123456789012:assumed-role/crm-sync/session-2", ActorKind.SERVICE)
    other = Actor("arn:aws:sts::123456789012:assumed-role/billing-sync/session-1", ActorKind.SERVICE)
    assert new(request_id="r", actor=session).ticket_id == new(request_id="r", actor=later).ticket_id
    assert new(request_id="r", actor=session).request_digest == new(request_id="r", actor=later).request_digest
    assert new(request_id="r", actor=session).ticket_id != new(request_id="r", actor=other).ticket_id


def test_the_request_digest_tells_a_retry_from_another_request_under_the_same_key() -> None:
    first = new(request_id="req-1", note="first words")
    assert new(request_id="req-1", note="first words  ").request_digest == first.request_digest  # as cleaned
    for other in (dict(customer_id="C002"), dict(subject="Router"), dict(priority=1), dict(restricted=True),
                  dict(note="other words"), dict(contact_id="c-9"), dict(team="support")):
        changed = new(**{"request_id": "req-1", "note": "first words", **other})
        assert changed.ticket_id == first.ticket_id and changed.request_digest != first.request_digest, other
    assert new().request_digest is None


def test_the_history_is_not_limited_by_a_count_of_entries() -> None:
    """Its bound is the stored item's size in bytes (tests/integration: a ticket full of notes)."""
    ticket = new()
    for i in range(400):
        ticket = domain.add_note(ticket, f"note {i}", actor=AGENT, now=NOW)
    assert domain.change_status(ticket, Status.IN_PROGRESS, actor=AGENT, now=NOW).last_seq == 402


@given(st.lists(st.sampled_from(list(Status)), max_size=12))
def test_any_sequence_of_requests_leaves_a_consistent_ticket(requests: list[Status]) -> None:
    ticket = new()
    for requested in requests:
        try:
            ticket = domain.change_status(ticket, requested, actor=AGENT, now=NOW)
        except TransitionNotAllowed:
            continue
    seqs = [entry.seq for entry in ticket.history]
    assert seqs == list(range(1, len(seqs) + 1))
    statuses = [Status.OPEN] + [e.to_status for e in ticket.history if e.action == "status"]
    assert statuses[-1] is ticket.status
    for before, after in pairwise(statuses):
        assert after in TRANSITIONS[before]


def test_overview_reads_count_latest_and_overdue_from_profile_entries() -> None:
    first = new(priority=1)
    second = domain.open_ticket(customer_id="C001", subject="Router", category="technical", team="support",
                                actor=AGENT, now=NOW + timedelta(hours=1), known_teams=TEAMS)
    resolved = domain.change_status(second, Status.RESOLVED, actor=AGENT, now=NOW + timedelta(hours=2))
    overview = overview_from({
        first.ticket_id: domain.summary_entry(first),
        resolved.ticket_id: domain.summary_entry(resolved),
        "TBROKEN": {"status": "nonsense"},
    })
    assert overview.open_count == 1
    assert overview.latest is not None and overview.latest.ticket_id == resolved.ticket_id
    assert not overview.any_overdue(NOW + timedelta(hours=3))
    assert overview.any_overdue(NOW + timedelta(hours=4))
    assert overview_from(None).latest is None
