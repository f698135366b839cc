"""The simulator's handlers for the actions a voice IVR is made of: prompts, input, Lambdas, attributes,
comparisons, queues, hours, settings and the ends of a flow. Each returns the Taken step (flowlang/branches.py)."""

from __future__ import annotations

import json
import time
from typing import Any

from flowlang.branches import (
    INPUT_TIME_LIMIT_EXCEEDED,
    NO_MATCHING_CONDITION,
    NO_MATCHING_ERROR,
    QUEUE_AT_CAPACITY,
    Handler,
    Taken,
    condition_edge,
    ended,
    error_edge,
    holds,
    moved,
    next_edge,
)
from flowlang.contact import (
    Contact,
    FlowDefinitionError,
    LambdaInvocationError,
    function_name,
    parameters_of,
    required,
    short,
    since,
)
from flowlang.language import NEXT, Edge, is_truthy_flag, read_transitions, static_int

STRING_MAP_LIMIT_BYTES = 32 * 1024


def _update_flow_logging(contact: Contact, action: dict[str, Any]) -> Taken:
    behavior = required(action, "FlowLoggingBehavior")
    if behavior not in ("Enabled", "Disabled"):
        raise FlowDefinitionError(f"FlowLoggingBehavior must be Enabled or Disabled, got {behavior!r}")
    contact.flow_logging = behavior == "Enabled"
    return moved(next_edge(action), f"Flow logging {behavior.lower()}", flow_logging=behavior)


def _update_recording(contact: Contact, action: dict[str, Any]) -> Taken:
    behavior = parameters_of(action).get("RecordingBehavior") or {}
    if not isinstance(behavior, dict):
        raise FlowDefinitionError("RecordingBehavior must be an object")
    contact.recorded_participants = list(behavior.get("RecordedParticipants", []))
    who = ", ".join(contact.recorded_participants) or "nobody"
    return moved(next_edge(action), f"Recording: {who}", recorded_participants=contact.recorded_participants)


def _message_participant(contact: Contact, action: dict[str, Any]) -> Taken:
    text = contact.prompt_of(action)
    if not text.strip():
        return moved(error_edge(action, NO_MATCHING_ERROR), "Play failed: the message is empty")
    contact.prompts.append(text)
    return moved(next_edge(action), f'Play: "{short(text)}"', text=text)


def _get_participant_input(contact: Contact, action: dict[str, Any]) -> Taken:
    prompt = contact.prompt_of(action)
    if not prompt.strip():
        return moved(error_edge(action, NO_MATCHING_ERROR), "Prompt failed: the prompt is empty")
    contact.prompts.append(prompt)
    entry = contact.next_keypress()
    if entry is None:
        timed_out = error_edge(action, INPUT_TIME_LIMIT_EXCEEDED, NO_MATCHING_ERROR)
        return moved(timed_out, "No input (silence)", prompt=prompt, key=None)
    if is_truthy_flag(parameters_of(action).get("StoreInput")):
        contact.stored_input = entry
        return moved(next_edge(action), f"Caller entered {entry}", prompt=prompt, key=entry)
    for condition in read_transitions(action).conditions:
        if condition.operator == "Equals" and condition.operands == (entry,):
            edge = condition_edge(action, condition)
            return moved(edge, f"Caller pressed {entry}", prompt=prompt, key=entry)
    return moved(error_edge(action, NO_MATCHING_CONDITION), f"Caller pressed {entry} (not an option)",
                  prompt=prompt, key=entry)


def _invoke_lambda(contact: Contact, action: dict[str, Any]) -> Taken:
    parameters = parameters_of(action)
    asynchronous = parameters.get("InvocationType", "SYNCHRONOUS") == "ASYNCHRONOUS"
    arn = contact.resolve(required(action, "LambdaFunctionARN"))
    time_limit = static_int(required(action, "InvocationTimeLimitSeconds"))
    if time_limit is None:
        raise FlowDefinitionError("InvocationTimeLimitSeconds must be a static integer")
    response_type = (parameters.get("ResponseValidation") or {}).get("ResponseType", "STRING_MAP")
    passed = parameters.get("LambdaInvocationAttributes") or {}
    event = contact.lambda_event({key: contact.resolve(value) for key, value in passed.items()})
    call: dict[str, Any] = {"arn": arn, "event": event}
    contact.lambda_calls.append(call)
    contact.external = None  # $.External only ever holds the latest invocation's result
    name = function_name(arn)
    started = time.perf_counter()
    try:
        response = contact.env.invoke_lambda(arn, event, float(time_limit))
    except LambdaInvocationError as exc:
        call.update(error={"kind": exc.kind, "detail": exc.detail}, elapsed_seconds=since(started))
        return moved(error_edge(action, NO_MATCHING_ERROR), f"Lambda {name} failed ({exc})", **call)
    call.update(response=response, elapsed_seconds=since(started))
    if asynchronous:  # Connect does not wait for the answer: the flow goes on, $.External stays empty
        return moved(next_edge(action), f"Lambda {name} invoked asynchronously", **call)
    problem = response_problem(response, response_type)
    if problem:
        call["error"] = {"kind": "invalid-response", "detail": problem}
        return moved(error_edge(action, NO_MATCHING_ERROR), f"Lambda {name} answer rejected: {problem}", **call)
    contact.external = response
    return moved(next_edge(action), f"Lambda {name} returned {len(response)} attributes", **call)


def response_problem(response: Any, response_type: str) -> str | None:
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


def _update_attributes(contact: Contact, action: dict[str, Any]) -> Taken:
    written = required(action, "Attributes")
    if not isinstance(written, dict):
        raise FlowDefinitionError("Attributes must be an object")
    # Resolve everything before setting anything: the update is all or nothing.
    values = {contact.resolve(key): contact.resolve(value) for key, value in written.items()}
    contact.attributes.update(values)
    shown = ", ".join(f"{key}={value}" for key, value in list(values.items())[:3])
    more = f", ... ({len(values)} in all)" if len(values) > 3 else ""
    return moved(next_edge(action), f"Set attributes {shown}{more}", attributes=values)


def _compare(contact: Contact, action: dict[str, Any]) -> Taken:
    written = required(action, "ComparisonValue")
    value = contact.resolve(written)
    for condition in read_transitions(action).conditions:
        if holds(condition, value):
            return moved(condition_edge(action, condition), f"{written} is {value!r}: {condition.label}",
                          value=value)
    return moved(error_edge(action, NO_MATCHING_CONDITION), f"{written} is {value!r}: no condition matches",
                  value=value)


def _update_target_queue(contact: Contact, action: dict[str, Any]) -> Taken:
    queue_arn = contact.resolve(required(action, "QueueId"))
    name = contact.env.queue_name(queue_arn)
    if name is None:
        return moved(error_edge(action, NO_MATCHING_ERROR), f"Unknown queue {queue_arn}", queue_arn=queue_arn)
    contact.queue_arn = queue_arn
    return moved(next_edge(action), f"Working queue -> {name}", queue=name, queue_arn=queue_arn)


def _update_routing(contact: Contact, action: dict[str, Any]) -> Taken:
    if "QueuePriority" not in parameters_of(action):
        adjustment = static_int(str(parameters_of(action).get("QueueTimeAdjustmentSeconds", "")).lstrip("-"))
        contact.contact_data["QueueTimeAdjustmentSeconds"] = parameters_of(action).get("QueueTimeAdjustmentSeconds")
        shown = "not a static number" if adjustment is None else f"{adjustment} s"
        return moved(next_edge(action), f"Routing age adjusted ({shown}; no effect on the simulated queue)")
    priority = static_int(parameters_of(action)["QueuePriority"])
    if priority is None or priority < 1:
        raise FlowDefinitionError("QueuePriority must be a static positive integer")
    contact.priority = priority
    return moved(next_edge(action), f"Priority -> {priority}", priority=priority)


def _check_hours(contact: Contact, action: dict[str, Any]) -> Taken:
    written = parameters_of(action).get("HoursOfOperationId")
    hours_id = contact.resolve(written) if written else None
    if contact.queue_arn is None and hours_id is None:
        return moved(error_edge(action, NO_MATCHING_ERROR), "Hours: no working queue and no hours to check")
    try:
        is_open = contact.env.hours_open(contact.queue_arn, hours_id, contact.start.now)
    except LookupError as exc:
        return moved(error_edge(action, NO_MATCHING_ERROR), f"Hours: cannot check ({exc})")
    answer = "True" if is_open else "False"
    for condition in read_transitions(action).conditions:
        if condition.operator == "Equals" and condition.operands == (answer,):
            return moved(condition_edge(action, condition), f"Hours: {'open' if is_open else 'closed'}",
                          open=is_open)
    raise FlowDefinitionError(f'no condition Equals "{answer}"')


def _transfer_to_queue(contact: Contact, action: dict[str, Any]) -> Taken:
    queue_arn = contact.queue_arn
    if queue_arn is None:
        return moved(error_edge(action, NO_MATCHING_ERROR), "Transfer failed: no working queue")
    name = contact.env.queue_name(queue_arn)
    if contact.env.queue_at_capacity(queue_arn):
        return moved(error_edge(action, QUEUE_AT_CAPACITY), f"Queue {name} is at capacity", queue=name)
    # Connect ends the inbound flow once the contact is queued; that success is the NextAction edge.
    next_action = read_transitions(action).next_action
    edge = Edge(action["Identifier"], NEXT, next_action) if next_action else None
    return ended("queued", f"Queued in {name}", "success", edge, queue=name, queue_arn=queue_arn)


def _update_event_hooks(contact: Contact, action: dict[str, Any]) -> Taken:
    hooks = required(action, "EventHooks")
    if not isinstance(hooks, dict) or not hooks:
        raise FlowDefinitionError("EventHooks must be an object with one hook")
    resolved = {name: contact.resolve(target) for name, target in hooks.items()}
    contact.event_hooks.update(resolved)
    shown = ", ".join(f"{name} -> {target}" for name, target in resolved.items())
    return moved(next_edge(action), f"Event hook {shown}", event_hooks=resolved)


def _disconnect(contact: Contact, action: dict[str, Any]) -> Taken:
    return ended("disconnected", "Disconnected")


def _end_flow(contact: Contact, action: dict[str, Any]) -> Taken:
    return ended("ended", "Flow ended")


CORE_HANDLERS: dict[str, Handler] = {
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
