"""The KPI report as data: runs the KPI SQL on a loaded lake and shapes the result for ``--json`` and the HTML.

Shape: ``{"overall": {...}, "queues": {"<queue>": {...}}, "channels": {"<channel>": {...}}, "intervals": [...],
"skipped": {...}, ...}``. ``channels`` always lists voice, chat, SMS and tasks (zeros when none), each with its
figures, its queues and its CSAT. Rates are
fractions 0-1; a queue with no contacts has counts 0 and rates and averages ``null``. Queue keys are the
policy's queue names (plus any other queue the records name). ``intervals`` lists every half hour of every day
in the data (center's time zone; a DST day has 46 or 50) for every queue, so an empty half hour reads 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from analytics.kpis import KpiSettings, duckdb_text, materialise_contacts
from analytics.reader import LoadReport

COUNTS = ("contacts_offered", "contacts_handled", "contacts_abandoned", "callbacks_requested",
          "answered_within_threshold", "removed_within_threshold", "abandoned_within_threshold", "transfers_in",
          "transfers_out")
#: The channels every report lists (channel_key in contacts.sql), in this order; others follow when present.
CHANNELS = ("VOICE", "CHAT", "SMS", "TASK")
CHANNEL_COUNTS = ("contacts", "customers", "self_served", "contacts_offered", "contacts_handled", "contacts_abandoned")
CHANNEL_RATES = ("abandonment_rate", "service_level", "asa_seconds", "aht_seconds", "longest_wait_seconds")
RATES = ("abandonment_rate", "service_level", "service_level_answered", "asa_seconds", "aht_seconds",
         "longest_wait_seconds")


def _rows(con: duckdb.DuckDBPyConnection, name: str, settings: KpiSettings) -> list[dict[str, Any]]:
    cursor = con.execute(duckdb_text(name, settings, contacts_table=True))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if not denominator or numerator is None else numerator / denominator


def _queue_figures(row: dict[str, Any] | None, seconds: int | None, target: float | None) -> dict[str, Any]:
    figures: dict[str, Any] = {name: int(row[name] or 0) if row else 0 for name in COUNTS}
    figures.update({name: (row[name] if row else None) for name in RATES})
    if figures["longest_wait_seconds"] is not None:
        figures["longest_wait_seconds"] = int(figures["longest_wait_seconds"])
    figures["service_level_seconds"] = seconds
    figures["service_level_target"] = target
    return figures


def half_hours(day: date, zone: ZoneInfo) -> list[datetime]:
    """The UTC starts of the half hours of a local day: 48, or 46/50 on a DST change day."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    return [start + timedelta(minutes=30 * i) for i in range(int((end - start).total_seconds() // 1800))]


def _days(rows: Iterable[dict[str, Any]]) -> list[date]:
    return sorted({date.fromisoformat(r["local_day"]) for r in rows if r["local_day"]})


def build_report(con: duckdb.DuckDBPyConnection, load: LoadReport, settings: KpiSettings,
                 queue_names: Iterable[str]) -> dict[str, Any]:
    zone = ZoneInfo(settings.time_zone)
    materialise_contacts(con, settings)  # the same contacts.sql, computed once for every query below
    rows = _rows(con, "queue_kpis", settings)
    overall_row = next((r for r in rows if r["queue_name"] is None), None)
    per_queue = {r["queue_name"]: r for r in rows if r["queue_name"] is not None and r["interval_start"] is None}
    per_interval = {(r["queue_name"], r["interval_start"]): r for r in rows if r["interval_start"] is not None}
    names = list(dict.fromkeys([*queue_names, *sorted(per_queue)]))

    def target(queue: str) -> tuple[int, float | None]:
        t = settings.targets.get(queue)
        return (t.seconds, t.target) if t else (settings.default_threshold_seconds, None)

    queues = {name: _queue_figures(per_queue.get(name), *target(name)) for name in names}
    intervals = []
    for day in _days(per_interval.values()):
        for start in half_hours(day, zone):
            key = start.strftime("%Y-%m-%dT%H:%M:%SZ")
            local = start.astimezone(zone)
            for name in names:
                figures = _queue_figures(per_interval.get((name, key)), *target(name))
                intervals.append({"queue": name, "interval_start": key, "local_start": local.isoformat(),
                                  "day": day.isoformat(), **figures})
    summary = _rows(con, "contact_summary", settings)[0]
    csat_rows = _rows(con, "csat", settings)
    summary["fcr_7d_note"] = _fcr_note(con, summary)
    return {
        "time_zone": settings.time_zone,
        "overall": {**_queue_figures(overall_row, settings.default_threshold_seconds, None),
                    **{k: v for k, v in summary.items()}},
        "queues": queues,
        "intervals": intervals,
        "routing_mix": _rows(con, "routing_mix", settings),
        "aht_distribution": _rows(con, "aht_distribution", settings),
        "csat": _csat(csat_rows),
        "channels": _channels(_rows(con, "channel_kpis", settings), csat_rows),
        "tickets": _tickets(_rows(con, "tickets", settings)),
        "outreach": _outreach(_rows(con, "outreach", settings)),
        "occupancy": _occupancy(_rows(con, "occupancy", settings)),
        "sentiment": _sentiment(_rows(con, "sentiment", settings)),
        "skipped": dict(sorted(load.skipped.items())),
        "input": {"files": load.files, "records_read": dict(load.records_read),
                  "contacts": con.execute("SELECT COUNT(DISTINCT ContactId) FROM contact_records").fetchall()[0][0],
                  "ignored_fields": dict(sorted(load.ignored_fields.items()))},
    }


def _fcr_note(con: duckdb.DuckDBPyConnection, summary: dict[str, Any]) -> str | None:
    """Why the 7-day FCR proxy judged no call (None when it judged some): a call is judged only when the data
    holds the 7 days of inbound calls after it."""
    if summary["fcr_7d_observed"]:
        return None
    first, last, seconds = con.execute(
        "SELECT strftime(MIN(initiated_at), '%Y-%m-%d'), strftime(MAX(initiated_at), '%Y-%m-%d'), "
        "epoch(MAX(initiated_at)) - epoch(MIN(initiated_at)) FROM contacts "
        "WHERE initiation_method = 'INBOUND'").fetchall()[0]
    if first is None:
        return "not judged: no inbound calls in the data"
    return (f"not judged: a call is judged when the data holds the 7 days of inbound calls after it; the inbound "
            f"calls here span {seconds / 86400:.1f} days ({first} to {last} UTC)")


def _csat_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    scores = sum(r["scores"] for r in rows)
    good = sum(r["scores_good"] or 0 for r in rows)
    fcr_answers = sum(r["fcr_answers"] or 0 for r in rows)
    return {"surveys_answered": sum(r["surveys_answered"] for r in rows), "scores": scores,
            "csat": _ratio(good, scores), "avg_score": _ratio(sum(r["score_sum"] or 0 for r in rows), scores),
            "stated_fcr": _ratio(sum(r["fcr_yes"] or 0 for r in rows), fcr_answers)}


def _csat(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_queue: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_queue[row["queue_name"]].append(row)
        by_day[row["local_day"]].append(row)
        by_channel[row["channel"]].append(row)
    return {"overall": _csat_figures(rows), "queues": {q: _csat_figures(r) for q, r in sorted(by_queue.items())},
            "days": {d: _csat_figures(r) for d, r in sorted(by_day.items())},
            "channels": {c: _csat_figures(r) for c, r in sorted(by_channel.items())}}


def _channel_figures(row: dict[str, Any] | None) -> dict[str, Any]:
    figures: dict[str, Any] = {name: int(row[name] or 0) if row else 0 for name in CHANNEL_COUNTS}
    figures.update({name: (row[name] if row else None) for name in CHANNEL_RATES})
    if figures["longest_wait_seconds"] is not None:
        figures["longest_wait_seconds"] = int(figures["longest_wait_seconds"])
    return figures


def _channels(rows: list[dict[str, Any]], csat_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per channel: its figures (channel_kpis.sql), per queue it reached ('not queued' for self-served), CSAT."""
    totals = {r["channel"]: r for r in rows if r["grouping_level"] == 1}
    names = list(dict.fromkeys([*CHANNELS, *sorted(totals)]))
    csat_by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in csat_rows:
        csat_by_channel[row["channel"]].append(row)
    channels = {}
    for name in names:
        queues = {r["queue_name"] or "not queued": _channel_figures(r)
                  for r in rows if r["grouping_level"] == 0 and r["channel"] == name}
        channels[name] = {**_channel_figures(totals.get(name)), "queues": dict(sorted(queues.items())),
                          "csat": _csat_figures(csat_by_channel.get(name, []))}
    return channels


def _tickets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def figures(rs: list[dict[str, Any]]) -> dict[str, Any]:
        judged = sum(r["tickets_judged"] for r in rs)
        within = sum(r["resolved_within_sla"] for r in rs)
        return {"tickets": sum(r["tickets"] for r in rs), "judged": judged, "resolved_within_sla": within,
                "sla_compliance": _ratio(within, judged)}
    return {"overall": figures(rows), "teams": {r["team"]: figures([r]) for r in rows}}


def _outreach(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def figures(rs: list[dict[str, Any]]) -> dict[str, Any]:
        attempts, reached, converted = (sum(r[k] for r in rs) for k in ("attempts", "reached", "converted"))
        return {"attempts": attempts, "reached": reached, "converted": converted,
                "conversion_rate": _ratio(converted, attempts), "conversion_of_reached": _ratio(converted, reached)}
    return {"overall": figures(rows), "campaigns": {r["campaign"]: figures([r]) for r in rows}}


def _occupancy(rows: list[dict[str, Any]]) -> dict[str, Any]:
    staffed = [r for r in rows if r["staffed_seconds"]]
    return {"overall": _ratio(sum(r["handle_seconds"] for r in staffed), sum(r["staffed_seconds"] for r in staffed)),
            "contacts_unstaffed": sum(int(r["contacts_unstaffed"] or 0) for r in rows),
            "agents": {r["agent"]: {"contacts": int(r["contacts"] or 0), "handle_seconds": r["handle_seconds"],
                                    "staffed_seconds": r["staffed_seconds"],
                                    "contacts_unstaffed": int(r["contacts_unstaffed"] or 0),
                                    "occupancy": _ratio(r["handle_seconds"], r["staffed_seconds"])} for r in rows}}


def _sentiment(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Live sentiment's summaries: the share of analysed calls that ended negative, overall, per queue, per agent."""
    def figures(row: dict[str, Any] | None) -> dict[str, Any]:
        if row is None:
            return {"contacts_analysed": 0, "ended_negative": 0, "share_ended_negative": None,
                    "avg_start_score": None, "avg_end_score": None, "contacts_with_rules_fired": 0}
        return {"contacts_analysed": int(row["contacts_analysed"]), "ended_negative": int(row["ended_negative"] or 0),
                "share_ended_negative": row["share_ended_negative"], "avg_start_score": row["avg_start_score"],
                "avg_end_score": row["avg_end_score"],
                "contacts_with_rules_fired": int(row["contacts_with_rules_fired"] or 0)}
    return {"overall": figures(next((r for r in rows if r["grouping_level"] == 3), None)),
            "queues": {r["queue_name"]: figures(r) for r in rows if r["grouping_level"] == 1},
            "agents": {r["agent"]: figures(r) for r in rows if r["grouping_level"] == 2}}
