"""KMS keys shared in shape by several constructs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.removal import KEEP


def log_group_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A rotating key CloudWatch Logs may use for this account's and Region's log groups only (retained)."""
    key = kms.Key(scope, construct_id, description=description, enable_key_rotation=True,
                  removal_policy=KEEP)
    key.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal(f"logs.{cdk.Aws.REGION}.amazonaws.com")],
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources=["*"],
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                f"arn:{cdk.Aws.PARTITION}:logs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:*"}},
    ))
    return key
