"""cdk-nag acknowledgements: one place that spells the id the way cdk-nag 3 records it."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

PACK = "AwsSolutions"


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding (e.g. "IAM5[Resource::*]") on `construct` and below.

    The id is written `AwsSolutions::AwsSolutions-<rule>`, the form the validation report records with
    its reason (a bare `AwsSolutions-<rule>` also silences the finding but leaves no trace in the report).
    """
    if not reason.strip():
        raise ValueError(f"acknowledging {rule} needs a written reason")
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=f"{PACK}::{PACK}-{rule}", reason=reason))
