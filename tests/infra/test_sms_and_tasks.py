"""Two-way SMS and tickets as tasks in the template: the inbound-SMS topic open to End User Messaging only and
delivering raw into its encrypted queue, with a redrive; the task template on the task flow; the Connect callers
capped for their pace and granted only this instance's contacts, flows and templates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.manifest import FUNCTIONS, SqsSource
from tests.infra.conftest import Synthesized, as_list, render, role_statements

pytestmark = pytest.mark.infra


def _topic(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    [(logical_id, topic)] = [(k, v) for k, v in synthesized.of_type("AWS::SNS::Topic").items()
                             if "sms-inbound" in json.dumps(v["Properties"].get("TopicName", ""))]
    return logical_id, topic["Properties"]


def test_the_inbound_sms_topic_is_encrypted_and_open_to_end_user_messaging_of_this_account_only(
        synthesized: Synthesized) -> None:
    topic_id, topic = _topic(synthesized)
    assert "KmsMasterKeyId" in topic
    statements = [s for policy in synthesized.of_type("AWS::SNS::TopicPolicy").values()
                  if {"Ref": topic_id} in policy["Properties"]["Topics"]
                  for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "sms-voice.amazonaws.com"}]
    assert allows[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)


def test_the_topic_delivers_raw_into_the_sms_inbound_queue_with_a_redrive(synthesized: Synthesized) -> None:
    topic_id, _ = _topic(synthesized)
    [subscription] = [s["Properties"] for s in synthesized.of_type("AWS::SNS::Subscription").values()
                      if s["Properties"]["TopicArn"] == {"Ref": topic_id}]
    assert subscription["Protocol"] == "sqs" and subscription["RawMessageDelivery"] is True
    queue_id = synthesized.logical_id("Messaging/SmsInbound/Queue")
    dlq_id = synthesized.logical_id("Messaging/SmsInbound/DeadLetterQueue")
    assert subscription["Endpoint"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert subscription["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
    # and only this topic may send to the queue
    sns_statements = [s for p in synthesized.of_type("AWS::SQS::QueuePolicy").values()
                      if {"Ref": queue_id} in p["Properties"]["Queues"]
                      for s in p["Properties"]["PolicyDocument"]["Statement"]
                      if s.get("Principal") == {"Service": "sns.amazonaws.com"}]
    assert [s["Condition"] for s in sns_statements] == [{"ArnEquals": {"aws:SourceArn": {"Ref": topic_id}}}]


def test_the_task_template_runs_the_task_flow_and_requires_the_ticket_id(synthesized: Synthesized) -> None:
    [template] = [t["Properties"] for t in synthesized.of_type("AWS::Connect::TaskTemplate").values()]
    flow_id = synthesized.logical_id("Flows/Task")
    assert template["ContactFlowArn"] == {"Fn::GetAtt": [flow_id, "ContactFlowArn"]}
    assert template["Status"] == "ACTIVE"
    assert {f["Id"]["Name"]: f["Type"] for f in template["Fields"]}["ticket"] == "URL"
    assert template["Constraints"] == {"RequiredFields": [{"Id": {"Name": "ticket_id"}}]}


@pytest.mark.parametrize(("name", "actions"), [("ticket-tasks", {"connect:StartTaskContact", "connect:StopContact"}),
                                               ("sms-inbound", {"connect:StartChatContact",
                                                                "connect:StartContactStreaming"})])
def test_connect_callers_are_capped_and_scoped_to_the_instance(synthesized: Synthesized, name: str,
                                                               actions: set[str]) -> None:
    spec = FUNCTIONS[name]
    assert isinstance(spec.source, SqsSource)
    function_id = next(k for k, v in synthesized.of_type("AWS::Lambda::Function").items()
                       if v["Properties"].get("Description") == spec.description)
    [mapping] = [m["Properties"] for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                 if m["Properties"]["FunctionName"] == {"Ref": function_id}]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": spec.source.maximum_concurrency}
    statements = role_statements(synthesized, synthesized.resources[function_id]["Properties"])
    connect = [s for s in statements if any(a.startswith("connect:") for a in as_list(s["Action"]))]
    assert {a for s in connect for a in as_list(s["Action"])} == actions
    resources = {render(r) for s in connect for r in as_list(s["Resource"])}
    assert resources and all("/contact" in r or "/task-template/" in r for r in resources)


def test_the_chat_stream_topic_is_encrypted_tls_only_and_open_to_amazon_connect_of_this_account_only(
        synthesized: Synthesized) -> None:
    [(topic_id, topic)] = [(k, v["Properties"]) for k, v in synthesized.of_type("AWS::SNS::Topic").items()
                           if "sms-chat-stream" in json.dumps(v["Properties"].get("TopicName", ""))]
    assert "KmsMasterKeyId" in topic and "FifoTopic" not in topic  # chat streaming takes standard topics only
    statements = [s for policy in synthesized.of_type("AWS::SNS::TopicPolicy").values()
                  if {"Ref": topic_id} in policy["Properties"]["Topics"]
                  for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert [(s["Principal"], s["Action"]) for s in allows] == [({"Service": "connect.amazonaws.com"}, "sns:Publish")]
    assert allows[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)
    # its key: Connect may use it to publish, nothing else beyond the account's administration
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key_statements = synthesized.resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
    assert [s["Principal"] for s in key_statements if "Service" in s["Principal"]] == [
        {"Service": "connect.amazonaws.com"}]
    # delivered with SNS's envelope (MessageVisibility is a message attribute) into sms-chat-stream, with a redrive
    [subscription] = [s["Properties"] for s in synthesized.of_type("AWS::SNS::Subscription").values()
                      if s["Properties"]["TopicArn"] == {"Ref": topic_id}]
    assert subscription.get("RawMessageDelivery") in (None, False)
    queue_id = synthesized.logical_id("Messaging/SmsChatStream/Queue")
    dlq_id = synthesized.logical_id("Messaging/SmsChatStream/DeadLetterQueue")
    assert subscription["Endpoint"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert subscription["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
    # sms-inbound names the topic when it starts streaming a chat
    spec = FUNCTIONS["sms-inbound"]
    function = next(v for v in synthesized.of_type("AWS::Lambda::Function").values()
                    if v["Properties"].get("Description") == spec.description)
    assert function["Properties"]["Environment"]["Variables"]["CHAT_STREAM_TOPIC_ARN"] == {"Ref": topic_id}


def test_the_chat_replies_function_texts_and_uses_only_its_table(synthesized: Synthesized) -> None:
    spec = FUNCTIONS["sms-chat-replies"]
    function = next(v for v in synthesized.of_type("AWS::Lambda::Function").values()
                    if v["Properties"].get("Description") == spec.description)
    actions = {a for s in role_statements(synthesized, function["Properties"]) for a in as_list(s["Action"])}
    assert not any(a.startswith(("connect:", "sns:", "events:")) for a in actions)
    assert "dynamodb:PutItem" in actions or "dynamodb:UpdateItem" in actions
