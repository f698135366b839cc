"""What the Amazon Connect Flow language allows, declared once for the linter and the simulator.

Every action Type, with the conditions and error types the published reference gives it, comes from a
dated copy of the reference (flowlang/reference/flow-language-actions.json, REFERENCE_DATE); the rules
this project adds on top (REQUIRED_ERRORS) are the house policy.

Also the shared reading of an action's Transitions (default next action, conditions, errors) into
edges of the flow graph, and the small value parsers both sides need (static integers, numbers,
JSONPath references).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REFERENCE_FILE = Path(__file__).resolve().parent / "reference" / "flow-language-actions.json"


@dataclass(frozen=True)
class ActionSpec:
    """What the published reference says about one action Type (flowlang/reference/, dated)."""

    type: str
    category: str
    operators: frozenset[str] | None  # None: the action takes no Conditions; empty: any operator
    operands: frozenset[str] | None  # None: any operand (or no conditions at all)
    errors: tuple[str, ...]
    terminal: bool = False
    required: tuple[str, ...] = ()  # parameters the reference says must be given

    @property
    def takes_conditions(self) -> bool:
        return self.operators is not None


def _load_reference(path: Path = REFERENCE_FILE) -> tuple[str, dict[str, ActionSpec]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    specs = {}
    for name, entry in document["actions"].items():
        conditions = entry["conditions"]
        operators = operands = None
        if conditions is not None:
            operators = frozenset() if conditions["operators"] == "*" else frozenset(conditions["operators"])
            operands = None if conditions["operands"] == "*" else frozenset(conditions["operands"])
        specs[name] = ActionSpec(name, entry["category"], operators, operands, tuple(entry["errors"]),
                                 bool(entry.get("terminal")), tuple(entry.get("required", ())))
    return document["retrieved"], specs


#: The date the reference was copied, and every action Type it lists. Lint rejects any other Type.
REFERENCE_DATE, ACTION_SPECS = _load_reference()
ACTION_TYPES = frozenset(ACTION_SPECS)
# Kept for callers written before the whole language was supported: every Type is supported now.
SUPPORTED_ACTION_TYPES = ACTION_TYPES

# Actions with no transitions at all: the contact leaves the flow (or the module) here.
TERMINAL_ACTION_TYPES = frozenset(name for name, spec in ACTION_SPECS.items() if spec.terminal)
# Actions where a contact's path through this flow can end well (a successful transfer ends it too).
OUTCOME_ACTION_TYPES = TERMINAL_ACTION_TYPES | {
    "TransferContactToQueue", "TransferToFlow", "TransferContactToAgent", "DequeueContactAndTransferToQueue",
}

# House policy: error branches an action of each type must declare, because Connect can take them and a
# caller must never be left without a path (the reference makes most of them optional).
REQUIRED_ERRORS: dict[str, tuple[str, ...]] = {
    "InvokeLambdaFunction": ("NoMatchingError",),
    "TransferContactToQueue": ("QueueAtCapacity", "NoMatchingError"),
    "GetParticipantInput": ("NoMatchingCondition", "NoMatchingError", "InputTimeLimitExceeded"),
    "UpdateContactTargetQueue": ("NoMatchingError",),
    "UpdateContactAttributes": ("NoMatchingError",),
    "MessageParticipant": ("NoMatchingError",),
    "CheckHoursOfOperation": ("NoMatchingError",),
    "UpdateContactEventHooks": ("NoMatchingError",),
    "UpdateContactTextToSpeechVoice": ("NoMatchingError",),
    "UpdateContactData": ("NoMatchingError",),
    "Compare": ("NoMatchingCondition",),
}

# Types whose branch may be chosen by Transitions.Conditions. When such an action declares conditions, its
# default NextAction is not a branch of its own (no match is the NoMatchingCondition error; CheckHoursOfOperation's
# True/False are exhaustive); exports write one anyway.
CONDITION_ACTION_TYPES = frozenset(name for name, spec in ACTION_SPECS.items() if spec.takes_conditions)

NUMBER_OPERATORS = frozenset({
    "NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo",
})
TEXT_OPERATORS = frozenset({"Equals", "TextStartsWith", "TextEndsWith", "TextContains"})
COMPARE_OPERATORS = TEXT_OPERATORS | NUMBER_OPERATORS

DTMF_KEYS = frozenset("0123456789*#")
RESPONSE_TYPES = frozenset({"STRING_MAP", "JSON"})
MAX_ACTIONS = 250
MAX_IDENTIFIER_LENGTH = 50
FORBIDDEN_IDENTIFIER_CHARACTERS = frozenset("%:(\\/)=$,;[]{}")
RESERVED_IDENTIFIERS = frozenset({
    "__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf",
    "propertyIsEnumerable", "toLocaleString", "__defineGetter__", "__defineSetter__",
    "__lookupGetter__", "__lookupSetter__",
})
MIN_LAMBDA_TIME_LIMIT, MAX_LAMBDA_TIME_LIMIT = 1, 8

# A reference to contact data: "$.Attributes.queue_arn", "$.External.tier", "$.StoredCustomerInput".
JSONPATH = re.compile(r"\$\.[A-Za-z_][\w-]*(?:\.[\w-]+)*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_STATIC_INTEGER = re.compile(r"\d+")

NEXT = "next"
ERROR_PREFIX = "error:"


def static_int(value: Any) -> int | None:
    """A static integer parameter, written as a number (8) or as exports do ("8"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _STATIC_INTEGER.fullmatch(value):
        return int(value)
    return None


def parse_number(text: str) -> float | None:
    """The number a Number* comparison sees, or None when the text is not a plain decimal number."""
    return float(text) if _NUMBER.fullmatch(text.strip()) else None


def is_jsonpath(value: Any) -> bool:
    """True when the whole value is exactly one JSONPath reference."""
    return isinstance(value, str) and JSONPATH.fullmatch(value) is not None


def is_truthy_flag(value: Any) -> bool:
    """Exports write booleans as "True"/"False"; accept real booleans too."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


@dataclass(frozen=True)
class Edge:
    """One way out of an action: its label is "next", a condition ("Equals 1") or "error:<ErrorType>"."""

    source: str
    label: str
    target: str

    def __str__(self) -> str:
        return f"{self.source} --{self.label}--> {self.target}"


@dataclass(frozen=True)
class Condition:
    operator: str | None
    operands: tuple[str, ...]
    target: str

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.operator, ", ".join(self.operands)) if part)


@dataclass(frozen=True)
class ErrorBranch:
    error_type: str
    target: str

    @property
    def label(self) -> str:
        return ERROR_PREFIX + self.error_type


@dataclass(frozen=True)
class Transitions:
    """An action's Transitions, read tolerantly: malformed entries are left out and described in problems."""

    next_action: str | None
    conditions: tuple[Condition, ...]
    errors: tuple[ErrorBranch, ...]
    problems: tuple[str, ...]

    def error_target(self, error_type: str) -> str | None:
        return next((e.target for e in self.errors if e.error_type == error_type), None)


def read_transitions(action: dict[str, Any]) -> Transitions:
    raw = action.get("Transitions") or {}
    problems: list[str] = []
    next_action = raw.get("NextAction")
    if next_action is not None and not _is_name(next_action):
        problems.append(f"NextAction must be an action Identifier, got {next_action!r}")
        next_action = None
    conditions = tuple(_read_entries(raw, "Conditions", _read_condition, problems))
    errors = tuple(_read_entries(raw, "Errors", _read_error, problems))
    return Transitions(next_action, conditions, errors, tuple(problems))


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _read_entries(
    raw: dict[str, Any], key: str, read: Callable[[dict[str, Any]], T | None], problems: list[str]
) -> list[T]:
    entries = raw.get(key, [])
    if not isinstance(entries, list):
        problems.append(f"{key} must be a list")
        return []
    found: list[T] = []
    for index, entry in enumerate(entries):
        item = read(entry) if isinstance(entry, dict) else None
        if item is None:
            problems.append(f"{key}[{index}] is malformed: {entry!r}")
        else:
            found.append(item)
    return found


def _read_condition(entry: dict[str, Any]) -> Condition | None:
    condition = entry.get("Condition")
    if not _is_name(entry.get("NextAction")) or not isinstance(condition, dict):
        return None
    operator, operands = condition.get("Operator"), condition.get("Operands")
    if operator is not None and not isinstance(operator, str):
        return None
    if not isinstance(operands, list) or not all(isinstance(o, str) for o in operands):
        return None
    return Condition(operator, tuple(operands), entry["NextAction"])


def _read_error(entry: dict[str, Any]) -> ErrorBranch | None:
    if not _is_name(entry.get("ErrorType")) or not _is_name(entry.get("NextAction")):
        return None
    return ErrorBranch(entry["ErrorType"], entry["NextAction"])


def declared_edges(action: dict[str, Any]) -> list[Edge]:
    """Every transition written in the action, in order: NextAction, Conditions, Errors."""
    source, transitions = action["Identifier"], read_transitions(action)
    edges = [Edge(source, NEXT, transitions.next_action)] if transitions.next_action else []
    edges += [Edge(source, c.label, c.target) for c in transitions.conditions]
    edges += [Edge(source, e.label, e.target) for e in transitions.errors]
    return edges


def takes_next_action(action: dict[str, Any]) -> bool:
    """Whether a contact can leave by the default NextAction (see CONDITION_ACTION_TYPES)."""
    if action["Type"] == "GetParticipantInput":
        return is_truthy_flag((action.get("Parameters") or {}).get("StoreInput"))
    if action["Type"] == "CheckHoursOfOperation":
        return False
    return action["Type"] not in CONDITION_ACTION_TYPES or not read_transitions(action).conditions


def branch_edges(action: dict[str, Any]) -> list[Edge]:
    """The distinct edges a contact can actually take out of the action (what coverage counts)."""
    edges = declared_edges(action)
    if not takes_next_action(action):
        edges = [edge for edge in edges if edge.label != NEXT]
    return list(dict.fromkeys(edges))
