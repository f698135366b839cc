"""The REST APIs of functions/manifest.py (ApiSource functions) and the agents' user directory.

About 430 lines, kept as one module on purpose: the route checks, the resource policy, the user pool and the
stage all read the same route list and must agree; the next split, when it grows, is the user directory
(`AgentDirectory`, ~70 lines) into its own module beside the desktop's app client.

One API Gateway REST API per `ApiSource.api` ("tickets"), built from the routes its Powertools resolver
declares: `routes()` of the resolver's module, (HTTP method, path) pairs, is the single source of truth, so
an endpoint the handler does not serve cannot be deployed and one it serves cannot be forgotten.

- Every route as declared is for agents: a Cognito user pool authorizer checks the ID token, whose claims
  (`cognito:username`, `cognito:groups`) the handler authorizes with.
- The same routes under `ApiSource.service_prefix` ("/service") are for other services: AWS_IAM (SigV4).
  The resolver strips the prefix, so both reach the same code with a different identity.
- Lambda proxy integration. The function gets ONE invoke permission, for API Gateway calling from this API's
  deployed stage (not a permission per method, not the console's test invocations).
- The stage: throttling from ApiSource (rate and burst), JSON access logs to a KMS-encrypted log group,
  X-Ray tracing, execution logs at ERROR without request/response bodies (they carry customer data), metrics,
  request validation (path parameters present, JSON bodies objects), no API key.
- A WAFv2 web ACL on the stage (infra/constructs/web_acl.py): AWS managed rule groups (IP reputation, common,
  known bad inputs), a body-size rule at the largest body the API accepts (derived from its request models), and a
  per-IP rate limit well above an agent floor sharing one NAT address.
- A resource policy (`service_policy`): the agents' routes are open to whoever the Cognito authorizer lets in;
  the routes under the service prefix only to the principals named in `service_callers` (role ARNs: the
  `service_callers` context value), every other principal is denied there. Without it, any principal of the
  account with execute-api:Invoke on "*" (an IAM allow is enough within the account) would be a service caller,
  which sees and changes every ticket like a supervisor. No role of this stack calls the service routes itself.

Execution logging needs the account's API Gateway CloudWatch role (AWS::ApiGateway::Account, one setting per
account and Region). Without one, the stage of a fresh account fails to deploy. The role carries AWS's managed
policy for the purpose, AmazonAPIGatewayPushToCloudWatchLogs (the logs actions on "*"), and nothing narrower:
when the setting is applied, API Gateway checks the role by writing outside the execution-log prefix and refuses a
narrower one ("The role ARN does not have required permissions configured"), failing the stack; and the same
role writes every REST API's access logs, whose groups (ours included) have names of their choosing. CDK's
`cloudWatchRole` would attach the same policy but delete the role with the stack, silently breaking the logs of
every other API in the account, so the role is ours and retained when the stack is deleted (infra/removal.py).
The setting is account-wide: the last stack deployed points it at its own (equivalent) role. The execution log
group of our stage is created here, encrypted and with a retention, and the stage depends on it, so it exists
before API Gateway would create a plain, never-expiring one.

The agents' directory: one Cognito user pool (users created by an administrator only, strong passwords with a
history, TOTP MFA required, threat protection enforced on the Plus plan), a group "supervisors" and a group
"team-<queue>" per queue of the routing policy (the ticket teams), and a public app client for the agents'
desktop, added by infra/constructs/desktop.py (no secret: it runs in the agent's browser; the hosted UI with the
authorization code flow and PKCE, the desktop origin as callback; 15-minute tokens, a refresh token for one shift).

CORS: `allow_browser_origin` lets one browser origin (the agent desktop) call an API's agent routes: an OPTIONS
preflight per resource (a mock integration answering for that origin only), the origin on API Gateway's own 4XX
and 5XX answers (a refused token must reach the page as a 401, not a CORS failure), and OPTIONS in the resource
policy. The function adds the header to its own answers (DESKTOP_ORIGIN, functions/tickets/api_handler.py).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from functions.manifest import FUNCTIONS, ApiSource, FunctionSpec
from infra.constructs.keys import log_group_key
from infra.constructs.web_acl import api_web_acl, resolver_request_body_limit
from infra.nag import acknowledge
from infra.naming import pascal
from infra.removal import KEEP

SUPERVISORS_GROUP = "supervisors"
TEAM_GROUP_PREFIX = "team-"
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
INTEGRATION_TIMEOUT_SECONDS = 29  # API Gateway's default integration timeout: the function must end before
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
PATH = re.compile(r"^(/([A-Za-z0-9._-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))+$")
PATH_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
ACCESS_TOKEN_VALIDITY = cdk.Duration.minutes(15)
REFRESH_TOKEN_VALIDITY = cdk.Duration.hours(10)  # one shift: sign in again the next day
# One JSON object per request. No request or response bodies, no phone numbers: ids, status and timings.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integration.error",
    "errorMessage": "$context.error.message",
    "authorizeError": "$context.authorize.error",
    "agent": "$context.authorizer.claims.sub",
    "callerArn": "$context.identity.userArn",
    "sourceIp": "$context.identity.sourceIp",
    "xrayTraceId": "$context.xrayTraceId",
}
# AWS's managed policy for the account's API Gateway CloudWatch role (service-role/): logs:CreateLogGroup,
# CreateLogStream, DescribeLogGroups, DescribeLogStreams, PutLogEvents, GetLogEvents, FilterLogEvents on "*".
CLOUDWATCH_ROLE_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
EXECUTION_LOG_GROUP_PREFIX = "API-Gateway-Execution-Logs_"

Route = tuple[str, str]


def resolver_routes(source: ApiSource) -> list[Route]:
    """The (method, path) routes of the source's resolver: `routes()` of the module that defines it."""
    module_name, _, _ = source.resolver.rpartition(".")
    routes: Callable[[], Sequence[Route]] | None = getattr(importlib.import_module(module_name), "routes", None)
    if routes is None:
        raise ValueError(f"API {source.api!r}: module {module_name} has no routes() listing the resolver's routes")
    return [(method.upper(), path) for method, path in routes()]


def check_routes(api: str, routes: Sequence[Route], service_prefix: str) -> list[str]:
    """What would make a route undeployable or ambiguous; empty when all is well."""
    problems = []
    if not PATH.match(service_prefix):
        problems.append(f"API {api!r}: service prefix {service_prefix!r} is not a path")
    seen: set[Route] = set()
    for method, path in routes:
        if method not in METHODS:
            problems.append(f"API {api!r}: {method} {path}: unsupported method")
        if not PATH.match(path):
            problems.append(f"API {api!r}: {method} {path}: not an API Gateway resource path")
        elif path == service_prefix or path.startswith(service_prefix + "/"):
            problems.append(f"API {api!r}: {method} {path} is under the service prefix {service_prefix}")
        if (method, path) in seen:
            problems.append(f"API {api!r}: {method} {path} is declared twice")
        seen.add((method, path))
    if not routes:
        problems.append(f"API {api!r} declares no routes")
    return problems


def check_service_callers(callers: Sequence[str]) -> list[str]:
    """What makes a `service_callers` entry unusable in the resource policy; empty when all is well."""
    return [f"service_callers: {caller!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>, no wildcards)"
            for caller in callers if not ROLE_ARN.match(caller)]


def _execute_api(stage: str, method: str, path: str) -> str:
    """A resource of the API's own policy: execute-api:/<stage>/<method>/<path>, path parameters as "*"."""
    return f"execute-api:/{stage}/{method}{PATH_PARAMETER.sub('*', path)}"


def service_policy(routes: Sequence[Route], service_prefix: str, stage: str,
                   service_callers: Sequence[str]) -> iam.PolicyDocument:
    """The REST API's resource policy: agents' routes for the authorizer to decide, the service routes for
    `service_callers` only (see the module doc)."""
    problems = check_service_callers(service_callers)
    if problems:
        raise ValueError("; ".join(problems))
    callers = sorted(set(service_callers))
    document = iam.PolicyDocument(statements=[iam.PolicyStatement(
        sid="AgentRoutes", principals=[iam.AnyPrincipal()], actions=["execute-api:Invoke"],
        resources=[_execute_api(stage, method, path) for method, path in routes])])
    if callers:
        document.add_statements(iam.PolicyStatement(
            sid="ServiceCallers", principals=[iam.AnyPrincipal()], actions=["execute-api:Invoke"],
            resources=[_execute_api(stage, method, service_prefix + path) for method, path in routes],
            conditions={"ArnEquals": {"aws:PrincipalArn": callers}}))
    document.add_statements(iam.PolicyStatement(
        sid="NoOtherServiceCallers", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
        actions=["execute-api:Invoke"], resources=[f"execute-api:/*/*{service_prefix}/*"],
        conditions={"ArnNotEquals": {"aws:PrincipalArn": callers}} if callers else None))
    return document


@dataclass(frozen=True)
class DeployedApi:
    name: str
    rest_api: apigw.RestApi
    stage: apigw.Stage
    function_name: str
    routes: tuple[Route, ...]
    web_acl: wafv2.CfnWebACL
    policy: iam.PolicyDocument


class AgentDirectory(Construct):
    """The agents' user pool, its groups (supervisors, one per team) and the desktop app client."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str, teams: Sequence[str],
                 deletion_protection: bool = False) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.user_pool = cognito.UserPool(
            self, "UserPool",
            user_pool_name=f"callcenter-agents-{stage}",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=14, require_lowercase=True, require_uppercase=True, require_digits=True,
                require_symbols=True, password_history_size=5, temp_password_validity=cdk.Duration.days(3)),
            # TOTP only: SMS codes would need an SNS role and can be SIM-swapped.
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            # Plus plan: compromised-credential checks and adaptive authentication, enforced (not audit only).
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            # Off for the first create (a rollback could not delete a protected pool): infra/removal.py.
            deletion_protection=deletion_protection,
            removal_policy=KEEP,
        )
        self.groups: dict[str, cognito.UserPoolGroup] = {
            SUPERVISORS_GROUP: cognito.UserPoolGroup(
                self, "Supervisors", user_pool=self.user_pool, group_name=SUPERVISORS_GROUP,
                description="Supervisors: see and change every team's tickets, restricted ones included"),
        }
        for team in teams:
            name = f"{TEAM_GROUP_PREFIX}{team}"
            self.groups[name] = cognito.UserPoolGroup(
                self, f"Team{pascal(team)}", user_pool=self.user_pool, group_name=name,
                description=f"Agents of the {team} queue: work the {team} team's tickets")
        self.desktop_client: cognito.UserPoolClient | None = None

    def add_desktop_client(self, *, callback_urls: Sequence[str], logout_urls: Sequence[str]) -> cognito.UserPoolClient:
        """The agent desktop's public app client (infra/constructs/desktop.py): the hosted UI, authorization code
        flow (the page sends a PKCE challenge), its origin as the only callback; once per directory."""
        if self.desktop_client is not None:
            raise ValueError("the directory already has its desktop client")
        self.desktop_client = self.user_pool.add_client(
            "DesktopClient",
            user_pool_client_name=f"agent-desktop-{self.stage}",
            generate_secret=False,  # it runs in the agent's browser: a secret would not stay one
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=list(callback_urls), logout_urls=list(logout_urls)),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=ACCESS_TOKEN_VALIDITY,
            id_token_validity=ACCESS_TOKEN_VALIDITY,
            refresh_token_validity=REFRESH_TOKEN_VALIDITY,
        )
        return self.desktop_client


class FunctionApis(Construct):
    """One REST API per ApiSource.api, each serving its function's resolver routes (see the module doc)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        functions: Mapping[str, lambda_.Function],
        directory: AgentDirectory,
        service_callers: Sequence[str] = (),
        specs: Mapping[str, FunctionSpec] = FUNCTIONS,
        routes_of: Callable[[ApiSource], Sequence[Route]] = resolver_routes,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage_name = stage
        self.service_callers = tuple(service_callers)
        self.directory = directory
        self.log_key = self._log_key()
        self.apis: dict[str, DeployedApi] = {}
        by_api: dict[str, list[str]] = {}
        for name in functions:
            source = specs[name].source
            if not isinstance(source, ApiSource):
                raise ValueError(f"function {name!r} is not invoked by an API")
            by_api.setdefault(source.api, []).append(name)
        self._account_role: apigw.CfnAccount | None = None
        for api, names in by_api.items():
            if len(names) > 1:
                raise ValueError(f"API {api!r} is served by several functions ({', '.join(names)}): one resolver "
                                 "per API")
            (name,) = names
            self.apis[api] = self._api(api, specs[name], functions[name], routes_of)

    def _api(self, api: str, spec: FunctionSpec, function: lambda_.Function,
             routes_of: Callable[[ApiSource], Sequence[Route]]) -> DeployedApi:
        source = spec.source
        assert isinstance(source, ApiSource)
        if spec.timeout_seconds >= INTEGRATION_TIMEOUT_SECONDS:
            raise ValueError(f"function {spec.name!r}: timeout {spec.timeout_seconds} s must be below API Gateway's "
                             f"{INTEGRATION_TIMEOUT_SECONDS} s integration timeout")
        routes = tuple(routes_of(source))
        problems = check_routes(api, routes, source.service_prefix)
        if problems:
            raise ValueError("; ".join(problems))
        policy = service_policy(routes, source.service_prefix, self.stage_name, self.service_callers)
        scope = Construct(self, pascal(api))
        access_logs = logs.LogGroup(scope, "AccessLogs", retention=LOG_RETENTION, encryption_key=self.log_key,
                                    removal_policy=KEEP)
        rest_api = apigw.RestApi(
            scope, "Api",
            rest_api_name=f"callcenter-{api}-{self.stage_name}",
            description=f"{spec.description} ({self.stage_name})",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            policy=policy,
            cloud_watch_role=False,  # the account's role is ours, see the module doc
            deploy=True,
            deploy_options=apigw.StageOptions(
                stage_name=self.stage_name,
                throttling_rate_limit=source.throttle_rate_per_second,
                throttling_burst_limit=source.throttle_burst,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            ),
        )
        # RestApi adds an unnamed "Endpoint" output; the stack outputs the URL under the API's name instead.
        rest_api.node.try_remove_child("Endpoint")
        stage = rest_api.deployment_stage
        stage.node.add_dependency(self._cloudwatch_account())
        execution_logs = logs.LogGroup(
            scope, "ExecutionLogs",
            log_group_name=cdk.Fn.join("", [EXECUTION_LOG_GROUP_PREFIX, rest_api.rest_api_id, f"/{self.stage_name}"]),
            retention=LOG_RETENTION, encryption_key=self.log_key, removal_policy=KEEP)
        # The stage logs to this group from its first request: it must exist (encrypted, expiring) before.
        stage.node.add_dependency(execution_logs)
        integration = apigw.Integration(
            type=apigw.IntegrationType.AWS_PROXY,
            integration_http_method="POST",
            uri=(f"arn:{cdk.Aws.PARTITION}:apigateway:{cdk.Aws.REGION}:lambda:path/2015-03-31/functions/"
                 f"{function.function_arn}/invocations"),
        )
        # One permission: API Gateway, calling from this API's deployed stage, any method and path.
        function.add_permission(
            f"{pascal(api)}ApiInvoke",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=rest_api.arn_for_execute_api(method="*", path="/*", stage=self.stage_name),
            source_account=cdk.Aws.ACCOUNT_ID,
        )
        validator = rest_api.add_request_validator(
            "Validator", request_validator_name="parameters-and-body",
            validate_request_body=True, validate_request_parameters=True)
        json_object = rest_api.add_model(
            "JsonObject", content_type="application/json", model_name="JsonObject",
            description="Any JSON object: the function validates the fields (and says which are wrong)",
            schema=apigw.JsonSchema(schema=apigw.JsonSchemaVersion.DRAFT4, type=apigw.JsonSchemaType.OBJECT))
        authorizer = apigw.CognitoUserPoolsAuthorizer(
            scope, "AgentAuthorizer", cognito_user_pools=[self.directory.user_pool],
            authorizer_name=f"agents-{self.stage_name}")
        for method, path in routes:
            options = {
                "request_validator": validator,
                "request_parameters": {f"method.request.path.{p}": True for p in PATH_PARAMETER.findall(path)},
                "request_models": {"application/json": json_object} if method in BODY_METHODS else None,
                "api_key_required": False,
            }
            rest_api.root.resource_for_path(path.lstrip("/")).add_method(
                method, integration, authorization_type=apigw.AuthorizationType.COGNITO, authorizer=authorizer,
                **options)
            service_method = rest_api.root.resource_for_path((source.service_prefix + path).lstrip("/")).add_method(
                method, integration, authorization_type=apigw.AuthorizationType.IAM, **options)
            acknowledge(service_method, "COG4",
                        f"{source.service_prefix}{path} is for other AWS workloads, which sign with an IAM role "
                        "(AWS_IAM authorization, SigV4); they have no Cognito user. Agents use the Cognito route.")
        web_acl = api_web_acl(scope, "WebAcl", name=f"callcenter-{api}-{self.stage_name}",
                              description=f"Protects the {api} API of stage {self.stage_name}",
                              max_body_bytes=resolver_request_body_limit(source.resolver))
        wafv2.CfnWebACLAssociation(scope, "WebAclAssociation", resource_arn=stage.stage_arn,
                                   web_acl_arn=web_acl.attr_arn)
        return DeployedApi(api, rest_api, stage, spec.name, routes, web_acl, policy)

    def allow_browser_origin(self, api: str, origin: str) -> None:
        """Let `origin` (e.g. the agent desktop's https://...) call the API's agent routes from a browser."""
        deployed = self.apis[api]
        rest_api = deployed.rest_api
        paths = sorted({path for _, path in deployed.routes})
        methods = sorted({method for method, _ in deployed.routes} | {"OPTIONS"})
        allow = {
            "method.response.header.Access-Control-Allow-Origin": f"'{origin}'",
            "method.response.header.Access-Control-Allow-Headers": "'Authorization,Content-Type'",
            "method.response.header.Access-Control-Allow-Methods": f"'{','.join(methods)}'",
            "method.response.header.Access-Control-Max-Age": "'600'",
            "method.response.header.Vary": "'Origin'",
        }
        preflight = apigw.MockIntegration(
            request_templates={"application/json": '{"statusCode": 204}'},
            integration_responses=[apigw.IntegrationResponse(status_code="204", response_parameters=allow)])
        for path in paths:
            method = rest_api.root.resource_for_path(path.lstrip("/")).add_method(
                "OPTIONS", preflight, authorization_type=apigw.AuthorizationType.NONE,
                method_responses=[apigw.MethodResponse(status_code="204",
                                                       response_parameters={k: True for k in allow})])
            acknowledge(method, "APIG4", "A CORS preflight: browsers send it without credentials, and it answers "
                                         "only which origin, methods and headers are allowed (a mock, no data).")
            acknowledge(method, "COG4", "A CORS preflight carries no token by the Fetch standard; the route it "
                                        "announces is behind the Cognito authorizer.")
        for response_type in (apigw.ResponseType.DEFAULT_4_XX, apigw.ResponseType.DEFAULT_5_XX):
            rest_api.add_gateway_response(
                f"Cors{response_type.response_type.title().replace('_', '')}", type=response_type,
                response_headers={"Access-Control-Allow-Origin": f"'{origin}'", "Vary": "'Origin'"})
        deployed.policy.add_statements(iam.PolicyStatement(
            sid="BrowserPreflight", principals=[iam.AnyPrincipal()], actions=["execute-api:Invoke"],
            resources=[_execute_api(self.stage_name, "OPTIONS", path) for path in paths]))

    def cloudwatch_account(self) -> apigw.CfnAccount:
        """The account setting other REST APIs of the stack (the chat API) make their stage depend on."""
        return self._cloudwatch_account()

    def _cloudwatch_account(self) -> apigw.CfnAccount:
        """The account's API Gateway CloudWatch role (once per stack), see the module doc."""
        if self._account_role is None:
            scope = Construct(self, "CloudWatchAccount")
            role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                            description="API Gateway writes the execution and access logs of this account's REST APIs",
                            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                                CLOUDWATCH_ROLE_POLICY)])
            # Plain Retain, not KEEP: the account setting points at this role from its creation on (infra/removal.py).
            role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
            acknowledge(role, f"IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{CLOUDWATCH_ROLE_POLICY}]",
                        "This is the account-wide API Gateway CloudWatch role. API Gateway accepts it only with what "
                        "AWS's managed policy for the purpose grants (it checks by writing outside the execution-log "
                        "prefix), and it writes the access logs of every REST API of the account and Region, whose "
                        "groups are named freely; a narrower inline policy fails the deployment.")
            self._account_role = apigw.CfnAccount(scope, "Account", cloud_watch_role_arn=role.role_arn)
        return self._account_role

    def _log_key(self) -> kms.Key:
        return log_group_key(self, "LogKey", "Encrypts the REST APIs' access and execution log groups")
