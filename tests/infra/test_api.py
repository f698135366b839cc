"""The ticket API as the resolver declares it: every route for agents behind the Cognito authorizer and again
under /service behind IAM (and, by resource policy, for the configured service callers only), one scoped invoke
permission, a throttled, logged, traced and WAF-protected stage whose body rule matches the API's own limits, and
the agents' user pool with a group per team."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from functions.manifest import FUNCTIONS, ApiSource, FunctionSpec
from functions.routing.policy import load_policy
from functions.tickets.api import CreateTicketRequest, NoteRequest
from functions.tickets.ticket import MAX_NOTE_CHARS, MAX_SUBJECT_CHARS
from infra.constructs.api import check_routes, check_service_callers, resolver_routes, service_policy
from infra.constructs.web_acl import (
    INSPECTION_LIMITS,
    UnboundedSchema,
    largest_request_body,
    resolver_request_body_limit,
)
from infra.naming import pascal
from tests.infra.conftest import SERVICE_CALLERS, STAGE, Synthesized, as_list, render, synthesize

pytestmark = pytest.mark.infra
API_SPECS = [spec for spec in FUNCTIONS.values() if isinstance(spec.source, ApiSource)]
TICKET_API = FUNCTIONS["ticket-api"]
assert isinstance(TICKET_API.source, ApiSource)
SOURCE: ApiSource = TICKET_API.source
ROUTES = resolver_routes(SOURCE)


def _api_id(synthesized: Synthesized, api: str = SOURCE.api) -> str:
    return synthesized.logical_id(f"Apis/{pascal(api)}/Api")


def _methods(synthesized: Synthesized, api_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, full resource path) -> the method's properties, for one REST API."""
    resources = {k: v["Properties"] for k, v in synthesized.of_type("AWS::ApiGateway::Resource").items()
                 if v["Properties"]["RestApiId"] == {"Ref": api_id}}

    def path(resource_id: Any) -> str:
        if resource_id == {"Fn::GetAtt": [api_id, "RootResourceId"]}:
            return ""
        resource = resources[resource_id["Ref"]]
        return f"{path(resource['ParentId'])}/{resource['PathPart']}"

    return {(m["Properties"]["HttpMethod"], path(m["Properties"]["ResourceId"])): m["Properties"]
            for m in synthesized.of_type("AWS::ApiGateway::Method").values()
            if m["Properties"]["RestApiId"] == {"Ref": api_id}}


def _stage(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    (stage_id, stage), = [(k, v) for k, v in synthesized.of_type("AWS::ApiGateway::Stage").items()
                          if v["Properties"]["RestApiId"] == {"Ref": _api_id(synthesized)}]
    return stage_id, stage


# --- routes ------------------------------------------------------------------------------------------

def test_the_ticket_api_declares_the_contract_routes() -> None:
    # The contract between the API helper and the deployment (a few anchors; routes() is the full list)
    assert {("POST", "/tickets"), ("GET", "/tickets/{ticket_id}"), ("POST", "/tickets/{ticket_id}/status"),
            ("GET", "/teams/{team}/tickets"), ("GET", "/customers/{customer_id}/tickets")} <= set(ROUTES)


def test_every_route_is_deployed_for_agents_and_for_services_and_nothing_else(synthesized: Synthesized) -> None:
    methods = _methods(synthesized, _api_id(synthesized))
    expected = set(ROUTES) | {(method, SOURCE.service_prefix + path) for method, path in ROUTES}
    preflights = {("OPTIONS", path) for _, path in ROUTES}  # the agent desktop's CORS (test_desktop.py)
    assert set(methods) == expected | preflights  # no ANY, no proxy resource, no preflight under /service


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=lambda value: str(value))
def test_an_agent_route_needs_a_cognito_token_of_the_agents_pool(synthesized: Synthesized, method: str,
                                                                 path: str) -> None:
    properties = _methods(synthesized, _api_id(synthesized))[(method, path)]
    assert properties["AuthorizationType"] == "COGNITO_USER_POOLS"
    authorizer = synthesized.resources[properties["AuthorizerId"]["Ref"]]["Properties"]
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["ProviderARNs"] == [{"Fn::GetAtt": [synthesized.logical_id("Agents/UserPool"), "Arn"]}]
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=lambda value: str(value))
def test_a_service_route_needs_iam_signatures(synthesized: Synthesized, method: str, path: str) -> None:
    properties = _methods(synthesized, _api_id(synthesized))[(method, SOURCE.service_prefix + path)]
    assert properties["AuthorizationType"] == "AWS_IAM"
    assert "AuthorizerId" not in properties


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=lambda value: str(value))
def test_every_method_proxies_to_the_function_validates_and_needs_no_api_key(synthesized: Synthesized, method: str,
                                                                            path: str) -> None:
    function_id = synthesized.logical_id(f"Functions/{pascal(TICKET_API.name)}/Function")
    methods = _methods(synthesized, _api_id(synthesized))
    for full_path in (path, SOURCE.service_prefix + path):
        properties = methods[(method, full_path)]
        # Lambda proxy integration of the ticket-api function
        integration = properties["Integration"]
        assert (integration["Type"], integration["IntegrationHttpMethod"]) == ("AWS_PROXY", "POST")
        assert render(integration["Uri"]) == (
            f"arn:<AWS::Partition>:apigateway:<AWS::Region>:lambda:path/2015-03-31/functions/"
            f"<{function_id}.Arn>/invocations")
        # Request validation: path parameters required, a JSON body must be an object
        validator = synthesized.resources[properties["RequestValidatorId"]["Ref"]]["Properties"]
        assert validator["ValidateRequestBody"] is True and validator["ValidateRequestParameters"] is True
        parameters = {name.removeprefix("{").removesuffix("}") for name in path.split("/") if name.startswith("{")}
        assert properties.get("RequestParameters", {}) == {f"method.request.path.{p}": True for p in parameters}
        if method == "POST":
            model_id = properties["RequestModels"]["application/json"]["Ref"]
            assert synthesized.resources[model_id]["Properties"]["Schema"]["type"] == "object"
        assert properties["ApiKeyRequired"] is False


def test_routes_that_cannot_be_deployed_are_refused() -> None:
    problems = check_routes("tickets", [("GET", "/tickets"), ("GET", "/tickets"), ("GET", "/service/x"),
                                        ("TRACE", "/x"), ("GET", "tickets/{id")], "/service")
    assert any("declared twice" in p for p in problems)
    assert any("under the service prefix" in p for p in problems)
    assert any("unsupported method" in p for p in problems)
    assert any("not an API Gateway resource path" in p for p in problems)
    assert check_routes("tickets", ROUTES, SOURCE.service_prefix) == []


# --- invoke permission -------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", API_SPECS, ids=lambda spec: spec.name)
def test_the_function_may_be_invoked_only_from_its_api_stage(synthesized: Synthesized, spec: FunctionSpec) -> None:
    assert isinstance(spec.source, ApiSource)
    function_id = synthesized.logical_id(f"Functions/{pascal(spec.name)}/Function")
    permissions = [p["Properties"] for p in synthesized.of_type("AWS::Lambda::Permission").values()
                   if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}]
    assert len(permissions) == 1  # one for the API, not one per method, none for test invocations
    assert permissions[0]["Principal"] == "apigateway.amazonaws.com"
    assert render(permissions[0]["SourceArn"]) == (
        f"arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<{_api_id(synthesized, spec.source.api)}>"
        f"/{STAGE}/*/*")


# --- stage -------------------------------------------------------------------------------------------

def test_stage_throttles_as_the_manifest_says_and_logs_errors_without_bodies(synthesized: Synthesized) -> None:
    _, stage = _stage(synthesized)
    properties = stage["Properties"]
    assert properties["StageName"] == STAGE
    (settings,) = properties["MethodSettings"]
    assert (settings["HttpMethod"], settings["ResourcePath"]) == ("*", "/*")
    assert settings["ThrottlingRateLimit"] == SOURCE.throttle_rate_per_second
    assert settings["ThrottlingBurstLimit"] == SOURCE.throttle_burst
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False  # full request/response logs would hold customer data
    assert settings["MetricsEnabled"] is True
    assert properties["TracingEnabled"] is True


def test_stage_writes_json_access_logs_to_an_encrypted_log_group(synthesized: Synthesized) -> None:
    _, stage = _stage(synthesized)
    access = stage["Properties"]["AccessLogSetting"]
    log_group = synthesized.resources[access["DestinationArn"]["Fn::GetAtt"][0]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert "KmsKeyId" in log_group["Properties"] and log_group["Properties"]["RetentionInDays"] > 0
    fields = json.loads(access["Format"])  # one JSON object per request
    assert {"requestId", "status", "resourcePath", "httpMethod", "responseLatencyMs"} <= set(fields)
    assert not any("body" in value.lower() for value in fields.values())


def test_the_execution_log_group_of_the_stage_exists_encrypted_with_a_retention(synthesized: Synthesized) -> None:
    api_id = _api_id(synthesized)
    names = {render(g["Properties"]["LogGroupName"]): g["Properties"]
             for g in synthesized.of_type("AWS::Logs::LogGroup").values() if "LogGroupName" in g["Properties"]}
    execution = names[f"API-Gateway-Execution-Logs_<{api_id}>/{STAGE}"]
    assert "KmsKeyId" in execution and execution["RetentionInDays"] > 0


def test_the_account_role_has_what_api_gateway_checks_for_and_is_set_before_the_stage(
        synthesized: Synthesized) -> None:
    # Given the account-wide API Gateway CloudWatch setting the stack applies
    _, stage = _stage(synthesized)
    (account_id, account), = synthesized.of_type("AWS::ApiGateway::Account").items()
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = synthesized.resources[role_id]
    # Then the role carries AWS's managed policy for it: API Gateway refuses a role limited to the execution-log
    # prefix, and the same role writes every REST API's access logs (ours included, outside that prefix)
    assert [render(arn) for arn in role["Properties"]["ManagedPolicyArns"]] == [
        "arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
    assert not [p for p in synthesized.of_type("AWS::IAM::Policy").values()
                if {"Ref": role_id} in p["Properties"]["Roles"]]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"}
    assert role["DeletionPolicy"] == "Retain"  # other APIs of the account log through it, even after a rollback
    # And the stage waits for the account setting
    assert account_id in stage["DependsOn"]


def test_the_stage_waits_for_the_execution_log_group_it_names(synthesized: Synthesized) -> None:
    api_id = _api_id(synthesized)
    stage_id, stage = _stage(synthesized)
    (group_id,) = [logical_id for logical_id, g in synthesized.of_type("AWS::Logs::LogGroup").items()
                   if render(g["Properties"].get("LogGroupName", "")) ==
                   f"API-Gateway-Execution-Logs_<{api_id}>/{STAGE}"]
    # The stage logs there from its first request: the encrypted, expiring group must exist before it
    assert group_id in stage["DependsOn"]
    assert stage["Properties"]["StageName"] == STAGE and stage_id


def test_a_waf_web_acl_with_aws_managed_rules_guards_the_stage(synthesized: Synthesized) -> None:
    stage_id, _ = _stage(synthesized)
    associations = [a["Properties"] for a in synthesized.of_type("AWS::WAFv2::WebACLAssociation").values()
                    if f"<{stage_id}>" in render(a["Properties"]["ResourceArn"])]
    assert len(associations) == 1
    assert render(associations[0]["ResourceArn"]) == (
        f"arn:<AWS::Partition>:apigateway:<AWS::Region>::/restapis/<{_api_id(synthesized)}>/stages/<{stage_id}>")
    acl = synthesized.resources[associations[0]["WebACLArn"]["Fn::GetAtt"][0]]["Properties"]
    assert acl["Scope"] == "REGIONAL"
    groups = {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"]
              if "ManagedRuleGroupStatement" in r["Statement"]}
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesAmazonIpReputationList"} <= groups
    assert all(r["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
               for r in acl["Rules"] if "ManagedRuleGroupStatement" in r["Statement"])
    assert any("RateBasedStatement" in r["Statement"] for r in acl["Rules"])


def test_no_api_keys_or_usage_plans(synthesized: Synthesized) -> None:
    assert not synthesized.of_type("AWS::ApiGateway::ApiKey")
    assert not synthesized.of_type("AWS::ApiGateway::UsagePlan")


# --- the agents' directory ---------------------------------------------------------------------------

def test_the_user_pool_is_admin_only_strong_mfa_and_threat_protected(synthesized: Synthesized) -> None:
    pool = synthesized.resource("Agents/UserPool")["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # no self sign-up
    password = pool["Policies"]["PasswordPolicy"]
    assert password["MinimumLength"] >= 12
    assert all(password[k] is True for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers",
                                             "RequireSymbols"))
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["UserPoolTier"] == "PLUS"
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}


def test_there_is_a_group_for_supervisors_and_one_per_team(synthesized: Synthesized) -> None:
    pool_ref = {"Ref": synthesized.logical_id("Agents/UserPool")}
    groups = {g["Properties"]["GroupName"] for g in synthesized.of_type("AWS::Cognito::UserPoolGroup").values()
              if g["Properties"]["UserPoolId"] == pool_ref}
    assert groups == {"supervisors"} | {f"team-{queue}" for queue in load_policy().queues}


def test_the_desktop_client_is_public_with_the_hosted_ui_code_flow_and_short_lived_tokens(
        synthesized: Synthesized) -> None:
    (client,) = [c["Properties"] for c in synthesized.of_type("AWS::Cognito::UserPoolClient").values()]
    assert client["GenerateSecret"] is False  # it runs in the agent's browser: a secret would not stay one
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]  # authorization code (with PKCE from the page), no implicit flow
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    units = client["TokenValidityUnits"]
    assert (units["AccessToken"], units["IdToken"]) == ("minutes", "minutes")
    assert client["AccessTokenValidity"] <= 60 and client["IdTokenValidity"] <= 60
    assert units["RefreshToken"] == "minutes" and client["RefreshTokenValidity"] <= 12 * 60
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_the_stack_outputs_the_api_url_the_pool_and_the_client(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    stage_id, _ = _stage(synthesized)
    assert render(outputs["TicketsApiUrl"]["Value"]) == (
        f"https://<{_api_id(synthesized)}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/<{stage_id}>/")
    assert outputs["AgentUserPoolId"]["Value"] == {"Ref": synthesized.logical_id("Agents/UserPool")}
    assert outputs["AgentDesktopClientId"]["Value"] == {"Ref": synthesized.logical_id("Agents/UserPool/DesktopClient")}
    # Only the named outputs: RestApi's own unnamed Endpoint output is removed
    assert not [name for name in outputs if name.startswith("ApisTicketsApiEndpoint")]


# --- who may call: the API's resource policy ---------------------------------------------------------

def _policy(synthesized: Synthesized) -> list[dict[str, Any]]:
    return synthesized.resources[_api_id(synthesized)]["Properties"]["Policy"]["Statement"]


def _service_resource() -> str:
    return f"execute-api:/*/*{SOURCE.service_prefix}/*"


def test_agent_routes_are_left_to_the_cognito_authorizer(synthesized: Synthesized) -> None:
    (allow,) = [s for s in _policy(synthesized) if s["Effect"] == "Allow" and s["Sid"] == "AgentRoutes"]
    assert allow["Principal"] == {"AWS": "*"} and allow["Action"] == "execute-api:Invoke"
    assert "Condition" not in allow
    # Exactly the agents' routes (path parameters as *), none under the service prefix
    resources = as_list(allow["Resource"])
    assert sorted(resources) == sorted(
        f"execute-api:/{STAGE}/{method}/" + "/".join("*" if part.startswith("{") else part
                                                       for part in path.strip("/").split("/"))
        for method, path in ROUTES)
    assert not [r for r in resources if f"{SOURCE.service_prefix}/" in r]


def test_without_configured_callers_every_principal_is_denied_the_service_routes(synthesized: Synthesized) -> None:
    # Given no service_callers in the context (the default)
    denies = [s for s in _policy(synthesized) if s["Effect"] == "Deny"]
    # Then every principal, whatever its IAM policies allow, is denied every route under /service
    assert denies == [{"Sid": "NoOtherServiceCallers", "Effect": "Deny", "Principal": {"AWS": "*"},
                       "Action": "execute-api:Invoke", "Resource": _service_resource()}]


def test_only_the_configured_roles_may_call_the_service_routes(configured: Synthesized) -> None:
    statements = {s["Sid"]: s for s in _policy(configured)}
    # Then the listed roles are allowed every service route, by their principal ARN (a role, not a session)
    allow = statements["ServiceCallers"]
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"AWS": "*"}
    assert allow["Condition"] == {"ArnEquals": {"aws:PrincipalArn": sorted(SERVICE_CALLERS)}}
    assert sorted(as_list(allow["Resource"])) == sorted(
        f"execute-api:/configured/{method}{SOURCE.service_prefix}/" + "/".join(
            "*" if part.startswith("{") else part for part in path.strip("/").split("/"))
        for method, path in ROUTES)
    # And every other principal is denied there, even one whose own IAM policy allows execute-api:Invoke on "*"
    deny = statements["NoOtherServiceCallers"]
    assert (deny["Effect"], deny["Principal"], deny["Resource"]) == ("Deny", {"AWS": "*"}, _service_resource())
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": sorted(SERVICE_CALLERS)}}


@pytest.mark.parametrize("caller", [
    "*", "arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:user/ticket-sync",
    "arn:aws:sts::111122223333:assumed-role/ticket-sync/session", "ticket-sync", "arn:aws:iam::*:role/ticket-sync",
])
def test_a_service_caller_that_is_not_one_role_is_refused(caller: str) -> None:
    assert check_service_callers([caller])
    with pytest.raises(ValueError, match="not an IAM role ARN"):
        service_policy(ROUTES, SOURCE.service_prefix, STAGE, [caller])


def test_the_service_callers_context_also_reads_a_comma_separated_list(tmp_path: Path, tiny_asset: Path) -> None:
    # -c service_callers=a,b on the command line arrives as one string
    synthesized = synthesize(tmp_path, {"stage": "cli", "service_callers": ", ".join(SERVICE_CALLERS)},
                             asset_dir=tiny_asset)
    deny = {s["Sid"]: s for s in _policy(synthesized)}["NoOtherServiceCallers"]
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": sorted(SERVICE_CALLERS)}}


# --- WAF and the API's own body limits ---------------------------------------------------------------

def _web_acl(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.resource(f"Apis/{pascal(SOURCE.api)}/WebAcl")["Properties"]


def _largest_valid_create_request() -> str:
    """A POST /tickets body the API accepts, every field at its limit in the costliest characters, pretty-printed
    and JSON-escaped (non-ASCII as \\u escapes, as many clients send it)."""
    emoji = "\U0001F600"
    body = {"customer_id": "c" * 64, "subject": emoji * MAX_SUBJECT_CHARS, "category": "complaint",
            "team": emoji * 64, "priority": 4, "restricted": False, "contact_id": emoji * 128,
            "note": emoji * MAX_NOTE_CHARS, "request_id": emoji * 128}
    msgspec.convert(body, CreateTicketRequest)  # valid: the API would accept it
    return json.dumps(body, indent=4)


def test_the_common_rule_sets_8kb_body_rule_only_counts(synthesized: Synthesized) -> None:
    (common,) = [r for r in _web_acl(synthesized)["Rules"]
                 if r["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") == "AWSManagedRulesCommonRuleSet"]
    overrides = common["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"]
    assert overrides == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]


def test_a_note_of_2000_accented_characters_is_within_the_waf_body_limit(synthesized: Synthesized) -> None:
    # Given a valid note of 2,000 accented characters, JSON-escaped: more than the common rule set's 8 KB
    body = json.dumps({"text": "é" * MAX_NOTE_CHARS})
    msgspec.json.decode(body, type=NoteRequest)  # valid
    assert len(body.encode()) > 8 * 1024
    # Then no rule of the web ACL blocks it for its size
    (size_rule,) = [r for r in _web_acl(synthesized)["Rules"] if "SizeConstraintStatement" in r["Statement"]]
    assert len(body.encode()) <= size_rule["Statement"]["SizeConstraintStatement"]["Size"]


def test_bodies_larger_than_any_valid_request_are_blocked_and_valid_ones_inspected_whole(
    synthesized: Synthesized,
) -> None:
    acl = _web_acl(synthesized)
    (size_rule,) = [r for r in acl["Rules"] if "SizeConstraintStatement" in r["Statement"]]
    statement = size_rule["Statement"]["SizeConstraintStatement"]
    assert size_rule["Action"] == {"Block": {}}
    assert statement["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    assert statement["ComparisonOperator"] == "GT"
    # The limit is the API's own largest body, derived from its request models, and holds a real one
    assert statement["Size"] == resolver_request_body_limit(SOURCE.resolver)
    assert len(_largest_valid_create_request().encode()) <= statement["Size"]
    # And WAF inspects that much of every body (not the default 16 KB): the managed rules see all of a valid one
    limit = acl["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"]
    assert INSPECTION_LIMITS[limit] >= statement["Size"]
    assert limit == min((name for name, size in INSPECTION_LIMITS.items() if size >= statement["Size"]),
                        key=INSPECTION_LIMITS.__getitem__)


@pytest.mark.parametrize(("schema", "says"), [
    ({"type": "string"}, "without maxLength"),
    ({"type": "integer", "minimum": 1}, "without minimum and maximum"),
    ({"type": "object", "properties": {}}, "open to extra members"),
    ({"type": "array", "items": {"type": "boolean"}}, "without maxItems"),
])
def test_a_request_schema_without_bounds_cannot_set_the_body_limit(schema: dict[str, Any], says: str) -> None:
    document = {"paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": schema}}}}}}}
    with pytest.raises(UnboundedSchema, match=says):
        largest_request_body(document)


def test_the_body_limit_follows_the_models() -> None:
    # A longer string limit makes a larger limit: 12 bytes per character (the escaped surrogate pair)
    def document(max_length: int) -> dict[str, Any]:
        schema = {"type": "object", "additionalProperties": False,
                  "properties": {"text": {"type": "string", "maxLength": max_length}}}
        return {"paths": {"/n": {"post": {"requestBody": {"content": {"application/json": {"schema": schema}}}}}}}
    assert largest_request_body(document(2000)) - largest_request_body(document(1000)) == 12 * 1000
    assert largest_request_body({"paths": {"/n": {"get": {}}}}) == 0
