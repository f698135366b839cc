"""Web chat: the chat-identity secret, the public `POST /chat/start` API, and the Connect views the chat flow
shows (its quick replies).

- The secret (Secrets Manager, a generated 64-character value, encrypted with its own rotated key, retained):
  the company site's backend signs its signed-in customers' claims with it (README, "Chat"; the contract is in
  functions/common/customer_claim.py); chat-start and the routing Lambda read it to check them. Not rotated
  automatically: the site's backend holds the same value, so a rotation is a coordinated change (the README
  says how); both readers cache it for five minutes only, so a new value is in use within that time.
- The API: one REST API, one resource, `POST /chat/start` (Lambda proxy to chat-start) and its CORS preflight for
  the site's origin (`chat_site_origin` context) and the desktop's (which serves the chat page, chat.html). No
  authorizer: a web chat is open to anonymous customers by
  design, and a signed-in customer proves who they are with the site's signed claim in the body, which the
  function checks; the answer discloses nothing but the new chat's own participant token. Throttled at the
  stage, WAF (managed rule groups, a per-IP rate limit, a body-size rule at the largest valid request), JSON
  access logs without bodies to a KMS-encrypted group, X-Ray, execution logs at ERROR without bodies.
- The views: one Connect view per infra/flows/views/NAME.json (`{{view:NAME}}` in a flow), its template and
  actions from the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_connect as connect
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from functions.chat.start_handler import MAX_BODY_CHARS
from functions.manifest import FUNCTIONS, PublicApiSource
from infra.constructs.api import ACCESS_LOG_FIELDS, EXECUTION_LOG_GROUP_PREFIX, LOG_RETENTION
from infra.constructs.keys import log_group_key
from infra.constructs.web_acl import api_web_acl
from infra.flow_checks import VIEWS_DIR
from infra.nag import acknowledge
from infra.naming import pascal
from infra.removal import KEEP

CHAT_START = "chat-start"
#: What AWS::Connect::View accepts in a description: letters, digits, spaces and _.:/=+-@,()' only.
_VIEW_DESCRIPTION = re.compile(r"[^\w\s.:/=+\-@,()']+")
#: The largest request body chat-start reads, in bytes: each of its characters escaped as a surrogate pair.
MAX_BODY_BYTES = MAX_BODY_CHARS


def load_views(directory: Path = VIEWS_DIR) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))}


class ConnectViews(Construct):
    """One Connect view per view file; `arns` by name, for the flows' {{view:NAME}} placeholders."""

    def __init__(self, scope: Construct, construct_id: str, *, instance_arn: str, name_suffix: str = "") -> None:
        super().__init__(scope, construct_id)
        self.arns: dict[str, str] = {}
        for name, view in load_views().items():
            resource = connect.CfnView(
                self, pascal(name), instance_arn=instance_arn, name=f"{name}{name_suffix}",
                description=_VIEW_DESCRIPTION.sub(" ", str(view.get("description", name))).strip()[:500],
                actions=list(view["actions"]), template=view["template"])
            self.arns[name] = resource.attr_view_arn


class ChatSecret(Construct):
    """The chat-identity secret (see the module doc)."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        key = kms.Key(self, "Key", description="Encrypts the chat-identity secret", enable_key_rotation=True,
                      removal_policy=KEEP)
        self.secret = secretsmanager.Secret(
            self, "Secret", description=f"Signs the company site's signed-in chat customers ({stage})",
            encryption_key=key, removal_policy=KEEP,
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64,
                                                                        exclude_punctuation=True))
        acknowledge(self.secret, "SMG4",
                    "The company site's backend holds the same value to sign customers' claims: a rotation is a "
                    "coordinated change with the site (README, Chat: rotate by putting a new value, then updating "
                    "the site), which an automatic rotation Lambda cannot make.")

    def grant_read(self, function: lambda_.IFunction) -> None:
        self.secret.grant_read(function)


class ChatApi(Construct):
    """`POST /chat/start` (see the module doc)."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str, function: lambda_.Function,
                 account_setting: cdk.CfnResource | None = None) -> None:
        super().__init__(scope, construct_id)
        spec = FUNCTIONS[CHAT_START]
        source = spec.source
        assert isinstance(source, PublicApiSource)
        log_key = log_group_key(self, "LogKey", "Encrypts the chat API's access and execution log groups")
        access_logs = logs.LogGroup(self, "AccessLogs", retention=LOG_RETENTION, encryption_key=log_key,
                                    removal_policy=KEEP)
        self.api = apigw.RestApi(
            self, "Api", rest_api_name=f"callcenter-chat-{stage}", description=f"Starts web chats ({stage})",
            endpoint_types=[apigw.EndpointType.REGIONAL], cloud_watch_role=False, deploy=True,
            deploy_options=apigw.StageOptions(
                stage_name=stage,
                throttling_rate_limit=source.throttle_rate_per_second,
                throttling_burst_limit=source.throttle_burst,
                tracing_enabled=True, metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR, data_trace_enabled=False,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            ),
        )
        self.api.node.try_remove_child("Endpoint")
        stage_resource = self.api.deployment_stage
        if account_setting is not None:
            stage_resource.node.add_dependency(account_setting)
        execution_logs = logs.LogGroup(
            self, "ExecutionLogs",
            log_group_name=cdk.Fn.join("", [EXECUTION_LOG_GROUP_PREFIX, self.api.rest_api_id, f"/{stage}"]),
            retention=LOG_RETENTION, encryption_key=log_key, removal_policy=KEEP)
        stage_resource.node.add_dependency(execution_logs)
        function.add_permission(
            "ChatApiInvoke", principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=self.api.arn_for_execute_api(method=source.method, path=source.path, stage=stage),
            source_account=cdk.Aws.ACCOUNT_ID)
        validator = self.api.add_request_validator(
            "Validator", request_validator_name="parameters-and-body", validate_request_body=True,
            validate_request_parameters=True)
        body = self.api.add_model(
            "ChatStart", content_type="application/json", model_name="ChatStart",
            description="A JSON object: the function checks its fields (functions/chat/start.py)",
            schema=apigw.JsonSchema(schema=apigw.JsonSchemaVersion.DRAFT4, type=apigw.JsonSchemaType.OBJECT))
        resource = self.api.root.resource_for_path(source.path.lstrip("/"))
        self.resource = resource
        integration = apigw.LambdaIntegration(function, proxy=True, allow_test_invoke=False)
        method = resource.add_method(source.method, integration, authorization_type=apigw.AuthorizationType.NONE,
                                     request_validator=validator, request_models={"application/json": body},
                                     api_key_required=False)
        for rule in ("APIG4", "COG4"):
            acknowledge(method, rule, "A web chat is open to anonymous customers by design; a signed-in customer "
                                      "proves who they are with the site's signed claim in the body, which "
                                      "chat-start checks (HMAC, expiry). The answer is only the new chat's own "
                                      "participant token; WAF and the stage throttle limit abuse.")
        self.web_acl = api_web_acl(self, "WebAcl", name=f"callcenter-chat-{stage}",
                                   description=f"Protects the chat API of stage {stage}",
                                   max_body_bytes=MAX_BODY_BYTES)
        wafv2.CfnWebACLAssociation(self, "WebAclAssociation", resource_arn=stage_resource.stage_arn,
                                   web_acl_arn=self.web_acl.attr_arn)

    def allow_browser_origins(self, origins: list[str]) -> None:
        """The CORS preflight for the pages that start chats: the company site's (chat_site_origin) and the chat
        page the desktop's CloudFront serves. The function echoes an allowed Origin (CHAT_SITE_ORIGIN)."""
        source = FUNCTIONS[CHAT_START].source
        assert isinstance(source, PublicApiSource)
        self.resource.add_cors_preflight(allow_origins=origins, allow_methods=[source.method],
                                         allow_headers=["Content-Type"], max_age=cdk.Duration.hours(1))
        for child in self.resource.node.children:
            if isinstance(child, apigw.Method) and child.http_method == "OPTIONS":
                acknowledge(child, "APIG4", "A CORS preflight: browsers send it without credentials; it answers "
                                            "only which origin, method and headers are allowed.")
                acknowledge(child, "COG4", "A CORS preflight carries no token by the Fetch standard.")
        # API Gateway's own refusals (the stage throttle's 429, a 5XX) never reach the function, which echoes an
        # allowed Origin: without CORS headers the page would see a network failure instead of "busy, try again".
        # They echo the request's Origin: their body is API Gateway's generic message, so no page learns anything
        # from it (a gateway response can name one static origin or a request value, and there are two origins).
        for response_type in (apigw.ResponseType.DEFAULT_4_XX, apigw.ResponseType.DEFAULT_5_XX):
            self.api.add_gateway_response(
                f"Cors{response_type.response_type.title().replace('_', '')}", type=response_type,
                response_headers={"Access-Control-Allow-Origin": "method.request.header.Origin", "Vary": "'Origin'"})

    @property
    def url(self) -> str:
        return self.api.url_for_path(FUNCTIONS[CHAT_START].source.path)  # type: ignore[union-attr]


def wire_chat(values: Mapping[str, str]) -> dict[str, str]:
    return dict(values)
