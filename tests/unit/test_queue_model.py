"""The queue-and-agent model (callcenter/queueing): agents on shifts with routing profiles, contacts waiting by
priority, patience and capacity; checked against Erlang C and for cause and effect."""

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest
import simpy

from callcenter.queueing.model import Distribution, Handling, Offer, QueueModel, serve
from callcenter.queueing.staffing import (
    DEMO_STAFFING,
    StaffingError,
    load_staffing,
    parse_staffing,
    routing_profiles,
)
from functions.routing.policy import load_policy

ALL_WEEK = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
ORIGIN = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
ERLANG = Handling(talk=Distribution("exponential", 180), acw=Distribution("fixed", 0), patience=None)
IMPATIENT = Handling(talk=Distribution("exponential", 180), acw=Distribution("fixed", 0),
                     patience=Distribution("exponential", 90))


def around_the_clock(agents, profile="general", **extra):
    return parse_staffing({"version": 1, "time_zone": "UTC",
                           "shifts": {"all": {"start": "00:00", "end": "24:00", "days": ALL_WEEK}},
                           "agents": [{"shift": "all", "routing_profile": profile, "count": agents}], **extra})


def poisson(calls, per_second, seed, queue="general", priorities=(5,)):
    rng, at = random.Random(seed), 0.0
    for index in range(calls):
        at += rng.expovariate(per_second)
        yield Offer(at, f"c{index}", queue, rng.choice(priorities))


def run(staffing, offers, handling, seed=1, days=30):
    return serve(list(offers), staffing, load_policy(), origin=ORIGIN, until=ORIGIN + timedelta(days=days),
                 seed=seed, handling=handling)


def figures(outcomes, threshold=20):
    waits = [o.waited_s for o in outcomes]
    answered = [o for o in outcomes if o.answered]
    return {
        "p_wait": sum(w > 0 for w in waits) / len(waits),
        "service_level": sum(w <= threshold for w in waits) / len(waits),
        "asa": statistics.fmean(o.waited_s for o in answered),
        "abandoned": sum(not o.answered for o in outcomes) / len(outcomes),
    }


def test_a_long_run_with_patient_callers_matches_erlang_c():
    # Given 100 calls per 30 minutes (Poisson), exponential handle time of 180 s, 14 agents, nobody hangs up
    calls = 150_000
    offers = list(poisson(calls, 100 / 1800, seed=42))
    # When the model answers them
    outcomes = run(around_the_clock(14), offers, ERLANG, days=calls * 18 // 86_400 + 2)
    # Then the published Erlang C figures hold within a statistical tolerance (about 4 standard errors)
    got = figures(outcomes)
    assert len(outcomes) == calls and got["abandoned"] == 0
    assert got["p_wait"] == pytest.approx(0.1741, abs=0.02)
    assert got["service_level"] == pytest.approx(0.8884, abs=0.015)
    assert got["asa"] == pytest.approx(7.84, abs=1.5)
    busy = sum(o.talk_s for o in outcomes)
    span = max(o.dequeued_s for o in outcomes) - min(o.enqueued_s for o in outcomes)
    assert busy / (14 * span) == pytest.approx(0.714, abs=0.01)


def test_fewer_agents_make_longer_waits_more_abandons_and_a_lower_service_level():
    # Given the same calls and impatient callers
    offers = list(poisson(6000, 100 / 1800, seed=7))
    # When 14, then 12, then 11 agents take them
    by_agents = {n: figures(run(around_the_clock(n), offers, IMPATIENT, days=3)) for n in (14, 12, 11)}
    # Then each cut makes every figure worse
    for more, fewer in ((14, 12), (12, 11)):
        assert by_agents[fewer]["asa"] > by_agents[more]["asa"]
        assert by_agents[fewer]["abandoned"] > by_agents[more]["abandoned"]
        assert by_agents[fewer]["service_level"] < by_agents[more]["service_level"]


def test_a_higher_priority_contact_waits_less_in_the_same_queue():
    # Given a loaded queue where a fifth of the callers carry priority 1 (VIP) and the rest 5
    offers = list(poisson(8000, 100 / 1800, seed=3, priorities=(1, 5, 5, 5, 5)))
    outcomes = run(around_the_clock(11), offers, ERLANG, days=4)
    # Then the VIPs wait much less
    by_priority = {p: statistics.fmean(o.waited_s for o in outcomes if o.priority == p) for p in (1, 5)}
    assert by_priority[1] * 3 < by_priority[5]


def test_the_same_seed_gives_the_same_outcomes_and_another_seed_others():
    offers = list(poisson(500, 100 / 1800, seed=5))
    first = run(around_the_clock(12), offers, IMPATIENT, seed=9, days=1)
    assert run(around_the_clock(12), offers, IMPATIENT, seed=9, days=1) == first
    assert run(around_the_clock(12), offers, IMPATIENT, seed=10, days=1) != first


def test_agents_take_only_their_profiles_queues_and_their_own_queue_first():
    # Given one billing agent (profile: billing, then general) and no one else
    staffing = around_the_clock(1, profile="billing")
    fixed = Handling(talk=Distribution("fixed", 100), acw=Distribution("fixed", 20), patience=None)
    # When a general call comes first, then a billing call and a spanish call while the agent is busy
    offers = [Offer(0, "general-1", "general"), Offer(10, "billing-1", "billing"), Offer(20, "spanish-1", "spanish"),
              Offer(30, "general-2", "general")]
    outcomes = {o.contact_id: o for o in run(staffing, offers, fixed, days=1)}
    # Then the agent answers the general call, then billing before the older general call, and never spanish
    assert outcomes["general-1"].dequeued_s == 0
    assert outcomes["billing-1"].dequeued_s == 120  # after talk and after-contact work
    assert outcomes["general-2"].dequeued_s == 240
    assert "spanish-1" not in outcomes  # waits forever: nobody has the skill
    assert routing_profiles(load_policy())["billing"] == ("billing", "general")


def test_impatient_callers_hang_up_and_the_record_says_when():
    staffing = around_the_clock(1)
    patience = Handling(talk=Distribution("fixed", 300), acw=Distribution("fixed", 0),
                        patience=Distribution("fixed", 60))
    outcomes = run(staffing, [Offer(0, "a", "general"), Offer(5, "b", "general")], patience, days=1)
    answered, gave_up = outcomes
    assert answered.answered and answered.talk_s == 300
    assert not gave_up.answered and gave_up.waited_s == 60 and gave_up.agent is None


def test_no_agent_on_shift_means_nobody_answers_and_a_shift_starts_taking_the_waiting_calls():
    # Given one agent from 09:00 (UTC) and a caller at 08:59 who waits two minutes
    staffing = parse_staffing({"version": 1, "time_zone": "UTC",
                               "shifts": {"nine": {"start": "09:00", "end": "10:00", "days": ["MONDAY"]}},
                               "agents": [{"shift": "nine", "routing_profile": "general", "count": 1}]})
    patient = Handling(talk=Distribution("fixed", 60), acw=Distribution("fixed", 0),
                       patience=Distribution("fixed", 120))
    nine = 9 * 3600
    offers = [Offer(nine - 500, "too-early", "general"), Offer(nine - 60, "early", "general")]
    outcomes = run(staffing, offers, patient, days=1)
    by_id = {o.contact_id: o for o in outcomes}
    assert not by_id["too-early"].answered  # gave up at 08:53:40, before anyone logged in
    assert by_id["early"].answered and by_id["early"].dequeued_s == nine


def test_a_queue_holding_its_capacity_is_full():
    env = simpy.Environment()
    staffing = around_the_clock(0, max_contacts_in_queue=2)
    model = QueueModel(env, staffing, load_policy(), origin=ORIGIN, until=ORIGIN + timedelta(days=1), seed=1,
                       handling=ERLANG)
    model.offer("a", "general", 5)
    env.run(until=1)
    assert not model.is_full("general")
    model.offer("b", "general", 5)
    env.run(until=2)
    assert model.full_queues() == {"general"}
    status = model.status()["general"]
    assert (status.contacts_in_queue, status.oldest_contact_age_s, status.agents_available) == (2, 2, 0)


def test_the_live_status_counts_the_last_15_minutes_by_connects_definition():
    env = simpy.Environment()
    fixed = Handling(talk=Distribution("fixed", 10), acw=Distribution("fixed", 0), patience=Distribution("fixed", 30))
    model = QueueModel(env, around_the_clock(1), load_policy(), origin=ORIGIN, until=ORIGIN + timedelta(days=1),
                       seed=1, handling=fixed)
    for index in range(3):  # one answered at once, two waiting behind it: answered at 10 s and 20 s
        model.offer(f"c{index}", "general", 5)
    env.run(until=60)
    assert model.status()["general"].service_level == 1.0  # all three removed within 20 s
    model.offer("late", "billing", 5)  # billing is not in the general agent's profile: nobody answers
    env.run(until=120)
    assert model.status()["billing"].service_level == 0.0  # hung up after 30 s: removed, not within 20 s
    env.run(until=16 * 60 + 60)
    assert model.status()["general"].service_level is None  # nothing removed in the last 15 minutes


def test_the_demo_staffing_file_is_valid_and_staffs_every_queue():
    staffing = load_staffing(DEMO_STAFFING)
    assert staffing.headcount() > 0
    assert {group.routing_profile for group in staffing.agents} == set(load_policy().queues)


@pytest.mark.parametrize(("change", "message"), [
    ({"agents": [{"shift": "all", "routing_profile": "nowhere", "count": 1}]}, "unknown routing profile 'nowhere'"),
    ({"agents": [{"shift": "late", "routing_profile": "general", "count": 1}]}, "unknown shift 'late'"),
    ({"shifts": {"all": {"start": "17:00", "end": "09:00", "days": ["MONDAY"]}}}, "must be before end"),
    ({"shifts": {"all": {"start": "9:00", "end": "17:00", "days": ["MONDAY"]}}}, "times must be HH:MM"),
    ({"shifts": {"all": {"start": "09:00", "end": "17:00", "days": ["MONDAYS"]}}}, "Invalid enum value 'MONDAYS'"),
    ({"agents": [{"shift": "all", "routing_profile": "general", "count": -1}]}, "$.agents[0].count"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"extra": 1}, "unknown field"),
])
def test_a_bad_staffing_file_is_refused_with_where_and_why(change, message):
    document = {"version": 1, "time_zone": "UTC",
                "shifts": {"all": {"start": "00:00", "end": "24:00", "days": ALL_WEEK}},
                "agents": [{"shift": "all", "routing_profile": "general", "count": 1}], **change}
    with pytest.raises(StaffingError) as error:
        parse_staffing(document)
    assert message in str(error.value)


def test_an_unreadable_staffing_file_says_which(tmp_path):
    missing = tmp_path / "staffing.json"
    with pytest.raises(StaffingError, match="cannot read staffing file"):
        load_staffing(missing)
    missing.write_text("{not json")
    with pytest.raises(StaffingError, match="not valid JSON"):
        load_staffing(missing)
