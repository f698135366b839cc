"""The actions beyond a voice menu (flowlang/actions_more.py): voice and language, loops, queue messages, waits,
percentages, flow modules and transfers, and the stand-ins with their branch choice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from flowlang.simulator import CallResult, ContactStart, FlowCoverage, FlowDefinitionError, StandIns, run_flow
from flowlang.standin_env import StandInEnvironment

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def act(identifier: str, type_: str, parameters: dict[str, Any] | None = None, *, next_action: str | None = None,
        conditions: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    transitions: dict[str, Any] = {}
    if next_action:
        transitions["NextAction"] = next_action
    if conditions:
        transitions["Conditions"] = [{"NextAction": target, "Condition": {"Operator": "Equals", "Operands": [op]}}
                                     for op, target in conditions.items()]
    if errors:
        transitions["Errors"] = [{"NextAction": target, "ErrorType": error} for error, target in errors.items()]
    return {"Identifier": identifier, "Type": type_, "Parameters": parameters or {}, "Transitions": transitions}


def say(identifier: str, text: str, next_action: str = "bye") -> dict[str, Any]:
    return act(identifier, "MessageParticipant", {"Text": text}, next_action=next_action)


BYE = act("bye", "DisconnectParticipant")


def flow(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2019-10-30", "StartAction": actions[0]["Identifier"], "Actions": list(actions)}


def run(document: dict[str, Any], *, contact_id: str = "c-1", stand_ins: StandIns | None = None,
        **attributes: str) -> CallResult:
    start = ContactStart(contact_id, customer_address="+14155550100", attributes=attributes, now=NOW)
    return run_flow(document, start, StandInEnvironment(), flow_name="main", coverage=FlowCoverage(),
                    stand_ins=stand_ins)


def test_the_voice_and_the_language_are_set_for_the_rest_of_the_call():
    lupe = {"TextToSpeechVoice": "Lupe", "TextToSpeechEngine": "Neural"}
    voice = act("voice", "UpdateContactTextToSpeechVoice", lupe, next_action="lang", errors={"NoMatchingError": "bye"})
    language = act("lang", "UpdateContactData", {"LanguageCode": "es-US"}, next_action="which",
                   errors={"NoMatchingError": "bye"})
    which = act("which", "Compare", {"ComparisonValue": "$.LanguageCode"}, conditions={"es-US": "hola"},
                errors={"NoMatchingCondition": "bye"})
    result = run(flow(voice, language, which, say("hola", "Hola"), BYE))
    assert (result.voice, result.language, result.prompts) == (
        {"TextToSpeechVoice": "Lupe", "TextToSpeechEngine": "Neural"}, "es-US", ["Hola"])


def test_a_loop_continues_its_count_then_is_done_and_starts_again():
    loop = act("loop", "Loop", {"LoopCount": "$.Attributes.times"}, conditions={"ContinueLooping": "again",
                                                                                "DoneLooping": "bye"})
    result = run(flow(loop, say("again", "Again", next_action="loop"), BYE), times="3")
    assert result.prompts == ["Again"] * 3
    assert [s.branch for s in result.steps if s.action_id == "loop"] == [
        "Equals ContinueLooping", "Equals ContinueLooping", "Equals ContinueLooping", "Equals DoneLooping"]


def test_queue_messages_play_then_are_interrupted_or_keep_the_contact_waiting():
    messages = {"Messages": [{"Text": "Please hold"}, {"PromptId": "arn:prompt/music"}],
                "InterruptFrequencySeconds": "60"}
    interrupted = act("hold", "MessageParticipantIteratively", messages, conditions={"MessagesInterrupted": "check"},
                      errors={"NoMatchingError": "bye"})
    result = run(flow(interrupted, say("check", "Still there?"), BYE))
    assert result.prompts == ["Please hold", "[prompt arn:prompt/music]", "Still there?"]
    waiting = act("hold", "MessageParticipantIteratively", messages, errors={"NoMatchingError": "bye"})
    assert run(flow(waiting, BYE)).outcome == "waiting"


def test_distribution_by_percentage_is_the_same_for_the_same_contact_and_spreads_over_contacts():
    split = act("split", "DistributeByPercentage", conditions={}, errors={"NoMatchingCondition": "b"})
    split["Transitions"]["Conditions"] = [
        {"NextAction": "a", "Condition": {"Operator": "NumberLessThan", "Operands": ["50"]}}]
    document = flow(split, say("a", "A"), say("b", "B"), BYE)
    heard = [run(document, contact_id=f"c-{n}").prompts[0] for n in range(40)]
    assert heard == [run(document, contact_id=f"c-{n}").prompts[0] for n in range(40)]
    assert 8 < heard.count("A") < 32


def test_a_module_runs_in_the_same_contact_and_returns_to_the_invoking_action():
    module = flow(act("set", "UpdateContactAttributes", {"Attributes": {"from_module": "yes"}}, next_action="done",
                      errors={"NoMatchingError": "done"}),
                  act("done", "EndFlowModuleExecution"))
    invoke = act("invoke", "InvokeFlowModule", {"FlowModuleId": "arn:aws:connect:::flow-module/m-1"},
                 next_action="after", errors={"NoMatchingError": "bye"})
    result = run(flow(invoke, say("after", "$.Attributes.from_module"), BYE),
                 stand_ins=StandIns(flows={"m-1": ("greeter", module)}))
    assert [s.action_id for s in result.steps] == ["invoke", "greeter/set", "greeter/done", "after", "bye"]
    assert result.prompts == ["yes"]


def test_a_module_or_flow_not_given_is_a_stand_in_or_the_end_of_the_run():
    invoke = act("invoke", "InvokeFlowModule", {"FlowModuleId": "m-9"}, next_action="bye",
                 errors={"NoMatchingError": "oops"})
    result = run(flow(invoke, say("oops", "Oops"), BYE))
    assert (result.steps[0].branch, result.steps[0].data["stand_in"]) == ("next", True)
    transfer = act("go", "TransferToFlow", {"ContactFlowId": "arn:aws:connect:::contact-flow/other"},
                   errors={"NoMatchingError": "bye"})
    assert run(flow(transfer, BYE)).outcome == "transferred"


def test_a_transfer_to_a_given_flow_goes_on_there():
    other = flow(say("there", "In the other flow"), BYE)
    transfer = act("go", "TransferToFlow", {"ContactFlowId": "other"}, errors={"NoMatchingError": "bye"})
    result = run(flow(transfer, BYE), stand_ins=StandIns(flows={"other": ("other", other)}))
    assert (result.prompts, result.outcome) == (["In the other flow"], "disconnected")


@pytest.mark.parametrize(("choice", "heard"), [(None, "Found"), ("NoneFoundError", "New customer"),
                                               ("error:MultipleFoundError", "Which one?")])
def test_a_stand_in_takes_its_default_or_the_chosen_branch(choice: str | None, heard: str):
    profile = act("profile", "GetCustomerProfile", {"ProfileRequestData": {"IdentifierName": "_phone"}},
                  next_action="found", errors={"NoneFoundError": "new", "MultipleFoundError": "which",
                                               "NoMatchingError": "bye"})
    document = flow(profile, say("found", "Found"), say("new", "New customer"), say("which", "Which one?"), BYE)
    stand_ins = StandIns(choices={"profile": choice} if choice else {})
    assert run(document, stand_ins=stand_ins).prompts == [heard]


def test_a_chosen_branch_the_action_does_not_have_is_refused_with_its_branches():
    view = act("view", "ShowView", next_action="bye", conditions={"Next": "bye"}, errors={"NoMatchingError": "bye"})
    with pytest.raises(FlowDefinitionError, match=r"'Back', is not one of its branches \(next, Equals Next"):
        run(flow(view, BYE), stand_ins=StandIns(choices={"view": "Back"}))
