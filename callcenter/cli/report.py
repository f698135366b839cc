"""`callcenter report --from PATH`: the center's KPIs from Connect contact records (JSON lines or Parquet)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from callcenter.cli.common import console


def add_parser(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="KPIs (service level, ASA, AHT, abandonment, ...) from contact records",
        description="Read Amazon Connect contact records (a lake folder, a folder or file of JSON lines, records "
                    "back to back, or Parquet), skip and count what cannot be counted, and report the KPIs per "
                    "queue, per half hour (the center's time zone) and overall.")
    report.add_argument("--from", dest="source", type=Path, required=True, metavar="PATH",
                        help="a lake folder (contact_records/dt=.../), a folder of record files, or one file")
    report.add_argument("--json", action="store_true", help="print the report as one JSON object")
    report.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML report with charts")
    report.add_argument("--service-level-seconds", type=int, metavar="N",
                        help="the service-level threshold for every queue (default: each queue's, from the policy)")
    report.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analytics.html_report import render_html
    from analytics.kpis import policy_settings
    from analytics.reader import load_lake
    from analytics.report import build_report
    from functions.routing.policy import load_policy

    if not args.source.exists():
        print(f"callcenter report: {args.source} does not exist", file=sys.stderr)
        return 2
    if args.service_level_seconds is not None and args.service_level_seconds < 1:
        print("callcenter report: --service-level-seconds must be at least 1", file=sys.stderr)
        return 2
    settings = policy_settings().overridden(args.service_level_seconds)
    con, load = load_lake(args.source)
    try:
        report = build_report(con, load, settings, load_policy().queues)
    finally:
        con.close()
    if args.html:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(render_html(report), encoding="utf-8")
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    _print_summary(report, args.html)
    return 0


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if kind == "rate" else f"{value:.0f} s" if kind == "sec" else str(value)


def _print_summary(report: dict[str, Any], html_path: Path | None) -> None:
    from rich.table import Table

    out = console()
    o = report["overall"]
    out.print("[bold]Business figures[/bold]")
    table = Table("queue", "offered", "handled", "abandoned", "abandon %", "service level", "target",
                  "answered in SL", "ASA", "AHT", "longest wait")
    for name, q in [*report["queues"].items(), ("overall", o)]:
        target = q.get("service_level_target")
        table.add_row(name, str(q["contacts_offered"]), str(q["contacts_handled"]), str(q["contacts_abandoned"]),
                      _fmt(q["abandonment_rate"], "rate"), _fmt(q["service_level"], "rate"),
                      f"{_fmt(target, 'rate')} in {q['service_level_seconds']} s" if target else "-",
                      _fmt(q["service_level_answered"], "rate"), _fmt(q["asa_seconds"], "sec"),
                      _fmt(q["aht_seconds"], "sec"), _fmt(q["longest_wait_seconds"], "sec"))
    out.print(table)
    channels = Table("channel", "contacts", "self-served", "queued", "handled", "abandon %", "service level", "ASA",
                     "AHT", "CSAT")
    for name, c in report["channels"].items():
        channels.add_row(name.lower(), str(c["contacts"]), str(c["self_served"]), str(c["contacts_offered"]),
                         str(c["contacts_handled"]), _fmt(c["abandonment_rate"], "rate"),
                         _fmt(c["service_level"], "rate"), _fmt(c["asa_seconds"], "sec"), _fmt(c["aht_seconds"], "sec"),
                         _fmt(c["csat"]["csat"], "rate"))
    out.print(channels)
    fcr_note = f"; {o['fcr_7d_note']}" if o.get("fcr_7d_note") else ""
    out.print(f"IVR containment {_fmt(o['ivr_containment_rate'], 'rate')}, repeat callers {o['repeat_callers']} "
              f"of {o['callers']}, 7-day FCR proxy {_fmt(o['fcr_7d_rate'], 'rate')} "
              f"({o['fcr_7d_observed']} calls judged{fcr_note}), "
              f"CSAT {_fmt(report['csat']['overall']['csat'], 'rate')}, "
              f"ticket SLA {_fmt(report['tickets']['overall']['sla_compliance'], 'rate')}, outreach conversion "
              f"{_fmt(report['outreach']['overall']['conversion_rate'], 'rate')}, occupancy "
              f"{_fmt(report['occupancy']['overall'], 'rate')}; survey calls {o['survey_calls']}, "
              f"outreach calls {o['outreach_calls']} (apart)")
    out.print("[bold]Engineering figures[/bold]")
    skipped = ", ".join(f"{reason} {n}" for reason, n in report["skipped"].items()) or "none"
    out.print(f"files {report['input']['files']}, records read {sum(report['input']['records_read'].values())}, "
              f"contacts {report['input']['contacts']}; skipped: {skipped}")
    if html_path:
        out.print(f"HTML report: {html_path}")
