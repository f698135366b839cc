"""Live sentiment in the template: the instance's per-channel segment streams into an encrypted Kinesis stream, the
Contact Lens rules from rules.json, the consumer's mapping (in order, partial failures, bisect, bounded retries,
on-failure queue), the rule matches' EventBridge rule, the encrypted supervisors' topic and the alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.manifest import FUNCTIONS, KinesisSource
from functions.sentiment.rules import Phrase, load_rules
from infra.naming import pascal
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra
SEGMENTS = FUNCTIONS["sentiment-segments"]


def _segment_configs(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [c["Properties"] for c in synthesized.of_type("AWS::Connect::InstanceStorageConfig").values()
            if c["Properties"]["ResourceType"].startswith("REAL_TIME_CONTACT_ANALYSIS")]


def test_both_channels_segment_streams_go_to_one_encrypted_stream(synthesized: Synthesized):
    stream_id = synthesized.logical_id("LiveSentiment/SegmentStream")
    configs = _segment_configs(synthesized)

    assert sorted(c["ResourceType"] for c in configs) == ["REAL_TIME_CONTACT_ANALYSIS_CHAT_SEGMENTS",
                                                          "REAL_TIME_CONTACT_ANALYSIS_VOICE_SEGMENTS"]
    assert all(c["StorageType"] == "KINESIS_STREAM" and c["KinesisStreamConfig"]["StreamArn"] ==
               {"Fn::GetAtt": [stream_id, "Arn"]} for c in configs)
    encryption = synthesized.resources[stream_id]["Properties"]["StreamEncryption"]
    assert encryption == {"EncryptionType": "KMS", "KeyId": {
        "Fn::GetAtt": [synthesized.logical_id("LiveSentiment/Key"), "Arn"]}}


def test_an_existing_instance_keeps_its_streams_and_rules(on_existing_instance: Synthesized):
    assert _segment_configs(on_existing_instance) == []
    assert on_existing_instance.of_type("AWS::Connect::Rule") == {}


def test_each_connect_phrase_rule_is_a_contact_lens_rule_announcing_our_rule_id(synthesized: Synthesized):
    wanted = {r.id: r for r in load_rules().rules if isinstance(r, Phrase) and r.connect_rule}
    rules = [r["Properties"] for r in synthesized.of_type("AWS::Connect::Rule").values()]

    assert [r["Actions"]["EventBridgeActions"] for r in rules] == [[{"Name": rule_id}] for rule_id in wanted]
    for rule in rules:
        phrase_rule = wanted[rule["Actions"]["EventBridgeActions"][0]["Name"]]
        condition = json.loads(rule["Function"])["RuleFunction"]["Operands"][0]
        assert condition["Operands"] == list(phrase_rule.phrases)
        assert condition["FilterClause"]["Filters"] == [{"Type": "ParticipantRole", "Data": "CUSTOMER"}]
        assert rule["TriggerEventSource"] == {"EventSourceName": "OnRealTimeCallAnalysisAvailable"}
        assert rule["PublishStatus"] == "PUBLISHED"


def test_the_consumer_reads_in_order_reports_partial_failures_and_keeps_what_it_gives_up(synthesized: Synthesized):
    assert isinstance(SEGMENTS.source, KinesisSource)
    mapping = synthesized.resource(f"Functions/{pascal(SEGMENTS.name)}StreamFailures/Mapping")["Properties"]
    failures = synthesized.logical_id(f"Functions/{pascal(SEGMENTS.name)}StreamFailures/Queue")

    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [synthesized.logical_id("LiveSentiment/SegmentStream"), "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == SEGMENTS.source.max_retries
    assert mapping["MaximumRecordAgeInSeconds"] == SEGMENTS.source.max_record_age_seconds
    assert mapping["ParallelizationFactor"] == SEGMENTS.source.parallelization_factor
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [failures, "Arn"]}}}
    assert "MaximumBatchingWindowInSeconds" not in mapping  # a live turn is not held back


def test_contact_lens_rule_matches_reach_their_consumers_queue(synthesized: Synthesized):
    rules = [r["Properties"] for r in synthesized.of_type("AWS::Events::Rule").values()
             if "Contact Lens Realtime Rules Matched" in json.dumps(r["Properties"].get("EventPattern", {}))]
    assert len(rules) == 1
    assert rules[0]["EventPattern"]["source"] == ["aws.connect"]
    target = render_target(rules[0])
    assert target == synthesized.logical_id("Messaging/SentimentRuleMatches/Queue")


def render_target(rule: dict[str, Any]) -> str:
    (target,) = rule["Targets"]
    return str(target["Arn"]["Fn::GetAtt"][0])


def test_the_supervisors_topic_is_encrypted_tls_only_and_alarmed(synthesized: Synthesized):
    topic_id = synthesized.logical_id("LiveSentiment/SupervisorAlerts")
    topic = synthesized.resources[topic_id]["Properties"]
    policies = [p["Properties"]["PolicyDocument"]["Statement"] for p in synthesized.of_type("AWS::SNS::TopicPolicy")
                .values() if {"Ref": topic_id} in p["Properties"]["Topics"]]
    alarms = [a["Properties"] for a in synthesized.of_type("AWS::CloudWatch::Alarm").values()]

    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [synthesized.logical_id("LiveSentiment/Key"), "Arn"]}
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for statements in policies for s in statements)
    assert any(a.get("MetricName") == "NumberOfNotificationsFailed" for a in alarms)
    assert any(a.get("MetricName") == "IteratorAge" and {"Name": "FunctionName", "Value": {
        "Ref": synthesized.logical_id(f"Functions/{pascal(SEGMENTS.name)}/Function")}} in a.get("Dimensions", [])
        for a in alarms)
