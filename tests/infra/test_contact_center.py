"""Connect instance, hours, queues, routing profiles, call recordings and flow logs, from the routing policy; what
they keep expires as the context (infra/retention.py) says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from functions.routing.policy import load_policy
from infra.naming import pascal
from infra.removal import KEEP_DELETION_POLICY
from tests.infra.conftest import CONFIGURED_RETENTION, EXISTING_INSTANCE, STAGE, Synthesized, render, synthesize

pytestmark = pytest.mark.infra
POLICY = load_policy()


def _clock(text: str) -> dict[str, int]:
    """Connect's time slice for a policy clock time; the policy's 24:00 is Connect's 00:00."""
    hours, minutes = (0, 0) if text == "24:00" else map(int, text.split(":"))
    return {"Hours": hours, "Minutes": minutes}


def test_instance_is_connect_managed_with_calls_and_flow_logs(synthesized: Synthesized) -> None:
    instance = synthesized.resource("ContactCenter/Instance")
    assert instance["Properties"]["IdentityManagementType"] == "CONNECT_MANAGED"
    assert instance["Properties"]["Attributes"] == {
        "InboundCalls": True, "OutboundCalls": True, "ContactflowLogs": True}
    assert render(instance["Properties"]["InstanceAlias"]) == f"contact-center-{STAGE}-<AWS::AccountId>"


@pytest.mark.parametrize("name", sorted(POLICY.hours))
def test_hours_of_operation_match_the_policy(synthesized: Synthesized, name: str) -> None:
    hours = POLICY.hours[name]
    properties = synthesized.resource(f"ContactCenter/Hours{pascal(name)}")["Properties"]
    assert properties["Name"] == name
    assert properties["TimeZone"] == hours.time_zone
    assert {c["Day"]: (c["StartTime"], c["EndTime"]) for c in properties["Config"]} == {
        day: (_clock(start), _clock(end)) for day, (start, end) in hours.open.items()}


@pytest.mark.parametrize("name", sorted(POLICY.queues))
def test_queues_match_the_policy_and_use_their_hours(synthesized: Synthesized, name: str) -> None:
    properties = synthesized.resource(f"ContactCenter/Queue{pascal(name)}")["Properties"]
    hours_id = synthesized.logical_id(f"ContactCenter/Hours{pascal(POLICY.queues[name].hours)}")
    assert properties["Name"] == name
    assert properties["HoursOfOperationArn"] == {"Fn::GetAtt": [hours_id, "HoursOfOperationArn"]}


@pytest.mark.parametrize("name", sorted(POLICY.queues))
def test_each_queue_has_a_voice_and_chat_routing_profile_backed_by_the_default_queue(
    synthesized: Synthesized, name: str
) -> None:
    properties = synthesized.resource(f"ContactCenter/RoutingProfile{pascal(name)}")["Properties"]
    order = [name] if name == POLICY.default_queue else [name, POLICY.default_queue]
    queue_ids = [synthesized.logical_id(f"ContactCenter/Queue{pascal(q)}") for q in order]
    assert properties["MediaConcurrencies"] == [{"Channel": "VOICE", "Concurrency": 1},
                                                {"Channel": "CHAT", "Concurrency": 3}]
    assert [(c["Priority"], c["QueueReference"]) for c in properties["QueueConfigs"]] == [
        (position, {"Channel": channel, "QueueArn": {"Fn::GetAtt": [queue_id, "QueueArn"]}})
        for channel in ("VOICE", "CHAT") for position, queue_id in enumerate(queue_ids, start=1)]


def _denies_insecure_transport(policy: dict[str, Any]) -> bool:
    return any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy["PolicyDocument"]["Statement"])


def test_call_recordings_go_to_a_private_versioned_kms_bucket_that_is_retained(synthesized: Synthesized) -> None:
    # Given the instance's CALL_RECORDINGS storage
    storage = next(iter(synthesized.of_type("AWS::Connect::InstanceStorageConfig").values()))["Properties"]
    assert storage["ResourceType"] == "CALL_RECORDINGS"
    bucket_id = storage["S3Config"]["BucketName"]["Ref"]
    key_id = storage["S3Config"]["EncryptionConfig"]["KeyId"]["Fn::GetAtt"][0]
    assert storage["S3Config"]["EncryptionConfig"]["EncryptionType"] == "KMS"
    # Then the bucket is KMS-encrypted with that key, private, versioned, logged and retained
    bucket = synthesized.resources[bucket_id]
    encryption = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]}}
    assert synthesized.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "DestinationBucketName" in bucket["Properties"]["LoggingConfiguration"]
    assert bucket["DeletionPolicy"] == KEEP_DELETION_POLICY
    # And its policy refuses requests without TLS
    policies = [p["Properties"] for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": bucket_id}]
    assert policies and _denies_insecure_transport(policies[0])


def _lifecycle(synthesized: Synthesized, bucket_id: str) -> dict[str, dict[str, Any]]:
    rules = synthesized.resources[bucket_id]["Properties"]["LifecycleConfiguration"]["Rules"]
    return {rule["Id"]: rule for rule in rules}


def _bucket_ids(synthesized: Synthesized) -> tuple[str, str]:
    """The recordings bucket and the bucket of its access logs."""
    storage = next(iter(synthesized.of_type("AWS::Connect::InstanceStorageConfig").values()))["Properties"]
    bucket_id = storage["S3Config"]["BucketName"]["Ref"]
    logs_id = synthesized.resources[bucket_id]["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    return bucket_id, logs_id


def _expires_after(synthesized: Synthesized, bucket_id: str, days: int) -> None:
    rules = _lifecycle(synthesized, bucket_id)
    expire = rules["expire"]
    assert expire["Status"] == "Enabled"
    assert expire["ExpirationInDays"] == days
    # A deleted or overwritten object stays restorable for 30 days, then goes too
    assert expire["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert expire["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert rules["remove-expired-delete-markers"]["ExpiredObjectDeleteMarker"] is True


def test_recordings_and_their_access_logs_expire_after_a_year_by_default(synthesized: Synthesized) -> None:
    recordings, access_logs = _bucket_ids(synthesized)
    _expires_after(synthesized, recordings, 365)
    _expires_after(synthesized, access_logs, 365)


def test_recording_and_access_log_retention_come_from_the_context(configured: Synthesized) -> None:
    recordings, access_logs = _bucket_ids(configured)
    _expires_after(configured, recordings, int(CONFIGURED_RETENTION["recording_retention_days"]))
    _expires_after(configured, access_logs, int(CONFIGURED_RETENTION["access_log_retention_days"]))


def _flow_log_group(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, v) for k, v in synthesized.of_type("AWS::Logs::LogGroup").items()
                if render(v["Properties"].get("LogGroupName", "")).startswith("/aws/connect/")]
    return found


def test_connect_flow_logs_go_to_a_declared_encrypted_group_with_a_retention(synthesized: Synthesized) -> None:
    # Given the instance's alias
    instance_id = synthesized.logical_id("ContactCenter/Instance")
    instance = synthesized.resources[instance_id]
    alias = render(instance["Properties"]["InstanceAlias"])
    # Then the group Connect writes its flow logs to (/aws/connect/<alias>) is the stack's, before the instance
    group_id, group = _flow_log_group(synthesized)
    assert render(group["Properties"]["LogGroupName"]) == f"/aws/connect/{alias}"
    assert group_id in instance["DependsOn"]
    assert group["Properties"]["RetentionInDays"] == 30
    assert group["DeletionPolicy"] == KEEP_DELETION_POLICY
    # And it is encrypted with a rotating key that CloudWatch Logs may use for this account's log groups only
    key = synthesized.resources[group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]]["Properties"]
    assert key["EnableKeyRotation"] is True
    (for_logs,) = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert render(for_logs["Principal"]["Service"]) == "logs.<AWS::Region>.amazonaws.com"
    assert render(for_logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]) == (
        "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:*")


def test_flow_log_retention_comes_from_the_context(configured: Synthesized) -> None:
    _, group = _flow_log_group(configured)
    assert group["Properties"]["RetentionInDays"] == int(CONFIGURED_RETENTION["flow_log_retention_days"])


def test_an_existing_instance_keeps_its_own_flow_log_group(on_existing_instance: Synthesized) -> None:
    # Its group (/aws/connect/<its alias>) may exist already: creating it again would fail the deployment
    assert not [g for g in on_existing_instance.of_type("AWS::Logs::LogGroup").values()
                if render(g["Properties"].get("LogGroupName", "")).startswith("/aws/connect/")]


# --- an existing instance ------------------------------------------------------------------------

def test_an_existing_instance_is_used_as_is(on_existing_instance: Synthesized) -> None:
    # Then no instance and no recordings storage are created (the instance already has its own)
    assert not on_existing_instance.of_type("AWS::Connect::Instance")
    assert not on_existing_instance.of_type("AWS::Connect::InstanceStorageConfig")
    # And everything is created in it, named per stage so stages can share it
    for resource_type in ("AWS::Connect::Queue", "AWS::Connect::HoursOfOperation",
                          "AWS::Connect::RoutingProfile", "AWS::Connect::ContactFlow"):
        for resource in on_existing_instance.of_type(resource_type).values():
            assert resource["Properties"]["InstanceArn"] == EXISTING_INSTANCE
            assert resource["Properties"]["Name"].endswith("-shared")
    # And only that instance, from its own account, may invoke the functions Connect invokes
    connect_permissions = [p for p in on_existing_instance.of_type("AWS::Lambda::Permission").values()
                           if p["Properties"]["Principal"] == "connect.amazonaws.com"]
    assert connect_permissions
    for permission in connect_permissions:
        assert permission["Properties"]["SourceArn"] == EXISTING_INSTANCE
        assert permission["Properties"]["SourceAccount"] == "111122223333"


def test_a_malformed_instance_arn_is_refused(tmp_path: Path, tiny_asset: Path) -> None:
    with pytest.raises(Exception, match="is not a Connect instance ARN"):
        synthesize(tmp_path, {"stage": "bad", "connect_instance_arn": "arn:aws:connect:::instance/x"},
                   asset_dir=tiny_asset)
