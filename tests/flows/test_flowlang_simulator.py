"""The flow simulator: Connect-like execution of small hand-written flows and of the real inbound flow.

The environment is a fake: Lambdas are plain Python functions keyed by ARN, queues a dict of ARN -> name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from flowlang.flow import Placeholder, flow_files, load_flow, substitute
from flowlang.language import SUPPORTED_ACTION_TYPES
from flowlang.prompts import as_written, localize, written_id
from flowlang.simulator import (
    ACTION_HANDLERS,
    CallResult,
    ContactStart,
    FlowCoverage,
    FlowDefinitionError,
    FlowLoopError,
    LambdaInvocationError,
    Step,
    UnsupportedAction,
    run_flow,
)

NOW = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)
CALLER, MAIN_LINE = "+14155550100", "+18005550100"
QUEUES = ("general", "vip", "billing", "support", "sales")
ROUTING = "arn:aws:lambda:fake:lambda/routing"


def fake_arn(placeholder: Placeholder) -> str:
    return f"arn:aws:lambda:fake:{placeholder.kind}/{placeholder.name}"


def queue_arn(name: str) -> str:
    return fake_arn(Placeholder("queue", name))


# --- the fake environment ------------------------------------------------------------------------------

Lambda = Callable[[dict[str, Any]], Any]


@dataclass
class FakeEnvironment:
    lambdas: dict[str, Lambda] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=lambda: {queue_arn(name): name for name in QUEUES})
    closed: set[str] = field(default_factory=set)  # queue names (or hours ids) that are closed
    full: set[str] = field(default_factory=set)  # queue names at capacity
    invocations: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)
    hours_asked: list[tuple[str | None, str | None, datetime]] = field(default_factory=list)

    def invoke_lambda(self, function_arn: str, event: dict[str, Any], time_limit_seconds: float) -> Any:
        self.invocations.append((function_arn, event, time_limit_seconds))
        if function_arn not in self.lambdas:
            raise LambdaInvocationError("error", f"no function {function_arn}")
        return self.lambdas[function_arn](event)

    def queue_name(self, queue_arn: str) -> str | None:
        return self.queues.get(queue_arn)

    def hours_open(self, queue_arn: str | None, hours_id: str | None, at: datetime) -> bool:
        self.hours_asked.append((queue_arn, hours_id, at))
        return (hours_id or self.queues[queue_arn or ""]) not in self.closed

    def queue_at_capacity(self, queue_arn: str) -> bool:
        return self.queues.get(queue_arn) in self.full


def failing(kind: Literal["error", "timeout"]) -> Lambda:
    def handler(event: dict[str, Any]) -> Any:
        raise LambdaInvocationError(kind, f"injected {kind}")

    return handler


def returning(response: Any) -> Lambda:
    return lambda event: response


def start(**overrides: Any) -> ContactStart:
    defaults: dict[str, Any] = {"contact_id": "c-1", "customer_address": CALLER, "system_address": MAIN_LINE,
                                "now": NOW}
    return ContactStart(**{**defaults, **overrides})


# --- building small flows ------------------------------------------------------------------------------

def act(identifier: str, type_: str, parameters: dict[str, Any] | None = None, *, next_action: str | None = None,
        conditions: list[dict[str, Any]] | None = None, **errors: str) -> dict[str, Any]:
    transitions: dict[str, Any] = {}
    if next_action:
        transitions["NextAction"] = next_action
    if conditions:
        transitions["Conditions"] = conditions
    if errors:
        transitions["Errors"] = [{"NextAction": target, "ErrorType": kind} for kind, target in errors.items()]
    return {"Identifier": identifier, "Type": type_, "Parameters": parameters or {}, "Transitions": transitions}


def when(target: str, operand: str, operator: str = "Equals") -> dict[str, Any]:
    return {"NextAction": target, "Condition": {"Operator": operator, "Operands": [operand]}}


def say(identifier: str, text: str, next_action: str = "bye", error: str = "oops") -> dict[str, Any]:
    return act(identifier, "MessageParticipant", {"Text": text}, next_action=next_action, NoMatchingError=error)


def flow(*actions: dict[str, Any]) -> dict[str, Any]:
    ends = [act("bye", "DisconnectParticipant"), act("oops", "EndFlowExecution")]
    return {"Version": "2019-10-30", "StartAction": actions[0]["Identifier"], "Actions": [*actions, *ends]}


def run(document: dict[str, Any], env: FakeEnvironment | None = None, keys: tuple[str | None, ...] = (),
        coverage: FlowCoverage | None = None, **contact: Any) -> CallResult:
    return run_flow(document, start(**contact), env or FakeEnvironment(), keys, coverage=coverage or FlowCoverage())


def path(result: CallResult) -> list[str]:
    """The actions the contact went through, as the flow file writes them (a language switch and its copy
    are one action of the file: flowlang/prompts.py)."""
    return as_written([step.action_id for step in result.steps])


def step_of(result: CallResult, written: str) -> Step:
    """The step of an action as written in the file (its language copy when it has one)."""
    switch = [step.action_id == written and step.action_type == "Compare" and "$.LanguageCode" in step.summary
              for step in result.steps]
    return next(step for step, is_switch in zip(result.steps, switch, strict=True)
                if written_id(step.action_id) == written and not is_switch)


def branches(result: CallResult) -> list[str]:
    return [step.branch for step in result.steps]


def invoke(identifier: str = "ask", next_action: str = "bye", **parameters: Any) -> dict[str, Any]:
    defaults = {"LambdaFunctionARN": ROUTING, "InvocationTimeLimitSeconds": "8",
                "ResponseValidation": {"ResponseType": "STRING_MAP"}}
    return act(identifier, "InvokeLambdaFunction", {**defaults, **parameters}, next_action=next_action,
               NoMatchingError="oops")


MENU = act("menu", "GetParticipantInput", {"Text": "Press 1 or 2", "StoreInput": "False",
                                           "InputTimeLimitSeconds": "5"},
           next_action="bye", conditions=[when("one", "1"), when("two", "2")],
           InputTimeLimitExceeded="silent", NoMatchingCondition="invalid", NoMatchingError="oops")
MENU_FLOW = flow(MENU, say("one", "You chose one"), say("two", "You chose two"), say("silent", "Nothing?"),
                 say("invalid", "Not an option"))


# --- messages and interpolation ------------------------------------------------------------------------

def test_a_message_is_played_with_its_jsonpaths_filled_in():
    result = run(flow(say("hi", "Hello $.Attributes.name, you called $.SystemEndpoint.Address.")),
                 attributes={"name": "Ann"})
    assert result.prompts == [f"Hello Ann, you called {MAIN_LINE}."]
    assert (result.outcome, path(result)) == ("disconnected", ["hi", "bye"])
    assert result.steps[0].summary == f'Play: "Hello Ann, you called {MAIN_LINE}."'


def test_a_message_naming_a_missing_value_takes_the_error_branch():
    result = run(flow(say("hi", "Hello $.Attributes.name")))
    assert (path(result), branches(result)[0], result.outcome) == (["hi", "oops"], "error:NoMatchingError", "ended")
    assert result.steps[0].data["missing"] == "$.Attributes.name"
    assert result.prompts == []


def test_an_empty_message_takes_the_error_branch():
    result = run(flow(say("hi", "$.Attributes.blank")), attributes={"blank": ""})
    assert branches(result)[0] == "error:NoMatchingError"


def test_a_withheld_number_has_no_customer_address():
    result = run(flow(say("hi", "You are $.CustomerEndpoint.Address")), customer_address=None)
    assert branches(result)[0] == "error:NoMatchingError"


# --- key menus -----------------------------------------------------------------------------------------

def test_a_key_press_takes_its_condition():
    result = run(MENU_FLOW, keys=("2",))
    assert path(result) == ["menu", "two", "bye"]
    assert result.steps[0].summary == "Caller pressed 2"
    assert (result.steps[0].branch, result.steps[0].data["key"]) == ("Equals 2", "2")
    assert result.prompts == ["Press 1 or 2", "You chose two"]


@pytest.mark.parametrize("keys", [(None,), ()])
def test_silence_or_no_more_presses_takes_the_time_limit_branch(keys: tuple[str | None, ...]):
    result = run(MENU_FLOW, keys=keys)
    assert path(result) == ["menu", "silent", "bye"]
    assert branches(result)[0] == "error:InputTimeLimitExceeded"


def test_silence_falls_back_to_no_matching_error_when_no_time_limit_branch_is_declared():
    menu = json.loads(json.dumps(MENU))
    menu["Transitions"]["Errors"] = [e for e in menu["Transitions"]["Errors"]
                                     if e["ErrorType"] != "InputTimeLimitExceeded"]
    result = run(flow(menu, say("one", "1"), say("two", "2"), say("invalid", "?")), keys=(None,))
    assert (path(result), branches(result)[0]) == (["menu", "oops"], "error:NoMatchingError")


def test_an_invalid_key_takes_no_matching_condition():
    result = run(MENU_FLOW, keys=("7",))
    assert (path(result), branches(result)[0]) == (["menu", "invalid", "bye"], "error:NoMatchingCondition")
    assert result.steps[0].summary == "Caller pressed 7 (not an option)"


def test_stored_input_is_available_to_later_actions_and_keys_may_be_dynamic():
    ask = act("ask", "GetParticipantInput", {"Text": "Rate us", "StoreInput": "True"}, next_action="save",
              InputTimeLimitExceeded="oops", NoMatchingError="oops")
    save = act("save", "UpdateContactAttributes",
               {"Attributes": {"rating_$.Attributes.round": "$.StoredCustomerInput"}, "TargetContact": "Current"},
               next_action="bye", NoMatchingError="oops")
    result = run(flow(ask, save), keys=("4",), attributes={"round": "1"})
    assert result.attributes == {"round": "1", "rating_1": "4"}
    assert result.steps[0].summary == "Caller entered 4"


# --- Lambda --------------------------------------------------------------------------------------------

def test_a_lambda_gets_the_connect_event_and_its_answer_becomes_external():
    # Given a Lambda that echoes a parameter and a flow that saves its answer
    env = FakeEnvironment(lambdas={ROUTING: lambda event: {"echo": event["Details"]["Parameters"]["who"]}})
    save = act("save", "UpdateContactAttributes", {"Attributes": {"echo": "$.External.echo"}},
               next_action="bye", NoMatchingError="oops")
    queue = act("queue", "UpdateContactTargetQueue", {"QueueId": queue_arn("vip")}, next_action="ask",
                NoMatchingError="oops")
    document = flow(queue, invoke(next_action="save",
                                  LambdaInvocationAttributes={"who": "$.Attributes.name", "fixed": "x"}), save)
    # When the call runs
    result = run(document, env, attributes={"name": "Ann"})
    # Then the event has the shape Connect sends
    arn, event, limit = env.invocations[0]
    assert (arn, limit) == (ROUTING, 8.0)
    assert event["Name"] == "ContactFlowEvent"
    assert event["Details"]["Parameters"] == {"who": "Ann", "fixed": "x"}
    assert event["Details"]["ContactData"] == {
        "Attributes": {"name": "Ann"},
        "Channel": "VOICE",
        "ContactId": "c-1",
        "CustomerEndpoint": {"Address": CALLER, "Type": "TELEPHONE_NUMBER"},
        "InitialContactId": "c-1",
        "InitiationMethod": "INBOUND",
        "InstanceARN": "arn:aws:connect:us-east-1:123456789012:instance/local",
        "PreviousContactId": "c-1",
        "Queue": {"ARN": queue_arn("vip"), "Name": "vip"},
        "SystemEndpoint": {"Address": MAIN_LINE, "Type": "TELEPHONE_NUMBER"},
        "MediaStreams": {},
    }
    # And its answer was saved through $.External
    assert result.attributes["echo"] == "Ann"
    assert result.steps[1].summary == "Lambda routing returned 1 attributes"
    assert result.lambda_calls[0]["response"] == {"echo": "Ann"}
    assert result.lambda_calls[0]["elapsed_seconds"] >= 0


def test_a_withheld_number_and_no_queue_are_null_in_the_event():
    env = FakeEnvironment(lambdas={ROUTING: returning({})})
    run(flow(invoke(InvocationTimeLimitSeconds=3)), env, customer_address=None, system_address=None)
    contact_data = env.invocations[0][1]["Details"]["ContactData"]
    assert (contact_data["CustomerEndpoint"], contact_data["SystemEndpoint"], contact_data["Queue"]) == (
        None, None, None)
    assert env.invocations[0][2] == 3.0


@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_a_failing_or_slow_lambda_takes_the_error_branch(kind: str):
    result = run(flow(invoke()), FakeEnvironment(lambdas={ROUTING: failing(kind)}))
    assert (path(result), branches(result)[0]) == (["ask", "oops"], "error:NoMatchingError")
    assert result.lambda_calls[0]["error"] == {"kind": kind, "detail": f"injected {kind}"}
    assert f"failed ({kind}: injected {kind})" in result.steps[0].summary


@pytest.mark.parametrize("response", [
    {"nested": {"a": "b"}},
    {"count": 3},
    ["not", "a", "map"],
    "text",
    {"big": "x" * (32 * 1024)},
])
def test_a_string_map_answer_that_is_not_a_small_flat_map_of_strings_takes_the_error_branch(response: Any):
    result = run(flow(invoke()), FakeEnvironment(lambdas={ROUTING: returning(response)}))
    assert branches(result)[0] == "error:NoMatchingError"
    assert result.lambda_calls[0]["error"]["kind"] == "invalid-response"


def test_a_string_map_just_under_32_kb_is_accepted():
    # {"big": "..."} is 11 bytes of JSON around the value
    response = {"big": "x" * (32 * 1024 - 12)}
    result = run(flow(invoke()), FakeEnvironment(lambdas={ROUTING: returning(response)}))
    assert branches(result)[0] == "next"


def test_a_json_answer_may_be_nested_and_is_read_by_path():
    env = FakeEnvironment(lambdas={ROUTING: returning({"customer": {"tier": "gold", "vip": True}})})
    save = act("save", "UpdateContactAttributes",
               {"Attributes": {"tier": "$.External.customer.tier", "vip": "$.External.customer.vip"}},
               next_action="bye", NoMatchingError="oops")
    result = run(flow(invoke(next_action="save", ResponseValidation={"ResponseType": "JSON"}), save), env)
    assert result.attributes == {"tier": "gold", "vip": "true"}


def test_external_holds_only_the_latest_lambda_result():
    second = "arn:aws:lambda:fake:lambda/second"
    env = FakeEnvironment(lambdas={ROUTING: returning({"a": "1"}), second: returning({"b": "2"})})
    save = act("save", "UpdateContactAttributes", {"Attributes": {"a": "$.External.a"}}, next_action="bye",
               NoMatchingError="oops")
    result = run(flow(invoke(next_action="again"), invoke("again", next_action="save",
                                                          LambdaFunctionARN=second), save), env)
    assert (path(result)[-2:], result.attributes) == (["save", "oops"], {})


# --- attributes, compare, queues -----------------------------------------------------------------------

def test_attributes_are_set_all_or_nothing():
    update = act("set", "UpdateContactAttributes",
                 {"Attributes": {"a": "one", "b": "$.Attributes.missing"}}, next_action="bye", NoMatchingError="oops")
    result = run(flow(update), attributes={"keep": "me"})
    assert (branches(result)[0], result.attributes) == ("error:NoMatchingError", {"keep": "me"})


@pytest.mark.parametrize(("operator", "operand", "value", "matches"), [
    ("Equals", "gold", "gold", True),
    ("Equals", "gold", "Gold", False),
    ("TextStartsWith", "go", "gold", True),
    ("TextEndsWith", "ld", "gold", True),
    ("TextContains", "ol", "gold", True),
    ("TextContains", "xx", "gold", False),
    ("NumberGreaterThan", "2", "10", True),
    ("NumberGreaterThan", "10", "10", False),
    ("NumberGreaterOrEqualTo", "10", "10.0", True),
    ("NumberLessThan", "2", "1.5", True),
    ("NumberLessOrEqualTo", "2", "3", False),
    ("NumberGreaterThan", "2", "many", False),
])
def test_compare_operators(operator: str, operand: str, value: str, matches: bool):
    compare = act("cmp", "Compare", {"ComparisonValue": "$.Attributes.v"}, next_action="no",
                  conditions=[when("yes", operand, operator)], NoMatchingCondition="no")
    result = run(flow(compare, say("yes", "yes"), say("no", "no")), attributes={"v": value})
    assert path(result)[1] == ("yes" if matches else "no")


def test_compare_takes_the_first_matching_condition():
    compare = act("cmp", "Compare", {"ComparisonValue": "$.Attributes.v"}, next_action="no",
                  conditions=[when("first", "g", "TextStartsWith"), when("second", "gold")], NoMatchingCondition="no")
    result = run(flow(compare, say("first", "1"), say("second", "2"), say("no", "no")), attributes={"v": "gold"})
    assert (path(result)[1], branches(result)[0]) == ("first", "TextStartsWith g")


def test_compare_on_a_missing_value_takes_no_matching_condition():
    compare = act("cmp", "Compare", {"ComparisonValue": "$.Attributes.v"}, next_action="no",
                  conditions=[when("yes", "x")], NoMatchingCondition="no")
    result = run(flow(compare, say("yes", "yes"), say("no", "no")))
    assert (path(result)[1], branches(result)[0]) == ("no", "error:NoMatchingCondition")


def test_an_unknown_queue_takes_the_error_branch():
    queue = act("queue", "UpdateContactTargetQueue", {"QueueId": "$.Attributes.q"}, next_action="bye",
                NoMatchingError="oops")
    result = run(flow(queue), attributes={"q": "arn:aws:connect:nowhere"})
    assert (branches(result)[0], result.outcome) == ("error:NoMatchingError", "ended")


def transfer_flow(*before: dict[str, Any]) -> dict[str, Any]:
    transfer = act("transfer", "TransferContactToQueue", next_action="bye", QueueAtCapacity="full",
                   NoMatchingError="oops")
    return flow(*before, transfer, say("full", "Busy"))


def set_queue(name: str, next_action: str = "transfer") -> dict[str, Any]:
    return act("queue", "UpdateContactTargetQueue", {"QueueId": queue_arn(name)}, next_action=next_action,
               NoMatchingError="oops")


def test_a_contact_is_queued_with_its_priority_and_the_flow_ends_there():
    priority = act("prio", "UpdateContactRoutingBehavior", {"QueuePriority": "2"}, next_action="transfer")
    result = run(transfer_flow(set_queue("vip", "prio"), priority))
    assert (result.outcome, result.queue, result.queue_arn, result.priority) == (
        "queued", "vip", queue_arn("vip"), 2)
    assert path(result) == ["queue", "prio", "transfer"]
    assert (result.steps[-1].summary, result.steps[-1].branch, result.steps[-1].next_action) == (
        "Queued in vip", "success", None)


def test_a_full_queue_takes_queue_at_capacity():
    result = run(transfer_flow(set_queue("vip")), FakeEnvironment(full={"vip"}))
    assert (path(result), result.outcome, result.queue) == (["queue", "transfer", "full", "bye"], "disconnected", None)
    assert branches(result)[1] == "error:QueueAtCapacity"


def test_a_transfer_without_a_working_queue_takes_no_matching_error():
    result = run(transfer_flow())
    assert (branches(result)[0], result.outcome) == ("error:NoMatchingError", "ended")


def hours_flow(*before: dict[str, Any], hours_id: str | None = None) -> dict[str, Any]:
    parameters = {"HoursOfOperationId": hours_id} if hours_id else {}
    hours = act("hours", "CheckHoursOfOperation", parameters, next_action="open",
                conditions=[when("open", "True"), when("closed", "False")], NoMatchingError="oops")
    return flow(*before, hours, say("open", "Open"), say("closed", "Closed"))


@pytest.mark.parametrize(("closed", "branch"), [(set(), "Equals True"), ({"vip"}, "Equals False")])
def test_hours_are_checked_for_the_working_queue_at_the_call_time(closed: set[str], branch: str):
    env = FakeEnvironment(closed=closed)
    result = run(hours_flow(set_queue("vip", "hours")), env)
    assert branches(result)[1] == branch
    assert env.hours_asked == [(queue_arn("vip"), None, NOW)]


def test_hours_can_be_named_explicitly():
    env = FakeEnvironment(closed={"night-shift"})
    result = run(hours_flow(hours_id="night-shift"), env)
    assert (result.steps[0].summary, env.hours_asked) == ("Hours: closed", [(None, "night-shift", NOW)])


def test_hours_without_a_queue_or_hours_take_no_matching_error():
    assert branches(run(hours_flow()))[0] == "error:NoMatchingError"


def test_hours_the_environment_does_not_know_take_no_matching_error():
    class UnknownHours(FakeEnvironment):
        def hours_open(self, queue_arn: str | None, hours_id: str | None, at: datetime) -> bool:
            raise KeyError(f"unknown hours of operation {hours_id}")

    result = run(hours_flow(hours_id="$.Attributes.hours"), UnknownHours(), attributes={"hours": "nights"})
    assert branches(result)[0] == "error:NoMatchingError"
    assert "unknown hours of operation nights" in result.steps[0].summary


def test_settings_actions_are_recorded():
    logging = act("log", "UpdateFlowLoggingBehavior", {"FlowLoggingBehavior": "Enabled"}, next_action="rec")
    recording = act("rec", "UpdateContactRecordingBehavior",
                    {"RecordingBehavior": {"RecordedParticipants": ["Agent", "Customer"]}}, next_action="hooks")
    hooks = act("hooks", "UpdateContactEventHooks", {"EventHooks": {"CustomerRemaining": "arn:flow/survey"}},
                next_action="end", NoMatchingError="oops")
    result = run(flow(logging, recording, hooks, act("end", "EndFlowExecution")))
    assert (result.flow_logging, result.recorded_participants, result.event_hooks) == (
        True, ["Agent", "Customer"], {"CustomerRemaining": "arn:flow/survey"})
    assert result.outcome == "ended"
    assert [s.summary for s in result.steps[:2]] == ["Flow logging enabled", "Recording: Agent, Customer"]


# --- what the simulator refuses ------------------------------------------------------------------------

def test_every_action_type_of_the_reference_has_a_handler():
    assert set(ACTION_HANDLERS) == SUPPORTED_ACTION_TYPES


def test_only_a_type_outside_the_reference_is_unsupported():
    document = flow(say("hi", "Hello", next_action="odd"), act("odd", "PlayPrompt", next_action="bye"))
    with pytest.raises(UnsupportedAction, match="action 'odd': Type 'PlayPrompt' is unknown"):
        run(document)


def test_a_flow_that_never_ends_hits_the_loop_guard():
    document = flow(say("ping", "ping", next_action="pong"), say("pong", "pong", next_action="ping"))
    with pytest.raises(FlowLoopError, match="ran 20 actions without ending"):
        run_flow(document, start(), FakeEnvironment(), max_steps=20, coverage=FlowCoverage())


def test_a_failure_without_its_error_branch_is_a_flow_definition_error():
    bare = act("queue", "UpdateContactTargetQueue", {"QueueId": "$.Attributes.q"}, next_action="bye")
    with pytest.raises(FlowDefinitionError, match=r"action 'queue'.*NoMatchingError but has no such Errors"):
        run(flow(bare))


def test_a_transition_to_a_missing_action_is_a_flow_definition_error():
    with pytest.raises(FlowDefinitionError, match="no action 'ghost'"):
        run(flow(say("hi", "Hello", next_action="ghost")))


def test_the_call_time_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        ContactStart("c-1", now=datetime(2026, 1, 6, 15, 0))


# --- coverage ------------------------------------------------------------------------------------------

def test_coverage_counts_actions_and_branches_and_names_those_never_taken():
    # Given two calls through the menu: one presses 1, one is silent
    coverage = FlowCoverage()
    for keys in (("1",), (None,)):
        run_flow(MENU_FLOW, start(), FakeEnvironment(), keys, flow_name="menu", coverage=coverage)
    # When the report is made
    report = coverage.report("menu", MENU_FLOW)
    # Then a key menu's branches are its conditions and errors (its NextAction is never a way out)
    assert (report.actions_covered, report.actions_total) == (4, 7)
    assert (report.edges_covered, report.edges_total) == (4, 13)
    assert report.never_run == ["two", "invalid", "oops"]
    assert report.never_taken == [
        "menu --Equals 2--> two",
        "menu --error:NoMatchingCondition--> invalid",
        "menu --error:NoMatchingError--> oops",
        "one --error:NoMatchingError--> oops",
        "two --next--> bye",
        "two --error:NoMatchingError--> oops",
        "silent --error:NoMatchingError--> oops",
        "invalid --next--> bye",
        "invalid --error:NoMatchingError--> oops",
    ]
    lines = report.format_report()
    assert lines[0] == "Flow 'menu': 4/7 actions run, 4/13 branches taken"
    assert "  never taken: menu --Equals 2--> two" in lines


def test_coverage_is_kept_per_flow_name():
    coverage = FlowCoverage()
    run_flow(MENU_FLOW, start(), FakeEnvironment(), ("1",), flow_name="a", coverage=coverage)
    assert coverage.report("b", MENU_FLOW).actions_covered == 0


def test_a_queued_contact_covers_the_transfer_next_action():
    coverage = FlowCoverage()
    document = transfer_flow(set_queue("vip"))
    run_flow(document, start(), FakeEnvironment(), flow_name="t", coverage=coverage)
    assert "transfer --next--> bye" not in coverage.report("t", document).never_taken


def test_a_result_is_plain_json():
    result = run(MENU_FLOW, keys=("1",))
    assert json.loads(json.dumps(result.to_json()))["steps"][0]["branch"] == "Equals 1"


# --- the real inbound flow -----------------------------------------------------------------------------

INBOUND = substitute(localize(load_flow(flow_files()["inbound"])), fake_arn)
INTENT_QUEUES = {"billing": "billing", "support": "support", "sales": "sales"}


def routing(queue: str = "vip", priority: str = "2", offer_menu: str = "false", after_hours: str = "false",
            after_hours_message: str = "", **overrides: Any) -> Lambda:
    """A fake routing Lambda: the string attributes the real one returns (those the flow saves)."""

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        intent = event["Details"]["Parameters"].get("intent", "")
        chosen = INTENT_QUEUES.get(intent, queue)
        answer = {
            "customer_id": "cust-1", "customer_name": "Ann", "tier": "gold", "language": "en",
            "time_zone": "America/New_York", "recent_complaints": "0", "caller_status": "known",
            "intent": intent, "queue": chosen, "queue_arn": queue_arn(chosen), "priority": priority,
            "reason": "SKILL_MATCH" if intent else "VIP_TIER", "rule": "r1", "offer_menu": offer_menu,
            "after_hours": after_hours, "after_hours_message": after_hours_message, "routing_note": "note",
            "identity": "caller_id", "recent_contacts": "",
        }
        return {**answer, **overrides}

    return handler


def inbound_env(handler: Lambda, **environment: Any) -> FakeEnvironment:
    return FakeEnvironment(lambdas={fake_arn(Placeholder("lambda", "routing")): handler}, **environment)


def call_inbound(env: FakeEnvironment, *keys: str | None) -> CallResult:
    return run_flow(INBOUND, start(), env, keys, flow_name="inbound")


def test_inbound_known_caller_is_queued_in_the_routed_queue_with_priority():
    result = call_inbound(inbound_env(routing()))
    assert (result.outcome, result.queue, result.priority) == ("queued", "vip", 2)
    assert result.attributes["customer_id"] == "cust-1"
    assert "customer_name" not in result.attributes  # the flow saves no name from routing (not verified yet)
    assert path(result)[-4:] == ["priority-2", "check-hours", "record-sentiment-context", "transfer-to-queue"]
    assert result.prompts == ["Thank you for calling. This call may be recorded for quality and training."]


def test_inbound_menu_choice_routes_by_intent():
    env = inbound_env(routing(queue="general", priority="5", offer_menu="true"))
    result = call_inbound(env, "2")
    assert (result.outcome, result.queue, result.attributes["intent"]) == ("queued", "support", "support")
    assert [event["Details"]["Parameters"] for _, event, _ in env.invocations] == [
        {"stage": "identify"}, {"stage": "intent", "intent": "support"},
        # then, without waiting, the routed contact's queue, tier and history for live sentiment
        {"queue": "support", "tier": "gold", "recent_complaints": "0"}]
    assert step_of(result, "menu").summary == "Caller pressed 2"


def test_inbound_silence_at_the_menu_keeps_the_first_decision():
    result = call_inbound(inbound_env(routing(queue="general", priority="5", offer_menu="true")), None)
    menu = step_of(result, "menu")
    assert (menu.branch, menu.next_action) == ("error:InputTimeLimitExceeded", "check-priority")
    assert (result.outcome, result.queue) == ("queued", "general")


def test_inbound_invalid_key_is_explained_and_the_menu_retried():
    result = call_inbound(inbound_env(routing(queue="general", priority="5", offer_menu="true")), "7", "3")
    walked = path(result)
    assert walked[walked.index("menu"):][:4] == ["menu", "menu-invalid", "menu-retry", "intent-sales"]
    assert "Sorry, that is not one of the options." in result.prompts
    assert result.queue == "sales"


def test_inbound_two_invalid_keys_give_up_and_queue_the_call():
    result = call_inbound(inbound_env(routing(queue="general", priority="5", offer_menu="true")), "7", "8")
    assert "menu-give-up" in path(result)
    assert (result.outcome, result.queue) == ("queued", "general")


@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_inbound_lambda_failure_falls_back_to_the_general_queue(kind: str):
    result = call_inbound(inbound_env(failing(kind)))
    assert path(result)[2:] == ["identify-caller", "fallback-welcome", "fallback-attributes", "set-fallback-queue",
                                "check-fallback-hours", "transfer-to-default-queue"]
    assert result.prompts == ["Thank you for calling. This call may be recorded for quality and training."]
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "general", "ROUTING_FALLBACK")


@pytest.mark.parametrize("bad_answer", [
    routing(routing_note={"nested": "dict"}),
    routing(routing_note="x" * 40_000),
])
def test_inbound_lambda_answer_rejected_by_string_map_validation_falls_back(bad_answer: Lambda):
    result = call_inbound(inbound_env(bad_answer))
    assert step_of(result, "identify-caller").branch == "error:NoMatchingError"
    assert (result.queue, result.attributes["reason"]) == ("general", "ROUTING_FALLBACK")


def test_inbound_lambda_answer_missing_a_key_falls_back():
    def incomplete(event: dict[str, Any]) -> dict[str, str]:
        answer = routing()(event)
        del answer["routing_note"]
        return answer

    result = call_inbound(inbound_env(incomplete))
    save = step_of(result, "save-routing")
    assert (save.action_id, save.branch, save.data["missing"]) == (
        "save-routing", "error:NoMatchingError", "$.External.routing_note")
    assert result.attributes["reason"] == "ROUTING_FALLBACK"


def test_inbound_unknown_queue_from_the_lambda_falls_back():
    result = call_inbound(inbound_env(routing(queue_arn="arn:aws:connect:elsewhere/queue/x")))
    assert path(result)[4:7] == ["set-routed-queue", "fallback-welcome", "fallback-attributes"]
    assert result.queue == "general"


def test_inbound_full_queue_moves_the_call_to_the_general_queue():
    result = call_inbound(inbound_env(routing(), full={"vip"}))
    assert path(result)[-5:] == ["transfer-to-queue", "overflow-attributes", "set-default-queue-at-capacity",
                                 "check-fallback-hours", "transfer-to-default-queue"]
    assert (result.outcome, result.queue) == ("queued", "general")
    assert result.attributes["reason"] == "QUEUE_OVERFLOW"


def test_inbound_all_queues_full_apologises_and_disconnects():
    result = call_inbound(inbound_env(routing(), full={"vip", "general"}))
    assert path(result)[-2:] == ["all-agents-busy", "disconnect"]
    assert result.outcome == "disconnected"
    assert result.prompts[-1].startswith("All of our agents are busy")


def test_inbound_after_hours_plays_the_routed_message_and_disconnects():
    env = inbound_env(routing(after_hours="true", after_hours_message="We open at 8."), closed={"vip"})
    result = call_inbound(env)
    assert path(result)[-3:] == ["check-hours", "after-hours", "disconnect"]
    assert (result.outcome, result.prompts[-1]) == ("disconnected", "We open at 8.")


def test_inbound_after_hours_without_a_message_plays_the_default_one():
    result = call_inbound(inbound_env(routing(), closed={"vip"}))
    assert path(result)[-3:] == ["after-hours", "after-hours-default", "disconnect"]
    assert result.prompts[-1].startswith("Thank you for calling. We are closed right now.")


def test_inbound_fallback_after_hours_plays_the_default_message():
    result = call_inbound(inbound_env(failing("error"), closed={"general"}))
    assert path(result)[-3:] == ["check-fallback-hours", "after-hours-default", "disconnect"]


def test_inbound_coverage_names_the_branches_no_call_took():
    # Given a handful of calls, none of which pressed 3 or hit a full queue
    coverage = FlowCoverage()
    scenarios: list[tuple[FakeEnvironment, tuple[str | None, ...]]] = [
        (inbound_env(routing()), ()),
        (inbound_env(routing(queue="general", priority="5", offer_menu="true")), ("1",)),
        (inbound_env(failing("timeout")), ()),
    ]
    for env, keys in scenarios:
        run_flow(INBOUND, start(), env, keys, flow_name="inbound", coverage=coverage)
    # When the report is made
    report = coverage.report("inbound", INBOUND)
    # Then it names what was never exercised
    assert report.actions_total == len(INBOUND["Actions"]) and report.actions_covered < report.actions_total
    assert "menu.en-US --Equals 3--> intent-sales" in report.never_taken
    assert "transfer-to-queue --error:QueueAtCapacity--> overflow-attributes" in report.never_taken
    assert "menu --Equals 1--> intent-billing" not in report.never_taken
    assert "identify-caller --error:NoMatchingError--> fallback-attributes" not in report.never_taken
    assert "all-agents-busy" in report.never_run
