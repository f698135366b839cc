"""The outreach sender with in-memory fakes: quiet hours, the cap across campaigns, failures, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.common.claims import SEND_UNCONFIRMED, ClaimHeld
from functions.manifest import QUEUES
from functions.outreach.record import OutreachStatus
from functions.outreach.requests import OutreachMessage, PlanRequest, parse_outreach_message
from functions.outreach.sender import Outcome, OutreachSendFailed
from tests.conftest import load_event
from tests.unit.test_outreach_fakes import MORNING, PLAN_DUE, RUN_DATE, WARRANTY_DUE, World, customer

WARRANTY_CYCLE = f"warranty-expiry#{WARRANTY_DUE.isoformat()}"
PLAN_CYCLE = f"plan-expiry#{PLAN_DUE.isoformat()}"
VISIBILITY_TIMEOUT = timedelta(seconds=QUEUES["outreach-requests"].visibility_timeout_seconds)


@pytest.fixture
def world() -> World:
    return World()


def planned(world: World, *profiles, campaign: str = "warranty-expiry") -> list[OutreachMessage]:
    """Given these customers, the campaign's planner has run: its messages."""
    world.profiles.add(*profiles)
    world.planner.plan(PlanRequest(campaign, RUN_DATE))
    return world.queue.take()


def test_the_queue_messages_are_read_from_their_sample_events():
    due = parse_outreach_message(load_event("outreach_due_message"))
    delayed = parse_outreach_message(load_event("outreach_delayed_message"))
    assert (due.cycle, due.not_before) == (WARRANTY_CYCLE, None)
    assert delayed.not_before == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


def test_a_planned_customer_is_called_into_the_outreach_flow_with_what_expires_and_when(world):
    [message] = planned(world, customer())
    result = world.sender.send(message)
    assert (result.outcome, result.channel, result.outbound_id) == (Outcome.CONTACTED, "voice", "voice-1")
    [call] = world.voice.sent
    assert call.contact_attributes() == {
        "call_type": "outreach", "outreach_customer_id": "cust-ada", "outreach_campaign": "warranty-expiry",
        "outreach_expires": "2026-12-24", "outreach_round": "1",
        "outreach_message": "Hello, this is a courtesy call from customer care. Your warranty expires on "
                            "Thursday, December 24, 2026, in 30 days."}
    record = world.store.records["cust-ada", WARRANTY_CYCLE]
    assert (record.status, record.outbound_id, record.attempts) == (OutreachStatus.CONTACTED, "voice-1", 1)
    assert [e.status.value for e in record.history] == ["planned", "sending", "contacted"]
    assert record.answered is False  # not (yet) picked up: "no answer"


def test_a_customer_who_prefers_sms_gets_the_sms_text(world):
    [message] = planned(world, customer(preferred_channel="sms"))
    assert world.sender.send(message).channel == "sms"
    assert world.sms.sent[0].message.startswith("Customer care: your warranty expires on Thursday, December 24")


def test_quiet_hours_delay_the_contact_and_never_drop_it(world):
    # Given a Los Angeles customer, planned at 08:00 her time
    [message] = planned(world, customer(time_zone="America/Los_Angeles"))
    world.clock.now = MORNING
    # When the message arrives
    result = world.sender.send(message)
    # Then it goes back on the queue for 09:00 her time (at most 15 minutes per hop) and the record says so
    nine = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    assert (result.outcome, result.not_before) == (Outcome.DELAYED, nine)
    [(delayed, delay)] = world.queue.delayed
    assert (delayed.not_before, delay) == (nine, 900)
    assert world.store.records["cust-ada", WARRANTY_CYCLE].status is OutreachStatus.DELAYED
    # And an early hop is sent on again without reading anything
    world.clock.advance(minutes=15)
    reads = world.profiles.reads
    assert world.sender.send(delayed).outcome is Outcome.REDELAYED
    assert (world.profiles.reads, world.queue.delayed[-1][1]) == (reads, 900)
    # And at 09:00 she is called
    world.clock.now = nine
    assert world.sender.send(delayed).outcome is Outcome.CONTACTED
    assert world.voice.sent[0].customer_id == "cust-ada"


def test_two_campaigns_planned_the_same_day_reach_the_customer_once(world):
    # Given Ada is due for both campaigns today
    ada = customer(plan_expires=PLAN_DUE)
    warranty = planned(world, ada)
    plan = planned(world, ada, campaign="plan-expiry")
    # When both messages are handled
    first = world.sender.send(plan[0])
    second = world.sender.send(warranty[0])
    # Then the first contacts her, the second is skipped for the cap
    assert (first.outcome, second.outcome, second.reason) == (Outcome.CONTACTED, Outcome.SKIPPED, "FREQUENCY_CAP")
    assert len(world.contacted()) == 1
    assert world.store.records["cust-ada", WARRANTY_CYCLE].reason == "FREQUENCY_CAP"


def test_once_the_cap_has_passed_another_campaign_may_contact_again(world):
    # Given the plan campaign reached Ada today
    world.sender.send(planned(world, customer(plan_expires=PLAN_DUE), campaign="plan-expiry")[0])
    # When the warranty campaign runs 15 days later, her warranty ending 30 days after that
    later = RUN_DATE + timedelta(days=15)
    world.clock.advance(days=15)
    world.profiles.add(customer(plan_expires=PLAN_DUE, warranty_expires=later + timedelta(days=30)))
    world.planner.plan(PlanRequest("warranty-expiry", later))
    [message] = world.queue.take()
    # Then she is contacted again
    assert world.sender.send(message).outcome is Outcome.CONTACTED
    assert [c.campaign_id for c in world.contacted()] == ["plan-expiry", "warranty-expiry"]


def test_a_customer_who_opted_out_after_planning_is_not_contacted(world):
    [message] = planned(world, customer())
    world.profiles.opt_out("cust-ada", MORNING)
    result = world.sender.send(message)
    assert (result.outcome, result.reason, world.contacted()) == (Outcome.SKIPPED, "OPTED_OUT", [])


def test_a_renewal_since_planning_is_not_chased(world):
    [message] = planned(world, customer())
    world.profiles.add(customer(warranty_expires=WARRANTY_DUE.replace(year=2028)))
    assert world.sender.send(message).reason == "EXPIRY_CHANGED"


def test_a_failing_channel_gives_the_cap_back_and_raises_for_a_redelivery(world):
    # Given the voice channel fails
    [message] = planned(world, customer())
    world.voice.fail_with = "InternalServiceException"
    # When the message is handled, it raises (SQS will deliver it again, then the DLQ)
    with pytest.raises(OutreachSendFailed) as failed:
        world.sender.send(message)
    assert (failed.value.channel, failed.value.code) == ("voice", "InternalServiceException")
    # Then the record is failed (re-claimable) and the cap counts no contact
    record = world.store.records["cust-ada", WARRANTY_CYCLE]
    assert (record.status, record.attempts, record.history[-1].note) == (
        OutreachStatus.FAILED, 1, "InternalServiceException")
    assert world.store.cap("cust-ada").last_contact_at is None
    # And the redelivery succeeds once the channel is back
    world.voice.fail_with = None
    assert world.sender.send(message).outcome is Outcome.CONTACTED
    assert world.store.records["cust-ada", WARRANTY_CYCLE].attempts == 2


def test_a_duplicate_message_does_not_contact_twice(world):
    [message] = planned(world, customer())
    assert world.sender.send(message).outcome is Outcome.CONTACTED
    again = world.sender.send(message)
    assert (again.outcome, again.reason, len(world.contacted())) == (Outcome.DUPLICATE, "contacted", 1)


def test_a_fresh_claim_is_retried_later_and_a_claim_left_by_a_crashed_sender_taken_over(world):
    # Given the message received now, the record claimed for a call 2 s later by a sender that then died
    [message] = planned(world, customer())
    received = world.clock.now
    record = world.store.records["cust-ada", WARRANTY_CYCLE]
    world.clock.advance(seconds=2)
    world.store.replace(record.moved(OutreachStatus.SENDING, world.clock.now, channel="voice"), record)
    # When a copy arrives while the claim is young: not dropped (SQS would delete it), retried later
    with pytest.raises(ClaimHeld):
        world.sender.send(message)
    # When the message comes back exactly one visibility timeout after its receive
    world.clock.now = received + VISIBILITY_TIMEOUT
    result = world.sender.send(message)
    # Then the call is placed (the same ClientToken as the crashed attempt's)
    assert (result.outcome, result.stale_claim) == (Outcome.CONTACTED, True)
    assert len(world.voice.sent) == 1


def test_an_sms_claim_left_by_a_crashed_sender_is_closed_unconfirmed_and_not_texted_again(world):
    [message] = planned(world, customer())
    received = world.clock.now
    record = world.store.records["cust-ada", WARRANTY_CYCLE]
    world.clock.advance(seconds=2)
    world.store.replace(record.moved(OutreachStatus.SENDING, world.clock.now, channel="sms"), record)
    world.clock.now = received + VISIBILITY_TIMEOUT
    result = world.sender.send(message)
    assert (result.outcome, result.reason, result.stale_claim) == (Outcome.SKIPPED, SEND_UNCONFIRMED, True)
    assert world.sms.sent == [] and world.voice.sent == []
    assert world.store.records["cust-ada", WARRANTY_CYCLE].status is OutreachStatus.SKIPPED


def test_a_message_for_an_unknown_record_or_campaign_is_ignored(world):
    message = OutreachMessage("cust-nobody", "warranty-expiry", WARRANTY_DUE)
    assert world.sender.send(message).reason == "NO_RECORD"
    assert world.sender.send(OutreachMessage("cust-ada", "gone", WARRANTY_DUE)).reason == "UNKNOWN_CAMPAIGN"
