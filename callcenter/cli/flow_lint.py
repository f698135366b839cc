"""`callcenter flow lint FILE...`: every finding with its action, rule, severity, source and a one-line reason.

Exit status: 0 clean or warnings only, 1 an error in any file, 2 a file that cannot be read as a flow.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from callcenter.cli.common import console, error_console

EXIT_CLEAN, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


def add_parser(commands: Any) -> None:
    lint = commands.add_parser(
        "lint", help="lint flow files (Flow language JSON, as Connect exports it)",
        description="Lint flow files against the Amazon Connect Flow language reference (source 'connect': what "
                    "Connect would refuse) and, for this project's own flows or with --policy, the house rules "
                    "(source 'policy'). Exit 0 clean or warnings only, 1 errors, 2 a file that cannot be read.")
    lint.add_argument("files", nargs="+", type=Path, metavar="FILE", help="flow files")
    lint.add_argument("--policy", action="store_true",
                      help="also apply the house policy to files outside infra/flows/ (on for our flows anyway)")
    lint.add_argument("--json", action="store_true",
                      help="one JSON list of findings: file, action, rule, severity, source, message")
    lint.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from callcenter.flow_tools import UnreadableFlow, lint_file

    out, errors = console(), error_console()
    findings, unreadable = [], []
    for path in args.files:
        try:
            findings += [(path, finding) for finding in lint_file(path, policy=True if args.policy else None)]
        except UnreadableFlow as exc:
            unreadable.append(str(exc))
    for problem in unreadable:
        errors.print(f"callcenter: {problem}", markup=False)
    if args.json:
        print(json.dumps([{"file": str(path), **finding.to_json()} for path, finding in findings], indent=2))
    else:
        for path, finding in findings:
            where = finding.action or "(flow)"
            out.print(f"{path}: {where}: {finding.code} ({finding.severity}, {finding.source}): {finding.message}",
                      markup=False, highlight=False, soft_wrap=True)
        counted = sum(f.severity == "error" for _, f in findings), sum(f.severity == "warning" for _, f in findings)
        out.print(f"{len(args.files) - len(unreadable)} file(s) linted: {counted[0]} error(s), {counted[1]} warning(s)",
                  markup=False)
    if unreadable:
        return EXIT_UNREADABLE
    return EXIT_ERRORS if any(finding.severity == "error" for _, finding in findings) else EXIT_CLEAN
