"""The KPI report as one self-contained HTML file: charts drawn by matplotlib as inline SVG, tables, no
script, no stylesheet or font fetched, nothing that needs a network. Business figures (service, volume,
customers) come first; engineering figures (input read, records skipped, ignored fields) are apart at the end.
"""

from __future__ import annotations

import html
import io
from collections import defaultdict
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

plt.rcParams.update({"svg.hashsalt": "kpi-report", "svg.fonttype": "path", "font.size": 9})

_STYLE = """body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td{white-space:nowrap}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.tiles{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-start}
.tile{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:130px;max-width:260px}
.tile b{font-size:20px;display:block}.tile small{display:block;font-weight:normal;font-size:11px;color:#555}
.miss{color:#b00020}.engineering{background:#fafafa;padding:4px 16px;border:1px dashed #bbb}"""


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # no XML declaration or DOCTYPE (its DTD address) inside HTML


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


def _sec(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def _volume_chart(report: dict[str, Any]) -> str:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in report["intervals"]:
        totals[row["local_start"][:16]][0] += row["contacts_handled"]
        totals[row["local_start"][:16]][1] += row["contacts_abandoned"]
    labels = list(totals)
    fig, ax = plt.subplots(figsize=(10, 3))
    answered = [totals[k][0] for k in labels]
    ax.bar(range(len(labels)), answered, label="answered", color="#2e7d32")
    ax.bar(range(len(labels)), [totals[k][1] for k in labels], bottom=answered, label="abandoned", color="#c62828")
    step = max(1, len(labels) // 24)
    ax.set_xticks(range(0, len(labels), step), [labels[i][5:].replace("T", " ") for i in range(0, len(labels), step)],
                  rotation=60, ha="right")
    ax.set_ylabel("contacts per half hour")
    ax.legend()
    return _svg(fig)


def _queue_bar(report: dict[str, Any], key: str, ylabel: str, target_key: str | None = None) -> str:
    queues = report["queues"]
    names = list(queues)
    values = [queues[q][key] or 0 for q in names]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(names, [v * 100 for v in values] if target_key else values, color="#1565c0", label=ylabel)
    if target_key:
        targets = [(queues[q][target_key] or 0) * 100 for q in names]
        ax.scatter(names, targets, marker="_", s=400, color="#c62828", label="target", zorder=3)
        ax.set_ylim(0, 105)
        ax.legend()
    ax.set_ylabel(ylabel)
    return _svg(fig)


def _aht_chart(report: dict[str, Any]) -> str:
    rows = report["aht_distribution"]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar([r["bucket_start_seconds"] / 60 for r in rows], [r["contacts"] for r in rows], width=0.45, align="edge",
           color="#6a1b9a")
    ax.set_xlabel("handle time (minutes: talk + hold + after-contact work)")
    ax.set_ylabel("contacts")
    return _svg(fig)


def _csat_chart(report: dict[str, Any]) -> str:
    """CSAT per day when the data holds two days or more of answers; per queue (surveys answered on the bars)
    otherwise, since a trend of one point says nothing."""
    csat = report["csat"]
    fig, ax = plt.subplots(figsize=(7, 3))
    if len(csat["days"]) >= 2:
        days = csat["days"]
        ax.plot(list(days), [(d["csat"] or 0) * 100 for d in days.values()], marker="o", color="#ef6c00")
        ax.set_xlabel("day (center's time zone)")
    elif csat["queues"]:
        names = list(csat["queues"])
        figures = [csat["queues"][q] for q in names]
        bars = ax.bar(names, [(f["csat"] or 0) * 100 for f in figures], color="#ef6c00")
        ax.bar_label(bars, [f"{f['scores']} scored" for f in figures], fontsize=8)
        ax.set_xlabel(f"queue of the surveyed contact ({', '.join(csat['days'])}: one day of answers)")
    else:
        ax.text(0.5, 0.5, "no survey answers in the data", ha="center", transform=ax.transAxes)
    ax.set_ylim(0, 110)
    ax.set_ylabel("CSAT (% scoring 4-5)")
    return _svg(fig)


def _routing_chart(report: dict[str, Any]) -> str:
    by_reason: dict[str, int] = defaultdict(int)
    for row in report["routing_mix"]:
        by_reason[row["reason"]] += row["contacts"]
    fig, ax = plt.subplots(figsize=(7, 3))
    reasons = sorted(by_reason, key=by_reason.get)  # type: ignore[arg-type]
    ax.barh(reasons, [by_reason[r] for r in reasons], color="#00838f")
    ax.set_xlabel("inbound calls by routing reason")
    return _svg(fig)


_CHANNEL_LABELS = {"VOICE": "voice", "CHAT": "chat", "SMS": "SMS", "TASK": "tasks", "EMAIL": "email"}


def _channel_chart(report: dict[str, Any]) -> str:
    """Each channel's contacts: handled by an agent, abandoned in a queue, self-served in the flow."""
    channels = report["channels"]
    names = [_CHANNEL_LABELS.get(c, c) for c in channels]
    figures = list(channels.values())
    fig, ax = plt.subplots(figsize=(7, 2.6))
    bottom = [0] * len(figures)
    for key, label, color in (("contacts_handled", "handled", "#2e7d32"),
                              ("contacts_abandoned", "abandoned", "#c62828"),
                              ("self_served", "self-served", "#90a4ae")):
        values = [f[key] for f in figures]
        ax.barh(names, values, left=bottom, label=label, color=color)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("customers' contacts")
    ax.legend(loc="lower right")
    return _svg(fig)


def _channel_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, c in report["channels"].items():
        rows.append([html.escape(_CHANNEL_LABELS.get(name, name)), str(c["contacts"]), str(c["customers"]),
                     str(c["self_served"]), str(c["contacts_offered"]), str(c["contacts_handled"]),
                     _pct(c["abandonment_rate"]), _pct(c["service_level"]), _sec(c["asa_seconds"]),
                     _sec(c["aht_seconds"]), _pct(c["csat"]["csat"])])
    return rows


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(report: dict[str, Any], *, title: str = "Contact center report") -> str:
    o = report["overall"]
    tiles = [("Contacts offered", str(o["contacts_offered"])), ("Handled", str(o["contacts_handled"])),
             ("Abandonment", _pct(o["abandonment_rate"])), ("Service level", _pct(o["service_level"])),
             ("Answered in threshold", _pct(o["service_level_answered"])), ("ASA", _sec(o["asa_seconds"])),
             ("AHT", _sec(o["aht_seconds"])), ("Longest wait", _sec(o["longest_wait_seconds"])),
             ("CSAT", _pct(report["csat"]["overall"]["csat"])), ("IVR containment", _pct(o["ivr_containment_rate"])),
             ("7-day FCR (proxy)", _pct(o["fcr_7d_rate"]) if o.get("fcr_7d_note") is None
              else f'not judged<small>{html.escape(o["fcr_7d_note"].removeprefix("not judged: "))}</small>'),
             ("Stated FCR", _pct(report["csat"]["overall"]["stated_fcr"])),
             ("Ticket SLA", _pct(report["tickets"]["overall"]["sla_compliance"])),
             ("Outreach conversion", _pct(report["outreach"]["overall"]["conversion_rate"])),
             ("Occupancy", _pct(report["occupancy"]["overall"])),
             ("Calls ending negative", _pct(report["sentiment"]["overall"]["share_ended_negative"]))]
    queue_rows = []
    for name, q in report["queues"].items():
        miss = q["service_level"] is not None and q["service_level_target"] is not None \
            and q["service_level"] < q["service_level_target"]
        sl = f'<span class="miss">{_pct(q["service_level"])}</span>' if miss else _pct(q["service_level"])
        queue_rows.append([html.escape(name), str(q["contacts_offered"]), str(q["contacts_handled"]),
                           str(q["contacts_abandoned"]), _pct(q["abandonment_rate"]), sl,
                           f'{_pct(q["service_level_target"])} in {q["service_level_seconds"]} s',
                           _pct(q["service_level_answered"]), _sec(q["asa_seconds"]), _sec(q["aht_seconds"]),
                           _sec(q["longest_wait_seconds"]), str(q["transfers_out"])])
    apart = [["survey calls", str(o["survey_calls"]), str(o["survey_calls_connected"])],
             ["outreach calls", str(o["outreach_calls"]), str(o["outreach_calls_connected"])],
             ["queued callbacks", str(o["callbacks"]), "-"]]
    engineering = [["files read", str(report["input"]["files"])],
                   *[[f"records read ({t})", str(n)] for t, n in report["input"]["records_read"].items()],
                   ["distinct contacts", str(report["input"]["contacts"])],
                   *[[f"skipped: {html.escape(r)}", str(n)] for r, n in report["skipped"].items()],
                   *[[f"ignored field: {html.escape(f)}", str(n)]
                     for f, n in report["input"]["ignored_fields"].items()],
                   ["time zone of intervals and days", html.escape(report["time_zone"])]]
    parts = [
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        "<h2>Business figures</h2><div class=\"tiles\">",
        *[f"<div class=\"tile\">{html.escape(k)}<b>{v}</b></div>" for k, v in tiles],
        "</div><h2>Queues</h2>",
        _table(["queue", "offered", "handled", "abandoned", "abandon rate", "service level", "target",
                "answered in threshold", "ASA", "AHT", "longest wait", "transfers out"], queue_rows),
        "<h2>Channels</h2>",
        _table(["channel", "contacts", "customers", "self-served", "queued", "handled", "abandon rate",
                "service level", "ASA", "AHT", "CSAT"], _channel_rows(report)),
        _channel_chart(report),
        "<h2>Volume per half hour: answered and abandoned</h2>", _volume_chart(report),
        "<h2>Service level against target</h2>", _queue_bar(report, "service_level", "service level (%)",
                                                              "service_level_target"),
        "<h2>Average speed of answer</h2>", _queue_bar(report, "asa_seconds", "ASA (seconds)"),
        "<h2>Handle time distribution</h2>", _aht_chart(report),
        "<h2>CSAT</h2>", _csat_chart(report),
        "<h2>Routing mix</h2>", _routing_chart(report),
        "<h2>Tickets: SLA compliance per team</h2>",
        _table(["team", "tickets", "judged", "resolved within SLA", "SLA compliance"],
               [[html.escape(t), str(f["tickets"]), str(f["judged"]), str(f["resolved_within_sla"]),
                 _pct(f["sla_compliance"])] for t, f in report["tickets"]["teams"].items()]),
        "<h2>Outreach: conversion per campaign</h2>",
        _table(["campaign", "attempts", "reached", "converted", "conversion", "of reached"],
               [[html.escape(c), str(f["attempts"]), str(f["reached"]), str(f["converted"]),
                 _pct(f["conversion_rate"]), _pct(f["conversion_of_reached"])]
                for c, f in report["outreach"]["campaigns"].items()]),
        "<h2>Occupancy per agent (handle time / staffed time)</h2>",
        _table(["agent", "contacts", "handle time", "staffed time", "occupancy"],
               [[html.escape(a), str(f["contacts"]), _sec(f["handle_seconds"]), _sec(f["staffed_seconds"]),
                 _pct(f["occupancy"])] for a, f in report["occupancy"]["agents"].items() if f["staffed_seconds"]]),
        f"<p>Contacts answered on a day without staffed time in the data (not counted): "
        f"{report['occupancy'].get('contacts_unstaffed', 0)}</p>",
        "<h2>Live sentiment: calls ending negative per queue and per agent</h2>",
        _table(["queue or agent", "calls analysed", "ended negative", "share", "score at start", "score at end",
                "calls with hints or alerts"],
               [[html.escape(f"{kind}: {name}"), str(f["contacts_analysed"]), str(f["ended_negative"]),
                 _pct(f["share_ended_negative"]), _score(f["avg_start_score"]), _score(f["avg_end_score"]),
                 str(f["contacts_with_rules_fired"])]
                for kind, group in (("queue", "queues"), ("agent", "agents"))
                for name, f in report["sentiment"][group].items()]),
        "<h2>Our outbound calls (apart from the queue figures)</h2>",
        _table(["calls", "placed", "connected"], apart),
        "<div class=\"engineering\"><h2>Engineering figures</h2>", _table(["", "value"], engineering), "</div>",
        "</body></html>",
    ]
    return "\n".join(parts)
