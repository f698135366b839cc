"""Flow lint: the shipped flows lint clean, and each check fires on a small flow broken in one way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowlang.flow import Placeholder, flow_files, load_flow, placeholders
from flowlang.lint import Finding, FlowLintError, LintContext, lint_files, lint_flow, require_clean
from flowlang.prompts import LOCALIZED_KINDS, load_catalogs
from functions.manifest import FUNCTIONS
from functions.routing.policy import load_policy
from infra.flow_checks import view_names

# --- building small flows ----------------------------------------------------------------------------


def act(
    identifier: str,
    type_: str,
    parameters: dict[str, Any] | None = None,
    *,
    next_action: str | None = None,
    conditions: list[dict[str, Any]] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One action; errors maps ErrorType -> NextAction."""
    transitions: dict[str, Any] = {}
    if next_action:
        transitions["NextAction"] = next_action
    if conditions:
        transitions["Conditions"] = conditions
    if errors:
        transitions["Errors"] = [{"NextAction": target, "ErrorType": kind} for kind, target in errors.items()]
    parameters = parameters or {}
    return {"Identifier": identifier, "Type": type_, "Parameters": parameters, "Transitions": transitions}


def when(target: str, operand: str, operator: str = "Equals") -> dict[str, Any]:
    return {"NextAction": target, "Condition": {"Operator": operator, "Operands": [operand]}}


def message(identifier: str = "hello", next_action: str = "bye", **parameters: Any) -> dict[str, Any]:
    return act(identifier, "MessageParticipant", parameters or {"Text": "Hello"},
               next_action=next_action, errors={"NoMatchingError": next_action})


def disconnect(identifier: str = "bye") -> dict[str, Any]:
    return act(identifier, "DisconnectParticipant")


def lambda_call(identifier: str = "ask", **parameters: Any) -> dict[str, Any]:
    defaults = {"LambdaFunctionARN": "{{lambda:routing}}", "InvocationTimeLimitSeconds": "8",
                "ResponseValidation": {"ResponseType": "STRING_MAP"}}
    return act(identifier, "InvokeLambdaFunction", {**defaults, **parameters},
               next_action="bye", errors={"NoMatchingError": "bye"})


MENU_ERRORS = {"NoMatchingCondition": "bye", "NoMatchingError": "bye", "InputTimeLimitExceeded": "bye"}


def menu(conditions: list[dict[str, Any]] | None = None, **parameters: Any) -> dict[str, Any]:
    return act("menu", "GetParticipantInput", {"Text": "Press 1", "StoreInput": "False", **parameters},
               next_action="bye", conditions=conditions or [when("bye", "1")], errors=MENU_ERRORS)


def compare(conditions: list[dict[str, Any]], identifier: str = "cmp") -> dict[str, Any]:
    return act(identifier, "Compare", {"ComparisonValue": "$.Attributes.tier"}, next_action="bye",
               conditions=conditions, errors={"NoMatchingCondition": "bye"})


def flow(*actions: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    start = start or actions[0]["Identifier"]
    return {"Version": "2019-10-30", "StartAction": start, "Actions": list(actions)}


def lint(document: dict[str, Any], context: LintContext | None = None) -> list[Finding]:
    return lint_flow(document, "test", context)


def codes(findings: list[Finding]) -> set[str]:
    return {finding.code for finding in findings}


def assert_only(findings: list[Finding], code: str, action: str | None) -> None:
    """Exactly this kind of finding, about this action, with the action named in the message."""
    assert codes(findings) == {code}, [str(f) for f in findings]
    assert {finding.action for finding in findings} == {action}
    if action is not None:
        assert all(repr(action) in finding.message for finding in findings)


def project_context() -> LintContext:
    known = {Placeholder("lambda", name) for name in FUNCTIONS} | load_catalogs().placeholders()
    known |= {Placeholder("queue", name) for name in load_policy().queues}
    known |= {Placeholder("view", name) for name in view_names()}
    return LintContext(lambda_timeouts={name: spec.timeout_seconds for name, spec in FUNCTIONS.items()},
                       known_placeholders=known)


# --- the shipped flows ---------------------------------------------------------------------------------

def test_the_shipped_flows_lint_clean_against_the_manifest_and_the_policy():
    # Given every flow file, the functions' timeouts and the resources that exist
    # When they are linted / Then there is nothing to report
    assert lint_files(context=project_context()) == []


def test_the_inbound_flow_lints_clean_and_uses_only_known_placeholders():
    inbound = load_flow(flow_files()["inbound"])
    assert lint_flow(inbound, "inbound", project_context()) == []
    assert {p for p in placeholders(inbound) if p.kind not in LOCALIZED_KINDS} == {
        Placeholder("lambda", "routing"), Placeholder("lambda", "ticket-self-service"),
        Placeholder("lambda", "caller-verification"), Placeholder("lambda", "sentiment-context"),
        Placeholder("queue", "general")}


def test_a_minimal_valid_flow_is_clean():
    assert lint(flow(message(), disconnect())) == []


# --- top level and identifiers -------------------------------------------------------------------------

def test_an_unsupported_version_is_reported_and_the_rest_still_checked():
    document = {**flow(message(), disconnect()), "Version": "2020-01-01"}
    assert_only(lint(document), "unsupported-version", None)


def test_a_structurally_invalid_flow_is_one_finding():
    # Given an action without a Type
    document = flow(message(), {"Identifier": "bye", "Transitions": {}})
    findings = lint(document)
    assert_only(findings, "invalid-flow", None)
    assert "'bye' has no Type" in findings[0].message


def test_lint_files_turns_unreadable_json_into_a_finding(tmp_path: Path):
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "good.json").write_text(json.dumps(flow(message(), disconnect())), encoding="utf-8")
    findings = lint_files({"broken": tmp_path / "broken.json", "good": tmp_path / "good.json"})
    assert [(f.flow, f.code) for f in findings] == [("broken", "invalid-flow")]


def test_start_action_must_exist():
    # Given a StartAction that names no action (so nothing is reachable either)
    findings = lint(flow(message(), disconnect(), start="nowhere"))
    assert codes(findings) == {"unknown-start-action", "unreachable-action"}
    assert [f.action for f in findings if f.code == "unknown-start-action"] == [None]


def test_identifiers_must_be_unique():
    findings = lint(flow(message(), disconnect(), disconnect()))
    assert_only(findings, "duplicate-identifier", "bye")


def test_identifiers_are_at_most_50_characters():
    long_name = "x" * 51
    findings = lint(flow(message(next_action=long_name), disconnect(long_name)))
    assert_only(findings, "identifier-too-long", long_name)


@pytest.mark.parametrize("bad", ["a:b", "a/b", "a$b", "a{b}", "a,b", "a;b", "a=b", "a(b", "a)", "a[b]", "a%b",
                                 "a\\b"])
def test_identifiers_must_not_contain_forbidden_characters(bad: str):
    assert_only(lint(flow(message(next_action=bad), disconnect(bad))), "identifier-characters", bad)


@pytest.mark.parametrize("reserved", ["__proto__", "constructor", "toString"])
def test_identifiers_must_not_be_reserved_names(reserved: str):
    findings = lint(flow(message(next_action=reserved), disconnect(reserved)))
    assert_only(findings, "identifier-reserved", reserved)


def test_a_flow_has_at_most_250_actions():
    # Given a chain of 250 messages and a disconnect
    chain = [message(f"m{i}", next_action=f"m{i + 1}" if i < 249 else "bye") for i in range(250)]
    assert_only(lint(flow(*chain, disconnect())), "too-many-actions", None)


# --- graph ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["NextAction", "Conditions", "Errors"])
def test_every_transition_names_an_existing_action(where: str):
    # Given a menu with one transition pointing at an action that does not exist
    broken = menu()
    if where == "NextAction":
        broken["Transitions"]["NextAction"] = "ghost"
    elif where == "Conditions":
        broken["Transitions"]["Conditions"][0]["NextAction"] = "ghost"
    else:
        broken["Transitions"]["Errors"][0]["NextAction"] = "ghost"
    findings = lint(flow(broken, disconnect()))
    assert_only(findings, "unknown-next-action", "menu")
    assert "'ghost'" in findings[0].message


def test_every_action_is_reachable_from_the_start():
    assert_only(lint(flow(message(), disconnect(), message("orphan"))), "unreachable-action", "orphan")


def test_a_dead_loop_with_no_way_out_is_reported():
    # Given two messages that only lead to each other
    document = flow(message("ping", next_action="pong"), message("pong", next_action="ping"))
    findings = lint(document)
    assert codes(findings) == {"no-way-out"}
    assert {f.action for f in findings} == {"ping", "pong"}


def test_a_successful_transfer_counts_as_a_way_out():
    transfer = act("transfer", "TransferContactToQueue", next_action="transfer",
                   errors={"QueueAtCapacity": "transfer", "NoMatchingError": "transfer"})
    set_queue = act("queue", "UpdateContactTargetQueue", {"QueueId": "{{queue:general}}"},
                    next_action="transfer", errors={"NoMatchingError": "transfer"})
    assert lint(flow(set_queue, transfer)) == []


def test_terminal_actions_have_empty_transitions():
    terminal = {**disconnect(), "Transitions": {"NextAction": "hello"}}
    assert_only(lint(flow(message(), terminal)), "terminal-with-transitions", "bye")


def test_other_actions_need_an_outgoing_transition():
    stuck = act("log", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Enabled"})
    findings = lint(flow(stuck, disconnect()))
    assert "no-transition" in codes(findings)
    assert [f.action for f in findings if f.code == "no-transition"] == ["log"]


@pytest.mark.parametrize("action_type", ["Bogus", "PlayPrompt", "compare"])
def test_action_types_not_in_the_reference_are_reported(action_type: str):
    odd = act("odd", action_type, next_action="bye")
    assert_only(lint(flow(odd, disconnect())), "unsupported-action-type", "odd")
    assert [f.source for f in lint(flow(odd, disconnect()))] == ["connect"]


@pytest.mark.parametrize("action_type", ["Wait", "CheckMetricData", "InvokeFlowModule", "ShowView", "CreateCase",
                                         "UpdateContactTextToSpeechVoice", "GetCustomerProfile"])
def test_every_action_type_of_the_reference_is_known(action_type: str):
    later = act("later", action_type, next_action="bye")
    assert "unsupported-action-type" not in codes(lint(flow(later, disconnect())))


def test_malformed_transition_entries_are_reported():
    broken = message()
    broken["Transitions"]["Errors"].append({"NextAction": "bye"})  # no ErrorType
    assert_only(lint(flow(broken, disconnect())), "malformed-transition", "hello")


# --- error handling ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("action", "missing"),
    [
        (lambda_call(), "NoMatchingError"),
        (act("transfer", "TransferContactToQueue", next_action="bye",
             errors={"QueueAtCapacity": "bye", "NoMatchingError": "bye"}), "QueueAtCapacity"),
        (act("transfer", "TransferContactToQueue", next_action="bye",
             errors={"QueueAtCapacity": "bye", "NoMatchingError": "bye"}), "NoMatchingError"),
        (menu(), "NoMatchingCondition"),
        (menu(), "NoMatchingError"),
        (menu(), "InputTimeLimitExceeded"),
        (act("queue", "UpdateContactTargetQueue", {"QueueId": "{{queue:general}}"}, next_action="bye",
             errors={"NoMatchingError": "bye"}), "NoMatchingError"),
        (act("set", "UpdateContactAttributes", {"Attributes": {"a": "b"}}, next_action="bye",
             errors={"NoMatchingError": "bye"}), "NoMatchingError"),
        (message(), "NoMatchingError"),
        (act("hours", "CheckHoursOfOperation", next_action="bye",
             conditions=[when("bye", "True"), when("bye", "False")], errors={"NoMatchingError": "bye"}),
         "NoMatchingError"),
        (act("hooks", "UpdateContactEventHooks", {"EventHooks": {"CustomerRemaining": "{{flow:survey}}"}},
             next_action="bye", errors={"NoMatchingError": "bye"}), "NoMatchingError"),
        (compare([when("bye", "gold")]), "NoMatchingCondition"),
    ],
)
def test_actions_that_can_fail_declare_their_error_branches(action: dict[str, Any], missing: str):
    # Given an otherwise valid action without one of its error branches
    assert lint(flow(action, disconnect())) == []
    transitions = action["Transitions"]
    transitions["Errors"] = [e for e in transitions["Errors"] if e["ErrorType"] != missing]
    findings = lint(flow(action, disconnect()))
    assert_only(findings, "missing-error-branch", action["Identifier"])
    assert missing in findings[0].message


def test_stored_input_needs_no_no_matching_condition_branch():
    stored = act("ask", "GetParticipantInput", {"Text": "Rate us 1-5", "StoreInput": "True"},
                 next_action="bye", errors={"NoMatchingError": "bye", "InputTimeLimitExceeded": "bye"})
    assert lint(flow(stored, disconnect())) == []


# --- conditions ----------------------------------------------------------------------------------------

def test_actions_without_branches_take_no_conditions():
    chatty = lambda_call()
    chatty["Transitions"]["Conditions"] = [when("bye", "x")]
    assert_only(lint(flow(chatty, disconnect())), "unexpected-conditions", "ask")


@pytest.mark.parametrize("operands", [["True"], ["True", "False", "Maybe"], ["true", "false"]])
def test_hours_checks_have_exactly_true_and_false(operands: list[str]):
    hours = act("hours", "CheckHoursOfOperation", next_action="bye",
                conditions=[when("bye", operand) for operand in operands], errors={"NoMatchingError": "bye"})
    assert_only(lint(flow(hours, disconnect())), "hours-conditions", "hours")


@pytest.mark.parametrize("condition", [when("bye", "12"), when("bye", "a"), when("bye", "1", "TextContains")])
def test_key_menus_allow_only_equals_a_single_key(condition: dict[str, Any]):
    assert_only(lint(flow(menu(conditions=[condition]), disconnect())), "menu-condition", "menu")


def test_a_key_menu_accepts_star_and_hash():
    keys = [when("bye", "*"), when("bye", "#"), when("bye", "0")]
    assert lint(flow(menu(conditions=keys), disconnect())) == []


def test_a_key_menu_has_no_duplicate_keys():
    findings = lint(flow(menu(conditions=[when("bye", "1"), when("bye", "1")]), disconnect()))
    assert_only(findings, "duplicate-condition", "menu")


def test_compare_allows_only_the_documented_operators():
    findings = lint(flow(compare([when("bye", "gold", "Matches")]), disconnect()))
    assert_only(findings, "compare-condition", "cmp")


@pytest.mark.parametrize("operator", ["NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan",
                                      "NumberLessOrEqualTo"])
def test_number_comparisons_need_numeric_operands(operator: str):
    assert lint(flow(compare([when("bye", "2.5", operator)]), disconnect())) == []
    findings = lint(flow(compare([when("bye", "two", operator)]), disconnect()))
    assert_only(findings, "non-numeric-operand", "cmp")


def test_text_comparisons_are_accepted():
    operators = ("Equals", "TextStartsWith", "TextEndsWith", "TextContains")
    conditions = [when("bye", "go", operator) for operator in operators]
    assert lint(flow(compare(conditions), disconnect())) == []


# --- parameters ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("limit", ["8", 8, "1", 1])
def test_lambda_time_limit_accepts_static_integers_1_to_8_as_text_or_number(limit: Any):
    assert lint(flow(lambda_call(InvocationTimeLimitSeconds=limit), disconnect())) == []


@pytest.mark.parametrize("limit", ["9", 0, "0", "$.Attributes.limit", "five", True, "4.5", None])
def test_lambda_time_limit_outside_1_to_8_or_dynamic_is_reported(limit: Any):
    findings = lint(flow(lambda_call(InvocationTimeLimitSeconds=limit), disconnect()))
    assert_only(findings, "invocation-time-limit", "ask")


@pytest.mark.parametrize(("limit", "clean"), [("4", False), ("3", False), ("5", True)])
def test_lambda_time_limit_must_exceed_the_function_timeout(limit: str, clean: bool):
    # Given a function whose own timeout is 4 s
    context = LintContext(lambda_timeouts={"routing": 4})
    findings = lint(flow(lambda_call(InvocationTimeLimitSeconds=limit), disconnect()), context)
    if clean:
        assert findings == []
    else:
        assert_only(findings, "invocation-time-limit-vs-timeout", "ask")
        assert "routing function's timeout (4 s)" in findings[0].message


def test_lambda_time_limit_is_not_compared_for_functions_the_context_does_not_know():
    context = LintContext(lambda_timeouts={"other": 8})
    assert lint(flow(lambda_call(InvocationTimeLimitSeconds="2"), disconnect()), context) == []


@pytest.mark.parametrize("validation", [{"ResponseType": "XML"}, {}, "STRING_MAP"])
def test_lambda_response_type_is_string_map_or_json(validation: Any):
    assert_only(lint(flow(lambda_call(ResponseValidation=validation), disconnect())), "response-type", "ask")


def test_lambda_arn_is_a_lambda_placeholder():
    assert_only(lint(flow(lambda_call(LambdaFunctionARN="{{queue:general}}"), disconnect())), "lambda-arn", "ask")


def test_a_lambda_without_its_arn_is_what_connect_refuses():
    findings = lint(flow(lambda_call(LambdaFunctionARN=""), disconnect()))
    assert_only(findings, "missing-parameter", "ask")
    assert findings[0].source == "connect"


@pytest.mark.parametrize("priority", ["0", "-1", "high", "$.Attributes.priority", 1.5])
def test_queue_priority_is_a_static_positive_integer(priority: Any):
    routing = act("prio", "UpdateContactRoutingBehavior", {"QueuePriority": priority}, next_action="bye")
    assert_only(lint(flow(routing, disconnect())), "queue-priority", "prio")


@pytest.mark.parametrize(("queue", "clean"), [
    ("{{queue:general}}", True),
    ("$.Attributes.queue_arn", True),
    ("$.External.queue_arn", True),
    ("general", False),
    ("{{lambda:routing}}", False),
    ("$.Attributes.a$.Attributes.b", False),
    ("queue-$.Attributes.name", False),
])
def test_target_queue_is_a_queue_placeholder_or_one_jsonpath(queue: str, clean: bool):
    target = act("queue", "UpdateContactTargetQueue", {"QueueId": queue}, next_action="bye",
                 errors={"NoMatchingError": "bye"})
    findings = lint(flow(target, disconnect()))
    if clean:
        assert findings == []
    else:
        assert_only(findings, "queue-id", "queue")


@pytest.mark.parametrize("parameters", [{}, {"Text": "Hi", "SSML": "<speak>Hi</speak>"},
                                        {"Text": "Hi", "PromptId": "{{prompt:welcome}}"}])
def test_a_message_has_exactly_one_kind_of_content(parameters: dict[str, Any]):
    broken = message()
    broken["Parameters"] = parameters
    assert_only(lint(flow(broken, disconnect())), "message-content", "hello")


def test_a_menu_prompt_has_exactly_one_kind_of_content():
    broken = menu()
    del broken["Parameters"]["Text"]
    assert_only(lint(flow(broken, disconnect())), "message-content", "menu")


# --- instance-specific values --------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["QueueId", "EventHooks"])
def test_arns_must_be_placeholders(where: str):
    arn = "arn:aws:connect:us-east-1:123456789012:instance/abc/queue/def"
    if where == "QueueId":
        action = act("queue", "UpdateContactTargetQueue", {"QueueId": arn}, next_action="bye",
                     errors={"NoMatchingError": "bye"})
        expected = {"hardcoded-arn", "queue-id"}
    else:
        action = act("queue", "UpdateContactEventHooks", {"EventHooks": {"CustomerRemaining": arn}},
                     next_action="bye", errors={"NoMatchingError": "bye"})
        expected = {"hardcoded-arn"}
    findings = lint(flow(action, disconnect()))
    assert codes(findings) == expected
    assert any(f.code == "hardcoded-arn" and "'queue'" in f.message for f in findings)


def test_words_ending_in_arn_are_not_arns():
    assert lint(flow(message(Text="To learn: more, press 1. Yarn: no."), disconnect())) == []


@pytest.mark.parametrize("token", ["{{bucket:files}}", "{{Lambda:Routing}}", "{{lambda routing}}"])
def test_placeholders_must_be_of_a_known_kind(token: str):
    assert_only(lint(flow(message(Text=f"Hi {token}"), disconnect())), "bad-placeholder", "hello")


def test_placeholders_must_be_known_when_the_context_lists_them():
    context = LintContext(known_placeholders={Placeholder("lambda", "routing")})
    findings = lint(flow(lambda_call(LambdaFunctionARN="{{lambda:routnig}}"), disconnect()), context)
    assert_only(findings, "unknown-placeholder", "ask")
    assert "{{lambda:routnig}}" in findings[0].message


# --- reporting -----------------------------------------------------------------------------------------

def test_require_clean_passes_without_findings():
    require_clean([])


def test_require_clean_raises_with_every_error_listed():
    findings = lint(flow(message(), disconnect(), message("orphan", next_action="nowhere"), message("stray")))
    with pytest.raises(FlowLintError) as error:
        require_clean(findings)
    assert error.value.findings == [f for f in findings if f.severity == "error"]
    assert "'orphan'" in str(error.value) and "[unknown-next-action]" in str(error.value)
    assert "[unreachable-action]" not in str(error.value)  # a warning does not stop a deployment


def test_warnings_alone_are_clean():
    findings = lint(flow(message(), disconnect(), message("orphan")))
    assert {(f.code, f.severity, f.source) for f in findings} == {("unreachable-action", "warning", "policy")}
    require_clean(findings)


def test_policy_rules_are_off_for_a_foreign_flow():
    arn = "arn:aws:lambda:us-east-1:111122223333:function:lookup"
    lookup = act("ask", "InvokeLambdaFunction", {"LambdaFunctionARN": arn, "InvocationTimeLimitSeconds": "8"},
                 next_action="bye")
    foreign = flow(lookup, disconnect(), message("orphan"))
    assert {f.code for f in lint(foreign)} >= {"hardcoded-arn", "missing-error-branch", "unreachable-action"}
    assert lint_flow(foreign, "theirs", LintContext(policy=False)) == []


def test_conditions_the_reference_allows_are_not_false_alarms():
    hold = act("hold", "MessageParticipantIteratively", {"Messages": [{"Text": "Please hold"}]},
               conditions=[when("bye", "MessagesInterrupted")], errors={"NoMatchingError": "bye"})
    assert lint_flow(flow(hold, disconnect()), "queue", LintContext(policy=False)) == []
    loop = act("loop", "Loop", {"LoopCount": "3"}, conditions=[when("hold", "ContinueLooping"), when("bye", "Maybe")])
    assert_only(lint_flow(flow(loop, hold, disconnect()), "queue", LintContext(policy=False)),
                "condition-not-allowed", "loop")


def test_an_error_type_the_action_cannot_raise_is_a_warning():
    odd = act("hello", "MessageParticipant", {"Text": "Hello"}, next_action="bye",
              errors={"NoMatchingError": "bye", "QueueAtCapacity": "bye"})
    findings = lint(flow(odd, disconnect()))
    assert {(f.code, f.severity) for f in findings} == {("unknown-error-type", "warning")}


@pytest.mark.parametrize(("action_type", "parameter"), [("Loop", "LoopCount"), ("InvokeFlowModule", "FlowModuleId"),
                                                        ("UpdateContactTextToSpeechVoice", "TextToSpeechVoice"),
                                                        ("Compare", "ComparisonValue")])
def test_a_parameter_the_reference_requires_is_what_connect_would_refuse_without(action_type: str, parameter: str):
    bare = act("bare", action_type, {}, next_action="bye", errors={"NoMatchingError": "bye",
                                                                    "NoMatchingCondition": "bye"})
    findings = [f for f in lint_flow(flow(bare, disconnect()), "f", LintContext(policy=False))
                if f.code == "missing-parameter"]
    assert [(f.action, f.source) for f in findings] == [("bare", "connect")]
    assert parameter in findings[0].message
