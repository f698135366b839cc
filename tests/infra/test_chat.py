"""Web chat in the template: the chat flow and its view, the secret, the public /chat/start API, chat on the
instance (transcripts, agents' routing profiles), and the contact-history consumer of the CTR stream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.removal import KEEP_DELETION_POLICY
from tests.infra.conftest import Synthesized, render, synthesize

pytestmark = pytest.mark.infra


def test_the_chat_flow_is_deployed_with_its_quick_reply_view(synthesized: Synthesized) -> None:
    flow = synthesized.resource("Flows/Chat")["Properties"]
    content = render(flow["Content"])
    view_id = synthesized.logical_id("Views/ChatMenu")
    assert f"<{view_id}.ViewArn>" in content and "{{" not in content
    view = synthesized.resource("Views/ChatMenu")["Properties"]
    assert view["Actions"] == ["billing", "support", "sales", "agent"]


def test_the_chat_identity_secret_is_encrypted_with_its_own_key_and_retained(synthesized: Synthesized) -> None:
    secret_id = synthesized.logical_id("ChatSecret/Secret")
    secret = synthesized.resources[secret_id]
    assert secret["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [synthesized.logical_id("ChatSecret/Key"), "Arn"]}
    assert secret["DeletionPolicy"] == KEEP_DELETION_POLICY


def test_chat_start_is_throttled_at_its_connect_share_and_protected_by_waf(synthesized: Synthesized) -> None:
    api = synthesized.logical_id("ChatApi/Api")
    (stage,) = [s for s in synthesized.of_type("AWS::ApiGateway::Stage").values()
                if s["Properties"]["RestApiId"] == {"Ref": api}]
    settings = stage["Properties"]["MethodSettings"][0]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (4, 4)
    assert settings["DataTraceEnabled"] is False
    associations = [a for a in synthesized.of_type("AWS::WAFv2::WebACLAssociation").values()
                    if a["Properties"]["WebACLArn"] == {"Fn::GetAtt": [synthesized.logical_id("ChatApi/WebAcl"),
                                                                        "Arn"]}]
    assert len(associations) == 1
    methods = [m["Properties"] for m in synthesized.of_type("AWS::ApiGateway::Method").values()
               if m["Properties"]["RestApiId"] == {"Ref": api}]
    assert sorted((m["HttpMethod"], m["AuthorizationType"]) for m in methods) == [("OPTIONS", "NONE"),
                                                                                  ("POST", "NONE")]


def test_the_site_origin_and_the_desktops_chat_page_may_start_chats(tmp_path: Path, tiny_asset: Path) -> None:
    site = synthesize(tmp_path, {"stage": "site", "chat_site_origin": "https://www.example.com"},
                      asset_dir=tiny_asset)
    api = site.logical_id("ChatApi/Api")
    methods = [m["Properties"] for m in site.of_type("AWS::ApiGateway::Method").values()
               if m["Properties"]["RestApiId"] == {"Ref": api}]
    preflight = json.dumps([m for m in methods if m["HttpMethod"] == "OPTIONS"])
    assert "https://www.example.com" in preflight and site.logical_id("Desktop/Distribution") in preflight
    function = site.resource("Functions/ChatStart/Function")["Properties"]
    origins = json.dumps(function["Environment"]["Variables"]["CHAT_SITE_ORIGIN"])
    assert "https://www.example.com" in origins and site.logical_id("Desktop/Distribution") in origins


def test_chat_transcripts_are_kept_in_the_encrypted_recordings_bucket(synthesized: Synthesized) -> None:
    storage = [s["Properties"] for s in synthesized.of_type("AWS::Connect::InstanceStorageConfig").values()
               if s["Properties"]["ResourceType"] == "CHAT_TRANSCRIPTS"]
    assert len(storage) == 1
    assert storage[0]["S3Config"]["EncryptionConfig"]["EncryptionType"] == "KMS"


def test_contact_history_reads_the_ctr_stream_and_keeps_what_it_cannot_process(synthesized: Synthesized) -> None:
    stream = synthesized.logical_id("ContactLake/Stream")
    mappings = [m["Properties"] for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"].get("EventSourceArn") == {"Fn::GetAtt": [stream, "Arn"]}]
    assert len(mappings) == 1
    mapping = mappings[0]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and mapping["BisectBatchOnFunctionError"]
    queue = synthesized.logical_id("Functions/ContactHistoryStreamFailures/Queue")
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue, "Arn"]}


def test_the_chat_apis_own_refusals_carry_cors_headers(synthesized: Synthesized) -> None:
    # A throttled start (API Gateway's 429) must reach the page as an answer it can show, not a CORS failure
    api = synthesized.logical_id("ChatApi/Api")
    responses = [r["Properties"] for r in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
                 if r["Properties"]["RestApiId"] == {"Ref": api}]
    assert {r["ResponseType"] for r in responses} == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses:
        headers = response["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "method.request.header.Origin"
        assert headers["gatewayresponse.header.Vary"] == "'Origin'"
