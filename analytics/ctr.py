"""The contact trace record (CTR): one record per contact, in Amazon Connect's own JSON shape.

Amazon Connect streams one of these per contact (Kinesis, then Firehose into the lake), delivers it at least
once and delivers it again when the contact changes after it ended (after-contact work, attribute updates):
readers deduplicate by ``ContactId`` and keep the latest ``LastUpdateTimestamp``. The local runtime writes the
same shape for every simulated contact, so one reader and one SQL serve real exports and simulated days.

Field names and values follow the admin guide's "Data model for contact records"; only the fields the
center's figures use are filled, the others are left out as Connect leaves out what does not apply
(``Agent`` and ``Queue`` are null for a contact that never reached them). Timestamps are UTC ISO 8601 with
a trailing ``Z`` (``2026-11-24T09:30:05Z``); durations are whole seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

FORMAT_VERSION = "2017-03-10"

#: Connect's channels, initiation methods and disconnect reasons (those this project produces or reads).
CHANNELS = frozenset({"VOICE", "CHAT", "TASK", "EMAIL"})
INITIATION_METHODS = frozenset({
    "INBOUND", "OUTBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "API", "DISCONNECT", "MONITOR",
    "EXTERNAL_OUTBOUND", "AGENT_REPLY", "FLOW",
})
DISCONNECT_REASONS = frozenset({
    "CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "THIRD_PARTY_DISCONNECT", "TELECOM_PROBLEM", "BARGED",
    "CONTACT_FLOW_DISCONNECT", "OTHER", "EXPIRED", "API", "CUSTOMER_CONNECTION_NOT_ESTABLISHED",
})


def timestamp(at: datetime) -> str:
    """Connect's timestamp text for an aware datetime: UTC, whole seconds, ``Z``."""
    if at.tzinfo is None:
        raise ValueError("contact record timestamps must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """The reverse of :func:`timestamp`; also accepts fractional seconds and ``+00:00`` as Connect's exports do."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class QueueLeg(msgspec.Struct, frozen=True, kw_only=True):
    """The contact's time in a queue. ``dequeued_at`` is when it left the queue: answered by an agent,
    abandoned by the caller, or transferred out."""

    name: str
    arn: str
    enqueued_at: datetime
    dequeued_at: datetime


class AgentLeg(msgspec.Struct, frozen=True, kw_only=True):
    """The agent who answered. Durations in seconds: talk (interaction), customer hold, after-contact work."""

    username: str
    arn: str
    routing_profile: str
    connected_at: datetime
    interaction_s: int
    hold_s: int = 0
    holds: int = 0
    longest_hold_s: int = 0
    after_contact_work_s: int = 0


def contact_record(
    *,
    contact_id: str,
    instance_arn: str,
    account_id: str,
    channel: str,
    initiation_method: str,
    initiated_at: datetime,
    disconnected_at: datetime,
    disconnect_reason: str | None,
    customer_address: str | None,
    system_address: str | None,
    attributes: Mapping[str, str] | None = None,
    queue: QueueLeg | None = None,
    agent: AgentLeg | None = None,
    connected_to_system_at: datetime | None = None,
    initial_contact_id: str | None = None,
    previous_contact_id: str | None = None,
    next_contact_id: str | None = None,
    transfer_completed_at: datetime | None = None,
    transferred_to: str | None = None,
    last_update_at: datetime | None = None,
    subtype: str | None = None,
) -> dict[str, Any]:
    """One contact record in Connect's JSON shape.

    ``subtype``: Connect's ``connect:Subtype`` segment attribute (``connect:SMS`` for an SMS conversation, which
    Connect carries on channel CHAT; ``connect:WebRTC``...), written as Connect writes segment attributes.
    ``last_update_at`` defaults to the end of after-contact work (or the disconnect when no agent answered):
    the moment Connect would deliver the final version of the record.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if initiation_method not in INITIATION_METHODS:
        raise ValueError(f"unknown initiation method {initiation_method!r}")
    if disconnect_reason is not None and disconnect_reason not in DISCONNECT_REASONS:
        raise ValueError(f"unknown disconnect reason {disconnect_reason!r}")
    for moment in (initiated_at, disconnected_at):
        if moment.tzinfo is None:
            raise ValueError("contact record timestamps must be timezone-aware")
    if disconnected_at < initiated_at:
        raise ValueError("a contact cannot end before it starts")

    agent_doc = None
    final = disconnected_at
    if agent is not None:
        acw_start = disconnected_at
        acw_end = datetime.fromtimestamp(acw_start.timestamp() + agent.after_contact_work_s, UTC)
        final = max(final, acw_end)
        agent_doc = {
            "ARN": agent.arn,
            "Username": agent.username,
            "RoutingProfile": {"Name": agent.routing_profile},
            "ConnectedToAgentTimestamp": timestamp(agent.connected_at),
            "AgentInteractionDuration": agent.interaction_s,
            "CustomerHoldDuration": agent.hold_s,
            "NumberOfHolds": agent.holds,
            "LongestHoldDuration": agent.longest_hold_s,
            "AfterContactWorkStartTimestamp": timestamp(acw_start),
            "AfterContactWorkEndTimestamp": timestamp(acw_end),
            "AfterContactWorkDuration": agent.after_contact_work_s,
        }
    queue_doc = None
    if queue is not None:
        if queue.dequeued_at < queue.enqueued_at:
            raise ValueError("a contact cannot leave a queue before it enters it")
        queue_doc = {
            "ARN": queue.arn,
            "Name": queue.name,
            "EnqueueTimestamp": timestamp(queue.enqueued_at),
            "DequeueTimestamp": timestamp(queue.dequeued_at),
            "Duration": round((queue.dequeued_at - queue.enqueued_at).total_seconds()),
        }
    return {
        "AWSAccountId": account_id,
        "AWSContactTraceRecordFormatVersion": FORMAT_VERSION,
        "Agent": agent_doc,
        "AgentConnectionAttempts": 1 if agent is not None else 0,
        "Attributes": dict(attributes or {}),
        "Channel": channel,
        "ConnectedToSystemTimestamp": timestamp(connected_to_system_at or initiated_at),
        "ContactId": contact_id,
        "CustomerEndpoint": {"Address": customer_address, "Type": "TELEPHONE_NUMBER"} if customer_address else None,
        "DisconnectReason": disconnect_reason,
        "DisconnectTimestamp": timestamp(disconnected_at),
        "InitialContactId": initial_contact_id,
        "InitiationMethod": initiation_method,
        "InitiationTimestamp": timestamp(initiated_at),
        "InstanceARN": instance_arn,
        "LastUpdateTimestamp": timestamp(last_update_at or final),
        "NextContactId": next_contact_id,
        "PreviousContactId": previous_contact_id,
        "Queue": queue_doc,
        "SegmentAttributes": {"connect:Subtype": {"ValueString": subtype}} if subtype else None,
        "SystemEndpoint": {"Address": system_address, "Type": "TELEPHONE_NUMBER"} if system_address else None,
        "TransferCompletedTimestamp": timestamp(transfer_completed_at) if transfer_completed_at else None,
        "TransferredToEndpoint": {"Address": transferred_to, "Type": "TELEPHONE_NUMBER"} if transferred_to else None,
    }
