"""`callcenter flow lint|run`: lint and run any exported Amazon Connect flow file (ours or a user's).

The group only assembles its two subcommands (callcenter/cli/flow_lint.py, callcenter/cli/flow_run.py);
what they do is in callcenter/flow_tools.py and flowlang/.
"""

from __future__ import annotations

import argparse
from typing import Any

from callcenter.cli import flow_lint, flow_run


def add_parser(sub: Any) -> None:
    flow = sub.add_parser("flow", help="lint or run any exported Amazon Connect flow file",
                          description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = flow.add_subparsers(dest="flow_command", metavar="{lint,run}", required=True)
    flow_lint.add_parser(commands)
    flow_run.add_parser(commands)
