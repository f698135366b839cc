"""Execute a contact flow action by action, the way Amazon Connect would.

The simulator runs the same flow JSON that CDK deploys (after `substitute()` with local ARNs). It
asks a ContactEnvironment to run Lambdas and to answer queue and hours questions, and returns a
transcript of every step. It is strict on purpose: a JSONPath that names nothing takes the action's
error branch, an undeclared branch or a malformed action raises, so flow bugs surface in tests.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from operator import ge, gt, le, lt
from typing import Any, Literal, Protocol

from flowlang.flow import actions_by_id, parse_flow
from flowlang.language import (
    ERROR_PREFIX,
    JSONPATH,
    NEXT,
    NUMBER_OPERATORS,
    SUPPORTED_ACTION_TYPES,
    Condition,
    Edge,
    branch_edges,
    is_truthy_flag,
    parse_number,
    read_transitions,
    static_int,
)

NO_MATCHING_ERROR = "NoMatchingError"
NO_MATCHING_CONDITION = "NoMatchingCondition"
INPUT_TIME_LIMIT_EXCEEDED = "InputTimeLimitExceeded"
QUEUE_AT_CAPACITY = "QueueAtCapacity"
STRING_MAP_LIMIT_BYTES = 32 * 1024
SUMMARY_TEXT_CHARS = 60

NUMBER_TESTS: dict[str, Callable[[float, float], bool]] = {
    "NumberGreaterThan": gt, "NumberGreaterOrEqualTo": ge, "NumberLessThan": lt, "NumberLessOrEqualTo": le,
}
TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "Equals": lambda value, operand: value == operand,
    "TextStartsWith": str.startswith,
    "TextEndsWith": str.endswith,
    "TextContains": lambda value, operand: operand in value,
}


# --- errors ----------------------------------------------------------------------------------------

class SimulationError(Exception):
    """The flow cannot be simulated as written."""


class UnsupportedAction(SimulationError):
    """An action Type (or a form of it) the simulator does not execute."""


class FlowLoopError(SimulationError):
    """The contact did not leave the flow within max_steps actions."""


class FlowDefinitionError(SimulationError):
    """The flow is malformed where the contact went: a missing branch, parameter or action."""


class LambdaInvocationError(Exception):
    """Raised by a ContactEnvironment when the function fails ("error") or runs too long ("timeout")."""

    def __init__(self, kind: Literal["error", "timeout"], detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class _MissingValue(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


# --- inputs and outputs ----------------------------------------------------------------------------

class ContactEnvironment(Protocol):
    def invoke_lambda(self, function_arn: str, event: dict[str, Any], time_limit_seconds: float) -> Any:
        """The handler's response; raises LambdaInvocationError when the function fails or times out."""
        ...

    def queue_name(self, queue_arn: str) -> str | None:
        """The queue's name, or None for an unknown queue."""
        ...

    def hours_open(self, queue_arn: str | None, hours_id: str | None, at: datetime) -> bool:
        """Whether the hours (given, else the queue's) are open; raises LookupError if unknown."""
        ...

    def queue_at_capacity(self, queue_arn: str) -> bool: ...


@dataclass(frozen=True)
class ContactStart:
    contact_id: str
    channel: str = "VOICE"
    initiation_method: str = "INBOUND"
    customer_address: str | None = None  # None: number withheld
    system_address: str | None = None
    instance_arn: str = "arn:aws:connect:us-east-1:123456789012:instance/local"
    attributes: dict[str, str] = field(default_factory=dict)
    now: datetime = field(kw_only=True)

    def __post_init__(self) -> None:
        if self.now.utcoffset() is None:
            raise ValueError("ContactStart.now must be timezone-aware")


@dataclass
class Step:
    action_id: str
    action_type: str
    summary: str  # one human line: 'Caller pressed 2'
    branch: str  # "next", "Equals 2", "error:NoMatchingError", "success" or "end"
    next_action: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class CallResult:
    outcome: str  # "queued" | "disconnected" | "ended"
    queue_arn: str | None  # where the contact was queued (None unless queued)
    queue: str | None
    priority: int | None  # None: never set (Connect's default applies)
    attributes: dict[str, str]
    prompts: list[str]
    steps: list[Step]
    lambda_calls: list[dict[str, Any]]  # arn, event, response and/or error, elapsed_seconds
    flow_logging: bool = False
    recorded_participants: list[str] = field(default_factory=list)
    event_hooks: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# --- coverage --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoverageReport:
    flow: str
    actions_covered: int
    actions_total: int
    edges_covered: int
    edges_total: int
    never_run: list[str]  # action Identifiers
    never_taken: list[str]  # "menu --Equals 3--> intent-sales"

    def format_report(self) -> list[str]:
        lines = [f"Flow {self.flow!r}: {self.actions_covered}/{self.actions_total} actions run, "
                 f"{self.edges_covered}/{self.edges_total} branches taken"]
        lines += [f"  never run:   {identifier}" for identifier in self.never_run]
        lines += [f"  never taken: {edge}" for edge in self.never_taken]
        return lines


class FlowCoverage:
    """Actions run and edges taken, per flow name, accumulated over any number of calls."""

    def __init__(self) -> None:
        self._actions: dict[str, set[str]] = defaultdict(set)
        self._edges: dict[str, set[Edge]] = defaultdict(set)

    def record_action(self, flow_name: str, action_id: str) -> None:
        self._actions[flow_name].add(action_id)

    def record_edge(self, flow_name: str, edge: Edge) -> None:
        self._edges[flow_name].add(edge)

    def report(self, flow_name: str, flow: dict[str, Any]) -> CoverageReport:
        identifiers = [action["Identifier"] for action in flow["Actions"]]
        edges = [edge for action in flow["Actions"] for edge in branch_edges(action)]
        run, taken = self._actions[flow_name], self._edges[flow_name]
        return CoverageReport(
            flow=flow_name,
            actions_covered=sum(identifier in run for identifier in identifiers),
            actions_total=len(identifiers),
            edges_covered=sum(edge in taken for edge in edges),
            edges_total=len(edges),
            never_run=[identifier for identifier in identifiers if identifier not in run],
            never_taken=[str(edge) for edge in edges if edge not in taken],
        )


# Where run_flow records when no coverage is passed (the test session prints it at the end).
GLOBAL_COVERAGE = FlowCoverage()


# --- the contact while it runs ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Taken:
    """What one action did and where the contact goes next (target None: the flow ends here)."""

    summary: str
    branch: str
    target: str | None
    edge: Edge | None  # what coverage counts as taken
    data: dict[str, Any]
    outcome: str | None = None


def _moved(edge: Edge, summary: str, **data: Any) -> _Taken:
    return _Taken(summary, edge.label, edge.target, edge, data)


def _ended(outcome: str, summary: str, branch: str = "end", edge: Edge | None = None, **data: Any) -> _Taken:
    return _Taken(summary, branch, None, edge, data, outcome)


class _Contact:
    """Contact state: attributes, the latest Lambda result, stored input, queue, priority, settings."""

    def __init__(
        self, start: ContactStart, env: ContactEnvironment, keypresses: Sequence[str | None]
    ) -> None:
        self.start = start
        self.env = env
        self.attributes: dict[str, str] = dict(start.attributes)
        self.external: dict[str, Any] | None = None
        self.stored_input: str | None = None
        self.queue_arn: str | None = None
        self.priority: int | None = None
        self.flow_logging = False
        self.recorded_participants: list[str] = []
        self.event_hooks: dict[str, str] = {}
        self.prompts: list[str] = []
        self.lambda_calls: list[dict[str, Any]] = []
        self._keypresses: Iterator[str | None] = iter(keypresses)

    def next_keypress(self) -> str | None:
        """The caller's next scripted entry; None (or no more entries) is silence."""
        return next(self._keypresses, None)

    def resolve(self, text: Any) -> str:
        """A parameter value with every JSONPath in it replaced; raises _MissingValue if one names nothing."""
        if not isinstance(text, str):
            raise FlowDefinitionError(f"expected a text parameter, got {text!r}")
        return JSONPATH.sub(lambda match: self.value_of(match.group()), text)

    def value_of(self, path: str) -> str:
        root, _, rest = path.removeprefix("$.").partition(".")
        if root == "Attributes":
            value: Any = self.attributes.get(rest)
        elif root == "External":
            value = _dig(self.external, rest)
        else:
            value = self._contact_value(path.removeprefix("$."))
        text = _as_text(value)
        if text is None:
            raise _MissingValue(path)
        return text

    def _contact_value(self, name: str) -> str | None:
        start = self.start
        match name:
            case "StoredCustomerInput":
                return self.stored_input
            case "CustomerEndpoint.Address":
                return start.customer_address
            case "SystemEndpoint.Address":
                return start.system_address
            case "Channel":
                return start.channel
            case "ContactId":
                return start.contact_id
            case "InitiationMethod":
                return start.initiation_method
            case "Queue.ARN":
                return self.queue_arn
            case "Queue.Name":
                return self.env.queue_name(self.queue_arn) if self.queue_arn else None
        return None

    def prompt_of(self, action: dict[str, Any]) -> str:
        parameters = _parameters(action)
        for name in ("Text", "SSML"):
            if name in parameters:
                return self.resolve(parameters[name])
        if "PromptId" in parameters:
            return f"[prompt {self.resolve(parameters['PromptId'])}]"
        media = parameters.get("Media")
        return f"[audio {media.get('Uri', '')}]" if isinstance(media, dict) else ""

    def lambda_event(self, parameters: dict[str, str]) -> dict[str, Any]:
        start = self.start
        queue_arn = self.queue_arn
        queue = {"ARN": queue_arn, "Name": self.env.queue_name(queue_arn)} if queue_arn else None
        contact_data = {
            "Attributes": dict(self.attributes),
            "Channel": start.channel,
            "ContactId": start.contact_id,
            "CustomerEndpoint": _endpoint(start.customer_address),
            "InitialContactId": start.contact_id,
            "InitiationMethod": start.initiation_method,
            "InstanceARN": start.instance_arn,
            "PreviousContactId": start.contact_id,
            "Queue": queue,
            "SystemEndpoint": _endpoint(start.system_address),
            "MediaStreams": {},
        }
        details = {"ContactData": contact_data, "Parameters": parameters}
        return {"Name": "ContactFlowEvent", "Details": details}

    def result(self, outcome: str, steps: list[Step]) -> CallResult:
        queued = outcome == "queued"
        queue_arn = self.queue_arn if queued else None
        return CallResult(
            outcome=outcome,
            queue_arn=queue_arn,
            queue=self.env.queue_name(queue_arn) if queue_arn else None,
            priority=self.priority,
            attributes=dict(self.attributes),
            prompts=list(self.prompts),
            steps=steps,
            lambda_calls=self.lambda_calls,
            flow_logging=self.flow_logging,
            recorded_participants=list(self.recorded_participants),
            event_hooks=dict(self.event_hooks),
        )


def _dig(value: Any, dotted: str) -> Any:
    if not dotted:
        return None
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _endpoint(address: str | None) -> dict[str, str] | None:
    return {"Address": address, "Type": "TELEPHONE_NUMBER"} if address else None


def _parameters(action: dict[str, Any]) -> dict[str, Any]:
    parameters = action.get("Parameters")
    return parameters if isinstance(parameters, dict) else {}


def _required(action: dict[str, Any], name: str) -> Any:
    if name not in _parameters(action):
        raise FlowDefinitionError(f"parameter {name} is missing")
    return _parameters(action)[name]


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_TEXT_CHARS else text[: SUMMARY_TEXT_CHARS - 3].rstrip() + "..."


def _since(started: float) -> float:
    return time.perf_counter() - started


def _function_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


# --- branches --------------------------------------------------------------------------------------

def _next(action: dict[str, Any]) -> Edge:
    target = read_transitions(action).next_action
    if target is None:
        raise FlowDefinitionError("the action succeeded but has no NextAction")
    return Edge(action["Identifier"], NEXT, target)


def _error(action: dict[str, Any], *error_types: str) -> Edge:
    """The first declared Errors transition among error_types (later ones are fallbacks)."""
    transitions = read_transitions(action)
    for error_type in error_types:
        target = transitions.error_target(error_type)
        if target is not None:
            return Edge(action["Identifier"], ERROR_PREFIX + error_type, target)
    raise FlowDefinitionError(f"the action failed with {error_types[0]} but has no such Errors transition")


def _condition_edge(action: dict[str, Any], condition: Condition) -> Edge:
    return Edge(action["Identifier"], condition.label, condition.target)


def _holds(condition: Condition, value: str) -> bool:
    if len(condition.operands) != 1 or condition.operator is None:
        raise FlowDefinitionError(f"condition {condition.label!r} needs an Operator and exactly one operand")
    operand = condition.operands[0]
    if condition.operator in NUMBER_OPERATORS:
        left, right = parse_number(value), parse_number(operand)
        return left is not None and right is not None and NUMBER_TESTS[condition.operator](left, right)
    if condition.operator not in TEXT_TESTS:
        raise FlowDefinitionError(f"unknown operator {condition.operator!r}")
    return TEXT_TESTS[condition.operator](value, operand)


# --- action handlers -------------------------------------------------------------------------------

def _update_flow_logging(contact: _Contact, action: dict[str, Any]) -> _Taken:
    behavior = _required(action, "FlowLoggingBehavior")
    if behavior not in ("Enabled", "Disabled"):
        raise FlowDefinitionError(f"FlowLoggingBehavior must be Enabled or Disabled, got {behavior!r}")
    contact.flow_logging = behavior == "Enabled"
    return _moved(_next(action), f"Flow logging {behavior.lower()}", flow_logging=behavior)


def _update_recording(contact: _Contact, action: dict[str, Any]) -> _Taken:
    behavior = _parameters(action).get("RecordingBehavior") or {}
    if not isinstance(behavior, dict):
        raise FlowDefinitionError("RecordingBehavior must be an object")
    contact.recorded_participants = list(behavior.get("RecordedParticipants", []))
    who = ", ".join(contact.recorded_participants) or "nobody"
    return _moved(_next(action), f"Recording: {who}", recorded_participants=contact.recorded_participants)


def _message_participant(contact: _Contact, action: dict[str, Any]) -> _Taken:
    text = contact.prompt_of(action)
    if not text.strip():
        return _moved(_error(action, NO_MATCHING_ERROR), "Play failed: the message is empty")
    contact.prompts.append(text)
    return _moved(_next(action), f'Play: "{_short(text)}"', text=text)


def _get_participant_input(contact: _Contact, action: dict[str, Any]) -> _Taken:
    prompt = contact.prompt_of(action)
    if not prompt.strip():
        return _moved(_error(action, NO_MATCHING_ERROR), "Prompt failed: the prompt is empty")
    contact.prompts.append(prompt)
    entry = contact.next_keypress()
    if entry is None:
        timed_out = _error(action, INPUT_TIME_LIMIT_EXCEEDED, NO_MATCHING_ERROR)
        return _moved(timed_out, "No input (silence)", prompt=prompt, key=None)
    if is_truthy_flag(_parameters(action).get("StoreInput")):
        contact.stored_input = entry
        return _moved(_next(action), f"Caller entered {entry}", prompt=prompt, key=entry)
    for condition in read_transitions(action).conditions:
        if condition.operator == "Equals" and condition.operands == (entry,):
            edge = _condition_edge(action, condition)
            return _moved(edge, f"Caller pressed {entry}", prompt=prompt, key=entry)
    return _moved(_error(action, NO_MATCHING_CONDITION), f"Caller pressed {entry} (not an option)",
                  prompt=prompt, key=entry)


def _invoke_lambda(contact: _Contact, action: dict[str, Any]) -> _Taken:
    parameters = _parameters(action)
    if parameters.get("InvocationType", "SYNCHRONOUS") != "SYNCHRONOUS":
        raise UnsupportedAction(f"InvokeLambdaFunction action {action['Identifier']!r}: only SYNCHRONOUS "
                                "invocation is simulated")
    arn = contact.resolve(_required(action, "LambdaFunctionARN"))
    time_limit = static_int(_required(action, "InvocationTimeLimitSeconds"))
    if time_limit is None:
        raise FlowDefinitionError("InvocationTimeLimitSeconds must be a static integer")
    response_type = (parameters.get("ResponseValidation") or {}).get("ResponseType", "STRING_MAP")
    passed = parameters.get("LambdaInvocationAttributes") or {}
    event = contact.lambda_event({key: contact.resolve(value) for key, value in passed.items()})
    call: dict[str, Any] = {"arn": arn, "event": event}
    contact.lambda_calls.append(call)
    contact.external = None  # $.External only ever holds the latest invocation's result
    name = _function_name(arn)
    started = time.perf_counter()
    try:
        response = contact.env.invoke_lambda(arn, event, float(time_limit))
    except LambdaInvocationError as exc:
        call.update(error={"kind": exc.kind, "detail": exc.detail}, elapsed_seconds=_since(started))
        return _moved(_error(action, NO_MATCHING_ERROR), f"Lambda {name} failed ({exc})", **call)
    call.update(response=response, elapsed_seconds=_since(started))
    problem = _response_problem(response, response_type)
    if problem:
        call["error"] = {"kind": "invalid-response", "detail": problem}
        return _moved(_error(action, NO_MATCHING_ERROR), f"Lambda {name} answer rejected: {problem}", **call)
    contact.external = response
    return _moved(_next(action), f"Lambda {name} returned {len(response)} attributes", **call)


def _response_problem(response: Any, response_type: str) -> str | None:
    """Why Connect would reject the response under ResponseValidation, or None when it is accepted."""
    if not isinstance(response, dict):
        return f"the response is a {type(response).__name__}, not a JSON object"
    try:
        size = len(json.dumps(response, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        return f"the response is not JSON ({exc})"
    if response_type == "STRING_MAP":
        not_text = next((key for key, value in response.items() if not isinstance(value, str)), None)
        if not_text is not None:
            return f"STRING_MAP values must be strings; {not_text!r} is a {type(response[not_text]).__name__}"
        if size >= STRING_MAP_LIMIT_BYTES:
            return f"the response is {size} bytes; STRING_MAP allows less than {STRING_MAP_LIMIT_BYTES}"
    return None


def _update_attributes(contact: _Contact, action: dict[str, Any]) -> _Taken:
    written = _required(action, "Attributes")
    if not isinstance(written, dict):
        raise FlowDefinitionError("Attributes must be an object")
    # Resolve everything before setting anything: the update is all or nothing.
    values = {contact.resolve(key): contact.resolve(value) for key, value in written.items()}
    contact.attributes.update(values)
    shown = ", ".join(f"{key}={value}" for key, value in list(values.items())[:3])
    more = f", ... ({len(values)} in all)" if len(values) > 3 else ""
    return _moved(_next(action), f"Set attributes {shown}{more}", attributes=values)


def _compare(contact: _Contact, action: dict[str, Any]) -> _Taken:
    written = _required(action, "ComparisonValue")
    value = contact.resolve(written)
    for condition in read_transitions(action).conditions:
        if _holds(condition, value):
            return _moved(_condition_edge(action, condition), f"{written} is {value!r}: {condition.label}",
                          value=value)
    return _moved(_error(action, NO_MATCHING_CONDITION), f"{written} is {value!r}: no condition matches",
                  value=value)


def _update_target_queue(contact: _Contact, action: dict[str, Any]) -> _Taken:
    queue_arn = contact.resolve(_required(action, "QueueId"))
    name = contact.env.queue_name(queue_arn)
    if name is None:
        return _moved(_error(action, NO_MATCHING_ERROR), f"Unknown queue {queue_arn}", queue_arn=queue_arn)
    contact.queue_arn = queue_arn
    return _moved(_next(action), f"Working queue -> {name}", queue=name, queue_arn=queue_arn)


def _update_routing(contact: _Contact, action: dict[str, Any]) -> _Taken:
    if "QueuePriority" not in _parameters(action):
        raise UnsupportedAction(f"UpdateContactRoutingBehavior action {action['Identifier']!r}: only "
                                "QueuePriority is simulated")
    priority = static_int(_parameters(action)["QueuePriority"])
    if priority is None or priority < 1:
        raise FlowDefinitionError("QueuePriority must be a static positive integer")
    contact.priority = priority
    return _moved(_next(action), f"Priority -> {priority}", priority=priority)


def _check_hours(contact: _Contact, action: dict[str, Any]) -> _Taken:
    written = _parameters(action).get("HoursOfOperationId")
    hours_id = contact.resolve(written) if written else None
    if contact.queue_arn is None and hours_id is None:
        return _moved(_error(action, NO_MATCHING_ERROR), "Hours: no working queue and no hours to check")
    try:
        is_open = contact.env.hours_open(contact.queue_arn, hours_id, contact.start.now)
    except LookupError as exc:
        return _moved(_error(action, NO_MATCHING_ERROR), f"Hours: cannot check ({exc})")
    answer = "True" if is_open else "False"
    for condition in read_transitions(action).conditions:
        if condition.operator == "Equals" and condition.operands == (answer,):
            return _moved(_condition_edge(action, condition), f"Hours: {'open' if is_open else 'closed'}",
                          open=is_open)
    raise FlowDefinitionError(f'no condition Equals "{answer}"')


def _transfer_to_queue(contact: _Contact, action: dict[str, Any]) -> _Taken:
    queue_arn = contact.queue_arn
    if queue_arn is None:
        return _moved(_error(action, NO_MATCHING_ERROR), "Transfer failed: no working queue")
    name = contact.env.queue_name(queue_arn)
    if contact.env.queue_at_capacity(queue_arn):
        return _moved(_error(action, QUEUE_AT_CAPACITY), f"Queue {name} is at capacity", queue=name)
    # Connect ends the inbound flow once the contact is queued; that success is the NextAction edge.
    next_action = read_transitions(action).next_action
    edge = Edge(action["Identifier"], NEXT, next_action) if next_action else None
    return _ended("queued", f"Queued in {name}", "success", edge, queue=name, queue_arn=queue_arn)


def _update_event_hooks(contact: _Contact, action: dict[str, Any]) -> _Taken:
    hooks = _required(action, "EventHooks")
    if not isinstance(hooks, dict) or not hooks:
        raise FlowDefinitionError("EventHooks must be an object with one hook")
    resolved = {name: contact.resolve(target) for name, target in hooks.items()}
    contact.event_hooks.update(resolved)
    shown = ", ".join(f"{name} -> {target}" for name, target in resolved.items())
    return _moved(_next(action), f"Event hook {shown}", event_hooks=resolved)


def _disconnect(contact: _Contact, action: dict[str, Any]) -> _Taken:
    return _ended("disconnected", "Disconnected")


def _end_flow(contact: _Contact, action: dict[str, Any]) -> _Taken:
    return _ended("ended", "Flow ended")


Handler = Callable[[_Contact, dict[str, Any]], _Taken]
# The action Types the simulator executes; the other SUPPORTED_ACTION_TYPES raise UnsupportedAction.
ACTION_HANDLERS: dict[str, Handler] = {
    "UpdateFlowLoggingBehavior": _update_flow_logging,
    "UpdateContactRecordingBehavior": _update_recording,
    "MessageParticipant": _message_participant,
    "GetParticipantInput": _get_participant_input,
    "InvokeLambdaFunction": _invoke_lambda,
    "UpdateContactAttributes": _update_attributes,
    "Compare": _compare,
    "UpdateContactTargetQueue": _update_target_queue,
    "UpdateContactRoutingBehavior": _update_routing,
    "CheckHoursOfOperation": _check_hours,
    "TransferContactToQueue": _transfer_to_queue,
    "UpdateContactEventHooks": _update_event_hooks,
    "DisconnectParticipant": _disconnect,
    "EndFlowExecution": _end_flow,
}


# --- the run loop ----------------------------------------------------------------------------------

def run_flow(
    flow: dict[str, Any],
    start: ContactStart,
    env: ContactEnvironment,
    keypresses: Sequence[str | None] = (),
    *,
    flow_name: str = "flow",
    coverage: FlowCoverage | None = None,
    max_steps: int = 500,
) -> CallResult:
    """Run one contact through the flow from StartAction until it is queued, disconnected or ends.

    keypresses are the caller's entries, one per GetParticipantInput (None: silence). Coverage is
    recorded into `coverage`, or GLOBAL_COVERAGE when none is given.
    """
    parse_flow(flow, source=flow_name)
    coverage = GLOBAL_COVERAGE if coverage is None else coverage
    actions = actions_by_id(flow)
    contact = _Contact(start, env, keypresses)
    steps: list[Step] = []
    action_id: str = flow["StartAction"]
    while True:
        if len(steps) >= max_steps:
            recent = " -> ".join(step.action_id for step in steps[-5:])
            raise FlowLoopError(f"flow {flow_name!r} ran {max_steps} actions without ending (... {recent})")
        action = actions.get(action_id)
        if action is None:
            raise FlowDefinitionError(f"flow {flow_name!r}: there is no action {action_id!r}")
        taken = _execute(contact, action)
        steps.append(Step(action_id, action["Type"], taken.summary, taken.branch, taken.target, taken.data))
        coverage.record_action(flow_name, action_id)
        if taken.edge is not None:
            coverage.record_edge(flow_name, taken.edge)
        if taken.outcome is not None:
            return contact.result(taken.outcome, steps)
        assert taken.target is not None  # every non-final branch names its next action
        action_id = taken.target


def _execute(contact: _Contact, action: dict[str, Any]) -> _Taken:
    identifier, action_type = action["Identifier"], action["Type"]
    handler = ACTION_HANDLERS.get(action_type)
    if handler is None:
        known = "is not executed by the simulator" if action_type in SUPPORTED_ACTION_TYPES else "is unknown"
        raise UnsupportedAction(f"action {identifier!r}: Type {action_type!r} {known}")
    try:
        problems = read_transitions(action).problems
        if problems:
            raise FlowDefinitionError("; ".join(problems))
        try:
            return handler(contact, action)
        except _MissingValue as missing:
            error_type = NO_MATCHING_CONDITION if action_type == "Compare" else NO_MATCHING_ERROR
            return _moved(_error(action, error_type), f"{missing.path} has no value", missing=missing.path)
    except FlowDefinitionError as exc:
        raise FlowDefinitionError(f"action {identifier!r} ({action_type}): {exc}") from exc
