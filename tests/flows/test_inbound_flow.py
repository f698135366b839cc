"""Calls through the real inbound flow file, the real routing handler and the real tables (moto).

Every rule, the menu, after-hours and every fault branch. Coverage of the flow is recorded and
printed at the end of the test session (see tests/flows/conftest.py).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from callcenter.calls import CallRequest, KeyPressError, check_keys, place_call
from flowlang.simulator import GLOBAL_COVERAGE, LambdaInvocationError

NY = ZoneInfo("America/New_York")
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 30, tzinfo=NY)
TUESDAY_NIGHT = datetime(2026, 11, 24, 21, 30, tzinfo=NY)
ADA_VIP, GRACE_COMPLAINER, ALAN_GOLD, MARIA_SPANISH = "+14155550100", "+12125550175", "+13125550123", "+17135550188"
UNKNOWN, VIP_LINE = "+16175550199", "+18005550199"


def call(backend, caller, *keys, at=TUESDAY_MORNING, **request):
    return place_call(backend, CallRequest(caller=caller, at=at, keys=tuple(keys), **request), GLOBAL_COVERAGE)


def played(result, text):
    return any(text in prompt for prompt in result.prompts)


# --- rules --------------------------------------------------------------------------------------

def test_vip_caller_skips_the_menu_and_is_queued_first(demo_backend):
    result = call(demo_backend, ADA_VIP)
    assert (result.outcome, result.queue, result.priority) == ("queued", "vip", 1)
    assert result.attributes["reason"] == "VIP_TIER"
    assert result.attributes["customer_id"] == "cust-ada"  # screen pop for the agent (no name until verified)
    assert not played(result, "For billing, press 1")


def test_the_vip_line_is_vip_for_an_unknown_caller_too(demo_backend):
    result = call(demo_backend, UNKNOWN, dialed=VIP_LINE)
    assert (result.queue, result.priority, result.attributes["reason"]) == ("vip", 1, "VIP_LINE")


def test_repeat_complainer_reaches_a_senior_agent_with_raised_priority(demo_backend):
    result = call(demo_backend, GRACE_COMPLAINER, at=datetime(2026, 11, 24, 12, 0, tzinfo=NY))
    assert (result.outcome, result.queue, result.priority) == ("queued", "senior", 2)
    assert result.attributes["reason"] == "REPEAT_COMPLAINER"


def test_spanish_speaker_reaches_spanish_agents(demo_backend):
    result = call(demo_backend, MARIA_SPANISH)
    assert (result.queue, result.priority, result.attributes["reason"]) == ("spanish", 4, "LANGUAGE_MATCH")


@pytest.mark.parametrize(("key", "queue", "reason"), [
    ("1", "billing", "SKILL_MATCH"), ("2", "support", "SKILL_MATCH"), ("3", "sales", "SKILL_MATCH"),
    ("0", "general", "UNKNOWN_CALLER"),
])
def test_unknown_caller_chooses_from_the_menu(demo_backend, key, queue, reason):
    result = call(demo_backend, UNKNOWN, key)
    assert played(result, "For billing, press 1")
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", queue, reason)
    assert result.priority in (None, 5)


def test_gold_customer_keeps_gold_priority_in_the_chosen_queue(demo_backend):
    result = call(demo_backend, ALAN_GOLD, "1")
    assert (result.queue, result.priority, result.attributes["reason"]) == ("billing", 3, "SKILL_MATCH")


def test_silence_at_the_menu_goes_to_the_general_queue(demo_backend):
    result = call(demo_backend, UNKNOWN, None)
    assert (result.outcome, result.queue) == ("queued", "general")


def test_an_out_of_range_key_is_explained_and_the_menu_asked_again(demo_backend):
    result = call(demo_backend, UNKNOWN, "7", "2")
    assert played(result, "not one of the options")
    assert result.queue == "support"


@pytest.mark.parametrize("second", ["0", None])
def test_a_wrong_key_then_zero_or_silence_reaches_the_general_queue(demo_backend, second):
    result = call(demo_backend, UNKNOWN, "*", second)
    assert played(result, "not one of the options")
    assert (result.outcome, result.queue) == ("queued", "general")


def test_two_wrong_keys_end_with_the_next_available_agent(demo_backend):
    result = call(demo_backend, UNKNOWN, "#", "9")
    assert played(result, "next available agent")
    assert (result.outcome, result.queue) == ("queued", "general")


def test_a_key_that_is_not_on_a_phone_is_refused_before_the_call():
    with pytest.raises(KeyPressError, match="not phone keys"):
        check_keys(["1a"])


@pytest.mark.parametrize(("caller", "reason"), [(None, "WITHHELD_NUMBER"), ("12345", "INVALID_NUMBER")])
def test_unidentifiable_callers_are_still_served(demo_backend, caller, reason):
    result = call(demo_backend, caller, "2")
    assert result.attributes["reason"] in ("SKILL_MATCH", reason)
    assert result.attributes["caller_status"] in ("withheld", "invalid_number")
    assert (result.outcome, result.queue) == ("queued", "support")


def test_an_anonymous_chat_contact_is_queued_in_the_default_queue(demo_backend):
    result = call(demo_backend, None, channel="CHAT", initiation_method="API")
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "general", "ANONYMOUS_CHAT")


# --- hours --------------------------------------------------------------------------------------

def test_after_hours_the_caller_hears_when_we_open_in_their_own_time(demo_backend):
    result = call(demo_backend, ALAN_GOLD, at=TUESDAY_NIGHT)  # Chicago customer, 20:30 his time
    assert result.outcome == "disconnected"
    assert played(result, "We open again on Wednesday at 7:00 AM, your time")
    assert not played(result, "For billing")


def test_vip_queue_answers_at_night(demo_backend):
    result = call(demo_backend, ADA_VIP, at=TUESDAY_NIGHT)
    assert (result.outcome, result.queue) == ("queued", "vip")


# --- faults: every one ends in the default queue or a polite message ----------------------------

@pytest.mark.parametrize("fault", ["error", "timeout"])
def test_a_failing_routing_lambda_sends_the_call_to_the_default_queue(demo_backend, fault):
    demo_backend.faults = {"routing": fault}
    result = call(demo_backend, ADA_VIP)
    assert (result.outcome, result.queue) == ("queued", "general")
    assert result.attributes["reason"] == "ROUTING_FALLBACK"


def test_a_throttled_profile_table_still_routes_the_call(demo_backend):
    demo_backend.faults = {"routing": "throttle"}
    result = call(demo_backend, ADA_VIP, "0")
    assert (result.outcome, result.queue) == ("queued", "general")
    assert result.attributes["reason"] == "PROFILE_UNAVAILABLE"
    assert demo_backend.metric_total("ProfileLookupFailed") == 1


def test_a_failure_at_the_second_decision_keeps_the_first_one(demo_backend, monkeypatch):
    # Given the routing Lambda answers the first call but times out on the menu choice
    real_invoke, calls = demo_backend.invoke_lambda, []

    def second_call_times_out(arn, event, limit):
        calls.append(event["Details"]["Parameters"].get("stage"))
        if len(calls) == 2:
            raise LambdaInvocationError("timeout", "slow")
        return real_invoke(arn, event, limit)

    monkeypatch.setattr(demo_backend, "invoke_lambda", second_call_times_out)
    # When an unknown caller presses 1
    result = call(demo_backend, UNKNOWN, "1")
    # Then the menu was played, both calls were attempted, and the first decision stands
    # (the last call, without a stage, is the asynchronous sentiment-context one before queueing)
    assert calls == ["identify", "intent", None] and played(result, "For billing, press 1")
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "general", "UNKNOWN_CALLER")
    assert result.attributes["intent"] == "billing"  # the agent still sees what the caller asked for
    assert "first decision stands" in result.attributes["routing_note"]


def test_a_routing_answer_missing_attributes_takes_the_fallback_path(demo_backend, monkeypatch):
    real_invoke = demo_backend.invoke_lambda

    def incomplete_answer(arn, event, limit):
        answer = real_invoke(arn, event, limit)
        answer.pop("queue_arn")
        return answer

    monkeypatch.setattr(demo_backend, "invoke_lambda", incomplete_answer)
    result = call(demo_backend, ADA_VIP)
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "general", "ROUTING_FALLBACK")


def test_fallback_after_hours_plays_the_closed_message(demo_backend):
    demo_backend.faults = {"routing": "error"}
    result = call(demo_backend, UNKNOWN, at=TUESDAY_NIGHT)
    assert result.outcome == "disconnected"
    assert played(result, "We are closed right now")


def test_a_full_queue_overflows_to_the_default_queue_and_says_so(demo_backend):
    demo_backend.full_queues = {"vip"}
    result = call(demo_backend, ADA_VIP)
    assert (result.outcome, result.queue) == ("queued", "general")
    assert (result.attributes["queue"], result.attributes["reason"]) == ("general", "QUEUE_OVERFLOW")
    assert result.attributes["queue_arn"] == result.queue_arn


def test_overflow_at_night_does_not_queue_into_a_closed_queue(demo_backend):
    demo_backend.full_queues = {"vip"}
    result = call(demo_backend, ADA_VIP, at=TUESDAY_NIGHT)
    assert result.outcome == "disconnected"
    assert played(result, "We are closed right now")


def test_when_every_queue_is_full_the_caller_hears_a_polite_message(demo_backend):
    demo_backend.full_queues = {"general"}
    result = call(demo_backend, UNKNOWN, "0")
    assert result.outcome == "disconnected"
    assert played(result, "All of our agents are busy")


def test_fallback_into_a_full_default_queue_is_polite_too(demo_backend):
    demo_backend.faults = {"routing": "error"}
    demo_backend.full_queues = {"general"}
    result = call(demo_backend, UNKNOWN)
    assert result.outcome == "disconnected"
    assert played(result, "All of our agents are busy")


def test_every_call_ends_queued_or_with_a_message_never_silently(demo_backend):
    # Given every combination of fault, hour and caller
    for fault in (None, "error", "timeout", "throttle"):
        for at in (TUESDAY_MORNING, TUESDAY_NIGHT):
            for caller in (ADA_VIP, UNKNOWN, None, "12345"):
                demo_backend.faults = {"routing": fault} if fault else {}
                result = call(demo_backend, caller, "1", at=at)
                # Then the caller was queued, or heard a message right before the line was closed
                if result.outcome != "queued":
                    assert result.outcome == "disconnected"
                    assert result.steps[-2].action_type == "MessageParticipant"
