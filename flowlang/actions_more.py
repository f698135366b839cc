"""The simulator's handlers for the rest of the Flow language: voice and language, loops, flow modules and
flow transfers, queue messages, waits, percentages, and a documented stand-in for every action whose
effect lies outside a simulated call (customer profiles, cases, tasks, views, Lex bots, Voice ID, metrics).

A stand-in takes a branch the flow declares: the one given for that action Identifier in
`StandIns.choices` (`--choose ID=BRANCH` on the command line), else the action's NextAction, else its
first condition, else its first error. docs/flow-language.md lists what each action type does here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowlang.branches import (
    NO_MATCHING_CONDITION,
    NO_MATCHING_ERROR,
    Handler,
    Taken,
    condition_edge,
    ended,
    error_edge,
    holds,
    moved,
    next_edge,
)
from flowlang.contact import Contact, FlowDefinitionError, parameters_of, required, short
from flowlang.language import ERROR_PREFIX, NEXT, Edge, declared_edges, is_jsonpath, read_transitions, static_int

PROMPT_KEYS = ("Text", "SSML", "PromptId")


@dataclass(frozen=True)
class StandIns:
    """What a flow reaches outside itself, given by the caller of the simulator.

    flows: flow modules and flows by id, ARN or name, each as (name, flow document), for InvokeFlowModule and
    TransferToFlow. choices: action Identifier -> the branch a stand-in takes ("next", a condition operand or
    label like "Equals Next", or an error type)."""

    flows: Mapping[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    choices: Mapping[str, str] = field(default_factory=dict)

    def flow(self, reference: str) -> tuple[str, dict[str, Any]] | None:
        """The flow a reference names: exactly, by the last part of an ARN, or by a flow's name."""
        for key in (reference, reference.rsplit("/", 1)[-1], reference.rsplit(":", 1)[-1]):
            if key in self.flows:
                return self.flows[key]
        return None


@dataclass(frozen=True)
class Jump:
    """Where the run continues in another flow: into a module (and back), to another flow, or back from a module."""

    kind: str  # "module" | "transfer" | "return"
    name: str = ""
    flow: dict[str, Any] | None = None


def stand_ins_of(contact: Contact) -> StandIns:
    return getattr(contact, "stand_ins", None) or StandIns()


# --- the generic stand-in ---------------------------------------------------------------------------------------

def _chosen_edge(action: dict[str, Any], choice: str) -> Edge:
    edges = declared_edges(action)
    for edge in edges:
        if choice in (edge.label, edge.label.removeprefix(ERROR_PREFIX), edge.label.split(" ", 1)[-1]):
            return edge
    shown = ", ".join(edge.label for edge in edges) or "none"
    raise FlowDefinitionError(f"the branch chosen for it, {choice!r}, is not one of its branches ({shown})")


def default_edge(action: dict[str, Any]) -> Edge | None:
    """NextAction, else the first condition, else the first error: what a stand-in takes unless told otherwise."""
    transitions = read_transitions(action)
    identifier = action["Identifier"]
    if transitions.next_action:
        return Edge(identifier, NEXT, transitions.next_action)
    if transitions.conditions:
        return condition_edge(action, transitions.conditions[0])
    if transitions.errors:
        return Edge(identifier, transitions.errors[0].label, transitions.errors[0].target)
    return None


def stand_in(contact: Contact, action: dict[str, Any], what: str = "") -> Taken:
    """Take the chosen branch, or the default one; an action with no transitions ends the run."""
    choice = stand_ins_of(contact).choices.get(action["Identifier"])
    edge = _chosen_edge(action, choice) if choice else default_edge(action)
    what = what or f"{action['Type']} is not simulated"
    if edge is None:
        return ended("ended", f"{what}; no transitions, the flow ends", stand_in=True)
    how = "chosen" if choice else "default"
    return moved(edge, f"{what}; stand-in takes the {how} branch {edge.label}", stand_in=True)


# --- voice and language ----------------------------------------------------------------------------------------

def _update_voice(contact: Contact, action: dict[str, Any]) -> Taken:
    parameters = parameters_of(action)
    voice = contact.resolve(required(action, "TextToSpeechVoice"))
    if not voice.strip():
        return moved(error_edge(action, NO_MATCHING_ERROR), "Voice not set: the voice name is empty")
    contact.voice = {"TextToSpeechVoice": voice}
    for name in ("TextToSpeechEngine", "TextToSpeechStyle"):
        if name in parameters:
            contact.voice[name] = contact.resolve(parameters[name])
    engine = contact.voice.get("TextToSpeechEngine", "standard")
    return moved(next_edge(action), f"Voice -> {voice} ({engine.lower()})", voice=dict(contact.voice))


def _update_contact_data(contact: Contact, action: dict[str, Any]) -> Taken:
    written = {name: contact.resolve(value) if isinstance(value, str) else value
               for name, value in parameters_of(action).items()}
    if "LanguageCode" in written:
        contact.language = written["LanguageCode"]
    contact.contact_data.update(written)
    shown = ", ".join(f"{name}={value}" for name, value in list(written.items())[:3]) or "nothing"
    return moved(next_edge(action), f"Contact data: {shown}", contact_data=written)


# --- loops, waits, percentages ---------------------------------------------------------------------------------

def _condition_for(action: dict[str, Any], operand: str) -> Edge:
    for condition in read_transitions(action).conditions:
        if condition.operands == (operand,):
            return condition_edge(action, condition)
    raise FlowDefinitionError(f"no condition Equals {operand!r}")


def _loop(contact: Contact, action: dict[str, Any]) -> Taken:
    written = required(action, "LoopCount")
    count = static_int(contact.resolve(written) if is_jsonpath(written) else written)
    if count is None or not 0 <= count <= 100:
        return stand_in(contact, action, f"LoopCount {written!r} is not a whole number 0-100")
    key = (getattr(contact, "flow_name", ""), action["Identifier"])
    done = contact.loop_counts.get(key, 0)
    if done < count:
        contact.loop_counts[key] = done + 1
        return moved(_condition_for(action, "ContinueLooping"), f"Loop {done + 1} of {count}", iteration=done + 1)
    contact.loop_counts[key] = 0  # the loop resets once it is done
    return moved(_condition_for(action, "DoneLooping"), f"Loop done after {count}", iteration=count)


def _message_iteratively(contact: Contact, action: dict[str, Any]) -> Taken:
    messages = parameters_of(action).get("Messages")
    if not isinstance(messages, list) or not messages:
        raise FlowDefinitionError("Messages must be a non-empty list")
    for message in messages:
        text = contact.prompt_of({"Parameters": message}) if isinstance(message, dict) else ""
        contact.prompts.append(text)
    choice = stand_ins_of(contact).choices.get(action["Identifier"])
    if choice:
        return stand_in(contact, action, f"Played {len(messages)} message(s) in a loop")
    if any(c.operands == ("MessagesInterrupted",) for c in read_transitions(action).conditions):
        seconds = parameters_of(action).get("InterruptFrequencySeconds", "?")
        return moved(_condition_for(action, "MessagesInterrupted"),
                     f"Played {len(messages)} message(s); interrupted after {seconds} s", messages=len(messages))
    return ended("waiting", f"Played {len(messages)} message(s) in a loop until the contact leaves the queue")


def _wait(contact: Contact, action: dict[str, Any]) -> Taken:
    if stand_ins_of(contact).choices.get(action["Identifier"]):
        return stand_in(contact, action, "Wait")
    seconds = parameters_of(action).get("TimeoutSeconds", parameters_of(action).get("TimeLimitSeconds", "?"))
    if any(c.operands == ("WaitCompleted",) for c in read_transitions(action).conditions):
        return moved(_condition_for(action, "WaitCompleted"), f"Waited {seconds} s")
    return stand_in(contact, action, f"Waited {seconds} s")


def percentile(contact: Contact, action: dict[str, Any]) -> int:
    """A number 1-100 fixed by the contact and the action: the same run always takes the same branch."""
    digest = hashlib.sha256(f"{contact.start.contact_id}/{action['Identifier']}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 + 1


def _distribute(contact: Contact, action: dict[str, Any]) -> Taken:
    if stand_ins_of(contact).choices.get(action["Identifier"]):
        return stand_in(contact, action, "Distribute by percentage")
    drawn = percentile(contact, action)
    for condition in read_transitions(action).conditions:
        if holds(condition, str(drawn)):
            return moved(condition_edge(action, condition), f"Drew {drawn} of 100: {condition.label}", drawn=drawn)
    return moved(error_edge(action, NO_MATCHING_CONDITION), f"Drew {drawn} of 100: no condition matches")


# --- other flows: modules and transfers ------------------------------------------------------------------------

def _invoke_module(contact: Contact, action: dict[str, Any]) -> Taken:
    reference = contact.resolve(required(action, "FlowModuleId"))
    found = stand_ins_of(contact).flow(reference)
    if found is None:
        return stand_in(contact, action, f"Module {short(reference)} not given")
    name, module = found
    resume = default_edge(action)
    if resume is None:
        raise FlowDefinitionError("the module has nowhere to return to (no transitions)")
    taken = moved(resume, f"Module {name}: run, then {resume.label}", module=name)
    return Taken(taken.summary, taken.branch, taken.target, taken.edge, taken.data, jump=Jump("module", name, module))


def _end_module(contact: Contact, action: dict[str, Any]) -> Taken:
    return Taken("Module returns", "end", None, None, {}, jump=Jump("return"))


def _transfer_to_flow(contact: Contact, action: dict[str, Any]) -> Taken:
    reference = contact.resolve(required(action, "ContactFlowId"))
    found = stand_ins_of(contact).flow(reference)
    if found is None:
        return ended("transferred", f"Transferred to flow {short(reference)} (not given: the run ends here)",
                     flow=reference)
    name, flow = found
    return Taken(f"Transferred to flow {name}", "success", None, None, {"flow": name},
                 jump=Jump("transfer", name, flow))


def _transfer_to_agent(contact: Contact, action: dict[str, Any]) -> Taken:
    if stand_ins_of(contact).choices.get(action["Identifier"]):
        return stand_in(contact, action, "Transfer to agent")
    return ended("transferred", "Transferred to the agent (the working agent or queue's agent)")


TIME_LIMIT_EXCEEDED = "TimeLimitExceeded"


def _show_view(contact: Contact, action: dict[str, Any]) -> Taken:
    """In a chat, the view is shown to the customer (our chat menu: quick replies, one view action each): their
    next message is the action they chose, matched case-insensitively against the conditions' operands or the
    labels in ViewData.Replies; no message is TimeLimitExceeded, anything else NoMatchingCondition. In any
    other contact (an agent's step-by-step guide) it is a stand-in, as before."""
    if contact.start.channel != "CHAT" or action["Identifier"] in stand_ins_of(contact).choices:
        return generic_stand_in(contact, action)
    view_data = parameters_of(action).get("ViewData") or {}
    heading = contact.resolve(view_data.get("Heading", "")) if isinstance(view_data.get("Heading"), str) else ""
    replies = view_data.get("Replies") if isinstance(view_data.get("Replies"), list) else []
    labels = {str(r.get("Label", "")).strip().casefold(): str(r.get("Action", ""))
              for r in replies if isinstance(r, dict)}
    if heading:
        contact.prompts.append(heading)
    said = contact.next_keypress()
    if said is None or not said.strip():
        timed_out = error_edge(action, TIME_LIMIT_EXCEEDED, NO_MATCHING_ERROR)
        return moved(timed_out, "No reply (the customer did not answer)", prompt=heading, key=None)
    wanted = said.strip().casefold()
    wanted = labels.get(wanted, wanted).casefold()
    for condition in read_transitions(action).conditions:
        if condition.operator == "Equals" and tuple(o.casefold() for o in condition.operands) == (wanted,):
            return moved(condition_edge(action, condition), f"Customer chose {condition.operands[0]}",
                         prompt=heading, key=said)
    return moved(error_edge(action, NO_MATCHING_CONDITION), f"Customer wrote {short(said)} (not an option)",
                 prompt=heading, key=said)


MORE_HANDLERS: dict[str, Handler] = {
    "UpdateContactTextToSpeechVoice": _update_voice,
    "UpdateContactData": _update_contact_data,
    "Loop": _loop,
    "MessageParticipantIteratively": _message_iteratively,
    "Wait": _wait,
    "DistributeByPercentage": _distribute,
    "InvokeFlowModule": _invoke_module,
    "EndFlowModuleExecution": _end_module,
    "TransferToFlow": _transfer_to_flow,
    "TransferContactToAgent": _transfer_to_agent,
    "DequeueContactAndTransferToQueue": _transfer_to_agent,
    "ShowView": _show_view,
}

#: What the generic stand-in means for each remaining type (docs/flow-language.md shows the same).
STAND_IN_TYPES: dict[str, str] = {
    "CheckMetricData": "no live metrics: takes the chosen or default branch",
    "GetMetricData": "no live metrics: $.Metrics stays empty, takes the success branch",
    "CheckOutboundCallStatus": "no call progress analysis: chosen or default branch",
    "CheckVoiceId": "no Voice ID: chosen or default branch",
    "StartVoiceIdStream": "no Voice ID: success branch",
    "UpdateFlowAttributes": "flow attributes are not kept: success branch",
    "UpdateRoutingCriteria": "no routing criteria in the simulated queue: success branch",
    "AssociateContactToCustomerProfile": "no Customer Profiles domain: success branch",
    "CreateCallbackContact": "no callback is created: success branch",
    "CreateCustomerProfile": "no Customer Profiles domain: success branch",
    "GetCalculatedAttributesForCustomerProfile": "no Customer Profiles domain: chosen or default branch",
    "GetCustomerProfile": "no Customer Profiles domain: chosen or default branch",
    "GetCustomerProfileObject": "no Customer Profiles domain: chosen or default branch",
    "UpdateCustomerProfile": "no Customer Profiles domain: success branch",
    "ConnectParticipantWithLexBot": "no Lex bot: chosen branch (an intent) or the default",
    "ShowView": "no agent view: chosen branch (the view action) or the default",
    "CompleteOutboundCall": "no outbound leg: success branch",
    "CreateCase": "no Cases domain: chosen or default branch",
    "CreatePersistentContactAssociation": "no previous chat: success branch",
    "CreateTask": "no task is created: success branch",
    "CreateWisdomSession": "no Amazon Q in Connect: success branch",
    "GetCase": "no Cases domain: chosen or default branch",
    "ResumeContact": "nothing paused: success branch",
    "StartOutboundChatContact": "no chat is started: success branch",
    "TagContact": "tags are not kept: success branch",
    "UnTagContact": "tags are not kept: success branch",
    "UpdateCase": "no Cases domain: chosen or default branch",
    "UpdateContactCallbackNumber": "the number is not checked: success branch",
    "UpdateContactMediaProcessing": "no media processing: success branch",
    "UpdateContactMediaStreamingBehavior": "no media streaming: success branch",
    "UpdateContactRecordingAndAnalyticsBehavior": "recording settings are not simulated: success branch",
    "UpdatePreviousContactParticipantState": "no previous contact: success branch",
}


def generic_stand_in(contact: Contact, action: dict[str, Any]) -> Taken:
    return stand_in(contact, action, f"{action['Type']} (stand-in: {STAND_IN_TYPES[action['Type']]})")
