"""The outreach flow's answers with in-memory fakes: answered, remind me later, stop these calls."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from functions.outreach.record import OutreachStatus
from functions.outreach.requests import PlanRequest
from functions.outreach.response import STOPPED_TEXT, ResponseReason
from functions.outreach.sender import Outcome
from tests.conftest import load_event
from tests.unit.test_outreach_fakes import PLAN_DUE, RUN_DATE, WARRANTY_DUE, World, customer

CYCLE = f"warranty-expiry#{WARRANTY_DUE.isoformat()}"


@pytest.fixture
def called() -> World:
    """Ada's warranty call was placed."""
    world = World()
    world.profiles.add(customer(plan_expires=PLAN_DUE))
    world.planner.plan(PlanRequest("warranty-expiry", RUN_DATE))
    world.sender.send(world.queue.take()[0])
    return world


def press(world: World, action: str, **overrides: str):
    parameters = {"action": action, "customer_id": "cust-ada", "campaign_id": "warranty-expiry",
                  "expires": WARRANTY_DUE.isoformat(), **overrides}
    return world.responder.respond(parameters)


def record(world: World):
    return world.store.records["cust-ada", CYCLE]


def test_the_sample_flow_event_carries_the_parameters_the_flow_sends():
    parameters = load_event("outreach_flow_response")["Details"]["Parameters"]
    assert set(parameters) == {"action", "customer_id", "campaign_id", "expires"}


def test_answering_is_recorded_once(called):
    first = press(called, "answered")
    assert (first.recorded, first.reason) == (True, ResponseReason.RECORDED)
    assert record(called).answered is True
    assert press(called, "answered").reason is ResponseReason.ALREADY_RECORDED


def test_remind_later_waits_the_campaigns_days_and_the_planner_calls_again_that_day(called):
    # When Ada presses 2 on the 24th
    result = press(called, "remind_later")
    # Then she hears when we call again, and the record waits for that day
    assert (result.recorded, result.remind_on) == (True, date(2026, 11, 27))
    assert result.to_connect() == {"recorded": "true", "reason": "RECORDED",
                                   "confirmation": "Thank you. We will call you again on Friday, November 27, 2026. "
                                                   "Goodbye."}
    assert (record(called).status, record(called).round) == (OutreachStatus.REMIND_LATER, 2)
    # And on the 27th the planner plans her again, and the sender calls her again (round 2, within the cap:
    # the cap's last contact is this same record)
    called.clock.advance(days=3)
    report = called.planner.plan(PlanRequest("warranty-expiry", date(2026, 11, 27)))
    assert report.reminders == 1
    assert called.sender.send(called.queue.take()[0]).outcome is Outcome.CONTACTED
    assert [call.round for call in called.voice.sent] == [1, 2]


def test_remind_later_never_calls_on_or_after_the_date(called):
    # Two days before the date: the reminder would be the day before it
    called.clock.advance(days=28)
    assert press(called, "remind_later").remind_on == WARRANTY_DUE - timedelta(days=1)
    # The day before the date: too late to call again
    other = World()
    other.profiles.add(customer())
    other.planner.plan(PlanRequest("warranty-expiry", RUN_DATE))
    other.sender.send(other.queue.take()[0])
    other.clock.advance(days=29)
    result = press(other, "remind_later")
    assert (result.recorded, result.reason) == (False, ResponseReason.TOO_LATE)
    assert "expires on Thursday, December 24, 2026" in result.confirmation


def test_stop_opts_the_customer_out_and_no_campaign_plans_them_again(called):
    # When Ada presses 9 on the warranty call
    result = press(called, "stop")
    # Then she hears it, her profile is opted out and the record is stopped
    assert (result.recorded, result.confirmation) == (True, STOPPED_TEXT)
    assert called.profiles.profiles["cust-ada"].opted_out
    assert record(called).status is OutreachStatus.STOPPED
    # And the plan campaign's planner skips her
    report = called.planner.plan(PlanRequest("plan-expiry", RUN_DATE))
    assert (dict(report.skipped), called.queue.sent) == ({"OPTED_OUT": 1}, [])


def test_a_message_planned_before_the_stop_is_never_sent():
    # Given Ada was planned by both campaigns, and the warranty call reached her first
    world = World()
    world.profiles.add(customer(plan_expires=PLAN_DUE))
    world.planner.plan(PlanRequest("plan-expiry", RUN_DATE))
    [plan_message] = world.queue.take()
    world.planner.plan(PlanRequest("warranty-expiry", RUN_DATE))
    world.sender.send(world.queue.take()[0])
    # When she presses 9 on that call
    press(world, "stop")
    # Then the plan campaign's message is skipped for the opt-out, whenever it arrives
    world.clock.advance(days=20)
    assert world.sender.send(plan_message).reason == "OPTED_OUT"
    assert [call.campaign_id for call in world.contacted()] == ["warranty-expiry"]


def test_stop_is_honoured_even_without_a_record(called):
    result = press(called, "stop", expires="2030-01-01")
    assert (result.recorded, called.profiles.profiles["cust-ada"].opted_out) == (True, True)


def test_a_repeated_stop_is_already_recorded(called):
    press(called, "stop")
    assert press(called, "stop").reason is ResponseReason.ALREADY_RECORDED


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"action": "dance"}, ResponseReason.INVALID_ACTION),
    ({"customer_id": " "}, ResponseReason.MISSING_CUSTOMER_ID),
    ({"campaign_id": "gone"}, ResponseReason.UNKNOWN_CAMPAIGN),
    ({"expires": "soon"}, ResponseReason.INVALID_EXPIRES),
    ({"expires": "2030-01-01"}, ResponseReason.UNKNOWN_OUTREACH),
])
def test_bad_parameters_are_refused_politely(called, overrides, reason):
    result = press(called, overrides.pop("action", "remind_later"), **overrides)
    assert (result.recorded, result.reason) == (False, reason)
    assert result.to_connect()["confirmation"].startswith("Sorry")


def test_stop_for_an_unknown_customer_is_not_recorded():
    result = press(World(), "stop")
    assert (result.recorded, result.reason) == (False, ResponseReason.UNKNOWN_CUSTOMER)
