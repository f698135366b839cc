"""How an action's outcome becomes a step: the edge taken (next, a condition, an error) or the end of the run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import ge, gt, le, lt
from typing import Any

from flowlang.contact import Contact, FlowDefinitionError
from flowlang.language import ERROR_PREFIX, NEXT, NUMBER_OPERATORS, Condition, Edge, parse_number, read_transitions

NO_MATCHING_ERROR = "NoMatchingError"
NO_MATCHING_CONDITION = "NoMatchingCondition"
INPUT_TIME_LIMIT_EXCEEDED = "InputTimeLimitExceeded"
QUEUE_AT_CAPACITY = "QueueAtCapacity"

NUMBER_TESTS: dict[str, Callable[[float, float], bool]] = {
    "NumberGreaterThan": gt, "NumberGreaterOrEqualTo": ge, "NumberLessThan": lt, "NumberLessOrEqualTo": le,
}
TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "Equals": lambda value, operand: value == operand,
    "TextStartsWith": str.startswith,
    "TextEndsWith": str.endswith,
    "TextContains": lambda value, operand: operand in value,
}


@dataclass(frozen=True)
class Taken:
    """What one action did and where the contact goes next (target None: the flow ends here)."""

    summary: str
    branch: str
    target: str | None
    edge: Edge | None  # what coverage counts as taken
    data: dict[str, Any]
    outcome: str | None = None
    jump: Any = None  # flowlang.actions_more.Jump: the run continues in another flow (or returns from a module)


#: What runs one action type: the contact and the action's JSON in, what it did out.
Handler = Callable[[Contact, dict[str, Any]], Taken]


def moved(edge: Edge, summary: str, **data: Any) -> Taken:
    return Taken(summary, edge.label, edge.target, edge, data)


def ended(outcome: str, summary: str, branch: str = "end", edge: Edge | None = None, **data: Any) -> Taken:
    return Taken(summary, branch, None, edge, data, outcome)


def next_edge(action: dict[str, Any]) -> Edge:
    target = read_transitions(action).next_action
    if target is None:
        raise FlowDefinitionError("the action succeeded but has no NextAction")
    return Edge(action["Identifier"], NEXT, target)


def error_edge(action: dict[str, Any], *error_types: str) -> Edge:
    """The first declared Errors transition among error_types (later ones are fallbacks)."""
    transitions = read_transitions(action)
    for error_type in error_types:
        target = transitions.error_target(error_type)
        if target is not None:
            return Edge(action["Identifier"], ERROR_PREFIX + error_type, target)
    raise FlowDefinitionError(f"the action failed with {error_types[0]} but has no such Errors transition")


def condition_edge(action: dict[str, Any], condition: Condition) -> Edge:
    return Edge(action["Identifier"], condition.label, condition.target)


def holds(condition: Condition, value: str) -> bool:
    if len(condition.operands) != 1 or condition.operator is None:
        raise FlowDefinitionError(f"condition {condition.label!r} needs an Operator and exactly one operand")
    operand = condition.operands[0]
    if condition.operator in NUMBER_OPERATORS:
        left, right = parse_number(value), parse_number(operand)
        return left is not None and right is not None and NUMBER_TESTS[condition.operator](left, right)
    if condition.operator not in TEXT_TESTS:
        raise FlowDefinitionError(f"unknown operator {condition.operator!r}")
    return TEXT_TESTS[condition.operator](value, operand)
