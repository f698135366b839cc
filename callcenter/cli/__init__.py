"""`callcenter`: the local command. Everything runs in-process on moto; no AWS account needed.

  callcenter seed FILE                       validate a profile file and load it (locally, or --table on AWS)
  callcenter call --from +14155550100 --at 2026-11-24T10:30:00-05:00
                                             one call through the inbound flow, with its transcript
  callcenter chat --from cust-ada --say billing
                                             one web chat through /chat/start and the chat flow
  callcenter simulate --calls N --seed S --date 2026-11-24
                                             a synthetic day of calls and its report
  callcenter survey --contact-id ID --press 4 --press 1
                                             one answered call, its survey and the answers
  callcenter outreach --date 2026-12-01      one day of proactive outreach
  callcenter history --weeks 8 --calls-per-day 2000 --out DIR
                                             weeks of contact records (routing in memory, the queue model)
  callcenter sms --from +12065550180 --text 4  a customer's SMS: STOP, a survey reply, or a contact for an agent
  callcenter tickets --agent ana --team billing list --team billing
                                             an agent's ticket work through the ticket API (create, list,
                                             show, update); tickets are kept in .callcenter/state.json
  callcenter forecast --history DIR --days 14 --out DIR
                                             contacts per queue and half hour for the coming days (MSTL)
  callcenter staff --forecast DIR --out DIR  agents per half hour (Erlang A/C), the roster and its simulated check
  callcenter erlang --calls 100 --aht 180 --answer-within 20 --target 0.8
                                             agents needed for a service-level target, and their figures
  callcenter report --from PATH [--json] [--html FILE] [--service-level-seconds 20]
                                             KPIs per queue, half hour and overall from Connect contact records
  callcenter desktop [--port N]              the agent desktop on localhost: softphone stand-in, screen pop,
                                             tickets and hints through the real API handler
  callcenter deploy-check                    before `make deploy`: what the deployment is missing (reads cdk.json
                                             and cdk.out; with AWS credentials also the account)
  callcenter smoke-test                      after `make deploy`: the deployed center takes a call (needs AWS)
  callcenter flow lint FILE...               lint any exported flow file (Connect's rules; ours also the house policy)
  callcenter flow run FILE --press 1         run any flow file with stand-ins (ours also with --real)

Everything but deploy-check and smoke-test runs locally; those two are about a real deployment.
One module per command group (callcenter/cli/<group>.py): each declares its arguments and calls the
domain code (callcenter/ and functions/); this package only assembles them.
"""

from __future__ import annotations

import argparse
import os
import sys

from callcenter.cli import (
    call,
    chat,
    deploy,
    desktop,
    erlang,
    flow,
    forecast,
    history,
    outreach,
    report,
    seed,
    simulate,
    sms,
    staff,
    survey,
    tickets,
)

COMMAND_GROUPS = (seed, call, chat, simulate, survey, outreach, sms, tickets, flow, history, forecast, staff, erlang,
                  report, desktop, deploy)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    for group in COMMAND_GROUPS:
        group.add_parser(sub)
    sub.metavar = "{" + ",".join(sub.choices) + "}"  # the commands, without each alias argparse would list
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `callcenter`: what it can do
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
