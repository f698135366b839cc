#!/usr/bin/env python3
"""CDK entry point (cdk.json runs it): build the Lambda asset, synthesize every stage's stack."""

import os

# jsii prints a page-long banner on every run under Node 20 (end of life); the Makefile silences the
# "deprecated" variant, this the "end-of-life" one. Must be set before aws_cdk starts the runtime.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.application import create_app

if __name__ == "__main__":
    # The CDK CLI says where to write; run directly (make synth), write to ./cdk.out like the CLI does.
    create_app(outdir=os.environ.get("CDK_OUTDIR", "cdk.out")).synth()
