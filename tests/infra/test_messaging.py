"""Queues, the contact event rule and the domain event bus, as functions/manifest.py declares them:
encrypted, dead-lettered, and open to nothing but the rule that feeds them; the domain bus takes events from our
publishing functions only and archives them encrypted."""

from __future__ import annotations

from typing import Any

import pytest

from functions.manifest import EVENT_BUS, EVENT_RULES, FUNCTIONS, QUEUES, EventRuleSpec, QueueSpec, SqsSource
from infra.naming import pascal
from infra.removal import KEEP_DELETION_POLICY
from tests.infra.conftest import EXISTING_INSTANCE, STAGE, Synthesized, as_list, render

pytestmark = pytest.mark.infra
QUEUE_SPECS = list(QUEUES.values())
RULE = EVENT_RULES["contact-disconnected"]
RULE_NAME = f"callcenter-{STAGE}-{RULE.name}"
RULE_ARN = f"arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/{RULE_NAME}"
DOMAIN_RULES = [spec for spec in EVENT_RULES.values() if spec.bus == "domain"]


def _queue(synthesized: Synthesized, spec: QueueSpec, part: str = "Queue") -> tuple[str, dict[str, Any]]:
    logical_id = synthesized.logical_id(f"Messaging/{pascal(spec.name)}/{part}")
    return logical_id, synthesized.resources[logical_id]["Properties"]


def _rule(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.resource(f"Messaging/{pascal(RULE.name)}/Rule")["Properties"]


def _queue_policy(synthesized: Synthesized, queue_id: str) -> list[dict[str, Any]]:
    policies = [p["Properties"]["PolicyDocument"]["Statement"]
                for p in synthesized.of_type("AWS::SQS::QueuePolicy").values()
                if {"Ref": queue_id} in p["Properties"]["Queues"]]
    assert len(policies) == 1
    return policies[0]


def _denies_insecure_transport(statements: list[dict[str, Any]]) -> bool:
    return any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)


def _only_from_the_rule(statement: dict[str, Any], rule_arn: str = RULE_ARN) -> bool:
    condition = statement.get("Condition", {})
    return (render(condition.get("ArnEquals", {}).get("aws:SourceArn", "")) == rule_arn
            and condition.get("StringEquals", {}).get("aws:SourceAccount") == {"Ref": "AWS::AccountId"})


# --- queues ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", QUEUE_SPECS, ids=lambda spec: spec.name)
def test_queue_is_kms_encrypted_with_a_rotating_key_and_dead_letters_after_max_receives(
    synthesized: Synthesized, spec: QueueSpec,
) -> None:
    queue_id, queue = _queue(synthesized, spec)
    dlq_id, dlq = _queue(synthesized, spec, "DeadLetterQueue")
    key_id = synthesized.logical_id(f"Messaging/{pascal(spec.name)}/Key")
    # Then queue and dead-letter queue use the queue's own customer-managed, rotating key
    for properties in (queue, dlq):
        assert properties["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert synthesized.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    # And a message received max_receive_count times moves to the dead-letter queue, kept for 14 days
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                                      "maxReceiveCount": spec.max_receive_count}
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["VisibilityTimeout"] == spec.visibility_timeout_seconds
    # And both refuse requests without TLS
    assert _denies_insecure_transport(_queue_policy(synthesized, queue_id))
    assert _denies_insecure_transport(_queue_policy(synthesized, dlq_id))


LAMBDA_CONSUMED = sorted({spec.source.queue for spec in FUNCTIONS.values() if isinstance(spec.source, SqsSource)})
AWS_ADVISED_MIN_RECEIVES = 5  # a throttled consumer's receives count too: fewer moves good messages to the DLQ


@pytest.mark.parametrize("name", LAMBDA_CONSUMED)
def test_a_lambda_consumed_queue_dead_letters_only_after_at_least_five_receives(synthesized: Synthesized,
                                                                               name: str) -> None:
    _, queue = _queue(synthesized, QUEUES[name])
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= AWS_ADVISED_MIN_RECEIVES


# --- the contact event rule ------------------------------------------------------------------------

def test_rule_forwards_disconnected_contacts_of_this_instance_only(synthesized: Synthesized) -> None:
    rule = _rule(synthesized)
    instance = synthesized.logical_id("ContactCenter/Instance")
    assert rule["Name"] == RULE_NAME
    assert "EventBusName" not in rule  # the default bus, where Amazon Connect publishes
    assert rule["EventPattern"] == {
        "source": ["aws.connect"],
        "detail-type": ["Amazon Connect Contact Event"],
        "detail": {"eventType": ["DISCONNECTED"], "instanceArn": [{"Fn::GetAtt": [instance, "Arn"]}]},
    }


def test_rule_on_an_existing_instance_filters_on_that_instance(on_existing_instance: Synthesized) -> None:
    rule = on_existing_instance.resource(f"Messaging/{pascal(RULE.name)}/Rule")["Properties"]
    assert rule["EventPattern"]["detail"]["instanceArn"] == [EXISTING_INSTANCE]
    assert rule["Name"] == f"callcenter-shared-{RULE.name}"  # stages sharing an instance keep apart


def test_rule_targets_its_queue_with_a_dead_letter_queue_of_its_own(synthesized: Synthesized) -> None:
    (target,) = _rule(synthesized)["Targets"]
    queue_id, _ = _queue(synthesized, QUEUES[RULE.target_queue])
    target_dlq_id = synthesized.logical_id(f"Messaging/{pascal(RULE.name)}/TargetDeadLetterQueue")
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [target_dlq_id, "Arn"]}}
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] > 0
    # And the target's dead-letter queue is encrypted and TLS-only like the others
    dlq = synthesized.resources[target_dlq_id]["Properties"]
    assert "KmsMasterKeyId" in dlq
    assert _denies_insecure_transport(_queue_policy(synthesized, target_dlq_id))


def test_only_the_rule_may_send_to_its_queue_and_its_dead_letter_queue(synthesized: Synthesized) -> None:
    queue_id, _ = _queue(synthesized, QUEUES[RULE.target_queue])
    target_dlq_id = synthesized.logical_id(f"Messaging/{pascal(RULE.name)}/TargetDeadLetterQueue")
    for logical_id in (queue_id, target_dlq_id):
        allows = [s for s in _queue_policy(synthesized, logical_id) if s["Effect"] == "Allow"]
        assert len(allows) == 1, allows
        assert allows[0]["Principal"] == {"Service": "events.amazonaws.com"}
        assert as_list(allows[0]["Action"]) == ["sqs:SendMessage"]
        assert _only_from_the_rule(allows[0])
    # And the ARN they name is the rule's: a rule on the default bus is arn:...:events:<region>:<account>:rule/<name>
    assert RULE_ARN.endswith(f":rule/{_rule(synthesized)['Name']}")


def test_eventbridge_may_use_the_queue_key_only_for_that_rule(synthesized: Synthesized) -> None:
    key_id = synthesized.logical_id(f"Messaging/{pascal(RULE.target_queue)}/Key")
    statements = synthesized.resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
    for_events = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert len(for_events) == 1
    assert set(as_list(for_events[0]["Action"])) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert _only_from_the_rule(for_events[0])
    # And no other service principal is given the key
    assert all("Service" not in s["Principal"] for s in statements if s is not for_events[0])


# --- the domain event bus --------------------------------------------------------------------------

def test_domain_events_have_their_own_bus_per_stage_with_an_archive(synthesized: Synthesized) -> None:
    bus_id = synthesized.logical_id("Messaging/EventBus")
    assert synthesized.resources[bus_id]["Properties"]["Name"] == f"{EVENT_BUS.name}-{STAGE}"
    (archive,) = [a["Properties"] for a in synthesized.of_type("AWS::Events::Archive").values()]
    assert archive["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    assert archive["EventPattern"] == {"source": [EVENT_BUS.source]}
    assert archive["RetentionDays"] > 0
    # And no separate bus policy grants anything (the bus's own policy only denies, see below)
    assert not synthesized.of_type("AWS::Events::EventBusPolicy")


def test_only_the_publishing_functions_may_put_events_on_the_domain_bus(synthesized: Synthesized) -> None:
    # Given the functions the manifest lets publish domain events
    publishers = sorted(spec.name for spec in FUNCTIONS.values() if spec.publishes_events)
    assert publishers  # survey-answers (SurveyLowScore), ticket-events (TicketStatusChanged)
    roles = [synthesized.resource(f"Functions/{pascal(name)}/Function")["Properties"]["Role"] for name in publishers]
    # Then the bus's policy denies PutEvents on it to every principal but those functions' roles
    bus = synthesized.resource("Messaging/EventBus")["Properties"]
    (statement,) = bus["Policy"]["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == ("Deny", {"AWS": "*"},
                                                                                   "events:PutEvents")
    assert render(statement["Resource"]) == (f"arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:"
                                             f"event-bus/{EVENT_BUS.name}-{STAGE}")
    assert list(statement["Condition"]) == ["ArnNotEquals"]
    excepted = as_list(statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])
    assert sorted(map(str, excepted)) == sorted(map(str, roles))
    # And each of those roles is a role of this stack
    assert all(synthesized.resources[role["Fn::GetAtt"][0]]["Type"] == "AWS::IAM::Role" for role in roles)


def test_the_domain_bus_archive_is_encrypted_with_a_retained_rotating_key_for_that_bus(
    synthesized: Synthesized,
) -> None:
    bus_id = synthesized.logical_id("Messaging/EventBus")
    (archive,) = [a["Properties"] for a in synthesized.of_type("AWS::Events::Archive").values()]
    key_id = archive["KmsKeyIdentifier"]["Fn::GetAtt"][0]
    key = synthesized.resources[key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == KEEP_DELETION_POLICY  # archived events stay readable after the stack is gone
    # EventBridge may encrypt and decrypt with it for this bus's archive only
    for_events = [s for s in key["Properties"]["KeyPolicy"]["Statement"]
                  if s["Principal"] == {"Service": "events.amazonaws.com"}]
    data_key = [s for s in for_events if "kms:GenerateDataKey" in as_list(s["Action"])]
    assert len(data_key) == 1
    assert data_key[0]["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:events:event-bus:arn": {"Fn::GetAtt": [bus_id, "Arn"]}}}
    assert {a for s in for_events for a in as_list(s["Action"])} <= {
        "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt*", "kms:DescribeKey"}


# --- rules on the domain bus (our own events, e.g. TicketStatusChanged) ----------------------------------

def _domain_rule_arn(spec: EventRuleSpec) -> str:
    # A rule on a custom bus is arn:...:events:<region>:<account>:rule/<bus name>/<rule name>
    return (f"arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/"
            f"{EVENT_BUS.name}-{STAGE}/callcenter-{STAGE}-{spec.name}")


def test_the_ticket_status_rule_is_on_the_domain_bus() -> None:
    assert "ticket-status-changed" in {spec.name for spec in DOMAIN_RULES}


@pytest.mark.parametrize("spec", DOMAIN_RULES, ids=lambda spec: spec.name)
def test_domain_rule_is_on_the_custom_bus_with_the_manifest_pattern_only(synthesized: Synthesized,
                                                                        spec: EventRuleSpec) -> None:
    rule = synthesized.resource(f"Messaging/{pascal(spec.name)}/Rule")["Properties"]
    assert rule["EventBusName"] == {"Ref": synthesized.logical_id("Messaging/EventBus")}
    assert rule["Name"] == f"callcenter-{STAGE}-{spec.name}"
    # Our events carry no Connect instance: the pattern is the manifest's, without the instance filter
    assert rule["EventPattern"] == spec.event_pattern
    assert "instanceArn" not in rule["EventPattern"].get("detail", {})


@pytest.mark.parametrize("spec", DOMAIN_RULES, ids=lambda spec: spec.name)
def test_domain_rule_feeds_its_queue_with_a_dead_letter_queue_and_only_it_may_send(synthesized: Synthesized,
                                                                                  spec: EventRuleSpec) -> None:
    (target,) = synthesized.resource(f"Messaging/{pascal(spec.name)}/Rule")["Properties"]["Targets"]
    queue_id, _ = _queue(synthesized, QUEUES[spec.target_queue])
    target_dlq_id = synthesized.logical_id(f"Messaging/{pascal(spec.name)}/TargetDeadLetterQueue")
    assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [target_dlq_id, "Arn"]}}
    assert "KmsMasterKeyId" in synthesized.resources[target_dlq_id]["Properties"]
    # Then the target's dead-letter queue accepts SendMessage from this rule (on its bus) only, and the queue from
    # the rules that feed it only (ticket-tasks has three: escalations, status changes, ended task contacts)
    feeding = [other for other in EVENT_RULES.values() if other.target_queue == spec.target_queue]
    for logical_id, rules in ((queue_id, feeding), (target_dlq_id, [spec])):
        policy = _queue_policy(synthesized, logical_id)
        assert _denies_insecure_transport(policy)
        allows = [s for s in policy if s["Effect"] == "Allow"]
        assert len(allows) == len(rules), allows
        assert all(a["Principal"] == {"Service": "events.amazonaws.com"} for a in allows)
        assert all(as_list(a["Action"]) == ["sqs:SendMessage"] for a in allows)
        assert any(_only_from_the_rule(a, _domain_rule_arn(spec)) for a in allows)
    # And EventBridge may use the queue's key for the rules that feed it only
    key_id = synthesized.logical_id(f"Messaging/{pascal(spec.target_queue)}/Key")
    for_events = [s for s in synthesized.resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
                  if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert len(for_events) == len(feeding)
    assert any(_only_from_the_rule(s, _domain_rule_arn(spec)) for s in for_events)


def test_a_rule_on_an_unknown_bus_stops_the_synthesis() -> None:
    import aws_cdk as cdk
    import msgspec

    from infra.constructs.messaging import Messaging

    odd = msgspec.structs.replace(DOMAIN_RULES[0], bus="partner")
    with pytest.raises(ValueError, match="unknown bus 'partner'"):
        Messaging(cdk.Stack(cdk.App(), "Odd"), "Messaging", stage="t", instance_arn="instance-arn",
                  rules={odd.name: odd})
