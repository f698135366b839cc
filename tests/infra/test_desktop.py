"""The agent desktop's deployment (infra/constructs/desktop.py), on the session's synthesized template."""

from __future__ import annotations

from typing import Any

import pytest

from functions.tables import TABLES
from functions.tickets.api import routes
from tests.infra.conftest import STAGE, Synthesized, as_list, render

pytestmark = pytest.mark.infra


def _one(synthesized: Synthesized, resource_type: str) -> dict[str, Any]:
    (resource,) = synthesized.of_type(resource_type).values()
    return resource["Properties"]


def _desktop_origin(synthesized: Synthesized) -> str:
    distribution = synthesized.logical_id("Desktop/Distribution")
    return f"https://<{distribution}.DomainName>"


def test_the_page_bucket_is_private_encrypted_tls_only_and_kept(synthesized: Synthesized) -> None:
    bucket_id = synthesized.logical_id("Desktop/Page")
    bucket = synthesized.resources[bucket_id]
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    logs = synthesized.logical_id("Desktop/AccessLogs")
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs}
    assert bucket["DeletionPolicy"] in ("RetainExceptOnCreate", "Retain")
    policy = next(p["Properties"]["PolicyDocument"]["Statement"] for p in
                  synthesized.of_type("AWS::S3::BucketPolicy").values()
                  if p["Properties"]["Bucket"] == {"Ref": bucket_id})
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy)
    # CloudFront reads it as this distribution only (origin access control), no one else is allowed
    (reader,) = [s for s in policy if s["Effect"] == "Allow"]
    assert reader["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert reader["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in reader["Condition"]["StringEquals"]


def test_cloudfront_uses_origin_access_control_https_and_the_security_headers(synthesized: Synthesized) -> None:
    oac = _one(synthesized, "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3", "always", "sigv4")
    config = _one(synthesized, "AWS::CloudFront::Distribution")["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": synthesized.logical_id("Desktop/Headers")}
    assert config["DefaultRootObject"] == "index.html"
    assert config["Logging"]["Bucket"] == {"Fn::GetAtt": [synthesized.logical_id("Desktop/AccessLogs"),
                                                          "RegionalDomainName"]}
    assert "WebACLId" not in config  # optional, by context (desktop_web_acl_arn)


def test_the_content_security_policy_allows_only_our_api_cognito_and_the_connect_instance(
        synthesized: Synthesized) -> None:
    headers = _one(synthesized, "AWS::CloudFront::ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    csp = render(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = dict(d.split(" ", 1) for d in csp.split("; "))
    api = synthesized.logical_id("Apis/Tickets/Api")
    connect_src = directives["connect-src"].split()
    assert connect_src[0] == "'self'"
    assert f"https://<{api}>.execute-api.<AWS::Region>.<AWS::URLSuffix>" in connect_src
    assert any(s.startswith("https://<") and s.endswith(".amazoncognito.com") for s in connect_src)
    assert "https://cognito-idp.<AWS::Region>.amazonaws.com" in connect_src
    assert "https://contact-center-test-<AWS::AccountId>.my.connect.aws" in connect_src
    # The customer's chat page: the chat API and Connect's participant service (HTTPS and its websocket)
    chat_api = synthesized.logical_id("ChatApi/Api")
    assert f"https://<{chat_api}>.execute-api.<AWS::Region>.<AWS::URLSuffix>" in connect_src
    assert "https://participant.connect.<AWS::Region>.amazonaws.com" in connect_src
    assert "wss://*.transport.connect.<AWS::Region>.amazonaws.com" in connect_src
    assert len(connect_src) == 8  # nothing else
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["frame-src"] == "https://contact-center-test-<AWS::AccountId>.my.connect.aws"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["FrameOptions"]["FrameOption"] == "DENY"


def test_the_hosted_ui_client_calls_back_to_the_desktop_only(synthesized: Synthesized) -> None:
    client = _one(synthesized, "AWS::Cognito::UserPoolClient")
    origin = _desktop_origin(synthesized)
    assert [render(url) for url in client["CallbackURLs"]] == [origin + "/"]
    assert [render(url) for url in client["LogoutURLs"]] == [origin + "/"]
    domain = _one(synthesized, "AWS::Cognito::UserPoolDomain")
    assert render(domain["Domain"]) == f"agents-{STAGE}-<AWS::AccountId>"


def test_the_connect_instance_approves_the_desktop_origin(synthesized: Synthesized) -> None:
    approved = _one(synthesized, "AWS::Connect::ApprovedOrigin")
    assert render(approved["Origin"]) == _desktop_origin(synthesized)
    assert approved["InstanceId"] == {"Fn::GetAtt": [synthesized.logical_id("ContactCenter/Instance"), "Arn"]}


def test_the_tickets_api_allows_the_desktop_origin_and_no_other(synthesized: Synthesized) -> None:
    origin = _desktop_origin(synthesized)
    tickets_api = {"Ref": synthesized.logical_id("Apis/Tickets/Api")}
    preflights = [m["Properties"] for m in synthesized.of_type("AWS::ApiGateway::Method").values()
                  if m["Properties"]["HttpMethod"] == "OPTIONS" and m["Properties"]["RestApiId"] == tickets_api]
    assert len(preflights) == len({path for _, path in routes()})
    for method in preflights:
        assert method["AuthorizationType"] == "NONE" and method["Integration"]["Type"] == "MOCK"
        allow = method["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert render(allow["method.response.header.Access-Control-Allow-Origin"]) == f"'{origin}'"
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in
                 synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
                 if r["Properties"]["RestApiId"] == tickets_api}
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):  # a refused token reaches the page as a 401, not a CORS error
        assert render(responses[kind]["ResponseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"]) == f"'{origin}'"
    function = next(f["Properties"] for f in synthesized.of_type("AWS::Lambda::Function").values()
                    if "DESKTOP_ORIGIN" in f["Properties"].get("Environment", {}).get("Variables", {}))
    assert render(function["Environment"]["Variables"]["DESKTOP_ORIGIN"]) == origin
    assert function["Handler"] == "functions.tickets.api_handler.lambda_handler"


def test_the_page_and_its_config_are_deployed_and_cloudfront_invalidated(synthesized: Synthesized) -> None:
    deployment = _one(synthesized, "Custom::CDKBucketDeployment")
    assert deployment["DestinationBucketName"] == {"Ref": synthesized.logical_id("Desktop/Page")}
    assert deployment["DistributionId"] == {"Ref": synthesized.logical_id("Desktop/Distribution")}
    assert len(as_list(deployment["SourceObjectKeys"])) == 2  # desktop/dist and config.json
    assert deployment["RetainOnDelete"] is True


def test_the_insights_table_expires_hints_and_the_api_reads_it(synthesized: Synthesized) -> None:
    table = synthesized.resource("Tables/Insights/Table")["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert TABLES["insights"].model.Meta.ttl_attribute == "expires_at"
