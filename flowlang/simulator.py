"""Execute a contact flow action by action, the way Amazon Connect would.

The simulator runs the same flow JSON that CDK deploys (after `substitute()` with local ARNs). It
asks a ContactEnvironment to run Lambdas and to answer queue and hours questions, and returns a
transcript of every step. It is strict on purpose: a JSONPath that names nothing takes the action's
error branch, an undeclared branch or a malformed action raises, so flow bugs surface in tests.

Every action Type of the Flow language reference (flowlang/reference/) is run: the IVR's own actions by
flowlang/actions_core.py, the rest by flowlang/actions_more.py, which also holds the documented stand-ins
for what lies outside a simulated call. Flow modules and transfers to other flows run when they are given
(StandIns.flows); a module's actions are recorded under the module's name. Only a Type the reference does
not list raises UnsupportedAction.

This module is the run loop and the public names; the contact's state is in flowlang/contact.py and
coverage in flowlang/coverage.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flowlang.actions_core import CORE_HANDLERS
from flowlang.actions_more import MORE_HANDLERS, STAND_IN_TYPES, Jump, StandIns, generic_stand_in
from flowlang.branches import NO_MATCHING_CONDITION, NO_MATCHING_ERROR, Taken, error_edge, moved
from flowlang.contact import (
    CallResult,
    Contact,
    ContactEnvironment,
    ContactStart,
    FlowDefinitionError,
    FlowLoopError,
    LambdaInvocationError,
    MissingValue,
    SimulationError,
    Step,
    UnsupportedAction,
)
from flowlang.coverage import GLOBAL_COVERAGE, CoverageReport, FlowCoverage
from flowlang.flow import actions_by_id, parse_flow
from flowlang.language import ACTION_TYPES, read_transitions

__all__ = [
    "ACTION_HANDLERS", "GLOBAL_COVERAGE", "CallResult", "ContactEnvironment", "ContactStart", "CoverageReport",
    "FlowCoverage", "FlowDefinitionError", "FlowLoopError", "LambdaInvocationError", "SimulationError", "StandIns",
    "Step", "UnsupportedAction", "run_flow",
]

#: The handler of every action Type in the reference: its own, or the generic stand-in.
ACTION_HANDLERS = {**{name: generic_stand_in for name in STAND_IN_TYPES}, **CORE_HANDLERS, **MORE_HANDLERS}


@dataclass
class _Frame:
    """A flow being run: the top-level flow, a flow it transferred to, or a module it invoked."""

    name: str
    actions: dict[str, dict[str, Any]]
    resume: str | None = None  # a module's caller continues here when the module returns


def run_flow(
    flow: dict[str, Any],
    start: ContactStart,
    env: ContactEnvironment,
    keypresses: Sequence[str | None] = (),
    *,
    flow_name: str = "flow",
    coverage: FlowCoverage | None = None,
    max_steps: int = 500,
    stand_ins: StandIns | None = None,
) -> CallResult:
    """Run one contact through the flow from StartAction until it is queued, disconnected or ends.

    keypresses are the caller's entries, one per GetParticipantInput (None: silence). Coverage is
    recorded into `coverage`, or GLOBAL_COVERAGE when none is given. stand_ins gives the modules and
    flows the flow may reach and the branch a stand-in takes (default: none given, default branches).
    """
    parse_flow(flow, source=flow_name)
    coverage = GLOBAL_COVERAGE if coverage is None else coverage
    contact = Contact(start, env, keypresses)
    contact.stand_ins = stand_ins or StandIns()
    frames = [_Frame(flow_name, actions_by_id(flow))]
    steps: list[Step] = []
    action_id: str = flow["StartAction"]
    while True:
        if len(steps) >= max_steps:
            recent = " -> ".join(step.action_id for step in steps[-5:])
            raise FlowLoopError(f"flow {flow_name!r} ran {max_steps} actions without ending (... {recent})")
        frame = frames[-1]
        action = frame.actions.get(action_id)
        if action is None:
            raise FlowDefinitionError(f"flow {frame.name!r}: there is no action {action_id!r}")
        contact.flow_name = frame.name
        taken = _execute(contact, action)
        shown_id = action_id if len(frames) == 1 and frame.name == flow_name else f"{frame.name}/{action_id}"
        steps.append(Step(shown_id, action["Type"], taken.summary, taken.branch, taken.target, taken.data))
        coverage.record_action(frame.name, action_id)
        if taken.edge is not None:
            coverage.record_edge(frame.name, taken.edge)
        if taken.jump is not None:
            next_id = _follow(taken, frames)
            if next_id is None:
                return contact.result("ended", steps)
            action_id = next_id
            continue
        if taken.outcome is not None:
            return contact.result(taken.outcome, steps)
        assert taken.target is not None  # every non-final branch names its next action
        action_id = taken.target


def _follow(taken: Taken, frames: list[_Frame]) -> str | None:
    """Enter a module or another flow, or return from a module; None when a module returns to no caller."""
    jump: Jump = taken.jump
    if jump.kind == "return":
        returning = frames.pop()
        if not frames:  # a module run on its own: returning ends the run
            return None
        return returning.resume
    assert jump.flow is not None
    parse_flow(jump.flow, source=jump.name)
    if jump.kind == "module":
        frames.append(_Frame(jump.name, actions_by_id(jump.flow), resume=taken.target))
    else:  # transfer: this flow is left for good
        frames[-1] = _Frame(jump.name, actions_by_id(jump.flow), resume=frames[-1].resume)
    return jump.flow["StartAction"]


def _execute(contact: Contact, action: dict[str, Any]) -> Taken:
    identifier, action_type = action["Identifier"], action["Type"]
    handler = ACTION_HANDLERS.get(action_type)
    if handler is None:
        assert action_type not in ACTION_TYPES, f"{action_type} is in the reference but has no handler"
        raise UnsupportedAction(f"action {identifier!r}: Type {action_type!r} is unknown (not in the Flow "
                                "language reference)")
    try:
        problems = read_transitions(action).problems
        if problems:
            raise FlowDefinitionError("; ".join(problems))
        try:
            return handler(contact, action)
        except MissingValue as missing:
            error_type = NO_MATCHING_CONDITION if action_type == "Compare" else NO_MATCHING_ERROR
            return moved(error_edge(action, error_type), f"{missing.path} has no value", missing=missing.path)
    except FlowDefinitionError as exc:
        raise FlowDefinitionError(f"action {identifier!r} ({action_type}): {exc}") from exc
