"""The cloud assembly passed cdk-nag (AwsSolutions) with reasoned acknowledgements, and cfn-lint."""

from __future__ import annotations

import pytest

from tests.infra.conftest import Synthesized
from tests.infra.synth_cache import lint_findings

pytestmark = pytest.mark.infra
ACKNOWLEDGED = "aws:cdk:acknowledged-rules"


def test_cdk_nag_ran_and_found_nothing_unacknowledged(synthesized: Synthesized) -> None:
    # The fixture's synth would have raised on a finding; the report shows the pack ran and passed
    reports = {r["pluginName"]: r for r in synthesized.validation_report["pluginReports"]}
    assert reports["AwsSolutions"]["conclusion"] == "success"
    assert reports["AwsSolutions"]["violations"] == []


def test_every_acknowledgement_has_a_reason(synthesized: Synthesized) -> None:
    acknowledgements = [
        (path, rule, reason)
        for path, entries in synthesized.metadata.items()
        for entry in entries if entry["type"] == ACKNOWLEDGED
        for rule, reason in entry["data"].items()
    ]
    assert acknowledgements, "expected at least the X-Ray wildcard acknowledgement"
    for path, rule, reason in acknowledgements:
        assert len(reason.strip()) >= 20, f"{rule} at {path} needs a written reason"
    suppressed = synthesized.validation_report["pluginReports"][0]["suppressedViolations"]
    assert all(violation["reason"].strip() for violation in suppressed)


def test_acknowledgements_are_narrow(synthesized: Synthesized) -> None:
    # Findings are acknowledged per item (e.g. IAM5[Resource::*]) on the construct concerned, never the stack
    for path, entries in synthesized.metadata.items():
        for entry in entries:
            if entry["type"] == ACKNOWLEDGED:
                assert path.count("/") >= 3, f"acknowledgement at {path} is too broad"
                for rule in entry["data"]:
                    assert not rule.endswith("-IAM5"), f"IAM5 must name the item it accepts, at {path}"


def test_cfn_lint_reports_nothing(synthesized: Synthesized) -> None:
    templates = sorted(synthesized.outdir.glob("*.template.json"))
    assert templates
    findings = [finding for template in templates for finding in lint_findings(template)]
    assert findings == []


def test_every_template_stays_well_within_cloudformations_500_resources(synthesized: Synthesized) -> None:
    # CloudFormation refuses a stack of more than 500 resources; the alarms live in a nested stack (Monitoring)
    # so the main stack keeps room to grow. A template past 450 is the signal to move another part out.
    import json

    templates = sorted(synthesized.outdir.glob("*.template.json"))
    assert len(templates) >= 2  # the stack and its nested Monitoring stack
    for template in templates:
        count = len(json.loads(template.read_text(encoding="utf-8"))["Resources"])
        assert count <= 450, f"{template.name}: {count} resources"
