"""A hand-built day of contact records whose KPIs were worked out by hand (see test_kpis.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.ctr import AgentLeg, QueueLeg, contact_record

T0 = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)  # 09:30 in New York (EST)
INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/i"


def ctr(contact_id: str, *, at: datetime = T0, method: str = "INBOUND", queue: str | None = "general",
        wait: int = 0, agent: str | None = None, talk: int = 0, hold: int = 0, acw: int = 0,
        reason: str | None = "CUSTOMER_DISCONNECT", customer: str | None = None, channel: str = "VOICE",
        attributes: dict[str, str] | None = None, previous: str | None = None, transferred: bool = False,
        last_update_at: datetime | None = None, subtype: str | None = None) -> dict:
    enqueued = at + timedelta(seconds=10)
    dequeued = enqueued + timedelta(seconds=wait)
    end = dequeued + timedelta(seconds=talk + hold + 1)
    return contact_record(
        contact_id=contact_id, instance_arn=INSTANCE, account_id="111122223333", channel=channel,
        initiation_method=method, initiated_at=at, disconnected_at=end, disconnect_reason=reason,
        customer_address=customer, system_address="+18005550100", attributes=attributes or {"reason": "DEFAULT"},
        queue=QueueLeg(name=queue, arn=f"arn:q/{queue}", enqueued_at=enqueued, dequeued_at=dequeued) if queue else None,
        agent=AgentLeg(username=agent, arn=f"arn:a/{agent}", routing_profile="basic", connected_at=dequeued,
                       interaction_s=talk, hold_s=hold, after_contact_work_s=acw) if agent else None,
        previous_contact_id=previous, transfer_completed_at=end if transferred else None,
        last_update_at=last_update_at, subtype=subtype,
    )


def day_records() -> list[dict]:
    """Queue general (20 s threshold), billing (20 s), vip (10 s), per functions/routing/policy.json."""
    slow_final = ctr("c-ans-slow", wait=45, agent="ana", talk=300, acw=60, customer="+15550002")
    slow_early = ctr("c-ans-slow", wait=45, agent="ana", talk=300, acw=0, customer="+15550002",
                     last_update_at=T0 + timedelta(minutes=6))
    return [
        ctr("c-ans-fast", wait=12, agent="ana", talk=200, hold=20, acw=40, customer="+15550001",
            attributes={"reason": "SKILL_MATCH"}),
        slow_final,
        ctr("c-abandon-short", wait=8, customer="+15550003"),
        ctr("c-abandon-long", wait=90, customer="+15550001"),
        ctr("c-callback-orig", wait=60, reason="CONTACT_FLOW_DISCONNECT", customer="+15550004"),
        ctr("c-callback", at=T0 + timedelta(minutes=40), method="CALLBACK", wait=5, agent="bo", talk=100, acw=20,
            previous="c-callback-orig", customer="+15550004"),
        ctr("c-transfer-src", wait=15, agent="bo", talk=120, transferred=True, reason="AGENT_DISCONNECT",
            customer="+15550005"),
        ctr("c-transfer-dst", method="TRANSFER", queue="billing", wait=25, agent="cy", talk=180, acw=30,
            previous="c-transfer-src", customer="+15550005"),
        ctr("c-ivr", queue=None, reason="CONTACT_FLOW_DISCONNECT", customer="+15550006",
            attributes={"reason": "UNKNOWN_CALLER"}),
        ctr("c-survey", method="API", queue=None, customer="+15550002", attributes={"call_type": "survey"}),
        ctr("c-vip", queue="vip", wait=9, agent="dee", talk=60, customer="+15550007",
            attributes={"reason": "VIP_TIER"}),
        slow_early,  # an earlier version delivered late: out of order, must not replace the final one
        ctr("c-ans-fast", wait=12, agent="ana", talk=200, hold=20, acw=40, customer="+15550001",
            attributes={"reason": "SKILL_MATCH"}),  # delivered twice
    ]


def side_tables() -> dict[str, list[dict]]:
    def survey(contact: str, at: str, score: int | None, resolved: str | None) -> dict:
        return {"ContactId": contact, "CustomerId": "x", "AnsweredTimestamp": at, "Score": score, "Resolved": resolved}

    def ticket(ticket_id: str, due: str, resolved: str | None) -> dict:
        return {"TicketId": ticket_id, "Team": "billing", "Priority": 3, "CreatedTimestamp": "2026-11-24T08:00:00Z",
                "DueTimestamp": due, "ResolvedTimestamp": resolved, "Status": "resolved" if resolved else "open"}

    def attempt(attempt_id: str, outcome: str, converted: bool) -> dict:
        return {"AttemptId": attempt_id, "ContactId": None, "CustomerId": "x", "Campaign": "renewal",
                "AttemptTimestamp": "2026-11-24T16:00:00Z", "Outcome": outcome, "Converted": converted}

    return {
        "survey_results": [
            survey("c-ans-fast", "2026-11-24T15:00:00Z", 5, "yes"),
            survey("c-ans-slow", "2026-11-24T15:00:00Z", 2, "no"),
            survey("c-transfer-dst", "2026-11-24T15:01:00Z", 1, None),
            survey("c-transfer-dst", "2026-11-24T15:05:00Z", 4, None),  # answered again: the latest counts
        ],
        "ticket_records": [
            ticket("T1", "2026-11-24T10:00:00Z", "2026-11-24T09:00:00Z"),
            ticket("T2", "2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z"),
            ticket("T3", "2026-11-24T12:00:00Z", None),  # not yet due by the data's latest moment (11:00)
            ticket("T4", "2026-11-24T08:00:00Z", None),  # past due, unresolved: a miss
        ],
        "outreach_results": [attempt("o1", "renewed", True), attempt("o2", "declined", False),
                             attempt("o3", "no_answer", False), attempt("o4", "failed", False)],
        "agent_sessions": [{"Username": "ana", "StartTimestamp": "2026-11-24T14:00:00Z",
                            "EndTimestamp": "2026-11-24T15:00:00Z"}],
    }
