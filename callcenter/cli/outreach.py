"""`callcenter outreach --date D`: one day of proactive outreach: who is contacted, how, who is not and why."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from callcenter.cli.common import console, import_profiles, iso_date, profiles_option, read_staffing, staffing_option

#: The lake part number outreach writes (simulate writes part 0), replaced by a re-run of the same day.
RECORDS_PART = 1


def add_parser(sub: Any) -> None:
    outreach = sub.add_parser("outreach",
                              help="one day of proactive outreach: who is contacted, how, who is not and why",
                              description="Fire each campaign's schedule for one day on the local backend.")
    outreach.add_argument("--date", type=iso_date, required=True, metavar="DATE",
                          help="the day the campaigns' schedules fire, e.g. 2026-12-01")
    profiles_option(outreach)
    outreach.add_argument("--dry-run", action="store_true", help="plan only: nothing is sent")
    outreach.add_argument("--seed", type=int, default=1, metavar="SEED",
                          help="seed of the simulated answers to reminder calls (default: 1)")
    outreach.add_argument("--records", type=Path, metavar="DIR",
                          help="write each reminder call's contact record (InitiationMethod API) into DIR in the "
                               "lake layout, for `callcenter report --from DIR`")
    staffing_option(outreach)
    outreach.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from collections import Counter

    from rich.table import Table

    from callcenter.backend import LocalBackend
    from callcenter.outreach_day import run_outreach_day

    out = console()
    staffing = read_staffing(args.staffing) if args.records else None
    with LocalBackend() as backend:
        backend.load_profiles(import_profiles(args.profiles, out, quiet=True).accepted)
        day = run_outreach_day(backend, args.date, dry_run=args.dry_run, seed=args.seed)
        if args.records:  # read back from the outreach table while it exists
            from callcenter.lake_tables import outreach_result_rows

            results = outreach_result_rows(day.starts, day.calls)
    mode = " (dry run: planned only, nothing sent)" if args.dry_run else ""
    out.print(f"\n[bold]Proactive outreach on {day.day.isoformat()}[/bold]{mode}")
    for campaign, summary in day.plans.items():
        out.print(f"  {campaign}: " + ", ".join(f"{k}={v}" for k, v in summary.items()
                                              if not isinstance(v, dict | list)))
    table = Table(title="Customers due")
    for column in ("campaign", "customer", "expires", "status", "channel", "reason"):
        table.add_column(column)
    for line in day.lines:
        table.add_row(line.campaign_id, line.customer_id, line.expires, line.status, line.channel or "-",
                      line.reason or "-")
    out.print(table)
    statuses = Counter(line.status for line in day.lines)
    out.print("By status: " + (", ".join(f"{k} {v}" for k, v in statuses.most_common()) or "nobody due"))
    if not args.dry_run:
        out.print(f"Reminder calls placed and answered through the outreach flow: {len(day.calls)}; "
                  f"texts sent: {day.texts}")
    if args.records and staffing is not None:
        from callcenter.records import reminder_call_records, replace_records

        records = reminder_call_records(day.starts, day.calls, staffing, args.seed)
        from callcenter.lake_tables import write_day_tables

        replace_records(records, args.records, part=RECORDS_PART)
        write_day_tables(args.records, part=RECORDS_PART, outreach=results)
        converted = sum(1 for row in results if row["Converted"])
        out.print(f"Contact records: {len(records)} reminder call(s) in {args.records}; outreach_results: "
                  f"{len(results)} attempt(s), {converted} converted (asked for an agent to renew)", markup=False)
    return 0
