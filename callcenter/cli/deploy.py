"""`callcenter deploy-check` (before `make deploy`) and `callcenter smoke-test` (after it).

Thin: arguments, the context (cdk.json plus `-c key=value`, as the CDK CLI reads it), botocore clients when there
are credentials; the checks are infra/preflight.py and infra/smoke.py. Both print one line per finding and exit 0
when nothing is missing, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import time
from functools import cache
from pathlib import Path
from typing import Any

from callcenter.cli.common import console

CDK_JSON = Path("cdk.json")
CDK_OUT = Path("cdk.out")


def add_parser(sub: Any) -> None:
    check = sub.add_parser(
        "deploy-check", help="pre-flight check before `make deploy`: what is missing, each piece named",
        description="Reads the context and the synthesized template (run `make synth` first); with AWS credentials "
                    "also checks the CDK bootstrap, the instance and number, SES and SMS readiness, and the quotas "
                    "docs/capacity.md sizes. Exit 0 ready, 1 missing pieces.")
    _common(check)
    check.add_argument("--cdk-out", type=Path, default=CDK_OUT, help="the synthesized assembly (default: cdk.out)")
    check.add_argument("--offline", action="store_true", help="read the context and template only; ask no AWS API")
    check.add_argument("--pilot", action="store_true",
                       help="a pilot below the capacity model's load: quotas below it are notes, not missing")
    check.set_defaults(func=run_check)
    smoke = sub.add_parser(
        "smoke-test", help="after `make deploy`: instance active, flows published, number associated, a test contact",
        description="Checks the deployed stack through CloudFormation and Amazon Connect (needs AWS credentials). "
                    "The test contact is a chat on the inbound flow, stopped afterwards; --call-to also places one "
                    "real outbound call to that number.")
    _common(smoke)
    smoke.add_argument("--call-to", metavar="E164", help="also call this number from the center (billed as a call)")
    smoke.set_defaults(func=run_smoke)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--context-file", type=Path, default=CDK_JSON,
                        help="a cdk.json whose 'context' to read (default: ./cdk.json)")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="a context value, as with cdk -c (repeatable; wins over the file)")
    parser.add_argument("--region", default=None, help="AWS Region (default: AWS_REGION or AWS_DEFAULT_REGION)")


def read_context(args: argparse.Namespace) -> dict[str, Any]:
    from infra.context import cdk_json_context, with_overrides

    return with_overrides(cdk_json_context(args.context_file) if args.context_file.is_file() else {}, args.context)


def _region(args: argparse.Namespace) -> str | None:
    return args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def account_clients(region: str | None) -> Any:
    """A botocore client per service for the account, or None when there are no credentials."""
    from botocore.config import Config
    from botocore.session import get_session

    session = get_session()
    if session.get_credentials() is None:
        return None
    config = Config(region_name=region, retries={"mode": "adaptive", "total_max_attempts": 5})

    @cache
    def client(service: str) -> Any:
        return session.create_client(service, config=config)

    return client


def _print(findings: list[Any]) -> int:
    from infra.preflight import Level

    out = console()
    for finding in findings:
        out.print(finding.line(), markup=False, highlight=False, soft_wrap=True)
    missing = [f for f in findings if f.level is Level.MISSING]
    out.print(f"{len(missing)} missing piece(s): not ready" if missing else "ready: nothing missing",
              markup=False, highlight=False, soft_wrap=True)
    return 1 if missing else 0


def run_check(args: argparse.Namespace, clients: Any = None) -> int:
    from botocore.session import get_session

    from infra.context import ContextError
    from infra.preflight import Finding, Level, account_findings, offline_findings

    try:
        context = read_context(args)
    except ContextError as exc:
        return _print([Finding(Level.MISSING, "context", str(exc))])
    region = _region(args)
    findings = offline_findings(context, args.cdk_out, region, get_session().get_available_regions("connect"))
    if args.offline:
        findings.append(Finding(Level.NOTE, "account", "not asked (--offline)"))
    else:
        client = clients or account_clients(region)
        if client is None:
            findings.append(Finding(Level.NOTE, "account", "no AWS credentials: bootstrap, SES, SMS and quotas "
                                    "not checked"))
        else:
            findings += account_findings(context, args.cdk_out, client, pilot=args.pilot)
    return _print(findings)


def run_smoke(args: argparse.Namespace, clients: Any = None) -> int:
    from infra.context import ContextError
    from infra.preflight import Finding, Level, stack_name
    from infra.smoke import SmokeTest

    try:
        context = read_context(args)
    except ContextError as exc:
        return _print([Finding(Level.MISSING, "context", str(exc))])
    client = clients or account_clients(_region(args))
    if client is None:
        return _print([Finding(Level.MISSING, "account", "the smoke test needs AWS credentials")])
    stage = str(context.get("stage") or "dev").strip() or "dev"
    test = SmokeTest(client, stack_name(stage), pause=time.sleep)
    return _print(test.run(call_to=args.call_to))
