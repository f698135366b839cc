"""Call recording storage: a KMS-encrypted, versioned, private, retained bucket with access logs.

Both buckets expire what they hold on purpose (infra/retention.py): a recording after `recording_days`, its
noncurrent versions (a deleted or overwritten recording) NONCURRENT_DAYS later; an access log after
`access_log_days`; parts of an upload that never completed after INCOMPLETE_UPLOAD_DAYS.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.removal import KEEP
from infra.retention import INCOMPLETE_UPLOAD_DAYS, NONCURRENT_DAYS, Retention

RECORDINGS_PREFIX = "recordings"


class RecordingStorage(Construct):
    """The bucket Connect writes call recordings to, plus the bucket that records who read them."""

    def __init__(self, scope: Construct, construct_id: str, *, retention: Retention) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self, "Key",
            description="Encrypts Amazon Connect call recordings",
            enable_key_rotation=True,
            removal_policy=KEEP,
        )
        # S3 server access logs can only be delivered to an SSE-S3 bucket. (cdk-nag's S1 does not ask a
        # log destination bucket to log itself.)
        self.access_logs = s3.Bucket(
            self, "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=expiry_rules(retention.access_log_days),
            removal_policy=KEEP,
        )
        self.bucket = s3.Bucket(
            self, "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="call-recordings/",
            lifecycle_rules=expiry_rules(retention.recording_days),
            removal_policy=KEEP,
        )


def expiry_rules(days: int) -> list[s3.LifecycleRule]:
    """Objects expire after `days`; their noncurrent versions NONCURRENT_DAYS later; then the delete markers left."""
    return [
        s3.LifecycleRule(
            id="expire", expiration=cdk.Duration.days(days),
            noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_DAYS),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(INCOMPLETE_UPLOAD_DAYS)),
        # A delete marker with no version left behind it (S3 allows this only in a rule without a period).
        s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
    ]
