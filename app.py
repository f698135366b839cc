#!/usr/bin/env python3
"""CDK entry point (cdk.json runs it): build the Lambda asset, synthesize every stage's stack."""

import os

# jsii prints a page-long banner on every run under Node 20 (end of life); the Makefile silences the
# "deprecated" variant, this the "end-of-life" one. Must be set before aws_cdk starts the runtime.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import argparse
from pathlib import Path

from infra.application import create_app
from infra.context import cdk_json_context, with_overrides

if __name__ == "__main__":
    # Run by the CDK CLI, the context (cdk.json and -c) is already in the environment and CDK_OUTDIR says where to
    # write. Run directly (make synth), read cdk.json's context and `-c KEY=VALUE` here, as the CLI would, and
    # write to ./cdk.out: so `make synth`, `make deploy-check` and `make deploy` see the same context.
    parser = argparse.ArgumentParser(description="Synthesize the contact center stack")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    run_by_cli = "CDK_CONTEXT_JSON" in os.environ or "CDK_OUTDIR" in os.environ
    context = None if run_by_cli else with_overrides(cdk_json_context(Path("cdk.json")), args.context)
    create_app(context=context, outdir=os.environ.get("CDK_OUTDIR", "cdk.out")).synth()
