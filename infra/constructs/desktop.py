"""The agent desktop in AWS: the page (desktop/dist) in a private bucket behind CloudFront, and what lets it sign in,
call the tickets API and embed the softphone.

- The bucket: private (all public access blocked, objects owned by the bucket), TLS only, SSE-S3, versioned, its
  access logs and CloudFront's in a log bucket that expires them like the other access logs (infra/retention.py);
  both retained with the stack. CloudFront reads it through an origin access control (SigV4, this distribution
  only); nothing else can.
- CloudFront: HTTPS only (HTTP redirected), a response headers policy with HSTS, no framing, no sniffing, a strict
  referrer, and a content security policy that lets the page talk to its own origin, the tickets API, the user
  pool's hosted UI and Cognito, and frame or call the Connect instance: nothing else (no inline script, no eval).
  A custom domain with its ACM certificate (in us-east-1) from context (`desktop_domain_name`,
  `desktop_certificate_arn`), else the cloudfront.net name and certificate, whose TLS floor CloudFront fixes at
  TLSv1 (acknowledged below). A WAF web ACL for CloudFront lives in us-east-1: its ARN from context
  (`desktop_web_acl_arn`), optional.
- The page's files and its config.json (functions/desktop/config.py: the API URL, the hosted UI, the instance)
  are deployed by a BucketDeployment: the files are zipped from desktop/dist at synth (no Docker, no network;
  `make desktop` builds them first) and copied by CDK's own custom resource, which also invalidates CloudFront.
- Sign-in: the user pool's hosted UI (a Cognito domain `agents-<stage>-<account>`) and the desktop's public app
  client (authorization code, PKCE, which Cognito requires of a public client's code flow in the page's code;
  callback and sign-out URL: the desktop origin).
- The Connect instance approves the desktop origin (AWS::Connect::ApprovedOrigin), so the CCP may be embedded.
- The tickets API answers the desktop origin's CORS preflight and carries its Access-Control-Allow-Origin (the
  handler adds it for that origin only; API Gateway's own 4XX/5XX answers carry it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_connect as connect
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from functions.desktop.config import desktop_config
from infra.constructs.api import AgentDirectory, DeployedApi, FunctionApis
from infra.constructs.chat import ChatApi
from infra.constructs.keys import log_group_key
from infra.constructs.recordings import expiry_rules
from infra.nag import acknowledge
from infra.removal import KEEP
from infra.retention import Retention

DIST = Path(__file__).resolve().parents[2] / "desktop" / "dist"
CONNECT_DOMAIN = "my.connect.aws"
NONCURRENT_PAGE_DAYS = 30


@dataclass(frozen=True)
class DesktopSettings:
    """From context: all optional."""

    domain_name: str | None = None
    certificate_arn: str | None = None
    web_acl_arn: str | None = None

    def __post_init__(self) -> None:
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ValueError("desktop_domain_name and desktop_certificate_arn go together (the certificate, in "
                             "us-east-1, must cover the name)")
        if self.certificate_arn and ":us-east-1:" not in self.certificate_arn:
            raise ValueError("desktop_certificate_arn: CloudFront takes certificates from us-east-1 only")
        if self.web_acl_arn and not self.web_acl_arn.startswith("arn:aws:wafv2:us-east-1:"):
            raise ValueError("desktop_web_acl_arn: a WAFv2 web ACL of scope CLOUDFRONT (in us-east-1)")


def content_security_policy(api_origin: str, cognito_origin: str, region: str, connect_origin: str,
                            chat_origin: str = "") -> str:
    """Only our origin, the tickets API, Cognito (hosted UI and its token endpoint) and the Connect instance; for
    the customer's chat page (chat.html), the chat API and Connect's participant service (HTTPS and its
    websocket)."""
    cognito_idp = f"https://cognito-idp.{region}.amazonaws.com"
    chat = (f" {chat_origin} https://participant.connect.{region}.amazonaws.com"
            f" wss://*.transport.connect.{region}.amazonaws.com") if chat_origin else ""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src 'self' {api_origin} {cognito_origin} {cognito_idp} {connect_origin}{chat}",
        f"frame-src {connect_origin}",
        "frame-ancestors 'none'",
        f"form-action 'self' {cognito_origin}",
        "base-uri 'self'",
        "object-src 'none'",
    ])


class AgentDesktop(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, api: DeployedApi, apis: FunctionApis,
                 directory: AgentDirectory, instance_arn: str,
                 instance_alias: str | None, retention: Retention, settings: DesktopSettings,
                 dist: Path = DIST, chat_api: ChatApi | None = None) -> None:
        super().__init__(scope, construct_id)
        if not (dist / "index.html").is_file():
            raise ValueError(f"the agent desktop is not built ({dist}): run `make desktop` before synthesizing")
        region = cdk.Aws.REGION
        self.logs = s3.Bucket(
            self, "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # CloudFront's standard logs are written with an ACL: the one bucket here that keeps ACLs enabled.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            versioned=True, lifecycle_rules=expiry_rules(retention.access_log_days), removal_policy=KEEP)
        self.bucket = s3.Bucket(
            self, "Page",
            encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True, server_access_logs_bucket=self.logs, server_access_logs_prefix="desktop-page/",
            lifecycle_rules=[s3.LifecycleRule(id="expire-old-builds",
                                              noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_PAGE_DAYS))],
            removal_policy=KEEP)

        connect_origin = (f"https://{instance_alias}.{CONNECT_DOMAIN}" if instance_alias
                          else f"https://*.{CONNECT_DOMAIN}")
        # The hosted UI's domain prefix is unique per Region across AWS: qualified with stage and account.
        self.cognito_domain = directory.user_pool.add_domain("HostedUi", cognito_domain=cognito.CognitoDomainOptions(
            domain_prefix=cdk.Fn.join("-", ["agents", stage, cdk.Aws.ACCOUNT_ID])))
        cognito_origin = cdk.Fn.join("", ["https://", self.cognito_domain.domain_name, ".auth.", region,
                                          ".amazoncognito.com"])
        api_origin = cdk.Fn.join("", ["https://", api.rest_api.rest_api_id, ".execute-api.", region, ".",
                                      cdk.Aws.URL_SUFFIX])
        chat_origin = (cdk.Fn.join("", ["https://", chat_api.api.rest_api_id, ".execute-api.", region, ".",
                                        cdk.Aws.URL_SUFFIX]) if chat_api else "")
        headers = cloudfront.ResponseHeadersPolicy(
            self, "Headers",
            comment=f"Agent desktop ({stage}): CSP for our API, Cognito and the Connect instance only",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(api_origin, cognito_origin, region,
                                                                    connect_origin, chat_origin),
                    override=True),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.days(365), include_subdomains=True, override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True),
            ))
        certificate = (acm.Certificate.from_certificate_arn(self, "Certificate", settings.certificate_arn)
                       if settings.certificate_arn else None)
        self.distribution = cloudfront.Distribution(
            self, "Distribution",
            comment=f"Agent desktop ({stage})",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD),
            domain_names=[settings.domain_name] if settings.domain_name else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True, log_bucket=self.logs, log_file_prefix="desktop-cloudfront/",
            web_acl_id=settings.web_acl_arn,
        )
        self.origin = f"https://{settings.domain_name}" if settings.domain_name else cdk.Fn.join(
            "", ["https://", self.distribution.distribution_domain_name])
        acknowledge(self.distribution, "CFR1",
                    "Agents work from anywhere the center employs them; sign-in (Cognito, MFA required) decides who "
                    "gets in, not the country. The page itself is public code without data.")
        if not settings.web_acl_arn:
            acknowledge(self.distribution, "CFR2",
                        "A WAF for CloudFront must live in us-east-1 and is optional (context desktop_web_acl_arn): "
                        "the page is static public code; the tickets API behind it has its own web ACL.")
        if not settings.certificate_arn:
            acknowledge(self.distribution, "CFR4",
                        "Without a custom domain (context desktop_domain_name and desktop_certificate_arn) "
                        "CloudFront serves its default *.cloudfront.net certificate, whose minimum protocol it "
                        "fixes at TLSv1; with one, TLSv1.2_2021 applies.")

        self.client = directory.add_desktop_client(callback_urls=[self.origin + "/"], logout_urls=[self.origin + "/"])
        connect.CfnApprovedOrigin(self, "ApprovedOrigin", instance_id=instance_arn, origin=self.origin)
        apis.allow_browser_origin(api.name, self.origin)  # the function gets DESKTOP_ORIGIN wired by the stack

        config = desktop_config(
            mode="aws", api_base=cdk.Fn.join("", [api_origin, f"/{api.stage.stage_name}"]),
            cognito={"domain": cognito_origin, "clientId": self.client.user_pool_client_id,
                     "redirectUri": self.origin + "/"},
            connect={"instanceUrl": connect_origin if instance_alias else "", "region": region},
            # The customer's chat page (chat.html): where it starts chats, and the participant service's Region.
            chat={"start": chat_api.url, "region": region} if chat_api else None)
        self.deployment = s3deploy.BucketDeployment(
            self, "Deploy",
            sources=[s3deploy.Source.asset(str(dist)), s3deploy.Source.json_data("config.json", config)],
            destination_bucket=self.bucket, distribution=self.distribution, distribution_paths=["/*"],
            prune=True, retain_on_delete=True, memory_limit=256,
            log_group=logs.LogGroup(self, "DeployLogs", retention=logs.RetentionDays.THREE_MONTHS,
                                    encryption_key=log_group_key(self, "DeployLogKey",
                                                                 "Encrypts the agent desktop deployment's logs"),
                                    removal_policy=KEEP))
        self._acknowledge_deployment_handler()

    def _acknowledge_deployment_handler(self) -> None:
        """CDK's BucketDeployment handler (one per stack and memory size, at stack level): its findings, each
        with its reason. It runs only during a deployment, as CloudFormation's custom resource."""
        stack = cdk.Stack.of(self)
        handlers = [child for child in stack.node.children if child.node.id.startswith("Custom::CDKBucketDeployment")]
        if len(handlers) != 1:
            raise ValueError(f"expected one BucketDeployment handler in the stack, found {len(handlers)}")
        (handler,) = handlers
        role = handler.node.find_child("ServiceRole")
        policy = role.node.find_child("DefaultPolicy")
        page_arn = stack.resolve(self.bucket.bucket_arn)["Fn::GetAtt"][0]
        function = handler.node.find_child("Resource")
        # CDK makes it depend on its role and the role's policy; it also references the role, so cfn-lint calls that
        # DependsOn obsolete (W3005): keep the one on the policy, which no property implies.
        function.add_override("DependsOn", [stack.get_logical_id(policy.node.default_child)])
        acknowledge(function, "L1", "CDK's BucketDeployment handler: its runtime is chosen by aws-cdk-lib (pinned in "
                                   "pyproject.toml) and moves with it; it runs only during deployments.")
        acknowledge(role, "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                             "AWSLambdaBasicExecutionRole]",
                    "CDK's BucketDeployment handler role: the basic execution policy lets it write its own logs; "
                    "CDK attaches it and offers no inline alternative.")
        for wildcard, reason in (
            ("Resource::*", "cloudfront:CreateInvalidation and GetInvalidation, which CDK grants on '*' (the "
                            "handler invalidates this stack's distribution after copying the page)."),
            ("Action::s3:GetObject*", "reading the page's zipped files from the CDK assets bucket"),
            ("Action::s3:GetBucket*", "CDK's read grant on the assets bucket and the page bucket"),
            ("Action::s3:List*", "listing the page bucket to prune files a new build no longer has"),
            ("Action::s3:DeleteObject*", "pruning files a new build of the page no longer has"),
            ("Action::s3:Abort*", "aborting its own failed multipart uploads into the page bucket"),
            ("Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
             "the page's files are uploaded by CDK to its bootstrap assets bucket under content-hashed keys"),
            (f"Resource::<{page_arn}.Arn>/*", "it writes the page's objects, every key of the page bucket"),
        ):
            acknowledge(policy, f"IAM5[{wildcard}]", f"CDK's BucketDeployment handler: {reason}")

