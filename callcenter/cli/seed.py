"""`callcenter seed FILE`: validate a profile file and load it (into the local tables, or a real table)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from callcenter.cli.common import console, import_profiles


def add_parser(sub: Any) -> None:
    seed = sub.add_parser("seed", help="validate a profile file (.csv, .jsonl, .json) and load it",
                          description="Validate a profile file, report every bad row with its line number and "
                                      "reason, and load the good rows.")
    seed.add_argument("file", type=Path, help="the profile file (.csv with a header row, .jsonl or .json)")
    seed.add_argument("--table", metavar="TABLE",
                      help="write to this real DynamoDB table (needs AWS credentials) instead of the local one")
    seed.add_argument("--strict", action="store_true", help="exit 1 if any row was rejected")
    seed.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = console()
    report = import_profiles(args.file, out)
    if args.table:
        from functions.profiles import store

        store.ProfileItem.Meta.table_name = args.table
        written = store.save_profiles(report.accepted)
        out.print(f"wrote {written} profile(s) to DynamoDB table {args.table}")
    else:
        from callcenter.backend import LocalBackend

        with LocalBackend() as backend:
            written = backend.load_profiles(report.accepted)
        out.print(f"loaded {written} profile(s) into the local (in-memory) profiles table")
    return 1 if args.strict and report.rejected else 0
