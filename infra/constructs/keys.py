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


def connect_stream_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A rotating key (retained) that Amazon Connect's service-linked role may use only through Kinesis: data keys
    for the records Connect writes to a stream encrypted with it (contact records, Contact Lens segments)."""
    stack = cdk.Stack.of(scope)
    key = kms.Key(scope, construct_id, description=description, enable_key_rotation=True, removal_policy=KEEP)
    key.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.AccountRootPrincipal()],
        actions=["kms:GenerateDataKey*", "kms:Decrypt"],
        resources=["*"],
        conditions={
            "StringEquals": {"kms:ViaService": f"kinesis.{stack.region}.amazonaws.com"},
            "ArnLike": {"aws:PrincipalArn":
                        f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/connect.amazonaws.com/*"},
        },
    ))
    return key
