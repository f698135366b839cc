"""After a simulated call: what Amazon Connect would publish, and the survey call that may follow.

The contact event goes to moto's EventBridge, where the rule from the manifest routes DISCONNECTED
events to the survey queue; `event_sources.deliver` feeds the queue to the dispatcher; an outbound
survey call the dispatcher places is run through the survey flow file by the simulator.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from callcenter.backend import INSTANCE_ARN, LocalBackend, local_client
from callcenter.connect_emulator import OutboundCall
from flowlang.simulator import CallResult, ContactStart, FlowCoverage

SURVEY_FLOW = "survey"
AGENT_ARN = f"{INSTANCE_ARN}/agent/{{}}"


@dataclass(frozen=True)
class AgentOutcome:
    """What happened after the flow queued the call: an agent answered, or the caller gave up waiting."""

    answered: bool
    agent: str | None
    waited: timedelta
    talked: timedelta


def contact_event_detail(result: CallResult, contact_id: str, started: datetime, outcome: AgentOutcome | None,
                         channel: str = "VOICE") -> tuple[dict, datetime]:
    """The `detail` of the DISCONNECTED contact event Connect publishes, and when it is published."""
    detail: dict = {
        "eventType": "DISCONNECTED",
        "contactId": contact_id,
        "initialContactId": contact_id,
        "channel": channel,
        "instanceArn": INSTANCE_ARN,
        "initiationMethod": "INBOUND",
        "initiationTimestamp": started.isoformat(),
        "connectedToSystemTimestamp": started.isoformat(),
    }
    ended = started + timedelta(seconds=45)
    if result.outcome == "queued" and result.queue_arn:
        detail["queueInfo"] = {"queueArn": result.queue_arn, "queueType": "STANDARD",
                               "enqueueTimestamp": ended.isoformat()}
        if outcome is not None:
            ended = ended + outcome.waited
            if outcome.answered and outcome.agent:
                detail["agentInfo"] = {"agentArn": AGENT_ARN.format(outcome.agent),
                                       "connectedToAgentTimestamp": ended.isoformat()}
                ended = ended + outcome.talked
    detail["disconnectTimestamp"] = ended.isoformat()
    return detail, ended


def publish_contact_event(detail: dict, at: datetime) -> None:
    """Publish as Amazon Connect does: source aws.connect on the default bus."""
    events = local_client("events")
    response = events.put_events(Entries=[{
        "Source": "aws.connect",
        "DetailType": "Amazon Connect Contact Event",
        "Detail": json.dumps(detail),
        "Resources": [f"{INSTANCE_ARN}/contact/{detail['contactId']}"],
        "Time": at,
    }])
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"local EventBridge refused the contact event: {response['Entries']}")


Respondent = Callable[[OutboundCall], Sequence[str | None]]
CallSeen = Callable[[ContactStart, CallResult], None]


def scripted(keys: Sequence[str | None]) -> Respondent:
    return lambda _call: keys


def random_respondent(rng: random.Random, unhappy: bool = False) -> Respondent:
    """A plausible answerer: most rate 4-5, some 1-3, some press a wrong key or say nothing."""

    def answer(_call: OutboundCall) -> Sequence[str | None]:
        roll = rng.random()
        if roll < 0.12:
            return (None, None)  # does not answer the questions at all
        weights = [18, 12, 14, 26, 30] if unhappy else [4, 5, 11, 30, 50]
        score = str(rng.choices(range(1, 6), weights)[0])
        resolved = "1" if rng.random() < (0.55 if unhappy else 0.85) else "2"
        if roll < 0.18:
            return (rng.choice("0789#*"), score, resolved)  # a wrong key first, then the real answer
        return (score, resolved)

    return answer


def deliver_survey_requests(backend: LocalBackend, at: datetime, respondent: Respondent,
                            coverage: FlowCoverage | None = None, until: datetime | None = None,
                            max_hops: int = 1000, on_call: CallSeen | None = None) -> list[CallResult]:
    """The dispatcher takes the survey queue at `at`; surveys it places are answered two minutes later.

    With `until`, surveys delayed by quiet hours are followed too: the clock moves to each held
    message's moment (SQS delay, in simulated time) until none is due before `until`.
    """
    from callcenter.event_sources import deliver

    results: list[CallResult] = []
    moment: datetime | None = at
    for _ in range(max_hops):
        if moment is None or (until is not None and moment > until) or (until is None and moment != at):
            break
        backend.now = moment
        try:
            deliver(backend, "survey-requests")
        finally:
            backend.now = None
        results += run_survey_calls(backend, respondent, moment + timedelta(minutes=2), coverage, on_call)
        moment = next_held(backend, "survey-requests")
    return results


def next_held(backend: LocalBackend, queue: str) -> datetime | None:
    """When the next message held (SQS delay, in simulated time) for `queue` becomes visible.

    Per queue: other queues hold messages too (ticket notifications wait for quiet hours to end), and
    following one of those here would move this queue's clock for nothing.
    """
    url = backend.queue_urls[queue]
    return min((m.visible_at for m in backend.sqs_delays.held if m.queue_url == url), default=None)


def run_survey_calls(backend: LocalBackend, respondent: Respondent, at: datetime,
                     coverage: FlowCoverage | None = None, on_call: CallSeen | None = None) -> list[CallResult]:
    """Run every outbound survey call the dispatcher placed, through the survey flow file; `on_call` sees each
    (its start and result: the contact record)."""
    from callcenter.calls import local_flow, run_flow_at

    results = []
    for call in backend.connect.take_outbound_calls():
        start = ContactStart(
            contact_id=call.contact_id,
            channel="VOICE",
            initiation_method="API",
            customer_address=call.destination,
            system_address=None,
            instance_arn=INSTANCE_ARN,
            attributes=dict(call.attributes),
            now=at,
        )
        results.append(run_flow_at(backend, local_flow(SURVEY_FLOW), start, list(respondent(call)),
                                   SURVEY_FLOW, coverage))
        if on_call is not None:
            on_call(start, results[-1])
    return results
