"""Flows nobody here wrote (tests/flows/corpus/, sources in SOURCES.md): no false alarm from lint, and every one
runs to an end state with stand-ins. And every action Type of the reference runs: none is UnsupportedAction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flowlang.language import ACTION_SPECS, ACTION_TYPES, REFERENCE_DATE
from flowlang.lint import LintContext, lint_flow
from flowlang.simulator import ContactStart, FlowCoverage, StandIns, run_flow
from flowlang.standin_env import StandInEnvironment

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.json"))
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
END_STATES = {"queued", "disconnected", "ended", "transferred", "waiting"}
SURVEY_MODULE_ID = "1bc263e9-09cf-432c-971c-32da62c784af"  # what the disconnect example invokes
SURVEY_MODULE = "contact-surveys--deployment--ContactFlowModule-Contact-Survey.json"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def start(**attributes: str) -> ContactStart:
    return ContactStart("corpus-1", customer_address="+14155550100", attributes=attributes, now=NOW)


def test_the_corpus_is_public_flows_with_their_sources_recorded():
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert len(FILES) >= 20
    assert all(f"`{path.name}`" in sources for path in FILES)
    assert sources.count("MIT-0") >= len(FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_a_public_flow_lints_with_no_false_alarm(path: Path):
    assert lint_flow(load(path), path.name, LintContext(policy=False)) == []


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_a_public_flow_runs_to_an_end_state_with_stand_ins(path: Path):
    stand_ins = StandIns(flows={SURVEY_MODULE_ID: (SURVEY_MODULE, load(CORPUS / SURVEY_MODULE))})
    result = run_flow(load(path), start(), StandInEnvironment(), flow_name=path.stem, coverage=FlowCoverage(),
                      stand_ins=stand_ins)
    assert result.outcome in END_STATES
    assert result.steps[-1].next_action is None or result.outcome == "queued"


def test_the_survey_module_runs_inside_the_flow_that_invokes_it_and_loops_over_the_questions():
    # Given the survey's Lambdas answer (a 2-question survey, every answer valid) and the caller presses 4 then 5
    questions = {"min": "1", "max": "5"} | {f"question_{n}": "Rate us" for n in range(1, 6)} | {
        f"flag_question_{n}": "0" for n in range(1, 6)}
    answers = {"${LambdaGetSurveyConfig.Arn}": questions | {"surveyId": "s1", "introPrompt": "Hi",
                                                            "outroPrompt": "Bye", "surveySize": "2"},
               "${LambdaSurveyUtils.Arn}": questions | {"nextQuestion": "Rate us", "validInput": "true",
                                                        "newCounter": "2", "currentQuestionIndex": "1"},
               "${LambdaProcessSurveyFlagsConfig.Arn}": {}, "${LambdaWriteSurveysResults.Arn}": {}}
    env = StandInEnvironment(lambda_answers=answers)
    stand_ins = StandIns(flows={SURVEY_MODULE_ID: (SURVEY_MODULE, load(CORPUS / SURVEY_MODULE))})
    disconnect_flow = load(CORPUS / "contact-surveys--examples--1-Survey-Example-Disconnect.json")
    result = run_flow(disconnect_flow, start(surveyId="s1"), env, ["4", "5"], flow_name="disconnect",
                      coverage=FlowCoverage(), stand_ins=stand_ins)
    loops = [step.summary for step in result.steps if step.action_type == "Loop"]
    assert loops == ["Loop 1 of 2", "Loop 2 of 2", "Loop done after 2"]
    assert result.prompts == ["Hi", "Rate us", "Rate us", "Bye"]
    assert result.steps[1].action_id.startswith(SURVEY_MODULE + "/")  # the module's steps are named by module
    assert result.outcome == "disconnected"


# --- every action Type of the reference --------------------------------------------------------------------------

PARAMETERS: dict[str, dict[str, Any]] = {
    "MessageParticipant": {"Text": "Hello"},
    "GetParticipantInput": {"Text": "Press 1", "StoreInput": "False"},
    "MessageParticipantIteratively": {"Messages": [{"Text": "Please hold"}], "InterruptFrequencySeconds": "60"},
    "InvokeLambdaFunction": {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:f",
                             "InvocationTimeLimitSeconds": "3"},
    "UpdateContactAttributes": {"Attributes": {"a": "b"}},
    "Compare": {"ComparisonValue": "$.Channel"},
    "UpdateContactTargetQueue": {"QueueId": "arn:aws:connect:us-east-1:1:instance/i/queue/q"},
    "UpdateFlowLoggingBehavior": {"FlowLoggingBehavior": "Enabled"},
    "UpdateContactEventHooks": {"EventHooks": {"CustomerRemaining": "arn:flow"}},
    "UpdateContactTextToSpeechVoice": {"TextToSpeechVoice": "Lupe", "TextToSpeechEngine": "Neural"},
    "UpdateContactData": {"LanguageCode": "es-US"},
    "Loop": {"LoopCount": "1"},
    "InvokeFlowModule": {"FlowModuleId": "not-given"},
    "TransferToFlow": {"ContactFlowId": "not-given"},
    "UpdateContactRoutingBehavior": {"QueuePriority": "1"},
    "Wait": {"TimeoutSeconds": "30"},
}


def one_action_flow(action_type: str) -> dict[str, Any]:
    spec = ACTION_SPECS[action_type]
    action: dict[str, Any] = {"Identifier": "it", "Type": action_type, "Parameters": PARAMETERS.get(action_type, {}),
                              "Transitions": {}}
    if not spec.terminal:
        action["Transitions"] = {"NextAction": "bye", "Errors": [{"NextAction": "bye", "ErrorType": error}
                                                                 for error in spec.errors]}
        operands = sorted(spec.operands or []) or (["1"] if spec.takes_conditions else [])
        if action_type == "Compare":
            operands = ["VOICE"]
        action["Transitions"]["Conditions"] = [
            {"NextAction": "bye", "Condition": {"Operator": "Equals", "Operands": [operand]}} for operand in operands]
    bye = {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
    return {"Version": "2019-10-30", "StartAction": "it", "Actions": [action, bye]}


@pytest.mark.parametrize("action_type", sorted(ACTION_TYPES))
def test_every_action_type_of_the_reference_lints_and_runs(action_type: str):
    flow = one_action_flow(action_type)
    if action_type != "DistributeByPercentage":  # its operands are numbers under Number* operators
        assert lint_flow(flow, action_type, LintContext(policy=False)) == []
    result = run_flow(flow, start(), StandInEnvironment(lambda_answers={"f": {}}), ["1"], flow_name=action_type,
                      coverage=FlowCoverage())
    assert result.outcome in END_STATES
    assert result.steps[0].action_type == action_type


def test_the_action_list_is_a_dated_copy_of_the_reference():
    assert REFERENCE_DATE == "2026-11-29"
    assert len(ACTION_TYPES) >= 55
    assert {"MessageParticipantIteratively", "UpdateContactTextToSpeechVoice", "InvokeFlowModule", "CreateCase",
            "GetCustomerProfile", "ShowView", "CreateTask", "Loop"} <= ACTION_TYPES


def test_the_docs_table_lists_every_action_type_and_what_the_simulator_does():
    table = (Path(__file__).resolve().parents[2] / "docs" / "flow-language.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line for line in table.splitlines() if line.startswith("| `")}
    assert set(rows) >= ACTION_TYPES
    assert all(("runs" in rows[name] or "stand-in" in rows[name]) for name in ACTION_TYPES)
