"""The survey dispatcher service with in-memory fakes for every port: one survey per contact, whatever happens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from msgspec.structs import replace

from functions.common.claims import SEND_UNCONFIRMED, ClaimHeld
from functions.manifest import QUEUES, claim_lease
from functions.profiles.profile import CustomerProfile
from functions.surveys.dispatcher import (
    ChannelFailure,
    ContactAttributesUnavailable,
    Outcome,
    SurveyDispatcher,
    SurveyDispatchFailed,
    SurveyInvitation,
)
from functions.surveys.policy import load_survey_policy
from functions.surveys.record import SURVEYED_STATUSES, SurveyRecord, SurveyStatus
from functions.surveys.requests import delayed_survey_message, parse_survey_request
from tests.conftest import load_event

AFTERNOON = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # 11:00 in Los Angeles
LATE_EVENING = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)  # 21:30 in Los Angeles
NEXT_MORNING = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles
CLAIM_EXPIRY = claim_lease("survey-dispatcher")  # 2x the dispatcher's timeout: 60 s
VISIBILITY_TIMEOUT = timedelta(seconds=QUEUES["survey-requests"].visibility_timeout_seconds)
ADA = CustomerProfile(
    customer_id="cust-ada", phone="+14155550100", name="Ada Lovelace", time_zone="America/Los_Angeles",
    consent_voice=True, consent_sms=True, consent_surveys=True)


# --- fakes -----------------------------------------------------------------------------------------------

@dataclass
class InMemorySurveyStore:
    """Conditional writes like DynamoDB's: create if absent, replace only what was read."""

    records: dict[str, SurveyRecord] = field(default_factory=dict)
    queries: int = 0
    steal_before_create: SurveyRecord | None = None  # a concurrent dispatcher that wins the race

    def get(self, contact_id: str) -> SurveyRecord | None:
        return self.records.get(contact_id)

    def create(self, record: SurveyRecord) -> SurveyRecord | None:
        if self.steal_before_create is not None:
            self.records[record.contact_id], self.steal_before_create = self.steal_before_create, None
        if record.contact_id in self.records:
            return None
        stored = replace(record, version=1)
        self.records[record.contact_id] = stored
        return stored

    def replace(self, record: SurveyRecord, expected: SurveyRecord) -> SurveyRecord | None:
        current = self.records.get(record.contact_id)
        if current is None or (current.status, current.updated_at, current.version) != (
                expected.status, expected.updated_at, expected.version):
            return None
        stored = replace(record, version=(current.version or 0) + 1)
        self.records[record.contact_id] = stored
        return stored

    def last_survey_at(self, customer_id: str, since: datetime, excluding_contact: str) -> datetime | None:
        self.queries += 1
        times = [r.created_at for r in self.records.values()
                 if r.customer_id == customer_id and r.status in SURVEYED_STATUSES and r.created_at >= since
                 and r.contact_id != excluding_contact]
        return max(times, default=None)


@dataclass
class FakeChannel:
    name: str
    fail_with: str | None = None
    sent: list[SurveyInvitation] = field(default_factory=list)

    def send(self, invitation: SurveyInvitation) -> str:
        if self.fail_with:
            raise ChannelFailure(self.name, self.fail_with)
        self.sent.append(invitation)
        return f"{self.name}-out-{len(self.sent)}"


@dataclass
class FakeQueue:
    sent: list[tuple[dict[str, Any], datetime, int]] = field(default_factory=list)

    def send_later(self, envelope: Any, not_before: datetime, delay_seconds: int) -> None:
        self.sent.append((dict(envelope), not_before, delay_seconds))


@dataclass
class FakeConnect:
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    reads: int = 0
    unavailable: bool = False

    def __call__(self, event: Any) -> dict[str, str]:
        self.reads += 1
        if self.unavailable:
            raise ContactAttributesUnavailable("ThrottlingException")
        return self.attributes.get(event.initial_contact_id, {})


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    store: InMemorySurveyStore
    connect: FakeConnect
    voice: FakeChannel
    sms: FakeChannel
    queue: FakeQueue
    clock: Clock
    profiles: dict[str, CustomerProfile]
    dispatcher: SurveyDispatcher

    def dispatch(self, body: Any) -> Any:
        return self.dispatcher.dispatch(parse_survey_request(body))

    def record(self, contact_id: str = "3f1c2b4a-7d8e-4f90-a1b2-c3d4e5f60718") -> SurveyRecord:
        return self.store.records[contact_id]


ANSWERED = load_event("connect_contact_disconnected_answered")
CONTACT = ANSWERED["detail"]["contactId"]


@pytest.fixture
def world() -> World:
    store, connect, queue = InMemorySurveyStore(), FakeConnect({CONTACT: {"customer_id": "cust-ada"}}), FakeQueue()
    voice, sms, clock = FakeChannel("voice"), FakeChannel("sms"), Clock(AFTERNOON)
    profiles = {"cust-ada": ADA}
    dispatcher = SurveyDispatcher(
        policy=load_survey_policy(), store=store, contact_attributes=connect, profiles=profiles.get,
        channels={"voice": voice, "sms": sms}, queue=queue, claim_expiry=CLAIM_EXPIRY, clock=clock)
    return World(store, connect, voice, sms, queue, clock, profiles, dispatcher)


# --- the happy path ------------------------------------------------------------------------------------

def test_an_answered_call_gets_one_voice_survey_and_the_record_says_so(world):
    result = world.dispatch(ANSWERED)
    assert (result.outcome, result.channel, result.outbound_id) == (Outcome.DISPATCHED, "voice", "voice-out-1")
    [invitation] = world.voice.sent
    assert invitation.contact_attributes() == {
        "call_type": "survey",
        "survey_contact_id": CONTACT,
        "survey_customer_id": "cust-ada",
        "survey_queue_arn": ANSWERED["detail"]["queueInfo"]["queueArn"],
        "survey_agent_arn": ANSWERED["detail"]["agentInfo"]["agentArn"],
    }
    assert invitation.destination == "+14155550100"
    record = world.record()
    assert (record.status, record.channel, record.outbound_id, record.customer_id) == (
        SurveyStatus.DISPATCHED, "voice", "voice-out-1", "cust-ada")


def test_a_customer_who_prefers_sms_is_texted(world):
    world.profiles["cust-ada"] = replace(ADA, preferred_channel="sms")
    assert world.dispatch(ANSWERED).channel == "sms"
    assert (len(world.sms.sent), len(world.voice.sent)) == (1, 0)


def test_without_an_sms_channel_an_sms_customer_is_called_instead(world):
    world.profiles["cust-ada"] = replace(ADA, preferred_channel="sms")
    world.dispatcher.channels = {"voice": world.voice}
    assert world.dispatch(ANSWERED).channel == "voice"


# --- exactly one survey per contact -----------------------------------------------------------------

def test_the_same_event_three_times_sends_one_survey(world):
    outcomes = [world.dispatch(ANSWERED).outcome for _ in range(3)]
    assert outcomes == [Outcome.DISPATCHED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert len(world.voice.sent) == 1
    assert world.connect.reads == 1  # duplicates are recognised before asking Connect


def test_a_concurrent_dispatcher_that_claims_first_wins(world):
    # Given another dispatcher creates the record between our read and our claim
    world.store.steal_before_create = SurveyRecord(CONTACT, SurveyStatus.DISPATCHING, AFTERNOON, AFTERNOON,
                                                   version=1)
    result = world.dispatch(ANSWERED)
    assert result.outcome is Outcome.DUPLICATE
    assert world.voice.sent == []


def test_a_fresh_claim_by_a_dispatcher_still_at_work_is_left_alone_and_the_message_kept_for_later(world):
    world.store.records[CONTACT] = SurveyRecord(CONTACT, SurveyStatus.DISPATCHING, AFTERNOON, AFTERNOON,
                                                channel="voice", version=1)
    world.clock.now = AFTERNOON + CLAIM_EXPIRY - timedelta(seconds=1)
    # Not a duplicate to drop (SQS would delete the message): retried, in case that dispatcher dies
    with pytest.raises(ClaimHeld):
        world.dispatch(ANSWERED)
    assert world.voice.sent == [] and world.record().status is SurveyStatus.DISPATCHING


def crashed_claim(world: World, channel: str) -> None:
    """A dispatcher received the message at AFTERNOON, claimed the contact 2 s later and died."""
    world.store.records[CONTACT] = SurveyRecord(CONTACT, SurveyStatus.DISPATCHING, AFTERNOON,
                                                AFTERNOON + timedelta(seconds=2), customer_id="cust-ada",
                                                channel=channel, version=1)


def test_a_voice_claim_left_by_a_crashed_dispatcher_is_taken_over_when_its_message_comes_back(world):
    # Given a dispatcher claimed the contact for a call and died before recording the outcome
    crashed_claim(world, "voice")
    # When the message comes back, exactly one visibility timeout after its receive
    world.clock.now = AFTERNOON + VISIBILITY_TIMEOUT
    result = world.dispatch(ANSWERED)
    # Then this dispatcher takes the claim over and the survey goes out (Connect's ClientToken,
    # derived from the contact id, makes it the same call if the first one had been placed)
    assert (result.outcome, result.stale_claim) == (Outcome.DISPATCHED, True)
    assert len(world.voice.sent) == 1
    assert world.record().status is SurveyStatus.DISPATCHED
    assert world.record().created_at == AFTERNOON


def test_an_sms_claim_left_by_a_crashed_dispatcher_is_closed_unconfirmed_and_not_texted_again(world):
    crashed_claim(world, "sms")
    world.clock.now = AFTERNOON + VISIBILITY_TIMEOUT
    result = world.dispatch(ANSWERED)
    assert (result.outcome, result.reason, result.stale_claim) == (Outcome.SKIPPED, SEND_UNCONFIRMED, True)
    assert world.sms.sent == [] and world.voice.sent == []
    assert (world.record().status, world.record().reason) == (SurveyStatus.SKIPPED, SEND_UNCONFIRMED)
    assert world.dispatch(ANSWERED).outcome is Outcome.DUPLICATE


# --- contacts that are not surveyed -------------------------------------------------------------------

def test_an_abandoned_call_is_recorded_and_nothing_is_sent_or_read(world):
    abandoned = load_event("connect_contact_disconnected_abandoned")
    result = world.dispatch(abandoned)
    assert (result.outcome, result.reason) == (Outcome.ABANDONED, "ABANDONED")
    record = world.record(abandoned["detail"]["contactId"])
    assert (record.status, record.queue_arn, record.agent_arn) == (
        SurveyStatus.ABANDONED, abandoned["detail"]["queueInfo"]["queueArn"], None)
    assert (world.connect.reads, world.voice.sent) == (0, [])
    assert world.dispatch(abandoned).outcome is Outcome.DUPLICATE


def test_other_event_types_are_ignored_without_a_record(world):
    result = world.dispatch(load_event("connect_contact_queued"))
    assert (result.outcome, result.reason) == (Outcome.IGNORED, "NOT_DISCONNECTED")
    assert (world.store.records, world.connect.reads) == ({}, 0)


@pytest.mark.parametrize(("profile", "reason"), [
    (replace(ADA, consent_surveys=False), "NO_CONSENT"),
    (replace(ADA, opted_out=True), "OPTED_OUT"),
    (None, "UNKNOWN_CUSTOMER"),
])
def test_a_skipped_contact_is_recorded_with_the_reason_and_no_cooldown_query(world, profile, reason):
    if profile is None:
        world.profiles.clear()
    else:
        world.profiles["cust-ada"] = profile
    result = world.dispatch(ANSWERED)
    assert (result.outcome, result.reason) == (Outcome.SKIPPED, reason)
    assert (world.record().status, world.record().reason) == (SurveyStatus.SKIPPED, reason)
    assert world.store.queries == 0
    assert world.voice.sent == []


def test_a_customer_surveyed_after_another_call_three_days_ago_is_skipped(world):
    world.store.records["older-call"] = SurveyRecord("older-call", SurveyStatus.ANSWERED,
                                                     AFTERNOON - timedelta(days=3), AFTERNOON - timedelta(days=3),
                                                     customer_id="cust-ada", version=2)
    result = world.dispatch(ANSWERED)
    assert (result.outcome, result.reason) == (Outcome.SKIPPED, "RECENTLY_SURVEYED")
    assert world.voice.sent == []


def test_a_skipped_or_abandoned_earlier_contact_does_not_count_as_a_survey(world):
    for status in (SurveyStatus.SKIPPED, SurveyStatus.ABANDONED, SurveyStatus.FAILED):
        world.store.records[f"older-{status}"] = SurveyRecord(
            f"older-{status}", status, AFTERNOON - timedelta(days=1), AFTERNOON - timedelta(days=1),
            customer_id="cust-ada", version=1)
    assert world.dispatch(ANSWERED).outcome is Outcome.DISPATCHED


# --- quiet hours: delayed, never dropped ------------------------------------------------------------

def test_a_survey_due_at_night_is_re_enqueued_with_a_delay_and_recorded_as_delayed(world):
    world.clock.now = LATE_EVENING
    result = world.dispatch(ANSWERED)
    assert (result.outcome, result.not_before) == (Outcome.DELAYED, NEXT_MORNING)
    [(envelope, not_before, delay)] = world.queue.sent
    assert (envelope, not_before, delay) == (ANSWERED, NEXT_MORNING, 900)
    record = world.record()
    assert (record.status, record.reason, record.not_before) == (SurveyStatus.DELAYED, "QUIET_HOURS", NEXT_MORNING)
    assert world.voice.sent == []


def test_a_delayed_survey_arriving_early_is_sent_on_again_without_reading_anything(world):
    # Given the delayed message comes back after one 15-minute hop, hours before it is due
    world.clock.now = NEXT_MORNING - timedelta(hours=5)
    body = delayed_survey_message(ANSWERED, NEXT_MORNING)
    result = world.dispatch(body)
    # Then it is re-sent with the longest delay SQS allows, and nothing else happens
    assert result.outcome is Outcome.REDELAYED
    assert world.queue.sent == [(ANSWERED, NEXT_MORNING, 900)]
    assert (world.connect.reads, world.store.records) == (0, {})


def test_the_last_hop_is_only_as_long_as_needed(world):
    world.clock.now = NEXT_MORNING - timedelta(seconds=250)
    world.dispatch(delayed_survey_message(ANSWERED, NEXT_MORNING))
    assert world.queue.sent[-1][2] == 250


def test_a_delayed_survey_that_comes_due_is_sent_once(world):
    world.clock.now = LATE_EVENING
    world.dispatch(ANSWERED)
    body = delayed_survey_message(*world.queue.sent[0][:2])
    # When the delayed message arrives at 09:00 (and a duplicate of it right after)
    world.clock.now = NEXT_MORNING
    first, second = world.dispatch(body), world.dispatch(body)
    # Then one survey goes out; its own delayed record did not count as "recently surveyed"
    assert (first.outcome, second.outcome) == (Outcome.DISPATCHED, Outcome.DUPLICATE)
    assert len(world.voice.sent) == 1
    assert world.record().status is SurveyStatus.DISPATCHED
    assert world.record().created_at == LATE_EVENING


def test_the_original_event_delivered_again_during_the_night_does_not_enqueue_another_survey(world):
    world.clock.now = LATE_EVENING
    world.dispatch(ANSWERED)
    world.clock.now = LATE_EVENING + timedelta(minutes=3)
    assert world.dispatch(ANSWERED).outcome is Outcome.DUPLICATE
    assert len(world.queue.sent) == 1


def test_a_customer_who_opts_out_overnight_is_not_surveyed_in_the_morning(world):
    world.clock.now = LATE_EVENING
    world.dispatch(ANSWERED)
    world.profiles["cust-ada"] = replace(ADA, opted_out=True)
    world.clock.now = NEXT_MORNING
    result = world.dispatch(delayed_survey_message(ANSWERED, NEXT_MORNING))
    assert (result.outcome, result.reason) == (Outcome.SKIPPED, "OPTED_OUT")
    assert world.voice.sent == []


# --- failures ----------------------------------------------------------------------------------------

def test_a_failing_channel_releases_the_claim_and_raises_so_the_message_is_retried(world):
    world.voice.fail_with = "ThrottlingException"
    with pytest.raises(SurveyDispatchFailed) as failed:
        world.dispatch(ANSWERED)
    assert (failed.value.channel, failed.value.code) == ("voice", "ThrottlingException")
    assert (world.record().status, world.record().reason) == (SurveyStatus.FAILED, "CHANNEL_ERROR")
    # When the message is redelivered and the channel works again
    world.voice.fail_with = None
    assert world.dispatch(ANSWERED).outcome is Outcome.DISPATCHED
    assert len(world.voice.sent) == 1


def test_connect_not_answering_fails_the_message_without_recording_anything(world):
    world.connect.unavailable = True
    with pytest.raises(ContactAttributesUnavailable):
        world.dispatch(ANSWERED)
    assert world.store.records == {}
