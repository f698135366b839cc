"""The contact records of simulated contacts, in Amazon Connect's shape (analytics/ctr.py), written to the lake
layout (analytics/lake.py) so `callcenter report --from DIR` reads a simulated day as it reads exported records.

Inbound calls are INBOUND, with their queue leg and, when an agent answered, the agent leg (talk, hold, after-contact
work) from the queue model; our survey and reminder calls are placed with StartOutboundVoiceContact, which Connect
reports as InitiationMethod API, as it reports chats, SMS contacts and tasks. The simulator has no transfers and no
callbacks, so it writes none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.ctr import AgentLeg, QueueLeg, contact_record
from analytics.lake import CONTACT_RECORDS, partition_of, write_jsonl
from callcenter.backend import INSTANCE_ARN
from callcenter.queueing.model import QueueOutcome
from flowlang.simulator import CallResult, ContactStart

if TYPE_CHECKING:
    from callcenter.calls import CallRequest
    from callcenter.queueing.staffing import Staffing

ACCOUNT_ID = INSTANCE_ARN.split(":")[4]
AGENT_ARN = f"{INSTANCE_ARN}/agent/{{}}"
QUEUE_ARN = f"{INSTANCE_ARN}/queue/{{}}"
#: Seconds in the inbound flow before the transfer to the queue (greeting, Lambda, menu), and an IVR-only contact's.
IVR_SECONDS = 45
#: A survey or reminder call: a short greeting plus a few seconds per prompt the flow played.
AUTOMATED_BASE_SECONDS, SECONDS_PER_PROMPT = 10, 8


def _disconnect_reason(flow_outcome: str, outcome: QueueOutcome | None) -> str:
    if outcome is not None:
        return "CUSTOMER_DISCONNECT"  # hung up in the queue, or at the end of the conversation
    return "CONTACT_FLOW_DISCONNECT" if flow_outcome in ("disconnected", "ended") else "CUSTOMER_DISCONNECT"


def _legs(outcome: QueueOutcome | None, queue_arn: str | None, moment: Callable[[float], datetime] | None
          ) -> tuple[QueueLeg | None, AgentLeg | None]:
    if outcome is None or moment is None:
        return None, None
    queue = QueueLeg(name=outcome.queue, arn=queue_arn or QUEUE_ARN.format(outcome.queue),
                     enqueued_at=moment(outcome.enqueued_s), dequeued_at=moment(outcome.dequeued_s))
    agent = None
    if outcome.agent is not None:
        agent = AgentLeg(username=outcome.agent, arn=AGENT_ARN.format(outcome.agent),
                         routing_profile=outcome.routing_profile or outcome.queue,
                         connected_at=moment(outcome.dequeued_s), interaction_s=int(outcome.talk_s),
                         hold_s=int(outcome.hold_s), holds=1 if outcome.hold_s else 0,
                         longest_hold_s=int(outcome.hold_s), after_contact_work_s=int(outcome.acw_s))
    return queue, agent


def inbound_record(*, contact_id: str, channel: str, caller: str | None, dialed: str | None, at: datetime,
                   ended: datetime, attributes: Mapping[str, Any], flow_outcome: str, queue_arn: str | None,
                   outcome: QueueOutcome | None, moment: Callable[[float], datetime] | None,
                   initiation_method: str = "INBOUND") -> dict[str, Any]:
    """A customer's contact: the flow's attributes, and the queue and agent legs when the flow queued it.
    `moment` turns the model's seconds into aware datetimes. A web chat is started with StartChatContact, which
    Connect reports as InitiationMethod API, with no customer or system endpoint."""
    queue, agent = _legs(outcome, queue_arn, moment)
    return contact_record(
        contact_id=contact_id, instance_arn=INSTANCE_ARN, account_id=ACCOUNT_ID, channel=channel,
        initiation_method=initiation_method, initiated_at=at, disconnected_at=ended,
        disconnect_reason=_disconnect_reason(flow_outcome, outcome),
        customer_address=caller if channel == "VOICE" else None,
        system_address=dialed if channel == "VOICE" else None, attributes=_strings(attributes),
        queue=queue, agent=agent)


def automated_call_record(*, contact_id: str, customer: str | None, at: datetime, attributes: Mapping[str, Any],
                          prompts: int, flow_outcome: str = "ended", queue_arn: str | None = None,
                          outcome: QueueOutcome | None = None,
                          moment: Callable[[float], datetime] | None = None) -> dict[str, Any]:
    """One of our outbound calls (a survey or a reminder), placed through the API; it may reach an agent."""
    ended = at + timedelta(seconds=AUTOMATED_BASE_SECONDS + SECONDS_PER_PROMPT * prompts)
    queue, agent = _legs(outcome, queue_arn, moment)
    if outcome is not None and moment is not None:
        ended = max(ended, moment(outcome.disconnected_s))
    return contact_record(
        contact_id=contact_id, instance_arn=INSTANCE_ARN, account_id=ACCOUNT_ID, channel="VOICE",
        initiation_method="API", initiated_at=at, disconnected_at=ended,
        disconnect_reason=_disconnect_reason(flow_outcome, outcome), customer_address=customer,
        system_address=None, attributes=_strings(attributes), queue=queue, agent=agent)


def task_record(*, contact_id: str, attributes: Mapping[str, Any], started_s: float, outcome: QueueOutcome,
                moment: Callable[[float], datetime]) -> dict[str, Any]:
    """A task (StartTaskContact: InitiationMethod API, no endpoints) an agent took from its queue and completed."""
    queue, agent = _legs(outcome, None, moment)
    return contact_record(
        contact_id=contact_id, instance_arn=INSTANCE_ARN, account_id=ACCOUNT_ID, channel="TASK",
        initiation_method="API", initiated_at=moment(started_s), disconnected_at=moment(outcome.disconnected_s),
        disconnect_reason="AGENT_DISCONNECT" if outcome.answered else "CONTACT_FLOW_DISCONNECT",
        customer_address=None, system_address=None, attributes=_strings(attributes), queue=queue, agent=agent)


class ContactLog:
    """The records of a simulated run, in the order the contacts ended. `moment` turns the queue model's seconds
    into aware datetimes (set by the run that owns the model)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.moment: Callable[[float], datetime] | None = None

    def inbound(self, request: CallRequest, result: CallResult, queued: QueueOutcome | None, ended: datetime) -> None:
        self.records.append(inbound_record(
            contact_id=request.contact_id or "", channel=request.channel, caller=request.caller,
            dialed=request.dialed, at=request.at, ended=ended, attributes=result.attributes,
            flow_outcome=result.outcome, queue_arn=result.queue_arn, outcome=queued, moment=self.moment))

    def automated(self, start: ContactStart, result: CallResult, queued: QueueOutcome | None = None) -> None:
        self.records.append(automated_call_record(
            contact_id=start.contact_id, customer=start.customer_address, at=start.now, attributes=result.attributes,
            prompts=len(result.prompts), flow_outcome=result.outcome, queue_arn=result.queue_arn, outcome=queued,
            moment=self.moment))


def reminder_call_records(starts: Sequence[ContactStart], results: Sequence[CallResult], staffing: Staffing,
                          seed: int) -> list[dict[str, Any]]:
    """The records of a day's reminder calls (InitiationMethod API). A customer who asked for an agent waits in the
    queue model for the staffing file's agents, as the day's callers do."""
    from callcenter.queueing.model import Offer, serve
    from functions.routing.policy import load_policy

    if not starts:
        return []
    policy = load_policy()
    first = min(start.now for start in starts)
    origin = datetime.combine(first.date(), datetime.min.time(), tzinfo=first.tzinfo)
    pairs = sorted(zip(starts, results, strict=True), key=lambda pair: pair[0].now)
    offers = [Offer((start.now - origin).total_seconds() + IVR_SECONDS, start.contact_id, result.queue,
                    result.priority or 5)
              for start, result in pairs if result.outcome == "queued" and result.queue in policy.queues]
    last = max(start.now for start in starts)
    outcomes = {o.contact_id: o for o in serve(offers, staffing, policy, origin=origin,
                                                until=last + timedelta(days=1), seed=seed)}
    log = ContactLog()
    log.moment = lambda seconds: origin + timedelta(seconds=seconds)
    for start, result in pairs:
        log.automated(start, result, outcomes.get(start.contact_id))
    return log.records


def _strings(attributes: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in attributes.items() if v is not None}


def replace_records(records: Iterable[Mapping[str, Any]], root: Path, *, part: int) -> list[Path]:
    """Write records as part `part` of each date partition, replacing that part from an earlier run (a re-run of
    the same day gives the same files, not a second copy)."""
    records = list(records)
    for partition in {partition_of(record) for record in records}:
        stale = Path(root) / CONTACT_RECORDS / partition / f"part-{part:05d}.jsonl"
        stale.unlink(missing_ok=True)
    return write_jsonl(records, root, part=part) if records else []
