"""A contact while the simulator runs it: what it starts with, its state, what the run returns.

The errors the simulator raises and the ContactEnvironment a caller provides (Lambdas, queues, hours)
live here too, so the action modules (flowlang/actions_*.py) and the run loop (flowlang/simulator.py)
share one definition.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from flowlang.language import JSONPATH

SUMMARY_TEXT_CHARS = 60
DEFAULT_LANGUAGE = "en-US"  # Connect's language for a contact until the flow sets another


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


class MissingValue(Exception):
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
    subtype: str = field(default="", kw_only=True)  # a messaging contact's connect:Subtype (connect:SMS...)

    def __post_init__(self) -> None:
        if self.now.utcoffset() is None:
            raise ValueError("ContactStart.now must be timezone-aware")


@dataclass
class Step:
    action_id: str
    action_type: str
    summary: str  # one human line: 'Caller pressed 2'
    branch: str  # "next", "Equals 2", "error:NoMatchingError", "success", "end" or "stand-in: ..."
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
    language: str = DEFAULT_LANGUAGE
    voice: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# --- the contact while it runs ---------------------------------------------------------------------

class Contact:
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
        self.language = DEFAULT_LANGUAGE  # $.LanguageCode, set by UpdateContactData
        self.voice: dict[str, str] = {}  # set by UpdateContactTextToSpeechVoice
        self.contact_data: dict[str, Any] = {}  # other UpdateContactData fields, flow attributes, tags
        self.loop_counts: dict[tuple[str, str], int] = {}  # (flow, Loop action) -> times it said ContinueLooping
        self.stand_ins: Any = None  # flowlang.actions_more.StandIns, set by run_flow
        self.flow_name = ""  # the flow (or module) whose action runs now
        self.prompts: list[str] = []
        self.lambda_calls: list[dict[str, Any]] = []
        self._keypresses: Iterator[str | None] = iter(keypresses)

    def next_keypress(self) -> str | None:
        """The caller's next scripted entry; None (or no more entries) is silence."""
        return next(self._keypresses, None)

    def resolve(self, text: Any) -> str:
        """A parameter value with every JSONPath in it replaced; raises MissingValue if one names nothing."""
        if not isinstance(text, str):
            raise FlowDefinitionError(f"expected a text parameter, got {text!r}")
        return JSONPATH.sub(lambda match: self.value_of(match.group()), text)

    def value_of(self, path: str) -> str:
        root, _, rest = path.removeprefix("$.").partition(".")
        if root == "Attributes":
            value: Any = self.attributes.get(rest)
        elif root == "External":
            value = dig(self.external, rest)
        else:
            value = self._contact_value(path.removeprefix("$."))
        text = as_text(value)
        if text is None:
            raise MissingValue(path)
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
            case "LanguageCode":
                return self.language
        return None

    def prompt_of(self, action: dict[str, Any]) -> str:
        parameters = parameters_of(action)
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
            "CustomerEndpoint": endpoint(start.customer_address),
            "InitialContactId": start.contact_id,
            "InitiationMethod": start.initiation_method,
            "InstanceARN": start.instance_arn,
            "PreviousContactId": start.contact_id,
            "Queue": queue,
            "SystemEndpoint": endpoint(start.system_address),
            "MediaStreams": {},
        }
        if start.subtype:
            contact_data["SegmentAttributes"] = {"connect:Subtype": {"ValueString": start.subtype}}
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
            language=self.language,
            voice=dict(self.voice),
        )


def dig(value: Any, dotted: str) -> Any:
    if not dotted:
        return None
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def endpoint(address: str | None) -> dict[str, str] | None:
    return {"Address": address, "Type": "TELEPHONE_NUMBER"} if address else None


def parameters_of(action: dict[str, Any]) -> dict[str, Any]:
    parameters = action.get("Parameters")
    return parameters if isinstance(parameters, dict) else {}


def required(action: dict[str, Any], name: str) -> Any:
    if name not in parameters_of(action):
        raise FlowDefinitionError(f"parameter {name} is missing")
    return parameters_of(action)[name]


def short(text: str) -> str:
    return text if len(text) <= SUMMARY_TEXT_CHARS else text[: SUMMARY_TEXT_CHARS - 3].rstrip() + "..."


def since(started: float) -> float:
    return time.perf_counter() - started


def function_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
