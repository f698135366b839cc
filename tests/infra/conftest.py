"""Synthesize the CDK app once per session (jsii start-up dominates) and share the result.

The synthesis runs with cdk-nag's AwsSolutions plugin, exactly as `make synth` does: if it raised, every
test that uses the fixture errors with the validation report. A synth whose inputs are unchanged since one
that succeeded is read back from disk instead (tests/infra/synth_cache.py: keyed by a hash of infra/,
functions/, the pins, the context and the asset; `CDK_SYNTH_CACHE=0` turns it off; a clean checkout has none).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from tests.infra import synth_cache

# Before aws_cdk starts the jsii runtime: no Node 20 end-of-life banner in the test output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

STAGE = "test"
EXISTING_INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/0c5a4a23-7a4b-4c5e-9d1a-3f1b2c3d4e5f"
EXISTING_NUMBER = "arn:aws:connect:us-east-1:111122223333:phone-number/5f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"


@dataclass
class Synthesized:
    outdir: Path
    stack_name: str
    template_json: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    metadata: dict[str, list[dict[str, Any]]]  # construct path -> metadata entries
    validation_report: dict[str, Any]

    @cached_property
    def template(self) -> Any:
        """The template as aws_cdk.assertions.Template (starts the jsii runtime if nothing has yet)."""
        from aws_cdk.assertions import Template

        return Template.from_json(self.template_json)

    def logical_id(self, path: str) -> str:
        """The logical id of the resource at a construct path below the stack ("Tables/Profiles/Table")."""
        full = f"/{self.stack_name}/{path}"
        for candidate in (full, f"{full}/Resource"):
            for entry in self.metadata.get(candidate, []):
                if entry["type"] == "aws:cdk:logicalId":
                    return entry["data"]
        raise KeyError(f"no resource at {full}")

    def resource(self, path: str) -> dict[str, Any]:
        return self.resources[self.logical_id(path)]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}


def synthesize(outdir: Path, context: dict[str, Any], asset_dir: Path | None = None,
               flow_sources: dict[str, Path] | None = None) -> Synthesized:
    from infra.application import create_app, stack_name

    key = synth_cache.synth_key(context, asset_dir, flow_sources)
    if not synth_cache.restore(key, outdir):
        app = create_app(context=context, outdir=str(outdir), asset_dir=asset_dir, flow_sources=flow_sources)
        app.synth()  # raises ValidationFailed on any unacknowledged cdk-nag finding
        synth_cache.store(key, outdir)
    name = stack_name(context["stage"])
    template = json.loads((outdir / f"{name}.template.json").read_text(encoding="utf-8"))
    metadata = json.loads((outdir / f"{name}.metadata.json").read_text(encoding="utf-8"))
    # The nested stacks' resources (Monitoring), found by the same construct paths: their logical ids are unique
    # within the assembly, and their references to the parent's resources are parameters of the nested template.
    resources = dict(template["Resources"])
    stacks = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::CloudFormation::Stack"}
    for nested_file in sorted(outdir.glob("*.nested.template.json")):
        nested = json.loads(nested_file.read_text(encoding="utf-8"))
        # The stack resource that deploys it: the one passing exactly the nested template's parameters
        [(stack_id, passed)] = [(k, params) for k, stack in stacks.items()
                                if set(params := stack["Properties"].get("Parameters", {}))
                                == set(nested.get("Parameters", {}))]
        resources.update(_substitute_parameters(nested["Resources"], passed))
        # The parent's references to the nested stack's outputs, read as the resources they name
        outputs = {f"Outputs.{name}": _substitute_parameters(output["Value"], passed)
                   for name, output in nested.get("Outputs", {}).items()}
        resources = _substitute_outputs(resources, stack_id, outputs)
    return Synthesized(
        outdir=outdir,
        stack_name=name,
        template_json=template,
        resources=resources,
        metadata=metadata,
        validation_report=json.loads((outdir / "validation-report.json").read_text(encoding="utf-8")),
    )


def _substitute_parameters(value: Any, passed: dict[str, Any]) -> Any:
    """The nested template's values with each {"Ref": parameter} replaced by what the parent passes for it (a Ref
    or GetAtt of the parent's resource), so assertions read the nested resources as if they were the parent's."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in passed:
            return passed[value["Ref"]]
        return {k: _substitute_parameters(v, passed) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_parameters(v, passed) for v in value]
    return value


def _substitute_outputs(value: Any, stack_id: str, outputs: dict[str, Any]) -> Any:
    """{"Fn::GetAtt": [nested stack, "Outputs.X"]} replaced by the nested output's value."""
    if isinstance(value, dict):
        attribute = value.get("Fn::GetAtt")
        if set(value) == {"Fn::GetAtt"} and isinstance(attribute, list) and attribute[0] == stack_id \
                and attribute[1] in outputs:
            return outputs[attribute[1]]
        return {k: _substitute_outputs(v, stack_id, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_outputs(v, stack_id, outputs) for v in value]
    return value


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """The app as `make synth` builds it (the Lambda bundle included), stage "test", a new instance."""
    yield synthesize(tmp_path_factory.mktemp("cdk.out"), {"stage": STAGE})


@pytest.fixture(scope="session")
def tiny_asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in Lambda asset for extra synths that only look at other resources."""
    asset = tmp_path_factory.mktemp("asset")
    (asset / "placeholder.py").write_text("# stand-in asset for template tests\n", encoding="utf-8")
    return asset


@pytest.fixture(scope="session")
def on_existing_instance(tmp_path_factory: pytest.TempPathFactory, tiny_asset: Path) -> Synthesized:
    """A second (warm, ~1 s) synth: the stack pointed at an existing Connect instance and a number claimed to it."""
    return synthesize(tmp_path_factory.mktemp("existing"),
                      {"stage": "shared", "connect_instance_arn": EXISTING_INSTANCE,
                       "phone_number_arn": EXISTING_NUMBER}, asset_dir=tiny_asset)


SERVICE_CALLERS = ["arn:aws:iam::111122223333:role/ticket-sync", "arn:aws:iam::111122223333:role/ops/crm-bridge"]
CONFIGURED_RETENTION = {"recording_retention_days": "730", "access_log_retention_days": "1096",
                        "flow_log_retention_days": "90"}


@pytest.fixture(scope="session")
def configured(tmp_path_factory: pytest.TempPathFactory, tiny_asset: Path) -> Synthesized:
    """A warm synth with the optional context set: /service callers (a cdk.json list) and retention periods."""
    return synthesize(tmp_path_factory.mktemp("configured"),
                      {"stage": "configured", "service_callers": SERVICE_CALLERS, **CONFIGURED_RETENTION},
                      asset_dir=tiny_asset)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(synthesized: Synthesized, function: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of a function's role (inline and attached), asserting it has no managed policies."""
    role_id = function["Role"]["Fn::GetAtt"][0]
    role = synthesized.resources[role_id]["Properties"]
    assert not role.get("ManagedPolicyArns"), "the role should carry no managed policies"
    statements = [s for policy in role.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def render(value: Any) -> str:
    """A CloudFormation string value (maybe Fn::Join) as text, each intrinsic as <LogicalId.Attribute>."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"<{logical_id}.{attribute}>"
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::Select" in value and "Fn::Split" in value["Fn::Select"][1]:
        index, split = value["Fn::Select"]
        separator, text = split["Fn::Split"]
        return f"<{render(text)} split {separator} [{index}]>"
    raise AssertionError(f"unexpected intrinsic in a string value: {value!r}")


def literal_parts(value: Any) -> list[str]:
    """The literal (non-intrinsic) pieces of a CloudFormation string value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and "Fn::Join" in value:
        return [piece for part in value["Fn::Join"][1] for piece in literal_parts(part)]
    return []
