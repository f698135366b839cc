"""The staffing plan as one self-contained HTML page in the KPI report's style (analytics/html_report.py): the
forecast, required against rostered agents and the simulated service level per half hour against the target, as
inline SVG charts; nothing fetched from a network."""

from __future__ import annotations

import html
from typing import Any

from analytics.html_report import _STYLE, _svg, _table, plt
from analytics.roster import SLOTS, clock

_TICKS = list(range(0, SLOTS, 4))


def _axis(ax: Any, ylabel: str) -> None:
    ax.set_xticks(_TICKS, [clock(s) for s in _TICKS], rotation=60, ha="right")
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#eee")


def _forecast_chart(folder: Any) -> str:
    fig, ax = plt.subplots(figsize=(10, 3))
    for queue, days in sorted(folder.calls.items()):
        ax.plot(range(SLOTS), days[0], label=queue)
    _axis(ax, "expected contacts per half hour")
    ax.legend(ncol=4, fontsize=8)
    return _svg(fig)


def _agents_chart(queue: str, plans: Any, roster: Any) -> str:
    fig, ax = plt.subplots(figsize=(10, 2.4))
    ax.step(range(SLOTS), [p.requirement.scheduled for p in plans], where="post", label="required", color="#c62828")
    ax.bar(range(SLOTS), roster.scheduled, align="edge", width=1.0, alpha=0.35, color="#1565c0",
           label="rostered")
    _axis(ax, f"{queue}: agents")
    ax.legend(fontsize=8)
    return _svg(fig)


def _service_chart(check: dict[str, Any]) -> str:
    fig, ax = plt.subplots(figsize=(10, 3))
    for queue, figures in sorted(check["queues"].items()):
        levels = [None if v is None else v * 100 for v in figures["intervals"]]
        line = ax.plot(range(SLOTS), [float("nan") if v is None else v for v in levels], marker=".", label=queue)
        ax.axhline(figures["target"] * 100, color=line[0].get_color(), linestyle=":", linewidth=0.8)
    ax.set_ylim(0, 102)
    _axis(ax, "simulated service level (%)")
    ax.legend(ncol=4, fontsize=8)
    return _svg(fig)


def render_staffing_html(folder: Any, parameters: Any, plans: Any, rosters: Any, check: dict[str, Any] | None,
                         *, title: str = "Staffing plan") -> str:
    day = folder.first
    first_day = {r.queue: r for r in rosters if r.day == day}
    rows = []
    for queue, roster in sorted(first_day.items()):
        p, day_plans = parameters[queue], plans[queue][0]
        rows.append([html.escape(queue), f"{p.target:.0%} in {p.answer_within_seconds:.0f} s",
                     f"{p.aht_seconds:.0f} s", f"{p.patience_seconds:.0f} s" if p.patience_seconds else "-",
                     f"{sum(x.calls for x in day_plans):.0f}", str(max(x.requirement.scheduled for x in day_plans)),
                     f"{roster.agent_hours:g}"])
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}: {day.isoformat()} ({day:%A})</h1>",
             _table(["queue", "target", "AHT", "patience", "calls", "peak agents", "agent-hours"], rows),
             "<h2>Forecast: contacts per half hour</h2>", _forecast_chart(folder),
             "<h2>Required against rostered agents</h2>",
             *[_agents_chart(q, plans[q][0], r) for q, r in sorted(first_day.items())]]
    if check is not None:
        rows = [[html.escape(q), f"{f['target']:.0%}", str(f["offered"]),
                 "-" if f["service_level"] is None else f"{f['service_level']:.1%}",
                 "-" if f["erlang_a"] is None else f"{f['erlang_a']:.1%}",
                 "-" if f["erlang_c"] is None else f"{f['erlang_c']:.1%}", str(f["abandoned"])]
                for q, f in sorted(check["queues"].items())]
        parts += ["<h2>The roster in the queue model: service level per half hour against the target</h2>",
                  _service_chart(check),
                  _table(["queue", "target", "queued", "simulated", "Erlang A", "Erlang C", "abandoned"], rows)]
    parts.append("</body></html>")
    return "\n".join(parts)
