"""The per-action lint checks: identity, transitions, error branches, conditions, parameters and
instance-specific values. Each yields Findings (flowlang/findings.py); flowlang/lint.py runs them all."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from flowlang.findings import Finding, Scope, parameters_of
from flowlang.flow import PLACEHOLDER, PLACEHOLDER_KINDS, Placeholder, strings_in
from flowlang.language import (
    ACTION_SPECS,
    ACTION_TYPES,
    COMPARE_OPERATORS,
    DTMF_KEYS,
    FORBIDDEN_IDENTIFIER_CHARACTERS,
    MAX_IDENTIFIER_LENGTH,
    MAX_LAMBDA_TIME_LIMIT,
    MIN_LAMBDA_TIME_LIMIT,
    NUMBER_OPERATORS,
    REFERENCE_DATE,
    REQUIRED_ERRORS,
    RESERVED_IDENTIFIERS,
    RESPONSE_TYPES,
    TERMINAL_ACTION_TYPES,
    Condition,
    declared_edges,
    is_jsonpath,
    is_truthy_flag,
    parse_number,
    read_transitions,
    static_int,
)

ARN = re.compile(r"\barn:")
BRACES = re.compile(r"\{\{.*?\}\}")
KEY_OPERANDS = frozenset((key,) for key in DTMF_KEYS)
PROMPT_PARAMETERS = {
    "MessageParticipant": ("Text", "SSML", "PromptId", "Media"),
    "GetParticipantInput": ("Text", "SSML", "PromptId"),
}


# --- per-action checks: identity and transitions ---------------------------------------------------

def _check_identifier(scope: Scope, action: dict[str, Any]) -> Iterator[Finding]:
    identifier = action["Identifier"]
    if len(identifier) > MAX_IDENTIFIER_LENGTH:
        yield scope.finding(action, "identifier-too-long",
                            f"Identifier has {len(identifier)} characters; at most {MAX_IDENTIFIER_LENGTH}")
    forbidden = "".join(sorted(set(identifier) & FORBIDDEN_IDENTIFIER_CHARACTERS))
    if not identifier:
        yield scope.finding(action, "identifier-characters", "Identifier is empty")
    elif forbidden:
        yield scope.finding(action, "identifier-characters", f"Identifier contains forbidden {forbidden}")
    if identifier in RESERVED_IDENTIFIERS:
        yield scope.finding(action, "identifier-reserved", "Identifier is a reserved name")


def _check_type(scope: Scope, action: dict[str, Any]) -> Iterator[Finding]:
    if action["Type"] not in ACTION_TYPES:
        yield scope.finding(action, "unsupported-action-type",
                            f"Type {action['Type']!r} is not in the Flow language reference ({REFERENCE_DATE})")


def _check_transition_targets(scope: Scope, action: dict[str, Any]) -> Iterator[Finding]:
    for problem in read_transitions(action).problems:
        yield scope.finding(action, "malformed-transition", problem)
    for edge in declared_edges(action):
        if edge.target not in scope.by_id:
            yield scope.finding(action, "unknown-next-action",
                                f"transition {edge.label!r} goes to unknown action {edge.target!r}")


def _check_terminal_shape(scope: Scope, action: dict[str, Any]) -> Iterator[Finding]:
    if action["Type"] in TERMINAL_ACTION_TYPES:
        if action.get("Transitions"):
            yield scope.finding(action, "terminal-with-transitions", "Transitions must be empty")
    elif not declared_edges(action):
        yield scope.finding(action, "no-transition", "the action has no outgoing transition")


def _required_errors(action: dict[str, Any]) -> tuple[str, ...]:
    required = REQUIRED_ERRORS.get(action["Type"], ())
    if action["Type"] == "GetParticipantInput" and is_truthy_flag(parameters_of(action).get("StoreInput")):
        # Stored input has no conditions, so no NoMatchingCondition either.
        return tuple(error for error in required if error != "NoMatchingCondition")
    return required


def _check_error_branches(scope: Scope, action: dict[str, Any]) -> Iterator[Finding]:
    transitions = read_transitions(action)
    for error_type in _required_errors(action):
        if transitions.error_target(error_type) is None:
            yield scope.finding(action, "missing-error-branch", f"no Errors transition for {error_type}")
    spec = ACTION_SPECS.get(action["Type"])
    for branch in transitions.errors:
        if spec is not None and branch.error_type not in spec.errors:
            yield scope.finding(action, "unknown-error-type",
                                f"error type {branch.error_type!r} is not one the reference gives for "
                                f"{action['Type']} ({', '.join(spec.errors) or 'none'}); it can never be taken")


# --- per-action checks: conditions -----------------------------------------------------------------

def _check_conditions(scope: Scope, action: dict[str, Any]) -> Iterator[Finding]:
    conditions = read_transitions(action).conditions
    spec = ACTION_SPECS.get(action["Type"])
    if conditions and spec is not None and not spec.takes_conditions:
        yield scope.finding(action, "unexpected-conditions", f"{action['Type']} takes no Conditions")
        return
    if spec is not None and spec.operators and action["Type"] not in CONDITION_CHECKS:
        for condition in conditions:
            if condition.operator not in spec.operators or (
                    spec.operands is not None and condition.operands and condition.operands[0] not in spec.operands):
                yield scope.finding(action, "condition-not-allowed",
                                    f"condition {condition.label!r}: {action['Type']} allows "
                                    f"{' or '.join(sorted(spec.operators))} on "
                                    f"{', '.join(sorted(spec.operands or [])) or 'any operand'}")
    labels: set[str] = set()
    for condition in conditions:
        if condition.label in labels:
            yield scope.finding(action, "duplicate-condition", f"condition {condition.label!r} appears twice")
        labels.add(condition.label)
    check = CONDITION_CHECKS.get(action["Type"])
    if check:
        yield from check(scope, action, conditions)


def _check_hours_conditions(
    scope: Scope, action: dict[str, Any], conditions: tuple[Condition, ...]
) -> Iterator[Finding]:
    if sorted(condition.label for condition in conditions) != ["Equals False", "Equals True"]:
        yield scope.finding(action, "hours-conditions",
                            'needs exactly the conditions Equals "True" and Equals "False"')


def _check_menu_conditions(
    scope: Scope, action: dict[str, Any], conditions: tuple[Condition, ...]
) -> Iterator[Finding]:
    if is_truthy_flag(parameters_of(action).get("StoreInput")):
        return
    for condition in conditions:
        if condition.operator != "Equals" or condition.operands not in KEY_OPERANDS:
            yield scope.finding(action, "menu-condition",
                                f"condition {condition.label!r}: a key menu allows only Equals 0-9, * or #")


def _check_compare_conditions(
    scope: Scope, action: dict[str, Any], conditions: tuple[Condition, ...]
) -> Iterator[Finding]:
    for condition in conditions:
        if condition.operator not in COMPARE_OPERATORS or len(condition.operands) != 1:
            yield scope.finding(action, "compare-condition",
                                f"condition {condition.label!r}: needs one of {sorted(COMPARE_OPERATORS)} "
                                "with exactly one operand")
        elif condition.operator in NUMBER_OPERATORS and parse_number(condition.operands[0]) is None:
            yield scope.finding(action, "non-numeric-operand",
                                f"condition {condition.label!r}: {condition.operator} needs a number")


ConditionCheck = Callable[[Scope, dict[str, Any], tuple[Condition, ...]], Iterator[Finding]]
CONDITION_CHECKS: dict[str, ConditionCheck] = {
    "CheckHoursOfOperation": _check_hours_conditions,
    "GetParticipantInput": _check_menu_conditions,
    "Compare": _check_compare_conditions,
}


# --- per-action checks: parameters -----------------------------------------------------------------

def _check_parameters(scope: Scope, action: dict[str, Any]) -> Iterator[Finding]:
    spec = ACTION_SPECS.get(action["Type"])
    given = parameters_of(action)
    for name in spec.required if spec is not None else ():
        if given.get(name) in (None, "", {}, []):
            yield scope.finding(action, "missing-parameter", f"{name} is missing (the reference requires it)")
    if action["Type"] == "UpdateFlowLoggingBehavior" and given.get("FlowLoggingBehavior") not in (
            None, "Enabled", "Disabled"):
        yield scope.finding(action, "parameter-value",
                            f"FlowLoggingBehavior must be Enabled or Disabled, got {given['FlowLoggingBehavior']!r}")
    check = PARAMETER_CHECKS.get(action["Type"])
    if check:
        yield from check(scope, action, parameters_of(action))


def _placeholder_in(value: Any) -> Placeholder | None:
    """The placeholder when the whole value is exactly one placeholder."""
    match = PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
    return Placeholder(match["kind"], match["name"]) if match else None


def _check_lambda_parameters(
    scope: Scope, action: dict[str, Any], parameters: dict[str, Any]
) -> Iterator[Finding]:
    function = _placeholder_in(parameters.get("LambdaFunctionARN"))
    if not parameters.get("LambdaFunctionARN"):
        yield scope.finding(action, "missing-parameter", "LambdaFunctionARN is missing")
    elif function is not None and function.kind != "lambda":
        yield scope.finding(action, "lambda-arn", "LambdaFunctionARN must be a {{lambda:NAME}} placeholder")
    written_limit = parameters.get("InvocationTimeLimitSeconds")
    limit = static_int(written_limit)
    if limit is None or not MIN_LAMBDA_TIME_LIMIT <= limit <= MAX_LAMBDA_TIME_LIMIT:
        yield scope.finding(
            action, "invocation-time-limit",
            "InvocationTimeLimitSeconds must be a static integer "
            f"{MIN_LAMBDA_TIME_LIMIT}-{MAX_LAMBDA_TIME_LIMIT}, got {written_limit!r}")
    elif function and function.kind == "lambda":
        timeout = (scope.context.lambda_timeouts or {}).get(function.name)
        if timeout is not None and limit <= timeout:
            yield scope.finding(
                action, "invocation-time-limit-vs-timeout",
                f"InvocationTimeLimitSeconds {limit} must exceed the {function.name} function's timeout "
                f"({timeout} s), so the function gives up first and the flow sees a clean error")
    validation = parameters.get("ResponseValidation")
    if validation is not None and (not isinstance(validation, dict)
                                   or validation.get("ResponseType") not in RESPONSE_TYPES):
        yield scope.finding(action, "response-type",
                            f"ResponseValidation.ResponseType must be one of {sorted(RESPONSE_TYPES)}")


def _check_routing_parameters(
    scope: Scope, action: dict[str, Any], parameters: dict[str, Any]
) -> Iterator[Finding]:
    if "QueuePriority" in parameters:
        priority = static_int(parameters["QueuePriority"])
        if priority is None or priority < 1:
            yield scope.finding(
                action, "queue-priority",
                f"QueuePriority must be a static positive integer, got {parameters['QueuePriority']!r}")


def _check_target_queue_parameters(
    scope: Scope, action: dict[str, Any], parameters: dict[str, Any]
) -> Iterator[Finding]:
    queue = parameters.get("QueueId")
    placeholder = _placeholder_in(queue)
    if queue is None and "AgentId" in parameters:
        return
    if not queue:
        yield scope.finding(action, "missing-parameter", "QueueId (or AgentId) is missing")
    elif not is_jsonpath(queue) and not (placeholder and placeholder.kind == "queue"):
        yield scope.finding(action, "queue-id",
                            "QueueId must be a {{queue:NAME}} placeholder or one whole JSONPath "
                            f"like $.Attributes.queue_arn, got {queue!r}")


def _check_prompt_parameters(
    scope: Scope, action: dict[str, Any], parameters: dict[str, Any]
) -> Iterator[Finding]:
    allowed = PROMPT_PARAMETERS[action["Type"]]
    given = [name for name in allowed if name in parameters]
    if len(given) != 1:
        yield scope.finding(action, "message-content",
                            f"needs exactly one of {', '.join(allowed)}; has {', '.join(given) or 'none'}")


ParameterCheck = Callable[[Scope, dict[str, Any], dict[str, Any]], Iterator[Finding]]
PARAMETER_CHECKS: dict[str, ParameterCheck] = {
    "InvokeLambdaFunction": _check_lambda_parameters,
    "UpdateContactRoutingBehavior": _check_routing_parameters,
    "UpdateContactTargetQueue": _check_target_queue_parameters,
    "MessageParticipant": _check_prompt_parameters,
    "GetParticipantInput": _check_prompt_parameters,
}


# --- per-action checks: instance-specific values ---------------------------------------------------

def _check_instance_values(scope: Scope, action: dict[str, Any]) -> Iterator[Finding]:
    known = scope.context.known_placeholders
    for text in strings_in(action):
        if ARN.search(text):
            yield scope.finding(action, "hardcoded-arn", f"{text!r} holds an ARN; use a placeholder")
        for token in BRACES.findall(text):
            problem = _placeholder_problem(token, known)
            if problem:
                yield scope.finding(action, *problem)


def _placeholder_problem(token: str, known: set[Placeholder] | None) -> tuple[str, str] | None:
    match = PLACEHOLDER.fullmatch(token)
    if not match:
        return "bad-placeholder", f"{token} is not {{{{kind:name}}}} in lower-case letters, digits, _ and -"
    if match["kind"] not in PLACEHOLDER_KINDS:
        return "bad-placeholder", f"{token} has unknown kind {match['kind']!r} (known: {', '.join(PLACEHOLDER_KINDS)})"
    if known is not None and Placeholder(match["kind"], match["name"]) not in known:
        return "unknown-placeholder", f"{token} does not name a known resource"
    return None


ACTION_CHECKS: tuple[Callable[[Scope, dict[str, Any]], Iterator[Finding]], ...] = (
    _check_identifier,
    _check_type,
    _check_transition_targets,
    _check_terminal_shape,
    _check_error_branches,
    _check_conditions,
    _check_parameters,
    _check_instance_values,
)
