"""The lake tables beside the contact records, from a simulated day (analytics/schema.py gives their shapes).

- ``survey_results``: the surveys the day recorded, read back from the surveys table as the day's own report reads
  them (callcenter/day.py `tally_surveys`), so the report's CSAT is the day's.
- ``ticket_records``: every ticket in the tickets table with its SLA facts (due time from its priority, the first
  time it reached resolved or closed).
- ``outreach_results``: one row per outreach attempt (a reminder call placed, a text sent, a channel that failed),
  from the outreach table's history; a reminder call whose customer pressed 1 (talk to an agent about renewing:
  the outreach flow sets ``intent`` to ``renewal``) is the campaign's conversion.
- ``sentiment_summaries``: each answered call's live-sentiment summary (callcenter/sentiment_day.py).
- ``agent_sessions``: each agent's staffed time on the day, from the staffing file's shifts under the agents'
  names in the queue model (callcenter/queueing/model.py `agent_name`), clipped to the day.

The rows are read from the local tables, so they must be taken while the run's LocalBackend is open.

`make demo` writes one lake for both of its dates (the simulated Tuesday as part 0, the outreach day a week later as
part 1) and the report covers both. The outreach day writes no ``agent_sessions``: it simulates the reminder calls
alone, not the agents' day, so the few reminder calls an agent answered are counted apart (the occupancy's
``contacts_unstaffed``), not against the Tuesday's staffed time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.ctr import timestamp
from analytics.lake import partition_of, write_jsonl
from analytics.schema import (
    AGENT_SESSIONS,
    OUTREACH_RESULTS,
    SENTIMENT_SUMMARIES,
    SURVEY_RESULTS,
    TABLES,
    TICKET_RECORDS,
)

if TYPE_CHECKING:
    from callcenter.queueing.staffing import Staffing
    from flowlang.simulator import CallResult, ContactStart

#: What the outreach flow sets when the customer asks for an agent to renew (infra/flows/outreach.json).
CONVERTED_INTENT = "renewal"


def survey_result_rows() -> list[dict[str, Any]]:
    """One row per survey with an answer (a score or whether it was resolved), as `tally_surveys` counts them."""
    from functions.surveys.store import SurveyItem

    rows = []
    for item in SurveyItem.scan():
        if item.score is None and not item.resolved:
            continue
        rows.append({"ContactId": item.contact_id, "CustomerId": item.customer_id,
                     "AnsweredTimestamp": timestamp(item.updated_at),
                     "Score": int(item.score) if item.score is not None else None, "Resolved": item.resolved})
    return sorted(rows, key=lambda r: (r["AnsweredTimestamp"], r["ContactId"]))


def ticket_record_rows() -> list[dict[str, Any]]:
    """Every ticket: its team and priority now, created and SLA due time, and when it was first resolved."""
    from functions.common.ticket_overview import Status
    from functions.tickets.store import TicketItem, to_ticket

    rows = []
    for item in TicketItem.scan():
        ticket = to_ticket(item)
        resolved = next((e.at for e in ticket.history if e.to_status in (Status.RESOLVED, Status.CLOSED)), None)
        rows.append({"TicketId": ticket.ticket_id, "Team": ticket.team, "Priority": ticket.priority,
                     "CreatedTimestamp": timestamp(ticket.created_at), "DueTimestamp": timestamp(ticket.sla_due_at),
                     "ResolvedTimestamp": timestamp(resolved) if resolved else None, "Status": ticket.status.value})
    return sorted(rows, key=lambda r: (r["CreatedTimestamp"], r["TicketId"]))


def outreach_result_rows(starts: Sequence[ContactStart], calls: Sequence[CallResult]) -> list[dict[str, Any]]:
    """One row per attempt in the outreach table's histories: `contacted` (a call placed or a text sent) or
    `failed` (the channel failed). A call's outcome is what followed it in the history (answered, remind_later,
    stopped; nothing: no_answer); a text's is `sms_sent`. Converted: the call's customer asked for an agent."""
    from functions.outreach.record import OutreachStatus
    from functions.outreach.store import OutreachItem, to_record

    intent = {start.contact_id: result.attributes.get("intent")
              for start, result in zip(starts, calls, strict=True)}
    rows = []
    for item in OutreachItem.scan():
        record = to_record(item)
        history = list(record.history)
        attempt = 0
        for index, entry in enumerate(history):
            if entry.status not in (OutreachStatus.CONTACTED, OutreachStatus.FAILED):
                continue
            attempt += 1
            # A call's contact id; a text's message id is no contact (and differs from run to run locally).
            contact_id = entry.note if entry.status is OutreachStatus.CONTACTED and entry.channel == "voice" else None
            if entry.status is OutreachStatus.FAILED:
                outcome = "failed"
            elif entry.channel == "sms":
                outcome = "sms_sent"
            else:
                after = [e.status for e in history[index + 1:]
                         if e.status not in (OutreachStatus.SENDING, OutreachStatus.PLANNED)]
                outcome = "no_answer"
                for status in after:
                    if status in (OutreachStatus.CONTACTED, OutreachStatus.FAILED):
                        break  # the next attempt: this one was not answered
                    outcome = status.value
            converted = contact_id is not None and intent.get(contact_id) == CONVERTED_INTENT
            rows.append({"AttemptId": f"{record.campaign_id}#{record.customer_id}#{record.expires.isoformat()}"
                                      f"#{attempt}",
                         "ContactId": contact_id, "CustomerId": record.customer_id, "Campaign": record.campaign_id,
                         "AttemptTimestamp": timestamp(entry.at),
                         "Outcome": "agent_requested" if converted else outcome, "Converted": converted})
    return sorted(rows, key=lambda r: (r["AttemptTimestamp"], r["AttemptId"]))


def agent_session_rows(staffing: Staffing, day: date) -> list[dict[str, Any]]:
    """Each agent's staffed time on `day` (local to the staffing file's zone): their shifts that day, back-to-back
    ones as one session, clipped to the day."""
    from callcenter.queueing.model import agent_name, merged_windows
    from callcenter.queueing.staffing import shift_windows

    zone = staffing.zone
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    rows = []
    for group in staffing.agents:
        windows = merged_windows(shift_windows(staffing.shifts[group.shift], zone, day - timedelta(days=1), day))
        clipped = [(max(a, start), min(b, end)) for a, b in windows if a < end and b > start]
        for number in range(1, group.count + 1):
            rows.extend({"Username": agent_name(group.routing_profile, group.shift, number),
                         "StartTimestamp": timestamp(a), "EndTimestamp": timestamp(b)} for a, b in clipped)
    return sorted(rows, key=lambda r: (r["StartTimestamp"], r["Username"]))


def replace_table(rows: Iterable[Mapping[str, Any]], root: Path, table: str, *, part: int) -> list[Path]:
    """Write rows as part `part` of each date partition of `table`, replacing that part from an earlier run."""
    rows = list(rows)
    field = TABLES[table].partition_field
    for partition in {partition_of(row, field) for row in rows}:
        (Path(root) / table / partition / f"part-{part:05d}.jsonl").unlink(missing_ok=True)
    return write_jsonl(rows, root, part=part, table=table) if rows else []


def write_day_tables(root: Path, *, part: int, surveys: Sequence[Mapping[str, Any]] = (),
                     tickets: Sequence[Mapping[str, Any]] = (), outreach: Sequence[Mapping[str, Any]] = (),
                     sessions: Sequence[Mapping[str, Any]] = (),
                     sentiments: Sequence[Mapping[str, Any]] = ()) -> dict[str, int]:
    """Each table's rows into the lake at `root`; returns how many rows each table got."""
    written = {}
    for table, rows in ((SURVEY_RESULTS, surveys), (TICKET_RECORDS, tickets), (OUTREACH_RESULTS, outreach),
                        (AGENT_SESSIONS, sessions), (SENTIMENT_SUMMARIES, sentiments)):
        if rows:
            replace_table(rows, root, table, part=part)
            written[table] = len(rows)
    return written
