"""`callcenter flow lint` and `callcenter flow run`, as a user runs them on their own exports and on ours."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.cli import main

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "flows" / "corpus"
SIMPLE_SURVEY = CORPUS / "contact-surveys--examples--2-Simple-Survey-Example.json"
DISCONNECT = CORPUS / "contact-surveys--examples--1-Survey-Example-Disconnect.json"
SURVEY_MODULE = CORPUS / "contact-surveys--deployment--ContactFlowModule-Contact-Survey.json"
INBOUND = REPO / "infra" / "flows" / "inbound.json"
AT = "2026-11-24T10:30:00-05:00"


def flow_file(tmp_path: Path, *actions: dict) -> Path:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"Version": "2019-10-30", "StartAction": actions[0]["Identifier"],
                                "Actions": list(actions)}), encoding="utf-8")
    return path


def lambda_then_bye(arn: str = "arn:aws:lambda:us-east-1:111122223333:function:lookup") -> list[dict]:
    call = {"Identifier": "ask", "Type": "InvokeLambdaFunction",
            "Parameters": {"LambdaFunctionARN": arn, "InvocationTimeLimitSeconds": "8"},
            "Transitions": {"NextAction": "hi", "Errors": [{"NextAction": "sorry", "ErrorType": "NoMatchingError"}]}}
    hi = {"Identifier": "hi", "Type": "MessageParticipant", "Parameters": {"Text": "$.External.greeting"},
          "Transitions": {"NextAction": "bye"}}
    sorry = {"Identifier": "sorry", "Type": "MessageParticipant", "Parameters": {"Text": "Sorry"},
             "Transitions": {"NextAction": "bye"}}
    return [call, hi, sorry, {"Identifier": "bye", "Type": "DisconnectParticipant", "Transitions": {}}]


# --- lint -------------------------------------------------------------------------------------------------------

def test_lint_of_public_exports_and_our_flows_is_clean(capsys):
    assert main(["flow", "lint", str(SIMPLE_SURVEY), str(DISCONNECT), str(INBOUND)]) == 0
    assert "3 file(s) linted: 0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_lint_policy_is_off_for_a_foreign_file_unless_asked(capsys):
    assert main(["flow", "lint", "--json", str(SIMPLE_SURVEY)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["flow", "lint", "--json", "--policy", str(SIMPLE_SURVEY)]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert {f["rule"] for f in findings} == {"hardcoded-arn", "queue-id"}
    assert all(f.keys() >= {"action", "rule", "severity", "message", "source"} for f in findings)
    assert {(f["source"], f["severity"]) for f in findings} == {("policy", "error")}


def test_lint_exits_1_on_what_connect_would_refuse(tmp_path, capsys):
    actions = lambda_then_bye()
    actions[0]["Parameters"]["InvocationTimeLimitSeconds"] = "30"
    assert main(["flow", "lint", "--json", str(flow_file(tmp_path, *actions))]) == 1
    [finding] = json.loads(capsys.readouterr().out)
    assert (finding["action"], finding["rule"], finding["source"]) == ("ask", "invocation-time-limit", "connect")


def test_lint_exits_0_on_warnings_only(tmp_path, capsys):
    actions = lambda_then_bye()
    actions[1]["Transitions"] = {"NextAction": "bye", "Errors": [{"NextAction": "bye", "ErrorType": "Nonsense"}]}
    assert main(["flow", "lint", str(flow_file(tmp_path, *actions))]) == 0
    assert "unknown-error-type (warning, connect)" in capsys.readouterr().out


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_lint_exits_2_on_a_file_that_is_not_a_flow(tmp_path, capsys, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    assert main(["flow", "lint", str(bad), str(SIMPLE_SURVEY)]) == 2
    assert "bad.json" in capsys.readouterr().err


def test_lint_exits_2_on_a_missing_file(tmp_path, capsys):
    assert main(["flow", "lint", str(tmp_path / "nowhere.json")]) == 2


# --- run --------------------------------------------------------------------------------------------------------

def run_json(capsys, *args: str) -> dict:
    assert main(["flow", "run", *args, "--at", AT, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_run_json_has_outcome_steps_and_coverage(capsys):
    result = run_json(capsys, str(SIMPLE_SURVEY))
    assert result["outcome"] == "queued"
    assert [step.keys() >= {"action_id", "type", "branch"} for step in result["steps"]] == [True] * 5
    assert result["coverage"] == {"actions_run": 5, "actions_total": 9, "branches_taken": 5, "branches_total": 15}


def test_a_lambda_answers_from_a_file_by_its_function_name(tmp_path, capsys):
    answer = tmp_path / "lookup.json"
    answer.write_text(json.dumps({"greeting": "Hello Ada"}), encoding="utf-8")
    result = run_json(capsys, str(flow_file(tmp_path, *lambda_then_bye())), "--lambda", f"lookup={answer}")
    assert result["prompts"] == ["Hello Ada"]


def test_a_lambda_without_an_answer_takes_its_error_branch(tmp_path, capsys):
    result = run_json(capsys, str(flow_file(tmp_path, *lambda_then_bye())))
    assert (result["steps"][0]["branch"], result["prompts"]) == ("error:NoMatchingError", ["Sorry"])


def test_a_module_given_by_file_runs_inside_the_flow(capsys):
    module = f"1bc263e9-09cf-432c-971c-32da62c784af={SURVEY_MODULE}"
    result = run_json(capsys, str(DISCONNECT), "--module", module)
    assert any(step["action_id"].startswith(SURVEY_MODULE.stem) for step in result["steps"])
    assert result["outcome"] == "disconnected"


def test_a_stand_in_takes_the_branch_chosen_for_it(tmp_path, capsys):
    view = {"Identifier": "view", "Type": "ShowView", "Parameters": {"ViewResource": {"Id": "x"}},
            "Transitions": {"NextAction": "bye", "Conditions": [
                {"NextAction": "back", "Condition": {"Operator": "Equals", "Operands": ["Back"]}}]}}
    back = {"Identifier": "back", "Type": "MessageParticipant", "Parameters": {"Text": "Going back"},
            "Transitions": {"NextAction": "bye"}}
    path = flow_file(tmp_path, view, back, {"Identifier": "bye", "Type": "DisconnectParticipant", "Transitions": {}})
    assert run_json(capsys, str(path))["prompts"] == []
    assert run_json(capsys, str(path), "--choose", "view=Back")["prompts"] == ["Going back"]


def test_hours_and_full_queues_by_name(capsys):
    full = run_json(capsys, str(INBOUND), "--queue-full", "general")
    assert full["outcome"] == "disconnected"  # routing has no answer: the general queue, which is full
    closed = run_json(capsys, str(INBOUND), "--hours", "general=closed")
    assert closed["prompts"][-1].startswith("Thank you for calling. We are closed right now.")


def test_our_flow_runs_with_the_real_handlers_in_spanish(capsys):
    result = run_json(capsys, str(INBOUND), "--real", "--from", "+17135550188")
    assert (result["outcome"], result["queue"], result["language"]) == ("queued", "spanish", "es-US")
    assert result["prompts"][0].startswith("Gracias por llamar")


def test_real_is_only_for_our_flows(capsys):
    assert main(["flow", "run", str(SIMPLE_SURVEY), "--real"]) == 2
    assert "only our flows" in capsys.readouterr().err


def test_a_flow_that_cannot_run_as_written_exits_1(tmp_path, capsys):
    ask = lambda_then_bye()[1]
    ask["Transitions"] = {}  # a message with nowhere to go
    assert main(["flow", "run", str(flow_file(tmp_path, ask)), "--at", AT]) == 1
    assert "cannot be run as written" in capsys.readouterr().err
