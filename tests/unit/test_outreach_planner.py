"""The outreach planner with in-memory fakes: who is planned, who is skipped and why, and idempotent re-runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from functions.outreach.campaigns import UnknownCampaign
from functions.outreach.planner import ENQUEUE_FAILED, EnqueueIncomplete, OutreachPlanner
from functions.outreach.record import OutreachStatus
from functions.outreach.requests import PlanRequest, parse_plan_request
from tests.conftest import load_event
from tests.unit.test_outreach_fakes import NOON, PLAN_DUE, RUN_DATE, WARRANTY_DUE, World, customer

WARRANTY_RUN = PlanRequest("warranty-expiry", RUN_DATE)
PLAN_RUN = PlanRequest("plan-expiry", RUN_DATE)


@pytest.fixture
def world() -> World:
    return World()


def cycle(campaign: str = "warranty-expiry", expires: date = WARRANTY_DUE) -> str:
    return f"{campaign}#{expires.isoformat()}"


def test_the_scheduler_event_names_the_campaign_and_the_scheduled_time():
    request = parse_plan_request(load_event("outreach_schedule"))
    assert request == PlanRequest("warranty-expiry", None, datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    # And the run date is that time's day in the campaign's zone, unless overridden
    assert OutreachPlanner.run_date(request, World().planner.policy.campaign("warranty-expiry"), NOON) == RUN_DATE


def test_a_late_evening_schedule_plans_for_the_local_day():
    # 03:00 UTC on the 25th is still the 24th in New York
    request = PlanRequest("warranty-expiry", scheduled_time=datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert OutreachPlanner.run_date(request, World().planner.policy.campaign("warranty-expiry"), NOON) == RUN_DATE


def test_due_customers_are_planned_and_each_gets_one_message(world):
    # Given three customers whose warranty ends in 30, 29 and 31 days, and one without a warranty
    world.profiles.add(customer("cust-a"), customer("cust-b", warranty_expires=WARRANTY_DUE - timedelta(days=1)),
                       customer("cust-c", warranty_expires=WARRANTY_DUE + timedelta(days=1)),
                       customer("cust-d", warranty_expires=None, plan_expires=PLAN_DUE))
    # When the warranty campaign runs
    report = world.planner.plan(WARRANTY_RUN)
    # Then the 30- and 29-day customers (the window) are planned, with one message each, and nobody else
    assert report.planned == 2 and report.profiles_read == 2 and report.keys_looked_up == 4
    messages = world.queue.take()
    assert sorted((m.customer_id, m.expires) for m in messages) == [
        ("cust-a", WARRANTY_DUE), ("cust-b", WARRANTY_DUE - timedelta(days=1))]
    assert world.store.records["cust-a", cycle()].status is OutreachStatus.PLANNED
    assert world.store.records["cust-a", cycle()].due_on == RUN_DATE


@pytest.mark.parametrize(("fields", "reason"), [
    ({"consent_voice": False, "consent_sms": False}, "NO_CONSENT"),
    ({"opted_out": True}, "OPTED_OUT"),
    ({"phone": "12"}, "NO_REACHABLE_NUMBER"),
])
def test_a_customer_who_may_not_be_contacted_is_skipped_with_the_reason(world, fields, reason):
    world.profiles.add(customer(**fields))
    report = world.planner.plan(WARRANTY_RUN)
    assert (report.planned, dict(report.skipped), world.queue.sent) == (0, {reason: 1}, [])
    record = world.store.records["cust-ada", cycle()]
    assert (record.status, record.reason, record.history[-1].reason) == (OutreachStatus.SKIPPED, reason, reason)


def test_a_rerun_for_the_same_day_enqueues_nothing_new(world):
    # Given a run that planned two customers and skipped one
    world.profiles.add(customer("cust-a"), customer("cust-b"), customer("cust-c", opted_out=True))
    world.planner.plan(WARRANTY_RUN)
    assert len(world.queue.take()) == 2
    writes = world.store.writes
    # When the same run happens again (a retry, a manual re-run), even twice
    again = world.planner.plan(WARRANTY_RUN)
    world.planner.plan(WARRANTY_RUN)
    # Then nothing is enqueued and nothing is written
    assert world.queue.sent == []
    assert (again.planned, again.already_handled, dict(again.skipped)) == (0, 2, {"OPTED_OUT": 1})
    assert world.store.writes == writes


def test_a_customer_skipped_earlier_is_planned_once_they_consent(world):
    world.profiles.add(customer(consent_voice=False, consent_sms=False))
    world.planner.plan(WARRANTY_RUN)
    # The next day the customer consents; their date is in the window's second bucket now
    world.profiles.add(customer(consent_voice=True))
    report = world.planner.plan(PlanRequest("warranty-expiry", RUN_DATE + timedelta(days=1)))
    assert report.planned == 1
    history = [entry.status.value for entry in world.store.records["cust-ada", cycle()].history]
    assert history == ["skipped", "planned"]


def test_the_planner_skips_customers_over_the_frequency_cap_across_campaigns(world):
    # Given Ada's plan campaign reached her 3 days ago
    world.profiles.add(customer(plan_expires=PLAN_DUE))
    assert world.store.claim("cust-ada", cycle("plan-expiry", PLAN_DUE + timedelta(days=3)),
                             NOON - timedelta(days=3), 14)
    # When the warranty campaign runs
    report = world.planner.plan(WARRANTY_RUN)
    # Then she is skipped for the cap
    assert dict(report.skipped) == {"FREQUENCY_CAP": 1} and world.queue.sent == []


def test_messages_go_out_in_batches_of_ten(world):
    world.profiles.add(*(customer(f"cust-{n:02d}") for n in range(23)))
    report = world.planner.plan(WARRANTY_RUN)
    assert (report.enqueued, world.queue.batches) == (23, [10, 10, 3])


def test_an_entry_sqs_refuses_once_is_retried_at_once(world):
    world.profiles.add(customer("cust-a"), customer("cust-b"))
    world.queue.reject_once = {"cust-b"}
    report = world.planner.plan(WARRANTY_RUN)
    assert (report.enqueued, report.enqueue_failed) == (2, 0)
    assert sorted(m.customer_id for m in world.queue.sent) == ["cust-a", "cust-b"]


def test_entries_sqs_keeps_refusing_are_marked_and_enqueued_by_the_next_run(world):
    # Given SQS refuses Bea's message every time
    world.profiles.add(customer("cust-a"), customer("cust-b"))
    world.queue.reject_customers = {"cust-b"}
    # When the planner runs, it raises (the invocation fails and is retried) after enqueueing the rest
    with pytest.raises(EnqueueIncomplete):
        world.planner.plan(WARRANTY_RUN)
    assert [m.customer_id for m in world.queue.take()] == ["cust-a"]
    record = world.store.records["cust-b", cycle()]
    assert (record.status, record.reason) == (OutreachStatus.PLANNED, ENQUEUE_FAILED)
    # Then the retried run, SQS healthy again, enqueues Bea's right away, and only hers
    world.queue.reject_customers = set()
    report = world.planner.plan(WARRANTY_RUN)
    assert (report.requeued, [m.customer_id for m in world.queue.take()]) == (1, ["cust-b"])


def test_a_planned_record_whose_message_was_lost_is_enqueued_again_after_a_while(world):
    # Given a run that wrote the record but crashed before sending (the message is lost)
    world.profiles.add(customer())
    world.planner.plan(WARRANTY_RUN)
    world.queue.take()
    # When it is re-run at once, the record is fresh: its message may still be on the queue
    assert world.planner.plan(WARRANTY_RUN).requeued == 0
    # Then a run an hour later enqueues it again (the sender's claim makes a duplicate harmless)
    world.clock.advance(hours=1)
    assert world.planner.plan(WARRANTY_RUN).requeued == 1
    assert [m.customer_id for m in world.queue.take()] == ["cust-ada"]


def test_a_reminder_is_planned_again_on_its_day(world):
    # Given Ada asked to be reminded on the 27th
    world.profiles.add(customer())
    world.planner.plan(WARRANTY_RUN)
    world.queue.take()
    record = world.store.records["cust-ada", cycle()]
    world.store.replace(record.moved(OutreachStatus.REMIND_LATER, NOON, due_on=date(2026, 11, 27), round=2), record)
    # When the campaign runs before that day, nothing happens; on that day, she is planned again
    assert world.planner.plan(PlanRequest("warranty-expiry", date(2026, 11, 26))).reminders == 0
    report = world.planner.plan(PlanRequest("warranty-expiry", date(2026, 11, 27)))
    assert (report.reminders, [m.customer_id for m in world.queue.take()]) == (1, ["cust-ada"])
    record = world.store.records["cust-ada", cycle()]
    assert (record.status, record.round, record.reason) == (OutreachStatus.PLANNED, 2, "REMINDER")
    # And a re-run that day does not plan her twice
    assert world.planner.plan(PlanRequest("warranty-expiry", date(2026, 11, 27))).reminders == 0


def test_a_disabled_campaign_plans_nothing(world):
    world.profiles.add(customer())
    planner = world.planner
    planner.policy = msgspec.structs.replace(planner.policy, campaigns=tuple(
        msgspec.structs.replace(c, enabled=False) for c in planner.policy.campaigns))
    report = planner.plan(WARRANTY_RUN)
    assert report.disabled and report.profiles_read == 0 and world.queue.sent == []


def test_an_unknown_campaign_raises(world):
    with pytest.raises(UnknownCampaign):
        world.planner.plan(PlanRequest("no-such-campaign", RUN_DATE))


def test_a_paced_run_spreads_the_contacts_at_the_senders_rate(world):
    # Given 25 customers due and a planner pacing at the sender's 2 calls a second
    world.profiles.add(*(customer(f"cust-{n:02d}") for n in range(25)))
    planner = OutreachPlanner(policy=world.planner.policy, store=world.store, due_profiles=world.profiles.due,
                              queue=world.queue, clock=world.clock, sends_per_second=2.0)
    # When the campaign runs
    report = planner.plan(WARRANTY_RUN)
    # Then the first contact may go at once and each next one half a second after the one before
    assert report.enqueued == 25
    moments = sorted((m.not_before or NOON) - NOON for m in world.queue.take())
    assert moments == [timedelta(seconds=n / 2) for n in range(25)]


def test_an_unpaced_run_sends_every_contact_at_once(world):
    world.profiles.add(*(customer(f"cust-{n:02d}") for n in range(3)))
    world.planner.plan(WARRANTY_RUN)
    assert [m.not_before for m in world.queue.take()] == [None, None, None]


def test_a_pace_must_be_positive(world):
    with pytest.raises(ValueError, match="sends_per_second"):
        OutreachPlanner(policy=world.planner.policy, store=world.store, due_profiles=world.profiles.due,
                        queue=world.queue, clock=world.clock, sends_per_second=0)
